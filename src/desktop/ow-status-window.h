#pragma once

#include <gtk/gtk.h>

#include "ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_STATUS_WINDOW (ow_status_window_get_type ())
G_DECLARE_FINAL_TYPE (OwStatusWindow, ow_status_window, OW, STATUS_WINDOW, GtkApplicationWindow)

/* A window that follows the host's runtime: state, version, restarts and the last error. */
OwStatusWindow *ow_status_window_new (GtkApplication *application, OwHost *host);

/* The tray's status line, for desktops without a tray. */
void ow_status_window_set_status_line (OwStatusWindow *self, const char *line);

/* Why this window stands in for the tray icon; %NULL hides the explanation. */
void ow_status_window_set_no_tray_reason (OwStatusWindow *self, const char *reason);

G_END_DECLS
