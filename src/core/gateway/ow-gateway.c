#include "config.h"

#include "ow-gateway.h"
#include "ow-gateway-private.h"
#include "ow-event-stream.h"
#include "ow-connection-watch.h"
#include "ow-http.h"
#include "ow-opencode-proxy.h"
#include "ow-sse-parser.h"
#include "ow-listener.h"
#include "ow-websocket-guard.h"
#include "ow-workspace.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Who may use a route. */
typedef enum
{
  ACCESS_PUBLIC,
  ACCESS_VIEWER,
  ACCESS_COLLABORATOR,
  ACCESS_OWNER,
  ACCESS_OPENCODE, /* the runtime's API: viewer reads, collaborator writes, owner answers
                    * permission requests */
  ACCESS_ANSWER,   /* answering permission requests: as --permission-answers says */
} Access;

#define HEARTBEAT_SECONDS 10

typedef void (*RouteHandler) (OwGatewayRequest *request);

typedef struct
{
  const char *method; /* NULL: any */
  const char *pattern;
  Access access;
  RouteHandler handler;
} Route;

G_DEFINE_FINAL_TYPE (OwGateway, ow_gateway, G_TYPE_OBJECT)

static void route_request (OwGateway *self,
                           SoupServerMessage *message,
                           const char *path,
                           GHashTable *query,
                           const OwTokenInfo *owner,
                           gboolean early);
static void handle_opencode (OwGatewayRequest *request);
static void handle_workspace_opencode (OwGatewayRequest *request);
static void handle_events_websocket (OwGatewayRequest *request);

/* The whole API. Tests walk this table (see ow_gateway_describe_routes()). */
static const Route routes[] = {
  { "GET", "/health", ACCESS_PUBLIC, ow_gateway_handle_health },
  { "GET", "/capabilities", ACCESS_VIEWER, ow_gateway_handle_capabilities },
  { "GET", "/status", ACCESS_VIEWER, ow_gateway_handle_status },
  { "GET", "/whoami", ACCESS_VIEWER, ow_gateway_handle_whoami },
  { "GET", "/workspaces", ACCESS_VIEWER, ow_gateway_handle_workspaces },
  { "GET", "/tokens", ACCESS_OWNER, ow_gateway_handle_list_tokens },
  { "POST", "/tokens", ACCESS_OWNER, ow_gateway_handle_create_token },
  { "DELETE", "/tokens/:id", ACCESS_OWNER, ow_gateway_handle_revoke_token },
  { "GET", "/approvals", ACCESS_OWNER, ow_gateway_handle_list_approvals },
  { "POST", "/approvals/:id", ACCESS_OWNER, ow_gateway_handle_reply_approval },
  { "POST", "/pair/start", ACCESS_PUBLIC, ow_gateway_handle_pair_start },
  { "POST", "/pair/grant", ACCESS_PUBLIC, ow_gateway_handle_pair_grant },
  { "GET", "/pair/offer", ACCESS_OWNER, ow_gateway_handle_get_offer },
  { "POST", "/pair/invite", ACCESS_OWNER, ow_gateway_handle_invite },
  { "POST", "/pair/offer", ACCESS_OWNER, ow_gateway_handle_renew_offer },
  { "GET", "/pair/requests", ACCESS_OWNER, ow_gateway_handle_list_pair_requests },
  { "POST", "/pair/requests/:id", ACCESS_OWNER, ow_gateway_handle_answer_pair_request },
  { "POST", "/pair/:id/confirm", ACCESS_PUBLIC, ow_gateway_handle_pair_confirm },
  { "GET", "/pair/:id", ACCESS_PUBLIC, ow_gateway_handle_pair_poll },
  { "GET", "/devices", ACCESS_OWNER, ow_gateway_handle_list_devices },
  { "DELETE", "/devices/:id", ACCESS_OWNER, ow_gateway_handle_revoke_device },
  { NULL, "/opencode/*", ACCESS_OPENCODE, handle_opencode },
  { NULL, "/w/:id/opencode/*", ACCESS_OPENCODE, handle_workspace_opencode },
  /* Where OpenWork's clients come back to a workspace they know: its server's mount
   * (/w/:id/) and the newer /workspace/:id/ form. */
  { "GET", "/w/:id/health", ACCESS_PUBLIC, ow_gateway_handle_health },
  { "GET", "/w/:id/status", ACCESS_VIEWER, ow_gateway_handle_status },
  { "GET", "/w/:id/capabilities", ACCESS_VIEWER, ow_gateway_handle_capabilities },
  { "GET", "/w/:id/workspaces", ACCESS_VIEWER, ow_gateway_handle_workspaces },
  { "POST", "/workspaces/:id/activate", ACCESS_OWNER, ow_gateway_handle_activate_workspace },
  { "DELETE", "/workspace/:id/sessions/:sid", ACCESS_COLLABORATOR,
    ow_gateway_handle_delete_session },
  { NULL, "/workspace/:id/opencode/*", ACCESS_OPENCODE, handle_workspace_opencode },
  { "GET", "/host/events", ACCESS_VIEWER, handle_events_websocket },
  { "GET", "/host/tasks", ACCESS_VIEWER, ow_gateway_handle_list_tasks },
  { "GET", "/host/tasks/:id", ACCESS_VIEWER, ow_gateway_handle_get_task },
  { "GET", "/host/permissions", ACCESS_VIEWER, ow_gateway_handle_list_permissions },
  { "GET", "/host/health", ACCESS_OWNER, ow_gateway_handle_health_report },
  { "GET", "/host/opencode-policy", ACCESS_OWNER, ow_gateway_handle_opencode_policy },
  { "POST", "/host/permissions/:id", ACCESS_ANSWER, ow_gateway_handle_answer_permission },
};

static const char *const access_names[] = { "public", "viewer",   "collaborator",
                                            "owner",  "opencode", "answer" };

/* Matching */

/* Matches @path against @pattern ("/a/:id" or "/b/" then "*"), filling the request's params and
 * rest. */
static gboolean
match_pattern (const char *pattern, const char *path, OwGatewayRequest *request)
{
  g_auto (GStrv) pattern_parts = g_strsplit (pattern + 1, "/", -1);
  const char *p = path;
  guint n_params = 0;

  if (*p != '/')
    return FALSE;

  for (guint i = 0; pattern_parts[i]; i++)
    {
      const char *part = pattern_parts[i];
      const char *segment = p + 1;
      const char *end;

      if (g_str_equal (part, "*"))
        {
          request->rest = p; /* "" or "/…" */
          return TRUE;
        }

      if (*p != '/')
        return FALSE;

      end = strchr (segment, '/');
      if (end == NULL)
        end = segment + strlen (segment);

      if (part[0] == ':')
        {
          if (end == segment || n_params == MAX_PARAMS)
            return FALSE;
          request->params[n_params++] = g_uri_unescape_segment (segment, end, NULL);
          if (request->params[n_params - 1] == NULL)
            return FALSE;
        }
      else if (strlen (part) != (gsize) (end - segment) || strncmp (part, segment, end - segment))
        {
          return FALSE;
        }
      p = end;
    }

  return *p == '\0';
}

static void
request_clear (OwGatewayRequest *request)
{
  for (guint i = 0; i < MAX_PARAMS; i++)
    g_clear_pointer (&request->params[i], g_free);
  request->rest = NULL;
  ow_opencode_route_clear (&request->opencode);
}

/* Authentication */

/* The token a client presented: Bearer, or on routes OpenCode's own clients use, basic auth
 * as "opencode:<token>" and ?auth_token=. */
