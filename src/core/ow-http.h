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

/* Adds a member to the object being built: a string, or null for %NULL. */
void ow_json_add_string (JsonBuilder *builder, const char *name, const char *value);
void ow_json_add_int (JsonBuilder *builder, const char *name, gint64 value);

G_END_DECLS
