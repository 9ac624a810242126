#include "config.h"

/* The API's own resources: health, capabilities, status, identity, workspaces, tokens
 * and approvals. Routing and authentication happen in ow-gateway.c before these run. */

#include "ow-gateway-private.h"
#include "ow-http.h"
#include "ow-workspace.h"

#include <string.h>

/* Bodies */

JsonObject *
ow_gateway_read_json_object (OwGatewayRequest *request)
{
  g_autoptr (GError) error = NULL;
  JsonObject *object = ow_http_parse_request_object (request->message, &error);

  if (object == NULL)
    ow_gateway_reply_invalid (request, error);
  return object;
}

void
ow_gateway_reply_invalid (OwGatewayRequest *request, const GError *error)
{
  ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST,
                       g_error_matches (error, OW_JSON_ERROR, OW_JSON_ERROR_TYPE) ||
                           g_error_matches (error, OW_JSON_ERROR, OW_JSON_ERROR_MISSING)
                         ? "invalid_request"
                         : "invalid_json",
                       error->message);
}

gboolean
ow_gateway_read_strings (OwGatewayRequest *request, JsonObject *body, const char *name, ...)
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
          ow_gateway_reply_invalid (request, error);
          ok = FALSE;
        }
    }
  va_end (args);
  return ok;
}

static void
reply_builder (OwGatewayRequest *request, guint status, JsonBuilder *builder)
{
  g_autoptr (JsonNode) node = json_builder_get_root (builder);

  ow_http_reply_json (request->message, status, node);
}

void
ow_gateway_reply_revoked (OwGatewayRequest *request, const GError *error, gboolean missing)
{
  if (error == NULL)
    soup_server_message_set_status (request->message, SOUP_STATUS_NO_CONTENT, NULL);
  else
    ow_http_reply_error (request->message,
                         missing ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                         missing ? "not_found" : "internal", error->message);
}

void
ow_gateway_reply_model (OwGatewayRequest *request,
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
  ow_gateway_reply_items (request, json_builder_get_root (builder));
}

void
ow_gateway_reply_items (OwGatewayRequest *request, JsonNode *items)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_add_value (builder, items);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

/* OpenWork's {"ok": true}, with "allowed" where @allowed_name is given. */
static void
reply_ok (SoupServerMessage *message, const char *allowed_name, gboolean allowed)
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

static gint64
uptime_ms (OwGateway *self)
{
  return (g_get_monotonic_time () - self->started_us) / 1000;
}

/* What /health and /status begin with, as OpenWork's server has them. */
static void
add_versions (JsonBuilder *builder, OwGateway *self)
{
  const char *runtime_version = ow_runtime_supervisor_get_version (self->runtime);

  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  ow_json_add_string (builder, "version", PACKAGE_VERSION);
  if (runtime_version != NULL)
    ow_json_add_string (builder, "opencodeVersion", runtime_version);
  ow_json_add_int (builder, "uptimeMs", uptime_ms (self));
}

static void
add_boolean (JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

/* A capability as OpenWork's server states it: {"read": …, "write": …}. */
static void
add_read_write (JsonBuilder *builder, const char *name, gboolean read, gboolean write)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_boolean (builder, "read", read);
  add_boolean (builder, "write", write);
  json_builder_end_object (builder);
}

/* The workspace a route under /w/:id/ names, if the caller may use it; otherwise the
 * answer is sent and %NULL returned. */