static char *
presented_token (SoupServerMessage *message, GHashTable *query, gboolean opencode_style)
{
  const char *authorization = soup_message_headers_get_one (
    soup_server_message_get_request_headers (message), "Authorization");

  if (authorization && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return g_strstrip (g_strdup (authorization + 7));

  if (!opencode_style)
    return NULL;

  if (authorization && g_ascii_strncasecmp (authorization, "Basic ", 6) == 0)
    {
      gsize length;
      g_autofree guchar *decoded = g_base64_decode (authorization + 6, &length);
      g_autofree char *text = g_strndup ((const char *) decoded, length);
      const char *colon = strchr (text, ':');

      if (colon && strncmp (text, "opencode:", 9) == 0)
        return g_strdup (colon + 1);
      return NULL;
    }

  if (query && g_hash_table_lookup (query, "auth_token"))
    return g_strdup (g_hash_table_lookup (query, "auth_token"));

  return NULL;
}

static Access
effective_access (OwGateway *self, const Route *route, const OwOpencodeRoute *opencode)
{
  Access answer = self->permission_answers == OW_SCOPE_OWNER ? ACCESS_OWNER : ACCESS_COLLABORATOR;

  if (route->access == ACCESS_ANSWER)
    return answer;
  if (route->access != ACCESS_OPENCODE)
    return route->access;
  switch (opencode->action)
    {
    case OW_OPENCODE_READ:
    case OW_OPENCODE_READ_SECRETS:
      return ACCESS_VIEWER;
    case OW_OPENCODE_RUN:
    case OW_OPENCODE_PROMPT:
    case OW_OPENCODE_SESSION_CREATE:
    case OW_OPENCODE_SESSION_UPDATE:
      return ACCESS_COLLABORATOR;
    case OW_OPENCODE_ANSWER:
      return answer;
    case OW_OPENCODE_OWNER:
    default:
      return ACCESS_OWNER;
    }
}

static gboolean
scope_allows (OwScope scope, Access access)
{
  switch (access)
    {
    case ACCESS_PUBLIC:
      return TRUE;
    case ACCESS_VIEWER:
      return TRUE;
    case ACCESS_COLLABORATOR:
      return scope >= OW_SCOPE_COLLABORATOR;
    case ACCESS_OPENCODE:
    case ACCESS_OWNER:
    default:
      return scope >= OW_SCOPE_OWNER;
    }
}

/* Browser and network checks */

static gboolean
origin_allowed (OwGateway *self, const char *origin)
{
  return origin && self->cors_origins &&
         g_strv_contains ((const char *const *) self->cors_origins, origin);
}

static void
add_cors_headers (OwGateway *self, SoupServerMessage *message)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (message);
  const char *origin = soup_message_headers_get_one (request, "Origin");

  if (!origin_allowed (self, origin))
    return;

  soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
  soup_message_headers_append (response, "Vary", "Origin");
  /* What OpenWork's clients send: its server's list, and Last-Event-ID for streams. */
  soup_message_headers_replace (response, "Access-Control-Allow-Headers",
                                "Authorization, Content-Type, Last-Event-ID, "
                                "X-OpenWork-Host-Token, X-OpenWork-Client-Id, "
                                "x-opencode-directory");
  soup_message_headers_replace (response, "Access-Control-Allow-Methods",
                                "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
  /* Private Network Access: a page served from the internet may reach this LAN address
   * only if the host says so, and it does for origins the owner allowed. */
  if (g_strcmp0 (soup_message_headers_get_one (request, "Access-Control-Request-Private-Network"),
                 "true") == 0)
    soup_message_headers_replace (response, "Access-Control-Allow-Private-Network", "true");
}

/* A CORS preflight: OPTIONS with Access-Control-Request-Method. Browsers send no
 * credentials with it, so it is answered before any token is asked for, on every route,
 * the runtime's included; the request that follows is checked as usual. */
static gboolean
is_preflight (SoupServerMessage *message)
{
  return g_str_equal (soup_server_message_get_method (message), "OPTIONS") &&
         soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                       "Access-Control-Request-Method") != NULL;
}

/* On plain HTTP, only names of this machine are accepted, so that a web page cannot reach
 * the host through a DNS name it controls (DNS rebinding): its own names, a literal
 * address, and the name of the HTTPS front the owner configured (tailscale serve keeps
 * the name the client asked for). */
static gboolean
host_header_is_local (OwGateway *self, const char *host)
{
  g_autofree char *name = NULL;
  g_autoptr (GInetAddress) address = NULL;
  const char *host_name = g_get_host_name ();
  const char *end;

  if (host == NULL)
    return FALSE;

  if (host[0] == '[')
    {
      end = strchr (host, ']');
      if (end == NULL)
        return FALSE;
      name = g_strndup (host + 1, end - host - 1);
    }
  else
    {
      end = strrchr (host, ':');
      name = end ? g_strndup (host, end - host) : g_strdup (host);
    }

  if (g_ascii_strcasecmp (name, "localhost") == 0 || g_ascii_strcasecmp (name, host_name) == 0)
    return TRUE;
  if (self->public_host != NULL && g_ascii_strcasecmp (name, self->public_host) == 0)
    return TRUE;
  {
    g_autofree char *mdns = g_strconcat (host_name, ".local", NULL);
    if (g_ascii_strcasecmp (name, mdns) == 0)
      return TRUE;
  }

  /* Any literal address: rebinding needs a name, and an address reached this host. */
  address = g_inet_address_new_from_string (name);
  return address != NULL;
}

/* The OpenCode proxy */

/* The folders a request names for the runtime to work in, as the runtime would read them:
 * the x-opencode-directory header decoded once, the directory query parameter decoded
 * twice (form decoding, then the runtime's own). Every one is checked, and only the
 * checked folder reaches the runtime (see ow_opencode_proxy_forward()), so neither source
 * can smuggle in another. Returns FALSE after replying 400 to one that does not decode. */
static gboolean
requested_directories (OwGatewayRequest *request, char **header, char **query)
{
  const char *raw = soup_message_headers_get_one (
    soup_server_message_get_request_headers (request->message), "x-opencode-directory");
  const char *form = request->query ? g_hash_table_lookup (request->query, "directory") : NULL;

  *header = raw && *raw ? g_uri_unescape_string (raw, NULL) : NULL;
  *query = form && *form ? g_uri_unescape_string (form, NULL) : NULL;

  if ((raw && *raw && *header == NULL) || (form && *form && *query == NULL))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "bad_directory",
                           "The folder named by x-opencode-directory or directory= is not "
                           "validly encoded.");
      return FALSE;
    }
  return TRUE;
}

static void
reply_directory_forbidden (OwGatewayRequest *request, const char *directory)
{
  g_autofree char *text = g_strdup_printf (
    "The folder %s is outside the workspaces this host shares. GET /workspaces lists them.",
    directory);

  ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "directory_not_allowed", text);
}

/* Event streams */

/* What many streams held (up to a few hundred KiB each, for clients that read slowly)
 * is freed when they go, but glibc keeps freed memory for reuse: handed back here, once
 * a closed stream has had its time to deliver the rest. At most once per that time, so
 * a steady trickle of closes neither trims all the time nor puts trimming off for good;
 * a close while a trim is pending earns one more round. */
static gboolean
on_trim_memory (gpointer user_data)
{
  OwGateway *self = user_data;

#ifdef __GLIBC__
  malloc_trim (0);
#endif
  if (self->trim_again)
    {
      self->trim_again = FALSE;
      return G_SOURCE_CONTINUE;
    }
  self->trim_id = 0;
  return G_SOURCE_REMOVE;
}

static void
on_stream_closed (OwEventStream *stream, OwGateway *self)
{
  if (self->trim_id == 0)
    self->trim_id = g_timeout_add_seconds (self->stream_stall_s + 1, on_trim_memory, self);
  else
    self->trim_again = TRUE;
  if (ow_event_stream_was_dropped (stream))
    ow_metrics_note_stream_dropped (self->metrics, ow_event_stream_get_token_id (stream));
  /* In order: the oldest first, for make_stream_room(). */
  g_ptr_array_remove (self->streams, stream);
  if (self->streams->len == 0)
    {
      g_clear_handle_id (&self->heartbeat_id, g_source_remove);
      g_clear_handle_id (&self->stream_check_id, g_source_remove);
    }
}

/* Calls @func on every stream open now; those it closes leave self->streams meanwhile. */
static void
for_each_stream (OwGateway *self, void (*func) (OwEventStream *stream, OwGateway *self))
{
  g_autoptr (GPtrArray) streams = g_ptr_array_new_full (self->streams->len, g_object_unref);

  for (guint i = 0; i < self->streams->len; i++)
    g_ptr_array_add (streams, g_object_ref (g_ptr_array_index (self->streams, i)));
  for (guint i = 0; i < streams->len; i++)
    func (g_ptr_array_index (streams, i), self);
}

