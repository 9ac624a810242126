#pragma once

#include <gtk/gtk.h>

#include "ow-runtime-supervisor.h"
#include "ow-token-store.h"

G_BEGIN_DECLS

/* What a scope lets a device do, in words for the host owner. */
const char *ow_scope_display_name (OwScope scope);
const char *ow_scope_description (OwScope scope);

/* "Android", "iPhone or iPad", …; an unknown platform as given. */
const char *ow_platform_display_name (const char *platform);

/* "just now", "5 minutes ago", "yesterday at 14:05", … for a Unix time in milliseconds. */
char *ow_format_time_ago (gint64 unix_ms);

/* "2 h 5 min", "3 days 4 h", … */
char *ow_format_duration (guint64 ms);

/* The runtime's state in words for people ("Running"). */
const char *ow_runtime_state_display_name (OwRuntimeState state);

/* What a permission request asks to do ("run a command"), for "“Device” wants to …". */
const char *ow_permission_action (const char *permission);

/* Destroys every child of @container. */
void ow_container_clear (GtkContainer *container);

/* Opens @path in the file manager. */
void ow_open_folder (GtkWindow *parent, const char *path);

/* With OPENWORK_HOST_CHECK_LAYOUT set, reports every label of @window whose text does not
 * fit (ellipsized or cut) as a warning, once the window is shown. For the ui tests, which
 * run the desktop face in each language. */
void ow_check_layout_when_shown (GtkWindow *window);

G_END_DECLS
