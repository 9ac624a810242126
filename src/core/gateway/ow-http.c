#include "config.h"

#include "ow-http.h"

JsonObject *
ow_http_parse_request_object (SoupServerMessage *message, GError **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);

  return ow_json_parse_object (g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                               error);
}

void
ow_http_reply_json (SoupServerMessage *message, guint status, JsonNode *node)
{
  gsize length;
  char *body = json_to_string (node, FALSE);

  length = strlen (body);
  soup_server_message_set_status (message, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Cache-Control",
                                "no-store");
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_TAKE, body, length);
}

void
ow_http_reply_error (SoupServerMessage *message, guint status, const char *code, const char *text)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);

  node = json_builder_get_root (builder);
  ow_http_reply_json (message, status, node);
}

#define CONNECTION_SOCKET_KEY "ow-connection-socket"
#define CONNECTION_TLS_KEY "ow-connection-tls"

void
ow_http_connection_set_socket (GSocketAddress *remote, GSocket *socket, gboolean tls)
{
  g_return_if_fail (G_IS_SOCKET_ADDRESS (remote));
  g_return_if_fail (G_IS_SOCKET (socket));

  /* The address object lives exactly as long as libsoup's connection, which holds it. */
  g_object_set_data_full (G_OBJECT (remote), CONNECTION_SOCKET_KEY, g_object_ref (socket),
                          g_object_unref);
  g_object_set_data (G_OBJECT (remote), CONNECTION_TLS_KEY, GINT_TO_POINTER (tls));
}

const char *
ow_http_message_get_scheme (SoupServerMessage *message)
{
  GSocketAddress *remote;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), "http");

  remote = soup_server_message_get_remote_address (message);
  if (remote != NULL && g_object_get_data (G_OBJECT (remote), CONNECTION_TLS_KEY))
    return "https";
  /* Connections libsoup accepted itself, as in tests: it knows. */
  return g_strcmp0 (g_uri_get_scheme (soup_server_message_get_uri (message)), "https") == 0
           ? "https"
           : "http";
}

GSocket *
ow_http_message_get_socket (SoupServerMessage *message)
{
  GSocketAddress *remote;

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), NULL);

  if (soup_server_message_get_socket (message))
    return soup_server_message_get_socket (message);
  remote = soup_server_message_get_remote_address (message);
  return remote ? g_object_get_data (G_OBJECT (remote), CONNECTION_SOCKET_KEY) : NULL;
}

gssize
ow_read_ready (
  GInputStream *stream, void *buffer, gsize size, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gssize got;

  if (!G_IS_POLLABLE_INPUT_STREAM (stream) ||
      !g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (stream)))
    return OW_READ_WOULD_BLOCK;

  got = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream), buffer, size,
                                                  cancellable, &local_error);
  if (got < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return OW_READ_WOULD_BLOCK;
  if (got < 0)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return got;
}

void
ow_http_reply_ok (SoupServerMessage *message, const char *allowed_name, gboolean allowed)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) answer = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  if (allowed_name != NULL)
    {
      json_builder_set_member_name (builder, allowed_name);
      json_builder_add_boolean_value (builder, allowed);
    }
  json_builder_end_object (builder);
  answer = json_builder_get_root (builder);
  ow_http_reply_json (message, SOUP_STATUS_OK, answer);
}
