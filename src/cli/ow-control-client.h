#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * ow_control_client_request:
 * @socket_path: the host's control socket (ow_paths_get_control_socket())
 * @method: "GET", "POST", "DELETE"
 * @path: the route, e.g. "/v1/status" or "/api/tokens"
 * @body: (nullable): a JSON body to send
 *
 * Asks a running host over its control socket and waits for the answer.
 *
 * Returns: (transfer full): the parsed JSON body (a null node for an empty answer), or
 *   %NULL with @error set: %OW_CONTROL_ERROR_NOT_RUNNING when no host answers on the
 *   socket, %OW_CONTROL_ERROR_PROTOCOL with the host's own message when it refuses
 */
JsonNode *ow_control_client_request (
  const char *socket_path, const char *method, const char *path, JsonNode *body, GError **error);

/* A GET with ow_control_client_request(). */
JsonNode *ow_control_client_get (const char *socket_path, const char *path, GError **error);

G_END_DECLS
