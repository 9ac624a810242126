#include "config.h"

/* The host's own extensions, under /host/: its event stream as a WebSocket, tasks,
 * permission requests and their answers, the health report, and how the runtime's routes
 * are classified. */

#include "ow-gateway-routes.h"
#include "ow-connection-watch.h"
#include "ow-http.h"
#include "ow-stream-registry.h"
#include "ow-websocket-guard.h"

static void handle_events_websocket (OwGatewayRequest *request);
static void handle_list_tasks (OwGatewayRequest *request);
static void handle_get_task (OwGatewayRequest *request);
static void handle_list_permissions (OwGatewayRequest *request);
static void handle_health_report (OwGatewayRequest *request);
static void handle_opencode_policy (OwGatewayRequest *request);
static void handle_answer_permission (OwGatewayRequest *request);

const OwRoute ow_host_routes[] = {
  { "GET", "/host/events", OW_ACCESS_VIEWER, handle_events_websocket,
    OW_ROUTE_OPENCODE_CREDENTIALS },
  { "GET", "/host/tasks", OW_ACCESS_VIEWER, handle_list_tasks },
  { "GET", "/host/tasks/:id", OW_ACCESS_VIEWER, handle_get_task },
  { "GET", "/host/permissions", OW_ACCESS_VIEWER, handle_list_permissions },
  { "GET", "/host/health", OW_ACCESS_OWNER, handle_health_report },
  { "GET", "/host/opencode-policy", OW_ACCESS_OWNER, handle_opencode_policy },
  { "POST", "/host/permissions/:id", OW_ACCESS_ANSWER, handle_answer_permission },
  { NULL },
};

/* Tasks: the owner sees every task, other devices the ones they started. */

static const char *
task_owner_filter (OwGatewayRequest *request)
{
  return request->caller->scope >= OW_SCOPE_OWNER ? NULL : request->caller->id;
}

/* A task as the API and the CLI give it: `{id, device, tokenId, workspace, directory,
 * state, reason, createdAt, updatedAt}`. */
static void
add_task (JsonBuilder *builder, OwTask *task)
{
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "id", ow_task_get_id (task));
  ow_json_add_string (builder, "device", ow_task_get_device (task));
  ow_json_add_string (builder, "tokenId", ow_task_get_token_id (task));
  ow_json_add_string (builder, "workspace", ow_task_get_workspace_id (task));
  ow_json_add_string (builder, "directory", ow_task_get_directory (task));
  ow_json_add_string (builder, "state", ow_task_state_to_string (ow_task_get_state (task)));
  ow_json_add_string (builder, "reason", ow_task_get_reason (task));
  ow_json_add_int (builder, "createdAt", ow_task_get_created_at (task));
  ow_json_add_int (builder, "updatedAt", ow_task_get_updated_at (task));
  json_builder_end_object (builder);
}

static gboolean
task_visible (OwGatewayRequest *request, gpointer item)
{
  OwTask *task = item;
  const char *owner = task_owner_filter (request);

  return owner == NULL || g_strcmp0 (ow_task_get_token_id (task), owner) == 0;
}

static void
handle_list_tasks (OwGatewayRequest *request)
{
  ow_gateway_request_reply_model (request, G_LIST_MODEL (request->context->tasks),
                                  (OwGatewayAddItem) add_task, task_visible);
}

static void
handle_get_task (OwGatewayRequest *request)
{
  OwTask *task = ow_tasks_lookup (request->context->tasks, request->params[0]);
  g_autoptr (JsonBuilder) builder = NULL;

  if (task == NULL || !task_visible (request, task))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_NOT_FOUND, "not_found",
                           "There is no task with this id that this device may see.");
      return;
    }
  builder = json_builder_new ();
  add_task (builder, task);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

/* Permission requests */

static void
handle_list_permissions (OwGatewayRequest *request)
{
  ow_gateway_request_reply_items (request, ow_permissions_list (request->context->permissions));
}

static void
handle_answer_permission (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  const char *reply;

  if (body == NULL || !ow_gateway_request_read_strings (request, body, "reply", &reply, NULL))
    return;
  ow_host_routes_answer_permission (request, request->params[0], reply);
}

#define CLIENT_GONE_KEY "ow-client-gone"

static void
on_answering_client_gone (SoupServerMessage *message, gpointer user_data)
{
  g_object_set_data (G_OBJECT (message), CLIENT_GONE_KEY, GINT_TO_POINTER (TRUE));
}

static void
on_permission_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SoupServerMessage) message = user_data;
  g_autoptr (GError) error = NULL;
  gboolean answered = ow_permissions_reply_finish (OW_PERMISSIONS (source), result, &error);

  /* The client may have gone while the runtime took its time. */
  g_signal_handlers_disconnect_by_func (message, on_answering_client_gone, NULL);
  if (g_object_get_data (G_OBJECT (message), CLIENT_GONE_KEY))
    return;
  if (answered)
    {
      g_autoptr (JsonNode) answer = json_node_new (JSON_NODE_VALUE);

      json_node_set_boolean (answer, TRUE);
      ow_http_reply_json (message, SOUP_STATUS_OK, answer);
    }
  else if (g_error_matches (error, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_ALREADY_ANSWERED))
    ow_http_reply_error (message, SOUP_STATUS_CONFLICT, "already_answered", error->message);
  else if (g_error_matches (error, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_NOT_FOUND))
    ow_http_reply_error (message, SOUP_STATUS_NOT_FOUND, "not_found", error->message);
  else if (g_error_matches (error, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_INVALID))
    ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
  else
    ow_http_reply_error (message, SOUP_STATUS_BAD_GATEWAY, "runtime_unreachable", error->message);
  soup_server_message_unpause (message);
}

