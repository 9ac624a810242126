#pragma once

#include <gtk/gtk.h>

#include "ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_DEVICES_WINDOW (ow_devices_window_get_type ())
G_DECLARE_FINAL_TYPE (OwDevicesWindow, ow_devices_window, OW, DEVICES_WINDOW, GtkWindow)

/* The paired devices (name, platform, access, last seen), each revocable after a
 * confirmation. Follows the host's #OwDeviceRegistry. */
OwDevicesWindow *ow_devices_window_new (GtkApplication *application, OwHost *host);

G_END_DECLS
