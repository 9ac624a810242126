#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Replies with @node serialised as the JSON body. */
void ow_http_reply_json (SoupServerMessage *message, guint status, JsonNode *node);

/**
 * ow_http_reply_error:
 * @code: a stable machine-readable word, e.g. "forbidden"
 * @message: a sentence for a person that says what to do
 *
 * Replies with the house error shape `{code, message}`.
 */
void
ow_http_reply_error (SoupServerMessage *message, guint status, const char *code, const char *text);

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

/* Adds a member to the object being built: a string, or null for %NULL. */
void ow_json_add_string (JsonBuilder *builder, const char *name, const char *value);
void ow_json_add_int (JsonBuilder *builder, const char *name, gint64 value);

/**
 * ow_json_parse_object:
 * @data: text from outside: a request body, a runtime event, a reply
 * @length: its length in bytes, or -1 when it ends with a NUL
 *
 * Returns: (transfer full) (nullable): the object, or %NULL with @error set when @data is
 *   not JSON or its root is not an object (empty and blank text have no root at all)
 */
JsonObject *ow_json_parse_object (const char *data, gssize length, GError **error);

G_END_DECLS
