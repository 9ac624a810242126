#include "config.h"

#include "ow-gateway-request.h"
#include "ow-http.h"
#include "ow-sse-parser.h"
#include "ow-workspace.h"

void
ow_gateway_request_clear (OwGatewayRequest *request)
{
  for (guint i = 0; i < OW_GATEWAY_MAX_PARAMS; i++)
    g_clear_pointer (&request->params[i], g_free);
  request->rest = NULL;
  ow_opencode_route_clear (&request->opencode);
}

GPtrArray *
ow_gateway_request_workspaces (OwGatewayRequest *request)
{
  GPtrArray *workspaces = request->context->workspaces;
  GPtrArray *allowed = g_ptr_array_new ();

  for (guint i = 0; i < workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (workspaces, i);

      if (!ow_token_info_allows_workspace (request->caller, workspace->id))
        continue;
      /* The active workspace comes first: it is the one the /opencode routes mean. */
      if (g_strcmp0 (workspace->id, request->context->active_workspace) == 0)
        g_ptr_array_insert (allowed, 0, workspace);
      else
        g_ptr_array_add (allowed, workspace);
    }
  return allowed;
}

OwWorkspace *
ow_gateway_request_mounted_workspace (OwGatewayRequest *request)
{
  OwWorkspace *workspace = ow_workspace_find (request->context->workspaces, request->params[0]);

  if (workspace == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_NOT_FOUND, "workspace_not_found",
                           "There is no workspace with this id. GET /workspaces lists them.");
      return NULL;
    }
  if (!ow_token_info_allows_workspace (request->caller, workspace->id))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "workspace_unauthorized",
                           "This device may not use this workspace. GET /workspaces lists the "
                           "ones it may use.");
      return NULL;
    }
  return workspace;
}

/* Bodies */

JsonObject *
ow_gateway_request_read_object (OwGatewayRequest *request)
{
  g_autoptr (GError) error = NULL;
  JsonObject *object = ow_http_parse_request_object (request->message, &error);

  if (object == NULL)
    ow_gateway_request_reply_invalid (request, error);
  return object;
}

gboolean
ow_gateway_request_read_strings (OwGatewayRequest *request, JsonObject *body, const char *name, ...)
{
  va_list args;
  gboolean ok = TRUE;

  va_start (args, name);
  for (; name; name = va_arg (args, const char *))
    {
      const char **value = va_arg (args, const char **);
      g_autoptr (GError) error = NULL;

      *value = NULL;
      if (ok && !ow_json_get_string (body, name, OW_JSON_OPTIONAL, value, &error))
        {
          ow_gateway_request_reply_invalid (request, error);
          ok = FALSE;
        }
    }
  va_end (args);
  return ok;
}

gboolean
ow_gateway_request_read_resume_point (OwGatewayRequest *request, guint64 *seq, gboolean *given)
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

/* Answers */

void
ow_gateway_request_reply_invalid (OwGatewayRequest *request, const GError *error)
{
  ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST,
                       g_error_matches (error, OW_JSON_ERROR, OW_JSON_ERROR_TYPE) ||
                           g_error_matches (error, OW_JSON_ERROR, OW_JSON_ERROR_MISSING)
                         ? "invalid_request"
                         : "invalid_json",
                       error->message);
}

void
ow_gateway_request_reply (OwGatewayRequest *request, guint status, JsonBuilder *builder)
{
  g_autoptr (JsonNode) node = json_builder_get_root (builder);

  ow_http_reply_json (request->message, status, node);
}

void
ow_gateway_request_reply_revoked (OwGatewayRequest *request, const GError *error, gboolean missing)
{
  if (error == NULL)
    soup_server_message_set_status (request->message, SOUP_STATUS_NO_CONTENT, NULL);
  else
    ow_http_reply_error (request->message,
                         missing ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                         missing ? "not_found" : "internal", error->message);
}

void
ow_gateway_request_reply_items (OwGatewayRequest *request, JsonNode *items)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_add_value (builder, items);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

void
ow_gateway_request_reply_model (OwGatewayRequest *request,
                                GListModel *model,
                                OwGatewayAddItem add,
                                gboolean (*visible) (OwGatewayRequest *request, gpointer item))
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (model, i);

      if (visible == NULL || visible (request, item))
        add (builder, item);
    }
  json_builder_end_array (builder);
  ow_gateway_request_reply_items (request, json_builder_get_root (builder));
}
