#include "config.h"

#include "ow-control-client.h"
#include "ow-control-server.h"

#include <gio/gunixsocketaddress.h>
#include <libsoup/soup.h>
#include <string.h>

static gboolean
means_no_host (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

JsonNode *
ow_control_client_request (const char *socket_path,
                           const char *method,
                           const char *path,
                           JsonNode *request_body,
                           GError **error)
{
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *url = g_strconcat ("http://localhost", path, NULL);
  gsize length;
  const char *data;

  g_return_val_if_fail (socket_path != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (socket_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_NOT_RUNNING,
                   "No OpenWork host is running for this data folder (no control socket at %s).",
                   socket_path);
      return NULL;
    }

  address = g_unix_socket_address_new (socket_path);
  session = soup_session_new_with_options ("remote-connectable", address, "timeout", 10, NULL);
  message = soup_message_new (method, url);
  if (request_body)
    {
      char *json = json_to_string (request_body, FALSE);
      gsize json_length = strlen (json);
      g_autoptr (GBytes) bytes = g_bytes_new_take (json, json_length);

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  body = soup_session_send_and_read (session, message, NULL, &local_error);
  if (body == NULL)
    {
      if (means_no_host (local_error))
        g_set_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_NOT_RUNNING,
                     "No OpenWork host is running for this data folder (nothing answers on %s).",
                     socket_path);
      else
        g_set_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_PROTOCOL,
                     "Could not reach the host on %s: %s", socket_path, local_error->message);
      return NULL;
    }

  data = g_bytes_get_data (body, &length);
  if (length == 0 && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)))
    return json_node_new (JSON_NODE_NULL);
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local_error))
    {
      g_set_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_PROTOCOL,
                   "The host answered %s with something that is not JSON: %s", path,
                   local_error->message);
      return NULL;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)))
    {
      JsonNode *root = json_parser_get_root (parser);
      const char *text = NULL;

      if (root && JSON_NODE_HOLDS_OBJECT (root))
        text =
          json_object_get_string_member_with_default (json_node_get_object (root), "message", NULL);
      g_set_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_PROTOCOL, "%s",
                   text ? text : soup_message_get_reason_phrase (message));
      return NULL;
    }

  /* A blank body parses to no root at all. */
  if (json_parser_get_root (parser) == NULL)
    return json_node_new (JSON_NODE_NULL);
  return json_parser_steal_root (parser);
}

JsonNode *
ow_control_client_get (const char *socket_path, const char *path, GError **error)
{
  return ow_control_client_request (socket_path, "GET", path, NULL, error);
}
