#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What the host reads from `opencode serve`: the line it prints once it listens, and the
 * body of `GET /global/health`. These are the only two places the runtime's own output is
 * parsed.
 */

/**
 * ow_runtime_parse_listening_line:
 * @line: one line of the runtime's stdout, without the newline
 * @port: (out): the port it listens on
 *
 * Recognises `opencode server listening on http://127.0.0.1:PORT`. Only the address
 * the host asks for, 127.0.0.1, is accepted: the runtime must never listen anywhere else.
 *
 * Returns: %TRUE if @line is the listening line and names a loopback address and a port
 */
gboolean ow_runtime_parse_listening_line (const char *line, guint *port);

/**
 * ow_runtime_parse_health:
 * @body: the body of `GET /global/health`
 * @length: its length in bytes
 * @version: (out) (transfer full): the runtime version it reports
 *
 * Returns: %TRUE if the body says `{"healthy": true, "version": "…"}`; otherwise %FALSE
 *   with @error set to what is wrong with it.
 */
gboolean ow_runtime_parse_health (const char *body, gsize length, char **version, GError **error);

G_END_DECLS
