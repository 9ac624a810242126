#pragma once

#include <libsoup/soup.h>

#include "ow-json.h"

G_BEGIN_DECLS

/* Replies with @node serialised as the JSON body. */
void ow_http_reply_json (SoupServerMessage *message, guint status, JsonNode *node);

/* Replies 200 with OpenWork's `{"ok": true}`, and `"@allowed_name": @allowed` where
 * @allowed_name is given. */
void ow_http_reply_ok (SoupServerMessage *message, const char *allowed_name, gboolean allowed);

/* Parses @message's request body as one JSON object, as ow_json_parse_object() does.
 * Returns: (transfer full) (nullable): the object, or %NULL with @error set */
JsonObject *ow_http_parse_request_object (SoupServerMessage *message, GError **error);

/**
 * ow_http_reply_error:
 * @code: a stable machine-readable word, e.g. "forbidden"
 * @message: a sentence for a person that says what to do
 *
 * Replies with the house error shape `{code, message}`.
 */
void
ow_http_reply_error (SoupServerMessage *message, guint status, const char *code, const char *text);

/**
 * ow_http_connection_set_socket:
 * @remote: the remote address a connection is handed to libsoup with
 * @tls: whether the connection runs TLS
 *
 * Remembers @socket as the one under the connection that @remote identifies, and whether
 * it is encrypted: libsoup knows no socket for a connection it was handed as a stream
 * (soup_server_accept_iostream), and takes only a #GTlsConnection for TLS, not a stream
 * that wraps one.
 */
void ow_http_connection_set_socket (GSocketAddress *remote, GSocket *socket, gboolean tls);

/**
 * ow_http_message_get_scheme:
 *
 * Returns: "https" if @message came over TLS, "http" if not
 */
const char *ow_http_message_get_scheme (SoupServerMessage *message);

/**
 * ow_http_message_get_socket:
 *
 * Returns: (transfer none) (nullable): the socket under @message's connection, whether
 *   libsoup accepted it or was handed it as a stream
 */
GSocket *ow_http_message_get_socket (SoupServerMessage *message);

#define OW_READ_WOULD_BLOCK ((gssize) -2)

/**
 * ow_read_ready:
 *
 * Reads what @stream holds already, without waiting: for an answer that has arrived, one
 * call instead of a round through the main loop per asynchronous read.
 *
 * Returns: the bytes read; 0 at its end; -1 with @error set when it broke off; or
 *   %OW_READ_WOULD_BLOCK when nothing is there yet, or @stream cannot be read without
 *   waiting (then read it asynchronously)
 */
gssize ow_read_ready (
  GInputStream *stream, void *buffer, gsize size, GCancellable *cancellable, GError **error);

G_END_DECLS
