#include "config.h"

/* OpenWork's server API: health, capabilities, status, identity, workspaces, sessions and
 * approvals, at the root and under a workspace's mount /w/:id/. Routing and
 * authentication happen before these run (ow-gateway.c, ow-gateway-auth.c). */

#include "ow-gateway-routes.h"
#include "ow-gateway.h"
#include "ow-http.h"
#include "ow-workspace.h"

#include <string.h>

static void handle_health (OwGatewayRequest *request);
static void handle_capabilities (OwGatewayRequest *request);
static void handle_status (OwGatewayRequest *request);
static void handle_whoami (OwGatewayRequest *request);
static void handle_workspaces (OwGatewayRequest *request);
static void handle_activate_workspace (OwGatewayRequest *request);
static void handle_delete_session (OwGatewayRequest *request);
static void handle_list_approvals (OwGatewayRequest *request);
static void handle_reply_approval (OwGatewayRequest *request);

const OwRoute ow_openwork_routes[] = {
  { "GET", "/health", OW_ACCESS_PUBLIC, handle_health },
  { "GET", "/capabilities", OW_ACCESS_VIEWER, handle_capabilities },
  { "GET", "/status", OW_ACCESS_VIEWER, handle_status },
  { "GET", "/whoami", OW_ACCESS_VIEWER, handle_whoami },
  { "GET", "/workspaces", OW_ACCESS_VIEWER, handle_workspaces },
  { "GET", "/approvals", OW_ACCESS_OWNER, handle_list_approvals },
  { "POST", "/approvals/:id", OW_ACCESS_OWNER, handle_reply_approval },
  /* Where OpenWork's clients come back to a workspace they know: its server's mount
   * (/w/:id/) and the newer /workspace/:id/ form. */
  { "GET", "/w/:id/health", OW_ACCESS_PUBLIC, handle_health },
  { "GET", "/w/:id/status", OW_ACCESS_VIEWER, handle_status },
  { "GET", "/w/:id/capabilities", OW_ACCESS_VIEWER, handle_capabilities },
  { "GET", "/w/:id/workspaces", OW_ACCESS_VIEWER, handle_workspaces },
  { "POST", "/workspaces/:id/activate", OW_ACCESS_OWNER, handle_activate_workspace },
  { "DELETE", "/workspace/:id/sessions/:sid", OW_ACCESS_COLLABORATOR, handle_delete_session },
  { NULL },
};

static gint64
uptime_ms (OwGatewayContext *self)
{
  return (g_get_monotonic_time () - self->started_us) / 1000;
}

/* What /health and /status begin with, as OpenWork's server has them. */
static void
add_versions (JsonBuilder *builder, OwGatewayContext *self)
{
  const char *runtime_version = ow_runtime_supervisor_get_version (self->runtime);

  ow_json_add_boolean (builder, "ok", TRUE);
  ow_json_add_string (builder, "version", PACKAGE_VERSION);
  if (runtime_version != NULL)
    ow_json_add_string (builder, "opencodeVersion", runtime_version);
  ow_json_add_int (builder, "uptimeMs", uptime_ms (self));
}

/* A capability as OpenWork's server states it: {"read": …, "write": …}. */
static void
add_read_write (JsonBuilder *builder, const char *name, gboolean read, gboolean write)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "read", read);
  ow_json_add_boolean (builder, "write", write);
  json_builder_end_object (builder);
}

/* The workspaces a request may see: the one under /w/:id/, or all the caller's. */
static GPtrArray *
request_workspaces (OwGatewayRequest *request)
{
  GPtrArray *workspaces;
  OwWorkspace *mounted;

  if (request->params[0] == NULL)
    return ow_gateway_request_workspaces (request);
  if ((mounted = ow_gateway_request_mounted_workspace (request)) == NULL)
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

static void
handle_health (OwGatewayRequest *request)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_versions (builder, request->context);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

static void
handle_capabilities (OwGatewayRequest *request)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *features[] = { "tokens", "approvals",        "workspaces", "opencode-proxy",
                             "events", "events-websocket", NULL };

  const char *runtime_version = ow_runtime_supervisor_get_version (request->context->runtime);

  json_builder_begin_object (builder);
  /* OpenWork's own members first, each saying what this host does and does not serve. */
  ow_json_add_int (builder, "schemaVersion", 1);
  ow_json_add_string (builder, "serverVersion", PACKAGE_VERSION);
  if (runtime_version != NULL)
    ow_json_add_string (builder, "opencodeVersion", runtime_version);
  ow_json_add_boolean (builder, "providerSync", FALSE);
  json_builder_set_member_name (builder, "skills");
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "read", FALSE);
  ow_json_add_boolean (builder, "write", FALSE);
  ow_json_add_string (builder, "source", "openwork");
  json_builder_end_object (builder);
  add_read_write (builder, "plugins", FALSE, FALSE);
  add_read_write (builder, "mcp", FALSE, FALSE);
  add_read_write (builder, "commands", FALSE, FALSE);
  add_read_write (builder, "config", FALSE, FALSE);
  json_builder_set_member_name (builder, "engine");
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "rollover", FALSE);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "sandbox");
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "enabled", FALSE);
  ow_json_add_string (builder, "backend", "none");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "tokens");
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "scoped", TRUE);
  json_builder_set_member_name (builder, "scopes");
  json_builder_begin_array (builder);
  for (int s = OW_SCOPE_OWNER; s >= (int) OW_SCOPE_VIEWER; s--)
    json_builder_add_string_value (builder, ow_scope_to_string ((OwScope) s));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "proxy");
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "opencode", TRUE);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "toolProviders");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "browser");
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "enabled", FALSE);
  ow_json_add_string (builder, "placement", "external");
  ow_json_add_string (builder, "mode", "none");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "injection", FALSE);
  ow_json_add_boolean (builder, "outbox", FALSE);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  /* The host's own. */
  ow_json_add_string (builder, "version", PACKAGE_VERSION);
  ow_json_add_string (builder, "fingerprint",
                      ow_identity_get_fingerprint (request->context->identity));
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
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