void
ow_host_routes_answer_permission (OwGatewayRequest *request, const char *id, const char *reply)
{
  gboolean local = g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) == 0;

  /* Host policy: "always" lets the runtime skip asking from now on, which only the host's
   * own user may decide unless the owner allowed devices to. */
  if (!local && g_strcmp0 (reply, "always") == 0 && !request->context->remote_always)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "always_not_allowed",
                           "This host lets devices answer only once or reject; \"always\" is "
                           "for the host's own user.");
      return;
    }

  g_signal_connect (request->message, "finished", G_CALLBACK (on_answering_client_gone), NULL);
  soup_server_message_pause (request->message);
  ow_permissions_reply_async (request->context->permissions, id, reply, request->caller->name,
                              request->caller->id, on_permission_answered,
                              g_object_ref (request->message));
}

/* The host's local measures of how well it serves (owner only: they describe every
 * device). */
static void
handle_health_report (OwGatewayRequest *request)
{
  g_autoptr (JsonNode) report = ow_metrics_report (request->context->metrics, 7);

  ow_http_reply_json (request->message, SOUP_STATUS_OK, report);
}

/* The runtime's routes */

static void
handle_opencode_policy (OwGatewayRequest *request)
{
  const char *method = request->query ? g_hash_table_lookup (request->query, "method") : NULL;
  const char *path = request->query ? g_hash_table_lookup (request->query, "path") : NULL;
  g_auto (OwOpencodeRoute) route = { 0 };
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GError) error = NULL;

  if (method == NULL || path == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                           "Name the route: ?method=POST&path=/session");
      return;
    }
  if (!ow_opencode_route_parse (method, path, &route, &error))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "bad_path", error->message);
      return;
    }

  json_builder_begin_object (builder);
  ow_json_add_string (builder, "method", method);
  ow_json_add_string (builder, "path", route.path);
  ow_json_add_string (builder, "action", ow_opencode_action_to_string (route.action));
  ow_json_add_boolean (builder, "classified", route.classified);
  ow_json_add_string (builder, "pattern", route.pattern);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

/* The event stream as a WebSocket */

/* What a WebSocket stream needs from its request once the handshake answer is out. */
typedef struct
{
  OwEventHub *hub;
  OwStreamRegistry *streams;
  char *token_id;
  GSocket *socket; /* nullable */
  gboolean resume;
  guint64 since;
} WebsocketStart;

static void
websocket_start_free (WebsocketStart *start)
{
  g_clear_object (&start->hub);
  g_clear_object (&start->streams);
  g_clear_object (&start->socket);
  g_free (start->token_id);
  g_free (start);
}

/* The 101 is out: the connection is the WebSocket's. As libsoup's own WebSocket handler
 * does, but with the client's frames read through a guard first. */
static void
on_websocket_upgraded (SoupServerMessage *message, WebsocketStart *start)
{
  g_autoptr (GIOStream) connection = NULL;
  g_autoptr (GIOStream) guarded = NULL;
  g_autoptr (SoupWebsocketConnection) websocket = NULL;

  connection = soup_server_message_steal_connection (message);
  if (connection == NULL)
    return;
  if (start->socket != NULL)
    ow_connection_watch_forget (start->socket);
  guarded = ow_websocket_guard_new (connection, start->socket);
  websocket = soup_websocket_connection_new (
    guarded, soup_server_message_get_uri (message), SOUP_WEBSOCKET_CONNECTION_SERVER,
    soup_message_headers_get_one (soup_server_message_get_request_headers (message), "Origin"),
    NULL, NULL);
  soup_websocket_connection_set_max_incoming_payload_size (websocket, OW_WEBSOCKET_MAX_MESSAGE);
  ow_stream_registry_add (start->streams, ow_event_stream_new_websocket (
                                            start->hub, websocket, start->socket, start->token_id,
                                            start->resume ? &start->since : NULL));
}

static void
handle_events_websocket (OwGatewayRequest *request)
{
  g_autoptr (GError) error = NULL;
  WebsocketStart *start;
  gboolean given;
  guint64 seq;

  if (!soup_websocket_server_check_handshake (request->message, NULL, NULL, NULL, &error))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "websocket_expected",
                           "/host/events is a WebSocket: send a WebSocket handshake (RFC 6455).");
      return;
    }
  if (!ow_gateway_request_read_resume_point (request, &seq, &given) ||
      !ow_stream_registry_make_room (request->context->streams, request->caller->id,
                                     request->message))
    return;
  /* No extensions: permessage-deflate would let a small frame inflate to any size. */
  if (!soup_websocket_server_process_handshake (request->message, NULL, NULL, NULL, NULL))
    return;

  start = g_new0 (WebsocketStart, 1);
  start->hub = g_object_ref (request->context->hub);
  start->streams = g_object_ref (request->context->streams);
  start->token_id = g_strdup (request->caller->id);
  /* Taken now: once the connection is stolen, the message no longer says its socket. */
  start->socket = ow_http_message_get_socket (request->message)
                    ? g_object_ref (ow_http_message_get_socket (request->message))
                    : NULL;
  start->resume = given;
  start->since = seq;
  g_signal_connect_data (request->message, "wrote-informational",
                         G_CALLBACK (on_websocket_upgraded), start,
                         (GClosureNotify) (void (*) (void)) websocket_start_free, 0);
}
