#pragma once

#include <gtk/gtk.h>

#include "core/ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_STATUS_WINDOW (ow_status_window_get_type ())
G_DECLARE_FINAL_TYPE (OwStatusWindow, ow_status_window, OW, STATUS_WINDOW, GtkApplicationWindow)

/* A window that follows the host's runtime: state, version, restarts and the last error. */
OwStatusWindow *ow_status_window_new (GtkApplication *application, OwHost *host);

G_END_DECLS
