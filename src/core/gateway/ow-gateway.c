#include "config.h"

/* The gateway: the LAN's HTTPS (and, while on, plain-HTTP) listener, and the router every
 * request goes through. The router applies the checks every request passes (plain HTTP's
 * host names, CORS, pause, body size), finds the route in the route modules' tables,
 * authenticates the caller once (ow-gateway-auth.c) and hands the request to the route's
 * handler, with the services in one context (ow-gateway-context.h). */

#include "ow-gateway.h"
#include "ow-body-guard.h"
#include "ow-connection-watch.h"
#include "ow-gateway-auth.h"
#include "ow-gateway-routes.h"
#include "ow-http.h"
#include "ow-listener.h"
#include "ow-net.h"
#include "ow-opencode-front.h"
#include "ow-stream-registry.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

struct _OwGateway
{
  GObject parent_instance;

  OwGatewayContext *context;
  guint port;        /* asked for; once listening, the one in use */
  int http_port;     /* plain HTTP's, while on; -1: off */
  char *public_host; /* the HTTPS front's name, which plain HTTP accepts in Host */
  gboolean listening;
  gsize max_body_bytes;
  SoupServer *server;
  OwListener *listener; /* accepts connections and hands them to server */
  gboolean paused;      /* the owner paused hosting: clients get 503 */
};

G_DEFINE_FINAL_TYPE (OwGateway, ow_gateway, G_TYPE_OBJECT)

static void route_request (OwGateway *self,
                           SoupServerMessage *message,
                           const char *path,
                           GHashTable *query,
                           const OwTokenInfo *owner,
                           gboolean early);

/* The whole API, matched in this order. Tests walk it (see ow_gateway_describe_routes()). */
static const OwRoute *const route_tables[] = {
  ow_openwork_routes, ow_device_routes, ow_pairing_routes, ow_opencode_routes, ow_host_routes,
};

/* Matching */

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
          if (end == segment || n_params == OW_GATEWAY_MAX_PARAMS)
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

/* Browser and network checks */

static gboolean
origin_allowed (OwGateway *self, const char *origin)
{
  return origin && self->context->cors_origins &&
         g_strv_contains ((const char *const *) self->context->cors_origins, origin);
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

/* Runs once the headers are in: the head is checked (ow_body_guard_check_head()), and
 * requests for the runtime that carry a body are routed now, to stream it on. */
static void
on_request_head (SoupServer *server,
                 SoupServerMessage *message,
                 const char *path,
                 GHashTable *query,
                 gpointer user_data)
{
  OwGateway *self = user_data;

  if (!ow_body_guard_check_head (message, self->max_body_bytes))
    return;
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

/* Finds the route for @path and @method; @known says whether any route has the path. */
static const OwRoute *
find_route (const char *path, const char *method, OwGatewayRequest *request, gboolean *known)
{
  *known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (route_tables); i++)
    for (const OwRoute *route = route_tables[i]; route->pattern; route++)
      {
        if (match_pattern (route->pattern, path, request))
          {
            *known = TRUE;
            if (route->method == NULL || g_str_equal (route->method, method) ||
                (g_str_equal (method, "HEAD") && g_str_equal (route->method, "GET")))
              return route;
          }
        ow_gateway_request_clear (request);
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

/* The checks every request passes before its route is looked at: the Host it names on
 * plain HTTP, CORS, the owner's pause, the body's size, and a preflight for a route that
 * exists (@known). @owner is set for the control socket's requests. FALSE after replying. */
static gboolean
admit (OwGateway *self, SoupServerMessage *message, gboolean known, const OwTokenInfo *owner)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (message);

  soup_message_headers_replace (response, "X-Content-Type-Options", "nosniff");

  if (owner == NULL && g_strcmp0 (ow_http_message_get_scheme (message), "http") == 0 &&
      !host_header_is_local (self, soup_message_headers_get_one (headers, "Host")))
    {
      ow_http_reply_error (message, SOUP_STATUS_FORBIDDEN, "host_not_allowed",
                           "This host name is not allowed on the plain-HTTP listener. Use the "
                           "host's address or its name.");
      return FALSE;
    }

  add_cors_headers (self, message);

  if (owner == NULL && self->paused)
    {
      soup_message_headers_replace (response, "Retry-After", "60");
      ow_http_reply_error (message, SOUP_STATUS_SERVICE_UNAVAILABLE, "hosting_paused",
                           "The host owner paused hosting. Try again once it is resumed.");
      return FALSE;
    }

  if (ow_body_guard_reply_if_too_large (message, self->max_body_bytes))
    return FALSE;

  if (known && is_preflight (message))
    {
      soup_server_message_set_status (
        message,
        origin_allowed (self, soup_message_headers_get_one (headers, "Origin"))
          ? SOUP_STATUS_NO_CONTENT
          : SOUP_STATUS_FORBIDDEN,
        NULL);
      return FALSE;
    }
  return TRUE;
}

/* No route: 405 when the path has routes for other methods (@known), 404 otherwise. */
static void
reply_unrouted (SoupServerMessage *message, gboolean known)
{
  if (known)
    ow_http_reply_error (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                         "This route does not take that method.");
  else
    ow_http_reply_error (message, SOUP_STATUS_NOT_FOUND, "not_found",
                         "There is no such route. GET /capabilities lists what the host "
                         "offers.");
}

/* The runtime's routes are classified on the path the runtime will act on, and only that
 * path is sent on. libsoup has decoded the path once; the runtime's router reads it as
 * decoded. Classified and sent on is the one path ow_opencode_route_parse() makes of it.
 * FALSE after replying 400. */
static gboolean
classify (OwGatewayRequest *request, const OwRoute *route)
{
  g_autoptr (GError) error = NULL;

  if (route->access != OW_ACCESS_OPENCODE)
    return TRUE;
  if (!ow_opencode_route_parse (soup_server_message_get_method (request->message), request->rest,
                                &request->opencode, &error))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "bad_path", error->message);
      return FALSE;
    }
  request->rest = request->opencode.path;
  return TRUE;
}

