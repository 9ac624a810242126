#include "config.h"

/* Devices and tokens: the owner's list of both, new tokens, and revoking either. */

#include "ow-gateway-routes.h"
#include "ow-http.h"

#include <string.h>

static void handle_list_tokens (OwGatewayRequest *request);
static void handle_create_token (OwGatewayRequest *request);
static void handle_revoke_token (OwGatewayRequest *request);
static void handle_list_devices (OwGatewayRequest *request);
static void handle_revoke_device (OwGatewayRequest *request);

const OwRoute ow_device_routes[] = {
  { "GET", "/tokens", OW_ACCESS_OWNER, handle_list_tokens },
  { "POST", "/tokens", OW_ACCESS_OWNER, handle_create_token },
  { "DELETE", "/tokens/:id", OW_ACCESS_OWNER, handle_revoke_token },
  { "GET", "/devices", OW_ACCESS_OWNER, handle_list_devices },
  { "DELETE", "/devices/:id", OW_ACCESS_OWNER, handle_revoke_device },
  { NULL },
};

/* Serializers */

void
ow_device_routes_add_token (JsonBuilder *builder, const OwTokenInfo *info)
{
  ow_json_add_string (builder, "id", info->id);
  ow_json_add_string (builder, "name", info->name);
  ow_json_add_string (builder, "label", info->name); /* OpenWork's name for it */
  ow_json_add_string (builder, "scope", ow_scope_to_string (info->scope));
  ow_json_add_int (builder, "createdAt", info->created_ms);
  ow_json_add_strv (builder, "workspaces", (const char *const *) info->workspaces);
}

void
ow_device_routes_add_device (JsonBuilder *builder, OwDevice *device)
{
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "id", ow_device_get_id (device));
  ow_json_add_string (builder, "name", ow_device_get_name (device));
  ow_json_add_string (builder, "platform", ow_device_get_platform (device));
  ow_json_add_string (builder, "method", ow_device_get_method (device));
  ow_json_add_string (builder, "scope", ow_scope_to_string (ow_device_get_scope (device)));
  ow_json_add_strv (builder, "workspaces", ow_device_get_workspaces (device));
  ow_json_add_string (builder, "tokenId", ow_device_get_token_id (device));
  ow_json_add_int (builder, "pairedAt", ow_device_get_paired_at (device));
  json_builder_set_member_name (builder, "lastSeenAt");
  if (ow_device_get_last_seen_at (device))
    json_builder_add_int_value (builder, ow_device_get_last_seen_at (device));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

static void
handle_list_tokens (OwGatewayRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens = ow_token_store_list (request->context->tokens, &error);
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  if (tokens == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                           error->message);
      return;
    }
  json_builder_begin_array (builder);
  for (guint i = 0; i < tokens->len; i++)
    {
      json_builder_begin_object (builder);
      ow_device_routes_add_token (builder, g_ptr_array_index (tokens, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  ow_gateway_request_reply_items (request, json_builder_get_root (builder));
}

static void
handle_create_token (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (OwTokenInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *default_label = NULL;
  const char *label;
  const char *name;
  const char *scope_text;
  OwScope scope;

  if (body == NULL)
    return;

  /* OpenWork's server calls the name a "label" and makes it optional. */
  if (!ow_gateway_request_read_strings (request, body, "label", &label, "name", &name, "scope",
                                        &scope_text, NULL))
    return;
  if (!ow_scope_from_string (scope_text, &scope))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "invalid_scope",
                           "Token scope must be owner, collaborator, or viewer.");
      return;
    }
  if (label == NULL || *label == '\0')
    label = name;
  if (label == NULL || *label == '\0')
    label = default_label = g_strdup_printf ("%s token", scope_text);
  if (strlen (label) > 200)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "invalid_payload",
                           "A token's label must be at most 200 characters.");
      return;
    }
  name = label;

  token = ow_token_store_create (request->context->tokens, scope, name, &info, &error);
  if (token == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                           error->message);
      return;
    }

  json_builder_begin_object (builder);
  ow_device_routes_add_token (builder, info);
  ow_json_add_string (builder, "token", token);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_CREATED, builder);
}

static void
handle_revoke_token (OwGatewayRequest *request)
{
  g_autoptr (GError) error = NULL;

  if (!ow_token_store_revoke (request->context->tokens, request->params[0], &error))
    {
      if (g_error_matches (error, OW_TOKEN_STORE_ERROR, OW_TOKEN_STORE_ERROR_NOT_FOUND))
        ow_http_reply_error (request->message, SOUP_STATUS_NOT_FOUND, "token_not_found",
                             error->message);
      else
        ow_http_reply_error (request->message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                             error->message);
      return;
    }
  ow_http_reply_ok (request->message, NULL, FALSE);
}

static void
handle_list_devices (OwGatewayRequest *request)
{
  ow_gateway_request_reply_model (request, G_LIST_MODEL (request->context->devices),
                                  (OwGatewayAddItem) ow_device_routes_add_device, NULL);
}

static void
handle_revoke_device (OwGatewayRequest *request)
{
  g_autoptr (GError) error = NULL;

  ow_device_registry_revoke (request->context->devices, request->params[0], &error);
  ow_gateway_request_reply_revoked (
    request, error,
    g_error_matches (error, OW_DEVICE_REGISTRY_ERROR, OW_DEVICE_REGISTRY_ERROR_NOT_FOUND));
}