static OwWorkspace *
mounted_workspace (OwGatewayRequest *request)
{
  OwWorkspace *workspace = ow_workspace_find (request->gateway->workspaces, request->params[0]);

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

/* The workspaces a request may see: the one under /w/:id/, or all the caller's. */
static GPtrArray *
request_workspaces (OwGatewayRequest *request)
{
  GPtrArray *workspaces;
  OwWorkspace *mounted;

  if (request->params[0] == NULL)
    return ow_gateway_caller_workspaces (request);
  if ((mounted = mounted_workspace (request)) == NULL)
    return NULL;
  workspaces = g_ptr_array_new ();
  g_ptr_array_add (workspaces, mounted);
  return workspaces;
}

/* The address clients reached us by, for URLs that point back at the gateway. */
static char *
own_base_url (OwGatewayRequest *request)
{
  GUri *uri = soup_server_message_get_uri (request->message);
  const char *host = soup_message_headers_get_one (
    soup_server_message_get_request_headers (request->message), "Host");
  const char *scheme = ow_http_message_get_scheme (request->message);

  if (host == NULL)
    return g_strdup_printf ("%s://%s:%d", scheme, g_uri_get_host (uri), g_uri_get_port (uri));
  return g_strdup_printf ("%s://%s", scheme, host);
}

/* A workspace as OpenWork's server describes a local one. Its OpenCode is this gateway's
 * proxy for it, reached with the caller's own token: never the runtime's password. */
static void
add_workspace (JsonBuilder *builder,
               OwGatewayRequest *request,
               const char *base,
               OwWorkspace *workspace)
{
  g_autofree char *proxy = g_strdup_printf ("%s/w/%s/opencode", base, workspace->id);

  json_builder_begin_object (builder);
  ow_json_add_string (builder, "id", workspace->id);
  ow_json_add_string (builder, "name", workspace->name);
  ow_json_add_string (builder, "displayName", workspace->name);
  ow_json_add_string (builder, "path", workspace->path);
  ow_json_add_string (builder, "workspaceType", "local");
  ow_json_add_string (builder, "baseUrl", proxy);
  ow_json_add_string (builder, "directory", workspace->path);
  json_builder_set_member_name (builder, "opencode");
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "baseUrl", proxy);
  ow_json_add_string (builder, "directory", workspace->path);
  if (request->token != NULL)
    {
      ow_json_add_string (builder, "username", "opencode");
      ow_json_add_string (builder, "password", request->token);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static void
add_workspaces (JsonBuilder *builder,
                OwGatewayRequest *request,
                const char *base,
                GPtrArray *workspaces)
{
  json_builder_begin_array (builder);
  for (guint i = 0; i < workspaces->len; i++)
    add_workspace (builder, request, base, g_ptr_array_index (workspaces, i));
  json_builder_end_array (builder);
}

/* Handlers */

void
ow_gateway_handle_health (OwGatewayRequest *request)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_versions (builder, request->gateway);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

void
ow_gateway_handle_capabilities (OwGatewayRequest *request)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *features[] = { "tokens", "approvals",        "workspaces", "opencode-proxy",
                             "events", "events-websocket", NULL };

  const char *runtime_version = ow_runtime_supervisor_get_version (request->gateway->runtime);

  json_builder_begin_object (builder);
  /* OpenWork's own members first, each saying what this host does and does not serve. */
  ow_json_add_int (builder, "schemaVersion", 1);
  ow_json_add_string (builder, "serverVersion", PACKAGE_VERSION);
  if (runtime_version != NULL)
    ow_json_add_string (builder, "opencodeVersion", runtime_version);
  add_boolean (builder, "providerSync", FALSE);
  json_builder_set_member_name (builder, "skills");
  json_builder_begin_object (builder);
  add_boolean (builder, "read", FALSE);
  add_boolean (builder, "write", FALSE);
  ow_json_add_string (builder, "source", "openwork");
  json_builder_end_object (builder);
  add_read_write (builder, "plugins", FALSE, FALSE);
  add_read_write (builder, "mcp", FALSE, FALSE);
  add_read_write (builder, "commands", FALSE, FALSE);
  add_read_write (builder, "config", FALSE, FALSE);
  json_builder_set_member_name (builder, "engine");
  json_builder_begin_object (builder);
  add_boolean (builder, "rollover", FALSE);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "sandbox");
  json_builder_begin_object (builder);
  add_boolean (builder, "enabled", FALSE);
  ow_json_add_string (builder, "backend", "none");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "tokens");
  json_builder_begin_object (builder);
  add_boolean (builder, "scoped", TRUE);
  json_builder_set_member_name (builder, "scopes");
  json_builder_begin_array (builder);
  for (int s = OW_SCOPE_OWNER; s >= (int) OW_SCOPE_VIEWER; s--)
    json_builder_add_string_value (builder, ow_scope_to_string ((OwScope) s));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "proxy");
  json_builder_begin_object (builder);
  add_boolean (builder, "opencode", TRUE);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "toolProviders");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "browser");
  json_builder_begin_object (builder);
  add_boolean (builder, "enabled", FALSE);
  ow_json_add_string (builder, "placement", "external");
  ow_json_add_string (builder, "mode", "none");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_object (builder);
  add_boolean (builder, "injection", FALSE);
  add_boolean (builder, "outbox", FALSE);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  /* The host's own. */
  ow_json_add_string (builder, "version", PACKAGE_VERSION);
  ow_json_add_string (builder, "fingerprint",
                      ow_identity_get_fingerprint (request->gateway->identity));
  json_builder_set_member_name (builder, "features");
  json_builder_begin_array (builder);
  for (guint i = 0; features[i]; i++)
    json_builder_add_string_value (builder, features[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "scopes");
  json_builder_begin_array (builder);
  for (OwScope s = OW_SCOPE_VIEWER; s <= OW_SCOPE_OWNER; s++)
    json_builder_add_string_value (builder, ow_scope_to_string (s));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

void
ow_gateway_handle_status (OwGatewayRequest *request)
{
  OwGateway *self = request->gateway;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GPtrArray) workspaces = request_workspaces (request);
  g_autofree char *base = NULL;
  OwWorkspace *active;

  if (workspaces == NULL)
    return;
  active = workspaces->len > 0 ? g_ptr_array_index (workspaces, 0) : NULL;
  base = own_base_url (request);

  json_builder_begin_object (builder);
  add_versions (builder, self);
  add_boolean (builder, "readOnly", FALSE);
  json_builder_set_member_name (builder, "corsOrigins");
  json_builder_begin_array (builder);
  for (guint i = 0; self->cors_origins && self->cors_origins[i]; i++)
    json_builder_add_string_value (builder, self->cors_origins[i]);
  json_builder_end_array (builder);
  ow_json_add_int (builder, "workspaceCount", workspaces->len);
  json_builder_set_member_name (builder, "activeWorkspaceId");
  if (active != NULL)
    json_builder_add_string_value (builder, active->id);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "workspace");
  if (active != NULL)
    add_workspace (builder, request, base, active);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "authorizedRoots");
  json_builder_begin_array (builder);
  for (guint i = 0; i < workspaces->len; i++)
    json_builder_add_string_value (builder,
                                   ((OwWorkspace *) g_ptr_array_index (workspaces, i))->path);
  json_builder_end_array (builder);

  /* The host's own. */
  json_builder_set_member_name (builder, "runtime");
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "state",
                      ow_runtime_state_to_string (ow_runtime_supervisor_get_state (self->runtime)));
  ow_json_add_string (builder, "version", ow_runtime_supervisor_get_version (self->runtime));
  ow_json_add_int (builder, "restarts", ow_runtime_supervisor_get_restarts (self->runtime));
  json_builder_end_object (builder);
  ow_json_add_int (builder, "workspaces", self->workspaces->len);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