static void
heartbeat (OwEventStream *stream, OwGateway *self)
{
  ow_event_stream_heartbeat (stream);
}

static gboolean
on_heartbeat (gpointer user_data)
{
  for_each_stream (user_data, heartbeat);
  return G_SOURCE_CONTINUE;
}

static void
check_stream (OwEventStream *stream, OwGateway *self)
{
  ow_event_stream_check (stream);
}

/* A client that stops reading is noticed here, not only when the host next writes to it:
 * a stream waits for its socket without a write under way. */
static gboolean
on_check_streams (gpointer user_data)
{
  for_each_stream (user_data, check_stream);
  return G_SOURCE_CONTINUE;
}

static void
add_stream (OwGateway *self, OwEventStream *stream)
{
  g_ptr_array_add (self->streams, stream);
  ow_event_stream_set_stall_timeout (stream, self->stream_stall_s);
  g_signal_connect_object (stream, "closed", G_CALLBACK (on_stream_closed), self, 0);
  if (self->heartbeat_id == 0)
    self->heartbeat_id = g_timeout_add_seconds (HEARTBEAT_SECONDS, on_heartbeat, self);
  if (self->stream_check_id == 0)
    self->stream_check_id = g_timeout_add_seconds (1, on_check_streams, self);
}

/* The streams of the token @id, the oldest first, each with a reference: closing one
 * removes it from self->streams. */
static GPtrArray *
streams_of_token (OwGateway *self, const char *id)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->streams->len; i++)
    if (g_strcmp0 (ow_event_stream_get_token_id (g_ptr_array_index (self->streams, i)), id) == 0)
      g_ptr_array_add (found, g_object_ref (g_ptr_array_index (self->streams, i)));
  return found;
}

/* Whether a stream for the caller fits. A token's oldest stream makes room for its
 * newest: a device that reconnects (after a network change, say) may do so before the host
 * has seen its old connection go. Past the cap in all, FALSE after replying 503. */
static gboolean
make_stream_room (OwGatewayRequest *request)
{
  OwGateway *self = request->gateway;
  g_autoptr (GPtrArray) of_token = streams_of_token (self, request->caller->id);

  if (of_token->len > 0 && of_token->len >= self->max_streams_per_token)
    ow_event_stream_close (g_ptr_array_index (of_token, 0),
                           "Replaced by a newer stream of the same token.");

  if (self->streams->len >= self->max_streams)
    {
      g_autofree char *text = g_strdup_printf (
        "The host serves %u event streams, as many as it takes ([gateway] max-streams in "
        "host.conf). Try again later.",
        self->streams->len);

      soup_message_headers_replace (soup_server_message_get_response_headers (request->message),
                                    "Retry-After", "10");
      ow_http_reply_error (request->message, SOUP_STATUS_SERVICE_UNAVAILABLE, "too_many_streams",
                           text);
      return FALSE;
    }
  return TRUE;
}

static void
on_token_revoked (OwTokenStore *tokens, const char *id, OwGateway *self)
{
  g_autoptr (GPtrArray) closing = streams_of_token (self, id);

  for (guint i = 0; i < closing->len; i++)
    ow_event_stream_close (g_ptr_array_index (closing, i), "The token of this stream was revoked.");
}

/* The client's resume point: Last-Event-ID, or ?since=. FALSE after replying 400. */
static gboolean
read_resume_point (OwGatewayRequest *request, guint64 *seq, gboolean *given)
{
  const char *text = soup_message_headers_get_one (
    soup_server_message_get_request_headers (request->message), "Last-Event-ID");

  if (text == NULL && request->query)
    text = g_hash_table_lookup (request->query, "since");

  *given = text != NULL && *text != '\0';
  if (*given && !ow_sse_parse_event_id (text, seq))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "invalid_resume_point",
                           "Last-Event-ID and since must be event ids this host sent.");
      return FALSE;
    }
  return TRUE;
}

/* Serves the runtime's /event or /global/event from the hub, if that is what is asked. */
static gboolean
serve_events (OwGatewayRequest *request, const char *directory, gboolean inside)
{
  OwGateway *self = request->gateway;
  OwEventFilter filter = { .directory = directory, .inside = inside };
  gboolean given;
  guint64 seq;

  if (g_strcmp0 (soup_server_message_get_method (request->message), "GET") != 0)
    return FALSE;
  if (g_strcmp0 (request->opencode.pattern, "/global/event") == 0)
    filter.global = TRUE;
  else if (g_strcmp0 (request->opencode.pattern, "/event") != 0)
    return FALSE;

  if (read_resume_point (request, &seq, &given) && make_stream_room (request))
    add_stream (self, ow_event_stream_new_sse (self->hub, request->message, request->caller->id,
                                               &filter, given ? &seq : NULL));
  return TRUE;
}

/* What a WebSocket stream needs from its request once the handshake answer is out. */
typedef struct
{
  OwGateway *gateway;
  char *token_id;
  GSocket *socket; /* nullable */
  gboolean resume;
  guint64 since;
} WebsocketStart;

static void
websocket_start_free (WebsocketStart *start)
{
  g_clear_object (&start->gateway);
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
  add_stream (start->gateway, ow_event_stream_new_websocket (start->gateway->hub, websocket,
                                                             start->socket, start->token_id,
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
  if (!read_resume_point (request, &seq, &given) || !make_stream_room (request))
    return;
  /* No extensions: permessage-deflate would let a small frame inflate to any size. */
  if (!soup_websocket_server_process_handshake (request->message, NULL, NULL, NULL, NULL))
    return;

  start = g_new0 (WebsocketStart, 1);
  start->gateway = g_object_ref (request->gateway);
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

GPtrArray *
ow_gateway_caller_workspaces (OwGatewayRequest *request)
{
  GPtrArray *workspaces = request->gateway->workspaces;
  GPtrArray *allowed = g_ptr_array_new ();

  for (guint i = 0; i < workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (workspaces, i);

      if (!ow_token_info_allows_workspace (request->caller, workspace->id))
        continue;
      /* The active workspace comes first: it is the one the /opencode routes mean. */
      if (g_strcmp0 (workspace->id, request->gateway->active_workspace) == 0)
        g_ptr_array_insert (allowed, 0, workspace);
      else
        g_ptr_array_add (allowed, workspace);
    }
  return allowed;
}

static void
reply_no_workspace (OwGatewayRequest *request)
{
  ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "workspace_unauthorized",
                       "This device may not use any of the host's workspaces. Ask the host "
                       "owner to pair it again with one.");
}

/* A permission answer through the proxy goes to the broker instead: the first answer
 * wins, wherever it comes from. */
static void
forward_permission_reply (OwGatewayRequest *request)
{
  GStrv segments = request->opencode.segments;
  g_autoptr (JsonObject) body = ow_gateway_read_json_object (request);
  const char *reply;

  if (body == NULL)
    return;
  /* "/permission/:id/reply" {reply}, or the older "/session/:sid/permissions/:id"
   * {response} */
  if (g_str_equal (request->opencode.pattern, "/permission/:id/reply"))
    {
      if (ow_gateway_read_strings (request, body, "reply", &reply, NULL))
        ow_gateway_answer_permission (request, segments[1], reply);
    }
  else
    {
      if (ow_gateway_read_strings (request, body, "response", &reply, NULL))
        ow_gateway_answer_permission (request, segments[3], reply);
    }
}

/* Replaces the request's body with @object. */
static void
set_json_body (OwGatewayRequest *request, JsonObject *object)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->message);
  g_autoptr (JsonNode) root = json_node_init_object (json_node_alloc (), object);
  char *text = json_to_string (root, FALSE);
  gsize length = strlen (text);

  soup_message_body_truncate (body);
  soup_message_body_append_take (body, (guchar *) text, length);
  soup_message_headers_replace (soup_server_message_get_request_headers (request->message),
                                "Content-Type", "application/json");
}