/* Whether this call of route_request() has nothing to do: @early, for any request but one
 * for the runtime with a body; later, for one whose body the proxy took as it came. */
static gboolean
nothing_to_do (OwGateway *self, SoupServerMessage *message, const OwRoute *route, gboolean early)
{
  if (early)
    return route == NULL || route->access != OW_ACCESS_OPENCODE || !has_request_body (message);
  return ow_opencode_front_resume (self->context->opencode, message);
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
  OwGatewayRequest request = {
    .context = self->context, .message = message, .query = query, .early = early
  };
  g_autofree char *unmounted = strip_workspace_mount (path);
  g_autoptr (OwTokenInfo) caller = NULL;
  g_autofree char *token = NULL;
  gboolean known = FALSE;
  const OwRoute *route = find_route (unmounted ? unmounted : path,
                                     soup_server_message_get_method (message), &request, &known);

  if (!nothing_to_do (self, message, route, early) && admit (self, message, route || known, owner))
    {
      if (route == NULL)
        reply_unrouted (message, known);
      else if (classify (&request, route) &&
               ow_gateway_authenticate (&request, route, owner, &caller, &token))
        {
          request.caller = caller;
          request.token = token;
          route->handler (&request);
        }
    }
  ow_gateway_request_clear (&request);
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
  ow_metrics_record (self->context->metrics, OW_METRIC_CONNECTION_FAILURE, "tls", 0);
}

/* A connection over the limits, with none idle to close for it. */
static void
on_connection_refused (OwListener *listener, const char *address, OwGateway *self)
{
  ow_metrics_record (self->context->metrics, OW_METRIC_CONNECTION_FAILURE, "limit", 0);
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

  self->context->started_us = g_get_monotonic_time ();
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

char *
ow_gateway_dup_openwork_app_url (OwGateway *self)
{
  g_auto (GStrv) addresses = NULL;
  guint http_port;

  g_return_val_if_fail (OW_IS_GATEWAY (self), NULL);

  if (self->context->public_url != NULL)
    return g_strdup (self->context->public_url);
  http_port = ow_gateway_get_http_port (self);
  if (http_port == 0)
    return NULL;
  addresses = ow_net_usable_addresses ();
  return ow_net_http_url ("http", addresses[0] ? addresses[0] : "127.0.0.1", http_port);
}

char *
ow_gateway_invite_openwork_app (OwGateway *self,
                                OwScope scope,
                                const char *const *workspaces,
                                const OwPairingInvite **invite,
                                char **host_url,
                                GError **error)
{
  g_autofree char *url = NULL;

  g_return_val_if_fail (OW_IS_GATEWAY (self), NULL);
  g_return_val_if_fail (invite != NULL, NULL);

  url = ow_gateway_dup_openwork_app_url (self);
  if (url == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "OpenWork app access is off: stock OpenWork clients need the "
                           "plain-HTTP listener or an HTTPS front. Turn it on first "
                           "(openwork-host openwork-app on).");
      return NULL;
    }

  *invite = ow_pairing_invite (self->context->pairing, scope, workspaces);
  if (host_url)
    *host_url = g_strdup (url);
  return ow_pair_uri_build_connect_remote (url, (*invite)->grant,
                                           ow_pairing_get_host_name (self->context->pairing), TRUE);
}

