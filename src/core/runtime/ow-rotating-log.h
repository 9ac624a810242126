#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define OW_TYPE_ROTATING_LOG (ow_rotating_log_get_type ())
G_DECLARE_FINAL_TYPE (OwRotatingLog, ow_rotating_log, OW, ROTATING_LOG, GObject)

/**
 * ow_rotating_log_new:
 * @path: the log file; older parts become `path.1` … `path.keep`
 * @max_bytes: a part is rotated before it would grow past this size
 * @keep: how many rotated parts are kept besides @path
 *
 * Opens @path for appending (mode 0600), creating it if needed.
 *
 * Returns: (transfer full): the log, or %NULL with @error set
 */
OwRotatingLog *ow_rotating_log_new (const char *path, gsize max_bytes, guint keep, GError **error);

/**
 * ow_rotating_log_append:
 * @source: a short word for where the line came from ("stdout", "stderr", "host")
 * @line: one line of text, without its newline
 *
 * Writes a timestamped line. A failing disk never stops the host: the first write error is
 * reported once as a warning and later lines are dropped until writing works again.
 */
void ow_rotating_log_append (OwRotatingLog *self, const char *source, const char *line);

const char *ow_rotating_log_get_path (OwRotatingLog *self);

G_END_DECLS