/* The request's body as an object for the runtime; an empty body is an empty object.
 * %NULL after replying 400. */
static JsonObject *
read_runtime_body (OwGatewayRequest *request)
{
  if (soup_server_message_get_request_body (request->message)->length == 0)
    return json_object_new ();
  return ow_gateway_read_json_object (request);
}

/* The host's rules: every sensitive tool asks. */
static void
add_host_rules (OwGateway *self, JsonArray *array)
{
  for (guint i = 0; self->sensitive_tools[i]; i++)
    {
      JsonObject *rule = json_object_new ();

      json_object_set_string_member (rule, "permission", self->sensitive_tools[i]);
      json_object_set_string_member (rule, "pattern", "*");
      json_object_set_string_member (rule, "action", "ask");
      json_array_add_object_element (array, rule);
    }
}

/* A device's own rules may make tools ask or refuse, never let them run: an "allow"
 * would lift what the host owner's configuration asks for (other tools than the host's
 * sensitive ones, MCP tools, reads of secrets). Returns FALSE after replying. */
static gboolean
check_device_rules (OwGatewayRequest *request, JsonArray *rules)
{
  for (guint i = 0; i < json_array_get_length (rules); i++)
    {
      JsonNode *node = json_array_get_element (rules, i);
      JsonObject *rule = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *permission = NULL, *pattern = NULL, *action = NULL;

      if (rule == NULL ||
          !ow_json_get_string (rule, "permission", OW_JSON_REQUIRED, &permission, NULL) ||
          !ow_json_get_string (rule, "pattern", OW_JSON_REQUIRED, &pattern, NULL) ||
          !ow_json_get_string (rule, "action", OW_JSON_REQUIRED, &action, NULL))
        {
          ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "invalid_permission",
                               "Each rule in \"permission\" needs a \"permission\", a "
                               "\"pattern\" and an \"action\", all strings.");
          return FALSE;
        }
      if (!g_str_equal (action, "ask") && !g_str_equal (action, "deny"))
        {
          ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "rule_not_allowed",
                               "A device may only add rules that ask or deny; letting tools "
                               "run without asking is for the host owner to decide.");
          return FALSE;
        }
    }
  return TRUE;
}

/* Sessions that clients create or change get the host's rules last, so that they win:
 * the runtime applies the last rule that matches, and a change appends to the session's
 * rules. The control socket (the host's own user) is not held back. Returns FALSE after
 * replying 400. */
static gboolean
force_sensitive_tools (OwGatewayRequest *request)
{
  OwGateway *self = request->gateway;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *array = NULL;

  if (self->sensitive_tools == NULL || self->sensitive_tools[0] == NULL ||
      g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) == 0)
    return TRUE;

  object = read_runtime_body (request);
  if (object == NULL)
    return FALSE;
  if (!ow_json_get_array (object, "permission", OW_JSON_OPTIONAL, &array, &error))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "invalid_permission",
                           "\"permission\" must be a list of rules.");
      return FALSE;
    }
  if (array && request->caller->scope < OW_SCOPE_OWNER && !check_device_rules (request, array))
    return FALSE;
  if (array == NULL)
    {
      json_object_set_array_member (object, "permission", json_array_new ());
      array = json_object_get_array_member (object, "permission");
    }
  add_host_rules (self, array);
  set_json_body (request, object);
  return TRUE;
}

/* A prompt's "tools" map becomes the session's rules in the runtime, replacing the host's:
 * it never reaches the runtime from a device. Returns FALSE after replying 400. */
static gboolean
drop_prompt_tools (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) object = NULL;

  if (g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) == 0)
    return TRUE;
  object = read_runtime_body (request);
  if (object == NULL)
    return FALSE;
  if (json_object_has_member (object, "tools"))
    {
      json_object_remove_member (object, "tools");
      set_json_body (request, object);
    }
  return TRUE;
}

typedef struct
{
  OwTasks *tasks;
  GHashTable *secured; /* the gateway's secured_sessions, when the host's rules were added */
  char *token_id;
  char *device;
  char *workspace_id;
  char *directory;
} NewTask;

static void
new_task_free (gpointer data, GClosure *closure)
{
  NewTask *new_task = data;

  g_object_unref (new_task->tasks);
  g_clear_pointer (&new_task->secured, g_hash_table_unref);
  g_free (new_task->token_id);
  g_free (new_task->device);
  g_free (new_task->workspace_id);
  g_free (new_task->directory);
  g_free (new_task);
}

/* The runtime created the session: it is a task of the device that asked. */
static void
on_session_created (SoupServerMessage *message, NewTask *new_task)
{
  SoupMessageBody *body = soup_server_message_get_response_body (message);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonObject) session = NULL;
  const char *id = NULL;

  if (soup_server_message_get_status (message) != SOUP_STATUS_OK)
    return;
  bytes = soup_message_body_flatten (body);
  session =
    ow_json_parse_object (g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL);
  if (session && ow_json_get_string (session, "id", OW_JSON_OPTIONAL, &id, NULL) && id)
    {
      ow_tasks_add (new_task->tasks, id, new_task->token_id, new_task->device,
                    new_task->workspace_id, new_task->directory);
      if (new_task->secured)
        g_hash_table_add (new_task->secured, g_strdup (id));
    }
}

static void
forward_new_session (OwGatewayRequest *request, const char *directory, const char *workspace_id)
{
  OwGateway *self = request->gateway;
  NewTask *new_task = g_new0 (NewTask, 1);

  new_task->tasks = g_object_ref (self->tasks);
  if (g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) != 0)
    new_task->secured = g_hash_table_ref (self->secured_sessions);
  new_task->token_id = g_strdup (request->caller->id);
  new_task->device = g_strdup (request->caller->name);
  new_task->workspace_id = g_strdup (workspace_id);
  new_task->directory = g_strdup (directory);
  g_signal_connect_data (request->message, "wrote-body", G_CALLBACK (on_session_created), new_task,
                         new_task_free, 0);
  /* on_session_created() reads the new session from the answer. */
  ow_opencode_proxy_forward (self->proxy, request->message, request->opencode.path, directory,
                             OW_PROXY_FORWARD_KEEP_ANSWER);
}

/* Ids are forgotten in bulk past this many; a forgotten session gets the rules again. */
#define MAX_SECURED_SESSIONS 50000

static void
remember_secured (OwGateway *self, const char *session_id)
{
  if (g_hash_table_size (self->secured_sessions) >= MAX_SECURED_SESSIONS)
    g_hash_table_remove_all (self->secured_sessions);
  g_hash_table_add (self->secured_sessions, g_strdup (session_id));
}

/* A prompt from a device into a session the host has not given its rules in this run (one
 * started on this computer, say, or before the host restarted): the rules are added first,
 * then the prompt goes on. */
typedef struct
{
  OwGateway *gateway;
  SoupServerMessage *message;
  SoupMessage *patch;
  char *session_id;
  char *path;
  char *directory;
  gboolean finished; /* the client went away meanwhile */
} Securing;

static void
securing_free (Securing *securing)
{
  g_signal_handlers_disconnect_by_data (securing->message, securing);
  g_object_unref (securing->gateway);
  g_object_unref (securing->message);
  g_object_unref (securing->patch);
  g_free (securing->session_id);
  g_free (securing->path);
  g_free (securing->directory);
  g_free (securing);
}

static void
on_securing_client_gone (SoupServerMessage *message, Securing *securing)
{
  securing->finished = TRUE;
}

static void
on_session_secured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Securing *securing = user_data;
  OwGateway *self = securing->gateway;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
    ow_runtime_supervisor_send_finish (OW_RUNTIME_SUPERVISOR (source), result, &error);
  guint status = soup_message_get_status (securing->patch);

  if (!securing->finished)
    {
      soup_server_message_unpause (securing->message);
      /* An unknown session: the runtime says so to the prompt itself. */
      if (body && (SOUP_STATUS_IS_SUCCESSFUL (status) || status == SOUP_STATUS_NOT_FOUND))
        {
          if (SOUP_STATUS_IS_SUCCESSFUL (status))
            remember_secured (self, securing->session_id);
          ow_opencode_proxy_forward (self->proxy, securing->message, securing->path,
                                     securing->directory, OW_PROXY_FORWARD_NONE);
        }
      else
        {
          ow_http_reply_error (securing->message, SOUP_STATUS_BAD_GATEWAY, "runtime_unreachable",
                               "The host could not give this session its permission rules, so "
                               "the prompt was not sent. Try again in a few seconds.");
        }
    }
  securing_free (securing);
}