static void
add_token_info (JsonBuilder *builder, OwTokenInfo *info)
{
  ow_json_add_string (builder, "id", info->id);
  ow_json_add_string (builder, "name", info->name);
  ow_json_add_string (builder, "label", info->name); /* OpenWork's name for it */
  ow_json_add_string (builder, "scope", ow_scope_to_string (info->scope));
  ow_json_add_int (builder, "createdAt", info->created_ms);
  json_builder_set_member_name (builder, "workspaces");
  if (info->workspaces == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_array (builder);
  for (guint i = 0; info->workspaces[i]; i++)
    json_builder_add_string_value (builder, info->workspaces[i]);
  json_builder_end_array (builder);
}

void
ow_gateway_handle_whoami (OwGatewayRequest *request)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *client_id = soup_message_headers_get_one (
    soup_server_message_get_request_headers (request->message), "X-OpenWork-Client-Id");

  json_builder_begin_object (builder);
  /* As OpenWork's server has it; the host's control socket is its "host" actor. */
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "actor");
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "type", request->token ? "remote" : "host");
  if (client_id != NULL && *client_id != '\0' && strlen (client_id) <= 200 &&
      g_utf8_validate (client_id, -1, NULL))
    ow_json_add_string (builder, "clientId", client_id);
  if (request->token != NULL)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, request->token, -1);

      ow_json_add_string (builder, "tokenHash", hash);
    }
  ow_json_add_string (builder, "scope", ow_scope_to_string (request->caller->scope));
  json_builder_end_object (builder);

  /* The host's own: which token this is. */
  add_token_info (builder, request->caller);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

