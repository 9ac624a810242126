#include "config.h"

#include "ow-host-control.h"
#include "ow-gateway.h"
#include "ow-http.h"
#include "ow-json.h"

#include <string.h>

/* The host's gateway, or %NULL after replying 503 while the host stops (the control
 * socket is the last thing to go). */
static OwGateway *
running_gateway (OwHost *host, SoupServerMessage *message)
{
  OwGateway *gateway = ow_host_get_gateway (host);

  if (gateway == NULL)
    ow_http_reply_error (message, SOUP_STATUS_SERVICE_UNAVAILABLE, "host_stopping",
                         "The host is stopping. Start it again, then retry.");
  return gateway;
}

static void
on_status_request (SoupServer *server,
                   SoupServerMessage *message,
                   const char *path,
                   GHashTable *query,
                   gpointer user_data)
{
  OwHost *self = user_data;
  g_autoptr (JsonNode) status = NULL;

  if (g_strcmp0 (soup_server_message_get_method (message), "GET") != 0)
    {
      ow_http_reply_error (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                           "Use GET for the host status.");
      return;
    }

  status = ow_host_build_status (self);
  ow_http_reply_json (message, SOUP_STATUS_OK, status);
}

static void
on_routes_request (SoupServer *server,
                   SoupServerMessage *message,
                   const char *path,
                   GHashTable *query,
                   gpointer user_data)
{
  OwHost *self = user_data;
  OwGateway *gateway = running_gateway (self, message);
  g_autoptr (JsonNode) routes = NULL;

  if (gateway == NULL)
    return;
  routes = ow_gateway_describe_routes (gateway);
  ow_http_reply_json (message, SOUP_STATUS_OK, routes);
}

/* GET /v1/openwork-app: whether OpenWork app access is on; PUT {enabled}: switches it. */
static void
on_openwork_app_request (SoupServer *server,
                         SoupServerMessage *message,
                         const char *path,
                         GHashTable *query,
                         gpointer user_data)
{
  OwHost *self = user_data;
  const char *method = soup_server_message_get_method (message);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) answer = NULL;

  if (g_str_equal (method, "PUT"))
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) body = ow_http_parse_request_object (message, &error);
      gboolean enabled = FALSE;

      if (body == NULL ||
          !ow_json_get_boolean (body, "enabled", OW_JSON_REQUIRED, &enabled, &error))
        {
          ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
          return;
        }
      if (running_gateway (self, message) == NULL)
        return;
      if (!ow_host_set_openwork_app_access (self, enabled, &error))
        {
          ow_http_reply_error (message, SOUP_STATUS_CONFLICT, "openwork_app_unavailable",
                               error->message);
          return;
        }
    }
  else if (!g_str_equal (method, "GET"))
    {
      ow_http_reply_error (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                           "Use GET to read OpenWork app access, PUT to switch it.");
      return;
    }

  ow_host_describe_openwork_app (self, builder);
  answer = json_builder_get_root (builder);
  ow_http_reply_json (message, SOUP_STATUS_OK, answer);
}

/* /api/… on the control socket is the gateway's API with owner rights. */
static void
on_api_request (SoupServer *server,
                SoupServerMessage *message,
                const char *path,
                GHashTable *query,
                gpointer user_data)
{
  OwGateway *gateway = running_gateway (user_data, message);

  if (gateway != NULL)
    ow_gateway_dispatch_as_owner (gateway, message, path + strlen ("/api"), query);
}

void
ow_host_control_add_routes (OwControlServer *control, OwHost *host)
{
  g_return_if_fail (OW_IS_CONTROL_SERVER (control));
  g_return_if_fail (OW_IS_HOST (host));

  ow_control_server_add_handler (control, "/v1/status", on_status_request, host, NULL);
  ow_control_server_add_handler (control, "/v1/routes", on_routes_request, host, NULL);
  ow_control_server_add_handler (control, "/v1/openwork-app", on_openwork_app_request, host, NULL);
  ow_control_server_add_handler (control, "/api", on_api_request, host, NULL);
}