typedef struct
{
  OwGateway *gateway;
  char *session_id;
} Update;

static void
update_free (gpointer data, GClosure *closure)
{
  Update *update = data;

  g_object_unref (update->gateway);
  g_free (update->session_id);
  g_free (update);
}

/* The runtime took a device's change to a session, and the host's rules with it. */
static void
on_session_updated (SoupServerMessage *message, Update *update)
{
  if (SOUP_STATUS_IS_SUCCESSFUL (soup_server_message_get_status (message)))
    remember_secured (update->gateway, update->session_id);
}

/* Remembers @request's session as secured once the runtime has taken the change. */
static void
secure_after_update (OwGatewayRequest *request)
{
  Update *update = g_new0 (Update, 1);

  update->gateway = g_object_ref (request->gateway);
  update->session_id = g_strdup (request->opencode.segments[1]);
  g_signal_connect_data (request->message, "wrote-headers", G_CALLBACK (on_session_updated), update,
                         update_free, 0);
}

/* Returns FALSE when the prompt may go on at once; TRUE when it goes on later or was
 * answered. */
static gboolean
secure_session_first (OwGatewayRequest *request, const char *directory)
{
  OwGateway *self = request->gateway;
  const char *session_id = request->opencode.segments[1];
  g_autoptr (JsonArray) rules = json_array_new ();
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *escaped = g_uri_escape_string (session_id, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/session/", escaped, NULL);
  g_autofree char *encoded_directory = g_uri_escape_string (directory, "/", FALSE);
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessage *patch;
  Securing *securing;
  gsize length;

  if (self->sensitive_tools == NULL || self->sensitive_tools[0] == NULL ||
      g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) == 0 ||
      g_hash_table_contains (self->secured_sessions, session_id))
    return FALSE;
  patch = ow_runtime_supervisor_new_request (self->runtime, "PATCH", path);
  if (patch == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (request->message),
                                    "Retry-After", "2");
      ow_http_reply_error (request->message, SOUP_STATUS_SERVICE_UNAVAILABLE, "runtime_unavailable",
                           "The OpenCode runtime is not running. Try again in a few seconds.");
      return TRUE;
    }

  add_host_rules (self, rules);
  json_object_set_array_member (object, "permission", json_array_ref (rules));
  root = json_node_init_object (json_node_alloc (), object);
  text = json_to_string (root, FALSE);
  length = strlen (text);
  bytes = g_bytes_new_take (g_steal_pointer (&text), length);
  soup_message_set_request_body_from_bytes (patch, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (patch), "x-opencode-directory",
                                encoded_directory);

  securing = g_new0 (Securing, 1);
  securing->gateway = g_object_ref (self);
  securing->message = g_object_ref (request->message);
  securing->patch = patch;
  securing->session_id = g_strdup (session_id);
  securing->path = g_strdup (request->opencode.path);
  securing->directory = g_strdup (directory);
  g_signal_connect (request->message, "finished", G_CALLBACK (on_securing_client_gone), securing);
  soup_server_message_pause (request->message);
  ow_runtime_supervisor_send_async (self->runtime, patch, NULL, on_session_secured, securing);
  return TRUE;
}

/* Whether @route's body must be whole before it goes on: the gateway reads or changes it. */
static gboolean
body_is_read (const OwOpencodeRoute *route)
{
  switch (route->action)
    {
    case OW_OPENCODE_PROMPT:
    case OW_OPENCODE_SESSION_CREATE:
    case OW_OPENCODE_SESSION_UPDATE:
    case OW_OPENCODE_ANSWER:
    /* A read is forwarded as its class says only once whole: a read with a body must not
     * slip through early, unredacted. */
    case OW_OPENCODE_READ:
    case OW_OPENCODE_READ_SECRETS:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Sends a request for the runtime on, in @directory (already checked), as its route's
 * class says. @workspace_id is the workspace new tasks belong to; @inside whether an event
 * stream has every folder below @directory. */
static void
forward_to_runtime (OwGatewayRequest *request,
                    const char *directory,
                    const char *workspace_id,
                    gboolean inside)
{
  OwGateway *self = request->gateway;
  OwOpencodeAction action = request->opencode.action;

  if (request->early)
    {
      /* Only bodies the gateway leaves alone stream on as they come. */
      if (!body_is_read (&request->opencode))
        ow_opencode_proxy_forward (self->proxy, request->message, request->opencode.path, directory,
                                   OW_PROXY_FORWARD_BODY_FOLLOWS);
      return;
    }

  switch (action)
    {
    case OW_OPENCODE_ANSWER:
      forward_permission_reply (request);
      return;
    case OW_OPENCODE_SESSION_CREATE:
      if (force_sensitive_tools (request))
        forward_new_session (request, directory, workspace_id);
      return;
    case OW_OPENCODE_SESSION_UPDATE:
      if (!force_sensitive_tools (request))
        return;
      if (g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) != 0)
        secure_after_update (request);
      break;
    case OW_OPENCODE_PROMPT:
      if (!drop_prompt_tools (request) || secure_session_first (request, directory))
        return;
      break;
    case OW_OPENCODE_READ:
      if (serve_events (request, directory, inside))
        return;
      break;
    case OW_OPENCODE_READ_SECRETS:
      if (request->caller->scope < OW_SCOPE_OWNER)
        {
          ow_opencode_proxy_forward (self->proxy, request->message, request->opencode.path,
                                     directory, OW_PROXY_FORWARD_REDACT_SECRETS);
          return;
        }
      break;
    default:
      break;
    }
  ow_opencode_proxy_forward (self->proxy, request->message, request->opencode.path, directory,
                             OW_PROXY_FORWARD_NONE);
}

/* The folders a request names, each checked against @allowed: the folder it works in, or
 * %NULL after replying. @header_or_query says whether the request named one. */
static const char *
checked_directory (
  OwGatewayRequest *request, GPtrArray *allowed, const char *fallback, char **header, char **query)
{
  if (!requested_directories (request, header, query))
    return NULL;
  for (guint i = 0; i < 2; i++)
    {
      const char *named = i == 0 ? *header : *query;

      if (named && ow_workspace_find_containing (allowed, named) == NULL)
        {
          reply_directory_forbidden (request, named);
          return NULL;
        }
    }
  return *header ? *header : *query ? *query : fallback;
}

static void
handle_opencode (OwGatewayRequest *request)
{
  g_autoptr (GPtrArray) allowed = ow_gateway_caller_workspaces (request);
  g_autofree char *header = NULL;
  g_autofree char *query = NULL;
  OwWorkspace *workspace;
  const char *directory;

  if (allowed->len == 0)
    {
      reply_no_workspace (request);
      return;
    }
  directory = checked_directory (
    request, allowed, ((OwWorkspace *) g_ptr_array_index (allowed, 0))->path, &header, &query);
  if (directory == NULL)
    return;
  workspace = ow_workspace_find_containing (allowed, directory);
  forward_to_runtime (request, directory, workspace ? workspace->id : NULL, FALSE);
}

static void
handle_workspace_opencode (OwGatewayRequest *request)
{
  OwGateway *self = request->gateway;
  OwWorkspace *workspace = ow_workspace_find (self->workspaces, request->params[0]);
  g_autoptr (GPtrArray) just_this = g_ptr_array_new ();
  g_autofree char *header = NULL;
  g_autofree char *query = NULL;
  const char *directory;

  if (workspace == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_NOT_FOUND, "workspace_not_found",
                           "There is no workspace with this id. GET /workspaces lists them.");
      return;
    }
  if (!ow_token_info_allows_workspace (request->caller, workspace->id))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "workspace_unauthorized",
                           "This device may not use this workspace. GET /workspaces lists the "
                           "ones it may use.");
      return;
    }

  g_ptr_array_add (just_this, workspace);
  directory = checked_directory (request, just_this, workspace->path, &header, &query);
  if (directory == NULL)
    return;
  /* Without a folder of its own, the workspace's stream has every folder in it. */
  forward_to_runtime (request, directory, workspace->id, header == NULL && query == NULL);
}