JsonNode *
ow_gateway_describe_routes (OwGateway *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (route_tables); i++)
    for (const OwRoute *route = route_tables[i]; route->pattern; route++)
      {
        json_builder_begin_object (builder);
        ow_json_add_string (builder, "method", route->method ? route->method : "*");
        ow_json_add_string (builder, "path", route->pattern);
        ow_json_add_string (builder, "access", ow_access_to_string (route->access));
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
  if (paused)
    ow_stream_registry_close_all (self->context->streams);
}

guint
ow_gateway_count_streams (OwGateway *self)
{
  g_return_val_if_fail (OW_IS_GATEWAY (self), 0);
  return ow_stream_registry_count (self->context->streams);
}

static void
ow_gateway_dispose (GObject *object)
{
  OwGateway *self = OW_GATEWAY (object);

  if (self->context)
    g_signal_handlers_disconnect_by_data (self->context->pairing, self->context);
  g_clear_pointer (&self->context, ow_gateway_context_free);
  if (self->server)
    stop_listening (self);
  g_clear_object (&self->listener);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (ow_gateway_parent_class)->dispose (object);
}

static void
ow_gateway_finalize (GObject *object)
{
  OwGateway *self = OW_GATEWAY (object);

  g_free (self->public_host);

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
  self->http_port = -1;
}

/* The gateway's own parts of its context, as @options say. */
static void
fill_context (OwGateway *self, const OwGatewayOptions *options)
{
  OwGatewayContext *context = self->context;

  context->gateway = self;
  context->streams =
    ow_stream_registry_new (context->tokens, context->metrics, options->max_streams,
                            options->max_streams_per_token, options->stream_stall_s);
  context->opencode =
    ow_opencode_front_new (context->runtime, context->hub, context->tasks, options->sensitive_tools,
                           self->max_body_bytes, options->answer_timeout_s);
  context->pair_waiters = ow_pairing_waiters_new ();
  g_signal_connect_swapped (context->pairing, "request-decided",
                            G_CALLBACK (ow_pairing_routes_request_decided), context);
  context->public_url = g_strdup (options->public_url);
  context->cors_origins = g_strdupv ((char **) options->cors_origins);
  context->remote_always = options->remote_always;
  /* Viewers only read: they never answer, whatever the policy says. */
  context->permission_answers = MAX (options->permission_answers, OW_SCOPE_COLLABORATOR);
}

OwGateway *
ow_gateway_new (const OwGatewayContext *services, const OwGatewayOptions *options)
{
  OwGateway *self;
  GTlsCertificate *certificate;

  g_return_val_if_fail (services != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (OW_TYPE_GATEWAY, NULL);
  self->context = ow_gateway_context_new (services);
  self->max_body_bytes =
    options->max_body_bytes ? options->max_body_bytes : OW_GATEWAY_DEFAULT_MAX_BODY_BYTES;
  fill_context (self, options);
  self->port = options->port;
  if (options->public_url != NULL)
    {
      g_autoptr (GUri) front = g_uri_parse (options->public_url, G_URI_FLAGS_NONE, NULL);

      self->public_host = front ? g_strdup (g_uri_get_host (front)) : NULL;
    }

  certificate = ow_identity_get_tls_certificate (services->identity);
  self->server =
    soup_server_new ("tls-certificate", certificate, "server-header", "openwork-host", NULL);
  ow_connection_watch_attach (self->server, options->request_timeout_s, options->idle_timeout_s);
  self->listener = ow_listener_new (self->server, certificate);
  ow_listener_set_limits (self->listener, options->max_connections,
                          options->max_connections_per_address);
  g_signal_connect_object (self->listener, "handshake-failed", G_CALLBACK (on_handshake_failed),
                           self, 0);
  g_signal_connect_object (self->listener, "refused", G_CALLBACK (on_connection_refused), self, 0);
  soup_server_add_early_handler (self->server, NULL, on_request_head, self, NULL);
  g_signal_connect (self->server, "request-finished", G_CALLBACK (on_request_finished), NULL);
  soup_server_add_handler (self->server, NULL, dispatch, self, NULL);
  return self;
}