static void
handle_status (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
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
  ow_json_add_boolean (builder, "readOnly", FALSE);
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
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

static void
handle_whoami (OwGatewayRequest *request)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const char *client_id = soup_message_headers_get_one (
    soup_server_message_get_request_headers (request->message), "X-OpenWork-Client-Id");

  json_builder_begin_object (builder);
  /* As OpenWork's server has it; the host's control socket is its "host" actor. */
  ow_json_add_boolean (builder, "ok", TRUE);
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
  ow_device_routes_add_token (builder, request->caller);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

static void
handle_workspaces (OwGatewayRequest *request)
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
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

/* POST /workspaces/:id/activate: the workspace OpenWork's clients get when they name
 * none (the /opencode routes, activeId), for every device, until the host stops. */
static void
handle_activate_workspace (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *base = NULL;
  OwWorkspace *workspace = ow_gateway_request_mounted_workspace (request);

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
  ow_json_add_boolean (builder, "persisted", FALSE);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

/* DELETE /workspace/:id/sessions/:sid: OpenWork's way to delete a session, done in the
 * workspace's folder by the runtime. */
typedef struct
{
  SoupServerMessage *message;
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
  guint status;
  g_autoptr (GBytes) body =
    ow_runtime_client_call_finish (OW_RUNTIME_CLIENT (source), result, &status, &error);

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
        ow_http_reply_ok (deletion->message, NULL, FALSE);
      soup_server_message_unpause (deletion->message);
    }
  g_object_unref (deletion->message);
  g_free (deletion);
}

static void
handle_delete_session (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  OwWorkspace *workspace = ow_gateway_request_mounted_workspace (request);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  OwRuntimeClient *client = ow_runtime_supervisor_get_client (self->runtime);
  OwRuntimeCall call = { .method = "DELETE" };
  SessionDelete *deletion;

  if (workspace == NULL)
    return;
  escaped = g_uri_escape_string (request->params[1], NULL, FALSE);
  path = g_strconcat ("/session/", escaped, NULL);
  if (ow_runtime_client_get_port (client) == 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (request->message),
                                    "Retry-After", "2");
      ow_http_reply_error (request->message, SOUP_STATUS_SERVICE_UNAVAILABLE, "runtime_unavailable",
                           "The OpenCode runtime is not running yet. Try again shortly.");
      return;
    }
  call.target = path;
  call.directory = workspace->path;

  deletion = g_new0 (SessionDelete, 1);
  deletion->message = g_object_ref (request->message);
  g_signal_connect (request->message, "finished", G_CALLBACK (on_delete_client_gone), deletion);
  soup_server_message_pause (request->message);
  ow_runtime_client_call_async (client, &call, NULL, on_session_deleted, deletion);
}

void
ow_openwork_routes_add_approval (JsonBuilder *builder, OwApproval *approval)
{
  const OwApprovalActor *actor = ow_approval_get_actor (approval);

  json_builder_begin_object (builder);
  ow_json_add_string (builder, "id", ow_approval_get_id (approval));
  ow_json_add_string (builder, "workspaceId", ow_approval_get_workspace_id (approval));
  ow_json_add_string (builder, "action", ow_approval_get_action (approval));
  ow_json_add_string (builder, "summary", ow_approval_get_summary (approval));
  ow_json_add_strv (builder, "paths", ow_approval_get_paths (approval));
  ow_json_add_int (builder, "createdAt", ow_approval_get_created_at (approval));
  json_builder_set_member_name (builder, "actor");
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "type", actor->type);
  if (actor->client_id)
    ow_json_add_string (builder, "clientId", actor->client_id);
  if (actor->token_hash)
    ow_json_add_string (builder, "tokenHash", actor->token_hash);
  if (actor->scope)
    ow_json_add_string (builder, "scope", actor->scope);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
}

static void
handle_list_approvals (OwGatewayRequest *request)
{
  ow_gateway_request_reply_model (request, G_LIST_MODEL (request->context->approvals),
                                  (OwGatewayAddItem) ow_openwork_routes_add_approval, NULL);
}

static void
handle_reply_approval (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  g_autoptr (GError) error = NULL;
  const char *reply;

  if (body == NULL)
    return;

  if (!ow_gateway_request_read_strings (request, body, "reply", &reply, NULL))
    return;
  if (g_strcmp0 (reply, "allow") != 0 && g_strcmp0 (reply, "deny") != 0)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid_reply",
                           "The \"reply\" must be \"allow\" or \"deny\".");
      return;
    }

  if (!ow_approvals_reply (request->context->approvals, request->params[0],
                           g_str_equal (reply, "allow"), &error))
    {
      gboolean answered =
        g_error_matches (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_ALREADY_ANSWERED);
      ow_http_reply_error (request->message,
                           answered ? SOUP_STATUS_CONFLICT : SOUP_STATUS_NOT_FOUND,
                           answered ? "already_answered" : "approval_not_found", error->message);
      return;
    }

  ow_http_reply_ok (request->message, "allowed", g_str_equal (reply, "allow"));
}