/* Oversized request bodies */

#define TOO_LARGE_KEY "ow-too-large"

static void
reply_too_large (OwGateway *self, SoupServerMessage *message)
{
  g_autofree char *text = g_strdup_printf (
    "The request body is larger than the %" G_GSIZE_FORMAT " bytes allowed.", self->max_body_bytes);

  ow_http_reply_error (message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", text);
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Connection",
                                "close");
}

/* Stops keeping a body that has grown past the cap: the rest is read and dropped. */
static void
on_request_chunk (SoupServerMessage *message, GBytes *chunk, OwGateway *self)
{
  SoupMessageBody *body = soup_server_message_get_request_body (message);

  if (body->length > (goffset) self->max_body_bytes &&
      !g_object_get_data (G_OBJECT (message), TOO_LARGE_KEY))
    {
      g_object_set_data (G_OBJECT (message), TOO_LARGE_KEY, GINT_TO_POINTER (TRUE));
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
    }
}

/* libsoup 3.2 frames a body by a Content-Length it reads loosely: past 2^63 it is read as 0,
 * and several are read as one. A proxy that frames a body otherwise than the runtime behind
 * it lets one request hide another, so anything but one plain number is refused. */
static gboolean
framing_is_plain (SoupMessageHeaders *headers)
{
  const char *length = soup_message_headers_get_list (headers, "Content-Length");
  gsize digits;

  if (length == NULL)
    return TRUE;
  if (soup_message_headers_get_list (headers, "Transfer-Encoding") != NULL)
    return FALSE;
  digits = strspn (length, "0123456789");
  return digits > 0 && digits <= 18 && length[digits] == '\0';
}

#define CONTINUED_KEY "ow-continued"

static void
on_informational_written (SoupServerMessage *message)
{
  g_object_set_data (G_OBJECT (message), CONTINUED_KEY, GINT_TO_POINTER (TRUE));
}

/* The final answer's head is out. libsoup takes a client that asked for a 100 Continue
 * and got this instead to have sent no body, and the framing guard under it takes the
 * body as sent; and after a refused Upgrade the guard no longer follows the framing at
 * all. Ending the connection after the answer leaves no request for them to disagree on. */
static void
on_final_headers_written (SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  gboolean expected_continue =
    (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_CONTINUE) != 0;

  if (soup_message_headers_get_one (headers, "Upgrade") != NULL ||
      (expected_continue && g_object_get_data (G_OBJECT (message), CONTINUED_KEY) == NULL))
    soup_message_headers_replace (soup_server_message_get_response_headers (message), "Connection",
                                  "close");
}

/* Runs once the headers are in. A declared length over the cap is refused at once (a
 * client that sent "Expect: 100-continue" then sends nothing); a body of unknown length is
 * watched as it arrives. Either way no more than the cap is ever held in memory. */
static void
check_body_size (SoupServer *server,
                 SoupServerMessage *message,
                 const char *path,
                 GHashTable *query,
                 gpointer user_data)
{
  OwGateway *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);

  if (soup_message_headers_get_one (headers, "Upgrade") != NULL ||
      (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_CONTINUE))
    {
      g_signal_connect (message, "wrote-informational", G_CALLBACK (on_informational_written),
                        NULL);
      g_signal_connect (message, "wrote-headers", G_CALLBACK (on_final_headers_written), NULL);
    }
  if (!framing_is_plain (headers))
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
      ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "invalid_framing",
                           "The request's Content-Length must be one plain number, without "
                           "Transfer-Encoding.");
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Connection", "close");
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) self->max_body_bytes)
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
      reply_too_large (self, message);
      return;
    }

  g_signal_connect_object (message, "got-chunk", G_CALLBACK (on_request_chunk), self, 0);

  /* Bodies for the runtime are not kept here: they stream on as they arrive. A request
   * refused now has its body read and dropped. */
  route_request (self, message, path, query, NULL, TRUE);
  if (soup_server_message_get_status (message) != 0)
    soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
}

/* Dispatch */

/* Upstream serves each `/workspace/:id/…` route under that workspace's mount too, as
 * `/w/:id/workspace/:id/…`: a client given a mounted URL joins the workspace route to it.
 * Returns the path without the mount, or %NULL when @path is not such a path. */
static char *
strip_workspace_mount (const char *path)
{
  const char *id = path + strlen ("/w/");
  const char *end;
  g_autofree char *inner = NULL;

  if (!g_str_has_prefix (path, "/w/") || (end = strchr (id, '/')) == NULL || end == id)
    return NULL;
  inner = g_strdup_printf ("/workspace/%.*s/", (int) (end - id), id);
  return g_str_has_prefix (end, inner) ? g_strdup (end) : NULL;
}

/* Finds the route for @path and @method; @path_known says whether any route has the path. */
static const Route *
find_route (const char *path, const char *method, OwGatewayRequest *request, gboolean *path_known)
{
  *path_known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!match_pattern (routes[i].pattern, path, request))
        {
          request_clear (request);
          continue;
        }
      *path_known = TRUE;
      if (routes[i].method == NULL || g_str_equal (routes[i].method, method) ||
          (g_str_equal (method, "HEAD") && g_str_equal (routes[i].method, "GET")))
        return &routes[i];
      request_clear (request);
    }
  return NULL;
}

