#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * ow_control_client_get:
 * @socket_path: the host's control socket (ow_paths_get_control_socket())
 * @path: the route, e.g. "/v1/status"
 *
 * Asks a running host over its control socket and waits for the JSON answer.
 *
 * Returns: (transfer full): the parsed body, or %NULL with @error set;
 *   %OW_CONTROL_ERROR_NOT_RUNNING when no host answers on the socket
 */
JsonNode *ow_control_client_get (const char *socket_path, const char *path, GError **error);

G_END_DECLS
