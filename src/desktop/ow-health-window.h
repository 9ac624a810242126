#pragma once

#include <gtk/gtk.h>

#include "ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_HEALTH_WINDOW (ow_health_window_get_type ())
G_DECLARE_FINAL_TYPE (OwHealthWindow, ow_health_window, OW, HEALTH_WINDOW, GtkWindow)

/* How the host is doing: uptime, the runtime, addresses, discovery, clients, the last
 * task, the 7-day success measures, and the problems now, each with what to do about it.
 * Refreshes every second while shown, never while hidden. */
OwHealthWindow *ow_health_window_new (GtkApplication *application, OwHost *host);

G_END_DECLS