static gboolean
has_request_body (SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      return soup_message_headers_get_content_length (headers) > 0;
    case SOUP_ENCODING_CHUNKED:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Routes a request; @owner, when given, is the caller and no token is asked for. Called
 * twice for a request: @early as its headers arrive, when only requests for the runtime
 * that carry a body are taken (to stream the body on), and again once the body is in. */
static void
route_request (OwGateway *self,
               SoupServerMessage *message,
               const char *path,
               GHashTable *query,
               const OwTokenInfo *owner,
               gboolean early)
{
  const char *method = soup_server_message_get_method (message);
  gboolean path_known = FALSE;
  OwGatewayRequest request = {
    .gateway = self, .message = message, .query = query, .early = early
  };
  const Route *route = NULL;
  g_autofree char *token = NULL;
  g_autofree char *unmounted = strip_workspace_mount (path);
  g_autoptr (OwTokenInfo) caller = NULL;

  route = find_route (unmounted ? unmounted : path, method, &request, &path_known);
  if (early && (route == NULL || route->access != ACCESS_OPENCODE || !has_request_body (message)))
    {
      request_clear (&request);
      return;
    }
  if (!early && ow_opencode_proxy_resume (self->proxy, message))
    {
      request_clear (&request);
      return;
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "X-Content-Type-Options", "nosniff");

  if (owner == NULL && g_strcmp0 (ow_http_message_get_scheme (message), "http") == 0 &&
      !host_header_is_local (self, soup_message_headers_get_one (
                                     soup_server_message_get_request_headers (message), "Host")))
    {
      ow_http_reply_error (message, SOUP_STATUS_FORBIDDEN, "host_not_allowed",
                           "This host name is not allowed on the plain-HTTP listener. Use the "
                           "host's address or its name.");
      request_clear (&request);
      return;
    }

  add_cors_headers (self, message);

  if (owner == NULL && self->paused)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Retry-After", "60");
      ow_http_reply_error (message, SOUP_STATUS_SERVICE_UNAVAILABLE, "hosting_paused",
                           "The host owner paused hosting. Try again once it is resumed.");
      request_clear (&request);
      return;
    }

  if (g_object_get_data (G_OBJECT (message), TOO_LARGE_KEY))
    {
      reply_too_large (self, message);
      request_clear (&request);
      return;
    }

  if ((route != NULL || path_known) && is_preflight (message))
    {
      soup_server_message_set_status (
        message,
        origin_allowed (self, soup_message_headers_get_one (
                                soup_server_message_get_request_headers (message), "Origin"))
          ? SOUP_STATUS_NO_CONTENT
          : SOUP_STATUS_FORBIDDEN,
        NULL);
      request_clear (&request);
      return;
    }

  if (route == NULL)
    {
      if (path_known)
        ow_http_reply_error (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                             "This route does not take that method.");
      else
        ow_http_reply_error (message, SOUP_STATUS_NOT_FOUND, "not_found",
                             "There is no such route. GET /capabilities lists what the host "
                             "offers.");
      return;
    }

  /* The runtime's routes are classified on the path the runtime will act on, and only
   * that path is sent on. */
  if (route->access == ACCESS_OPENCODE)
    {
      g_autoptr (GError) error = NULL;

      /* libsoup has decoded the path once; the runtime's router reads it as decoded.
       * Classified and sent on is the one path ow_opencode_route_parse() makes of it. */
      if (!ow_opencode_route_parse (method, request.rest, &request.opencode, &error))
        {
          ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "bad_path", error->message);
          request_clear (&request);
          return;
        }
      request.rest = request.opencode.path;
    }

  if (owner != NULL)
    {
      caller = g_new0 (OwTokenInfo, 1);
      caller->id = g_strdup (owner->id);
      caller->name = g_strdup (owner->name);
      caller->scope = owner->scope;
      caller->created_ms = owner->created_ms;
      caller->workspaces = g_strdupv (owner->workspaces);
    }
  else if (route->access != ACCESS_PUBLIC)
    {
      Access access = effective_access (self, route, &request.opencode);

      /* OpenCode's own clients authenticate with basic auth or ?auth_token=, and browsers
       * cannot set headers on a WebSocket. */
      token = presented_token (message, query,
                               route->access == ACCESS_OPENCODE ||
                                 route->handler == handle_events_websocket);
      /* OpenWork's clients send an owner's credential for the host's own routes as
       * X-OpenWork-Host-Token; it counts there only, and only if it is an owner token. */
      if (token == NULL && route->access == ACCESS_OWNER)
        token = g_strdup (soup_message_headers_get_one (
          soup_server_message_get_request_headers (message), "X-OpenWork-Host-Token"));
      caller = ow_token_store_verify (self->tokens, token);
      if (caller == NULL && token && g_str_has_prefix (token, "owg_"))
        {
          if (!ow_gateway_use_grant (self, message, token))
            {
              request_clear (&request);
              return;
            }
          /* An invite's: the device is in, on this very request. */
          caller = ow_token_store_verify (self->tokens, token);
        }
      if (caller == NULL)
        {
          ow_metrics_record (self->metrics, OW_METRIC_CONNECTION_FAILURE, "auth", 0);
          soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                        "WWW-Authenticate", "Bearer realm=\"openwork-host\"");
          ow_http_reply_error (message, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                               token ? "This token is not valid or was revoked. Pair again or "
                                       "ask the host owner for a new token."
                                     : "This needs a token: send Authorization: Bearer owt_…");
          request_clear (&request);
          return;
        }
      if (!scope_allows (caller->scope, access))
        {
          g_autofree char *text =
            g_strdup_printf ("This needs the %s scope; your token has %s.", access_names[access],
                             ow_scope_to_string (caller->scope));
          ow_http_reply_error (message, SOUP_STATUS_FORBIDDEN, "forbidden", text);
          request_clear (&request);
          return;
        }
    }

  if (owner == NULL && caller)
    ow_device_registry_seen (self->devices, caller->id);
  request.caller = caller;
  request.token = token;
  route->handler (&request);
  request_clear (&request);
}

static void
dispatch (SoupServer *server,
          SoupServerMessage *message,
          const char *path,
          GHashTable *query,
          gpointer user_data)
{
  route_request (user_data, message, path, query, NULL, FALSE);
}

void
ow_gateway_dispatch_as_owner (OwGateway *self,
                              SoupServerMessage *message,
                              const char *path,
                              GHashTable *query)
{
  const OwTokenInfo owner = { .id = OW_GATEWAY_CONTROL_CALLER,
                              .name = "control socket",
                              .scope = OW_SCOPE_OWNER };

  g_return_if_fail (OW_IS_GATEWAY (self));
  route_request (self, message, path, query, &owner, FALSE);
}

/* A client that does not trust the certificate or does not speak TLS, or a probe. */
static void
on_handshake_failed (OwListener *listener, GError *error, OwGateway *self)
{
  ow_metrics_record (self->metrics, OW_METRIC_CONNECTION_FAILURE, "tls", 0);
}

/* A connection over the limits, with none idle to close for it. */
static void
on_connection_refused (OwListener *listener, const char *address, OwGateway *self)
{
  ow_metrics_record (self->metrics, OW_METRIC_CONNECTION_FAILURE, "limit", 0);
}

/* A request log for G_MESSAGES_DEBUG: method, path and status; never query or headers,
 * which can carry tokens. A request libsoup could not parse has neither method nor URI. */
static void
on_request_finished (SoupServer *server, SoupServerMessage *message, gpointer user_data)
{
  const char *method = soup_server_message_get_method (message);
  GUri *uri = soup_server_message_get_uri (message);

  g_debug ("%s %s → %u", method ? method : "(unparsable request)", uri ? g_uri_get_path (uri) : "",
           soup_server_message_get_status (message));
}

/* Public API */

/* Connections that may wait to be accepted. GLib's default is 10: when many clients
 * reconnect at once (after a network blip, or 500 in the benchmark), the rest see their
 * SYNs dropped and retry after 1, 3, 7, 15 s. */
#define LISTEN_BACKLOG 512

/* Listens on @port of every IPv4 address, and of every IPv6 one where the machine has
 * IPv6; returns the port (the chosen one for 0), or 0 with @error set. */
static guint
listen_any (OwGateway *self, GSocketFamily family, guint port, gboolean https, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (any, (guint16) port);
  g_autoptr (GSocketAddress) bound = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return 0;
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, error))
    return 0;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error) ||
      (bound = g_socket_get_local_address (socket, error)) == NULL)
    return 0;
  if (!ow_listener_add_socket (self->listener, socket, https, error))
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Listens on @port (0: a free one) of every address; returns the port, or 0 with @error. */
static guint
listen_on (OwGateway *self, guint port, gboolean https, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GError) ipv6_error = NULL;
  guint chosen = listen_any (self, G_SOCKET_FAMILY_IPV4, port, https, &local_error);

  if (chosen != 0)
    {
      /* The same port on IPv6, unless the machine has no IPv6. */
      if (listen_any (self, G_SOCKET_FAMILY_IPV6, chosen, https, &ipv6_error) == 0)
        g_message ("The gateway listens on IPv4 only: %s", ipv6_error->message);
      return chosen;
    }

  if (https)
    g_set_error (error, G_IO_ERROR, local_error->code,
                 "The gateway could not listen on port %u: %s. Choose another port with "
                 "--port, or 0 for any free one.",
                 port, local_error->message);
  else
    g_set_error (error, G_IO_ERROR, local_error->code,
                 "OpenWork app access could not listen on port %u: %s. Choose another port "
                 "([openwork-app] port in host.conf, or --http-port).",
                 port, local_error->message);
  return 0;
}

static void
stop_listening (OwGateway *self)
{
  ow_listener_stop (self->listener);
  soup_server_disconnect (self->server);
}

gboolean
ow_gateway_listen (OwGateway *self, GError **error)
{
  guint https_port;

  g_return_val_if_fail (OW_IS_GATEWAY (self), FALSE);
  g_return_val_if_fail (!self->listening, FALSE);

  self->started_us = g_get_monotonic_time ();
  https_port = listen_on (self, self->port, TRUE, error);
  if (https_port == 0)
    {
      stop_listening (self);
      return FALSE;
    }
  self->port = https_port;
  self->listening = TRUE;
  return TRUE;
}