void
ow_gateway_handle_workspaces (OwGatewayRequest *request)
{
  g_autoptr (GPtrArray) workspaces = request_workspaces (request);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *base = NULL;

  if (workspaces == NULL)
    return;
  base = own_base_url (request);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  add_workspaces (builder, request, base, workspaces);
  /* OpenWork's server names the list twice at its root, and once under /w/:id/. */
  if (request->params[0] == NULL)
    {
      json_builder_set_member_name (builder, "workspaces");
      add_workspaces (builder, request, base, workspaces);
    }
  json_builder_set_member_name (builder, "activeId");
  if (workspaces->len > 0)
    json_builder_add_string_value (builder,
                                   ((OwWorkspace *) g_ptr_array_index (workspaces, 0))->id);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

/* POST /workspaces/:id/activate: the workspace OpenWork's clients get when they name
 * none (the /opencode routes, activeId), for every device, until the host stops. */
void
ow_gateway_handle_activate_workspace (OwGatewayRequest *request)
{
  OwGateway *self = request->gateway;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *base = NULL;
  OwWorkspace *workspace = mounted_workspace (request);

  if (workspace == NULL)
    return;
  g_free (self->active_workspace);
  self->active_workspace = g_strdup (workspace->id);
  base = own_base_url (request);

  json_builder_begin_object (builder);
  ow_json_add_string (builder, "activeId", workspace->id);
  json_builder_set_member_name (builder, "workspace");
  add_workspace (builder, request, base, workspace);
  /* Not written to the host's configuration: the host's own order is back after a restart. */
  add_boolean (builder, "persisted", FALSE);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

/* DELETE /workspace/:id/sessions/:sid: OpenWork's way to delete a session, done in the
 * workspace's folder by the runtime. */
typedef struct
{
  SoupServerMessage *message;
  SoupMessage *runtime_request;
  gboolean client_gone;
} SessionDelete;

static void
on_delete_client_gone (SoupServerMessage *message, SessionDelete *deletion)
{
  deletion->client_gone = TRUE;
}

static void
on_session_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SessionDelete *deletion = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body =
    ow_runtime_supervisor_send_finish (OW_RUNTIME_SUPERVISOR (source), result, &error);
  guint status = soup_message_get_status (deletion->runtime_request);

  g_signal_handlers_disconnect_by_func (deletion->message, on_delete_client_gone, deletion);
  if (!deletion->client_gone)
    {
      if (body == NULL)
        ow_http_reply_error (deletion->message, SOUP_STATUS_BAD_GATEWAY, "opencode_unreachable",
                             error->message);
      else if (!SOUP_STATUS_IS_SUCCESSFUL (status))
        {
          g_autofree char *text = g_strdup_printf (
            "OpenCode did not delete the session: it answered %u. GET the workspace's "
            "/opencode/session lists the sessions there.",
            status);
          ow_http_reply_error (deletion->message, SOUP_STATUS_BAD_GATEWAY,
                               "opencode_request_failed", text);
        }
      else
        reply_ok (deletion->message, NULL, FALSE);
      soup_server_message_unpause (deletion->message);
    }
  g_object_unref (deletion->message);
  g_object_unref (deletion->runtime_request);
  g_free (deletion);
}

void
ow_gateway_handle_delete_session (OwGatewayRequest *request)
{
  OwGateway *self = request->gateway;
  OwWorkspace *workspace = mounted_workspace (request);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *directory = NULL;
  SessionDelete *deletion;
  SoupMessage *runtime_request;

  if (workspace == NULL)
    return;
  escaped = g_uri_escape_string (request->params[1], NULL, FALSE);
  path = g_strconcat ("/session/", escaped, NULL);
  runtime_request = ow_runtime_supervisor_new_request (self->runtime, "DELETE", path);
  if (runtime_request == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (request->message),
                                    "Retry-After", "2");
      ow_http_reply_error (request->message, SOUP_STATUS_SERVICE_UNAVAILABLE, "runtime_unavailable",
                           "The OpenCode runtime is not running yet. Try again shortly.");
      return;
    }
  directory = g_uri_escape_string (workspace->path, "/", FALSE);
  soup_message_headers_replace (soup_message_get_request_headers (runtime_request),
                                "x-opencode-directory", directory);

  deletion = g_new0 (SessionDelete, 1);
  deletion->message = g_object_ref (request->message);
  deletion->runtime_request = runtime_request;
  g_signal_connect (request->message, "finished", G_CALLBACK (on_delete_client_gone), deletion);
  soup_server_message_pause (request->message);
  ow_runtime_supervisor_send_async (self->runtime, runtime_request, NULL, on_session_deleted,
                                    deletion);
}