gboolean
ow_gateway_set_http_port (OwGateway *self, int port, GError **error)
{
  guint chosen;

  g_return_val_if_fail (OW_IS_GATEWAY (self), FALSE);
  g_return_val_if_fail (self->listening, FALSE);
  g_return_val_if_fail (port >= -1 && port <= 65535, FALSE);

  if (port == self->http_port || (port == 0 && self->http_port > 0))
    return TRUE;
  if (self->http_port >= 0)
    {
      guint closed = ow_listener_close_plain (self->listener);

      g_message ("Plain HTTP at port %d is off; %u connections on it were closed.", self->http_port,
                 closed);
      self->http_port = -1;
    }
  if (port < 0)
    return TRUE;

  chosen = listen_on (self, (guint) port, FALSE, error);
  if (chosen == 0)
    return FALSE;
  self->http_port = (int) chosen;
  g_warning ("Plain HTTP is on at port %d: tokens and tasks cross the network unencrypted. "
             "Use it only for the OpenWork app on a network you trust.",
             self->http_port);
  return TRUE;
}

guint
ow_gateway_get_port (OwGateway *self)
{
  g_return_val_if_fail (OW_IS_GATEWAY (self), 0);
  return self->listening ? self->port : 0;
}

guint
ow_gateway_count_connections (OwGateway *self)
{
  g_return_val_if_fail (OW_IS_GATEWAY (self), 0);
  return ow_listener_count_connections (self->listener);
}

guint
ow_gateway_get_http_port (OwGateway *self)
{
  g_return_val_if_fail (OW_IS_GATEWAY (self), 0);
  return self->listening && self->http_port >= 0 ? (guint) self->http_port : 0;
}

JsonNode *
ow_gateway_describe_routes (OwGateway *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      json_builder_begin_object (builder);
      ow_json_add_string (builder, "method", routes[i].method ? routes[i].method : "*");
      ow_json_add_string (builder, "path", routes[i].pattern);
      ow_json_add_string (builder, "access", access_names[routes[i].access]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

void
ow_gateway_set_paused (OwGateway *self, gboolean paused)
{
  g_return_if_fail (OW_IS_GATEWAY (self));

  self->paused = paused;
  /* Open streams end too; their clients resume, without loss, once hosting resumes. */
  while (paused && self->streams->len > 0)
    ow_event_stream_close (g_ptr_array_index (self->streams, 0), NULL);
}

guint
ow_gateway_count_streams (OwGateway *self)
{
  g_return_val_if_fail (OW_IS_GATEWAY (self), 0);
  return self->streams->len;
}

static void
ow_gateway_dispose (GObject *object)
{
  OwGateway *self = OW_GATEWAY (object);

  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  g_clear_handle_id (&self->stream_check_id, g_source_remove);
  if (self->tokens)
    g_signal_handlers_disconnect_by_data (self->tokens, self);
  while (self->streams && self->streams->len > 0)
    ow_event_stream_close (g_ptr_array_index (self->streams, 0), NULL);
  g_clear_pointer (&self->streams, g_ptr_array_unref);
  g_clear_handle_id (&self->trim_id, g_source_remove);

  if (self->server)
    stop_listening (self);
  g_clear_object (&self->listener);
  g_clear_object (&self->server);
  g_clear_object (&self->identity);
  g_clear_object (&self->tokens);
  g_clear_object (&self->runtime);
  g_clear_object (&self->approvals);
  if (self->pairing)
    g_signal_handlers_disconnect_by_data (self->pairing, self);
  g_clear_object (&self->pairing);
  g_clear_object (&self->devices);
  g_clear_object (&self->tasks);
  g_clear_object (&self->permissions);
  g_clear_object (&self->metrics);
  g_clear_pointer (&self->pair_waiters, ow_gateway_pair_waiters_free);
  g_clear_object (&self->proxy);
  g_clear_object (&self->hub);
  g_clear_pointer (&self->workspaces, g_ptr_array_unref);

  G_OBJECT_CLASS (ow_gateway_parent_class)->dispose (object);
}

static void
ow_gateway_finalize (GObject *object)
{
  OwGateway *self = OW_GATEWAY (object);

  g_strfreev (self->cors_origins);
  g_free (self->public_url);
  g_free (self->public_host);
  g_free (self->active_workspace);
  g_strfreev (self->sensitive_tools);
  g_hash_table_unref (self->secured_sessions);

  G_OBJECT_CLASS (ow_gateway_parent_class)->finalize (object);
}

static void
ow_gateway_class_init (OwGatewayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_gateway_dispose;
  object_class->finalize = ow_gateway_finalize;
}

static void
ow_gateway_init (OwGateway *self)
{
  self->secured_sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

OwGateway *
ow_gateway_new (OwIdentity *identity,
                OwTokenStore *tokens,
                OwRuntimeSupervisor *runtime,
                OwEventHub *hub,
                OwApprovals *approvals,
                OwPairing *pairing,
                OwDeviceRegistry *devices,
                OwTasks *tasks,
                OwPermissions *permissions,
                OwMetrics *metrics,
                GPtrArray *workspaces,
                const OwGatewayOptions *options)
{
  OwGateway *self = g_object_new (OW_TYPE_GATEWAY, NULL);

  self->metrics = g_object_ref (metrics);
  self->permissions = g_object_ref (permissions);
  self->remote_always = options->remote_always;
  self->tasks = g_object_ref (tasks);
  self->sensitive_tools = g_strdupv ((char **) options->sensitive_tools);
  self->pairing = g_object_ref (pairing);
  self->devices = g_object_ref (devices);
  self->pair_waiters = ow_gateway_pair_waiters_new ();
  g_signal_connect_swapped (pairing, "request-decided",
                            G_CALLBACK (ow_gateway_pair_request_decided), self);

  self->identity = g_object_ref (identity);
  self->tokens = g_object_ref (tokens);
  self->runtime = g_object_ref (runtime);
  self->approvals = g_object_ref (approvals);
  self->hub = g_object_ref (hub);
  self->max_body_bytes =
    options->max_body_bytes ? options->max_body_bytes : OW_GATEWAY_DEFAULT_MAX_BODY_BYTES;
  self->proxy = ow_opencode_proxy_new (runtime, hub, self->max_body_bytes);
  ow_opencode_proxy_set_answer_timeout (self->proxy, options->answer_timeout_s);
  self->streams = g_ptr_array_new_with_free_func (g_object_unref);
  self->max_streams = options->max_streams ? options->max_streams : OW_GATEWAY_DEFAULT_MAX_STREAMS;
  self->max_streams_per_token = options->max_streams_per_token
                                  ? options->max_streams_per_token
                                  : OW_GATEWAY_DEFAULT_MAX_STREAMS_PER_TOKEN;
  self->stream_stall_s =
    options->stream_stall_s ? options->stream_stall_s : OW_EVENT_STREAM_DEFAULT_STALL_S;
  g_signal_connect (tokens, "token-revoked", G_CALLBACK (on_token_revoked), self);
  self->workspaces = g_ptr_array_ref (workspaces);
  self->port = options->port;
  self->http_port = -1;
  self->public_url = g_strdup (options->public_url);
  if (self->public_url != NULL)
    {
      g_autoptr (GUri) front = g_uri_parse (self->public_url, G_URI_FLAGS_NONE, NULL);

      self->public_host = front ? g_strdup (g_uri_get_host (front)) : NULL;
    }
  self->cors_origins = g_strdupv ((char **) options->cors_origins);
  /* Viewers only read: they never answer, whatever the policy says. */
  self->permission_answers = MAX (options->permission_answers, OW_SCOPE_COLLABORATOR);

  self->server = soup_server_new ("tls-certificate", ow_identity_get_tls_certificate (identity),
                                  "server-header", "openwork-host", NULL);
  ow_connection_watch_attach (self->server, options->request_timeout_s, options->idle_timeout_s);
  self->listener = ow_listener_new (self->server, ow_identity_get_tls_certificate (identity));
  ow_listener_set_limits (self->listener, options->max_connections,
                          options->max_connections_per_address);
  g_signal_connect_object (self->listener, "handshake-failed", G_CALLBACK (on_handshake_failed),
                           self, 0);
  g_signal_connect_object (self->listener, "refused", G_CALLBACK (on_connection_refused), self, 0);
  soup_server_add_early_handler (self->server, NULL, check_body_size, self, NULL);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_finished), NULL);
  soup_server_add_handler (self->server, NULL, dispatch, self, NULL);
  return self;
}