void
ow_gateway_handle_list_tokens (OwGatewayRequest *request)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens = ow_token_store_list (request->gateway->tokens, &error);

  if (tokens == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                           error->message);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < tokens->len; i++)
    {
      json_builder_begin_object (builder);
      add_token_info (builder, g_ptr_array_index (tokens, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

void
ow_gateway_handle_create_token (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_read_json_object (request);
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
  if (!ow_gateway_read_strings (request, body, "label", &label, "name", &name, "scope", &scope_text,
                                NULL))
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

  token = ow_token_store_create (request->gateway->tokens, scope, name, &info, &error);
  if (token == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                           error->message);
      return;
    }

  json_builder_begin_object (builder);
  add_token_info (builder, info);
  ow_json_add_string (builder, "token", token);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_CREATED, builder);
}

void
ow_gateway_handle_revoke_token (OwGatewayRequest *request)
{
  g_autoptr (GError) error = NULL;

  if (!ow_token_store_revoke (request->gateway->tokens, request->params[0], &error))
    {
      if (g_error_matches (error, OW_TOKEN_STORE_ERROR, OW_TOKEN_STORE_ERROR_NOT_FOUND))
        ow_http_reply_error (request->message, SOUP_STATUS_NOT_FOUND, "token_not_found",
                             error->message);
      else
        ow_http_reply_error (request->message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                             error->message);
      return;
    }
  reply_ok (request->message, NULL, FALSE);
}

void
ow_gateway_handle_list_approvals (OwGatewayRequest *request)
{
  ow_gateway_reply_items (request, ow_approvals_list (request->gateway->approvals));
}

void
ow_gateway_handle_reply_approval (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_read_json_object (request);
  g_autoptr (GError) error = NULL;
  const char *reply;

  if (body == NULL)
    return;

  if (!ow_gateway_read_strings (request, body, "reply", &reply, NULL))
    return;
  if (g_strcmp0 (reply, "allow") != 0 && g_strcmp0 (reply, "deny") != 0)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid_reply",
                           "The \"reply\" must be \"allow\" or \"deny\".");
      return;
    }

  if (!ow_approvals_reply (request->gateway->approvals, request->params[0],
                           g_str_equal (reply, "allow"), &error))
    {
      gboolean answered =
        g_error_matches (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_ALREADY_ANSWERED);
      ow_http_reply_error (request->message,
                           answered ? SOUP_STATUS_CONFLICT : SOUP_STATUS_NOT_FOUND,
                           answered ? "already_answered" : "approval_not_found", error->message);
      return;
    }

  reply_ok (request->message, "allowed", g_str_equal (reply, "allow"));
}

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

void
ow_gateway_handle_list_tasks (OwGatewayRequest *request)
{
  ow_gateway_reply_model (request, G_LIST_MODEL (request->gateway->tasks),
                          (OwGatewayAddItem) add_task, task_visible);
}

void
ow_gateway_handle_get_task (OwGatewayRequest *request)
{
  OwTask *task = ow_tasks_lookup (request->gateway->tasks, request->params[0]);
  g_autoptr (JsonBuilder) builder = NULL;

  if (task == NULL || !task_visible (request, task))
    {
      ow_http_reply_error (request->message, SOUP_STATUS_NOT_FOUND, "not_found",
                           "There is no task with this id that this device may see.");
      return;
    }
  builder = json_builder_new ();
  add_task (builder, task);
  reply_builder (request, SOUP_STATUS_OK, builder);
}

/* Permission requests */

void
ow_gateway_handle_list_permissions (OwGatewayRequest *request)
{
  ow_gateway_reply_items (request, ow_permissions_list (request->gateway->permissions));
}

void
ow_gateway_handle_answer_permission (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_read_json_object (request);
  const char *reply;

  if (body == NULL || !ow_gateway_read_strings (request, body, "reply", &reply, NULL))
    return;
  ow_gateway_answer_permission (request, request->params[0], reply);
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
ow_gateway_answer_permission (OwGatewayRequest *request, const char *id, const char *reply)
{
  gboolean local = g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) == 0;

  /* Host policy: "always" lets the runtime skip asking from now on, which only the host's
   * own user may decide unless the owner allowed devices to. */
  if (!local && g_strcmp0 (reply, "always") == 0 && !request->gateway->remote_always)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "always_not_allowed",
                           "This host lets devices answer only once or reject; \"always\" is "
                           "for the host's own user.");
      return;
    }

  g_signal_connect (request->message, "finished", G_CALLBACK (on_answering_client_gone), NULL);
  soup_server_message_pause (request->message);
  ow_permissions_reply_async (request->gateway->permissions, id, reply, request->caller->name,
                              request->caller->id, on_permission_answered,
                              g_object_ref (request->message));
}

/* The host's local measures of how well it serves (owner only: they describe every
 * device). */
void
ow_gateway_handle_health_report (OwGatewayRequest *request)
{
  g_autoptr (JsonNode) report = ow_metrics_report (request->gateway->metrics, 7);

  ow_http_reply_json (request->message, SOUP_STATUS_OK, report);
}

/* The runtime's routes */

void
ow_gateway_handle_opencode_policy (OwGatewayRequest *request)
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
  json_builder_set_member_name (builder, "classified");
  json_builder_add_boolean_value (builder, route.classified);
  ow_json_add_string (builder, "pattern", route.pattern);
  json_builder_end_object (builder);
  reply_builder (request, SOUP_STATUS_OK, builder);
}
