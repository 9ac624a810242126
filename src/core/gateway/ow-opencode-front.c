#include "config.h"

#include "ow-opencode-front.h"
#include "ow-gateway-routes.h"
#include "ow-http.h"
#include "ow-opencode-proxy.h"
#include "ow-stream-registry.h"
#include "ow-workspace.h"

#include <string.h>

struct _OwOpencodeFront
{
  GObject parent_instance;

  OwRuntimeSupervisor *runtime;
  OwTasks *tasks;
  OwOpencodeProxy *proxy;
  GStrv sensitive_tools;
  GHashTable *secured_sessions; /* ids of sessions given the host's rules in this run */
};

G_DEFINE_FINAL_TYPE (OwOpencodeFront, ow_opencode_front, G_TYPE_OBJECT)

static void handle_opencode (OwGatewayRequest *request);
static void handle_workspace_opencode (OwGatewayRequest *request);

const OwRoute ow_opencode_routes[] = {
  { NULL, "/opencode/*", OW_ACCESS_OPENCODE, handle_opencode, OW_ROUTE_OPENCODE_CREDENTIALS },
  { NULL, "/w/:id/opencode/*", OW_ACCESS_OPENCODE, handle_workspace_opencode,
    OW_ROUTE_OPENCODE_CREDENTIALS },
  { NULL, "/workspace/:id/opencode/*", OW_ACCESS_OPENCODE, handle_workspace_opencode,
    OW_ROUTE_OPENCODE_CREDENTIALS },
  { NULL },
};

/* Folders */

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
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  const char *reply;

  if (body == NULL)
    return;
  /* "/permission/:id/reply" {reply}, or the older "/session/:sid/permissions/:id"
   * {response} */
  if (g_str_equal (request->opencode.pattern, "/permission/:id/reply"))
    {
      if (ow_gateway_request_read_strings (request, body, "reply", &reply, NULL))
        ow_host_routes_answer_permission (request, segments[1], reply);
    }
  else
    {
      if (ow_gateway_request_read_strings (request, body, "response", &reply, NULL))
        ow_host_routes_answer_permission (request, segments[3], reply);
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
  return ow_gateway_request_read_object (request);
}

/* The host's rules: every sensitive tool asks. */
static void
add_host_rules (OwOpencodeFront *self, JsonArray *array)
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
  OwOpencodeFront *self = request->context->opencode;
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
  GHashTable *secured; /* the front's secured_sessions, when the host's rules were added */
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
  OwOpencodeFront *self = request->context->opencode;
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
remember_secured (OwOpencodeFront *self, const char *session_id)
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
  OwOpencodeFront *front;
  SoupServerMessage *message;
  char *session_id;
  char *path;
  char *directory;
  gboolean finished; /* the client went away meanwhile */
} Securing;

static void
securing_free (Securing *securing)
{
  g_signal_handlers_disconnect_by_data (securing->message, securing);
  g_object_unref (securing->front);
  g_object_unref (securing->message);
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
  OwOpencodeFront *self = securing->front;
  g_autoptr (GError) error = NULL;
  guint status;
  g_autoptr (GBytes) body =
    ow_runtime_client_call_finish (OW_RUNTIME_CLIENT (source), result, &status, &error);

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
  OwOpencodeFront *front;
  char *session_id;
} Update;

static void
update_free (gpointer data, GClosure *closure)
{
  Update *update = data;

  g_object_unref (update->front);
  g_free (update->session_id);
  g_free (update);
}

/* The runtime took a device's change to a session, and the host's rules with it. */
static void
on_session_updated (SoupServerMessage *message, Update *update)
{
  if (SOUP_STATUS_IS_SUCCESSFUL (soup_server_message_get_status (message)))
    remember_secured (update->front, update->session_id);
}

/* Remembers @request's session as secured once the runtime has taken the change. */
static void
secure_after_update (OwGatewayRequest *request)
{
  Update *update = g_new0 (Update, 1);

  update->front = g_object_ref (request->context->opencode);
  update->session_id = g_strdup (request->opencode.segments[1]);
  g_signal_connect_data (request->message, "wrote-headers", G_CALLBACK (on_session_updated), update,
                         update_free, 0);
}

/* Returns FALSE when the prompt may go on at once; TRUE when it goes on later or was
 * answered. */
static gboolean
secure_session_first (OwGatewayRequest *request, const char *directory)
{
  OwOpencodeFront *self = request->context->opencode;
  const char *session_id = request->opencode.segments[1];
  g_autoptr (JsonArray) rules = json_array_new ();
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *escaped = g_uri_escape_string (session_id, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/session/", escaped, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;
  OwRuntimeClient *client = ow_runtime_supervisor_get_client (self->runtime);
  OwRuntimeCall call = { .method = "PATCH", .target = path, .directory = directory };
  Securing *securing;
  gsize length;

  if (self->sensitive_tools == NULL || self->sensitive_tools[0] == NULL ||
      g_strcmp0 (request->caller->id, OW_GATEWAY_CONTROL_CALLER) == 0 ||
      g_hash_table_contains (self->secured_sessions, session_id))
    return FALSE;
  if (ow_runtime_client_get_port (client) == 0)
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
  call.body = bytes;

  securing = g_new0 (Securing, 1);
  securing->front = g_object_ref (self);
  securing->message = g_object_ref (request->message);
  securing->session_id = g_strdup (session_id);
  securing->path = g_strdup (request->opencode.path);
  securing->directory = g_strdup (directory);
  g_signal_connect (request->message, "finished", G_CALLBACK (on_securing_client_gone), securing);
  soup_server_message_pause (request->message);
  ow_runtime_client_call_async (client, &call, NULL, on_session_secured, securing);
  return TRUE;
}

/* Serves the runtime's /event or /global/event from the hub, if that is what is asked. */
static gboolean
serve_events (OwGatewayRequest *request, const char *directory, gboolean inside)
{
  OwGatewayContext *context = request->context;
  OwEventFilter filter = { .directory = directory, .inside = inside };
  gboolean given;
  guint64 seq;

  if (g_strcmp0 (soup_server_message_get_method (request->message), "GET") != 0)
    return FALSE;
  if (g_strcmp0 (request->opencode.pattern, "/global/event") == 0)
    filter.global = TRUE;
  else if (g_strcmp0 (request->opencode.pattern, "/event") != 0)
    return FALSE;

  if (ow_gateway_request_read_resume_point (request, &seq, &given) &&
      ow_stream_registry_make_room (context->streams, request->caller->id, request->message))
    ow_stream_registry_add (context->streams, ow_event_stream_new_sse (
                                                context->hub, request->message, request->caller->id,
                                                &filter, given ? &seq : NULL));
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
  OwOpencodeFront *self = request->context->opencode;
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
  g_autoptr (GPtrArray) allowed = ow_gateway_request_workspaces (request);
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
  OwWorkspace *workspace = ow_gateway_request_mounted_workspace (request);
  g_autoptr (GPtrArray) just_this = g_ptr_array_new ();
  g_autofree char *header = NULL;
  g_autofree char *query = NULL;
  const char *directory;

  if (workspace == NULL)
    return;

  g_ptr_array_add (just_this, workspace);
  directory = checked_directory (request, just_this, workspace->path, &header, &query);
  if (directory == NULL)
    return;
  /* Without a folder of its own, the workspace's stream has every folder in it. */
  forward_to_runtime (request, directory, workspace->id, header == NULL && query == NULL);
}

gboolean
ow_opencode_front_resume (OwOpencodeFront *self, SoupServerMessage *message)
{
  g_return_val_if_fail (OW_IS_OPENCODE_FRONT (self), FALSE);
  return ow_opencode_proxy_resume (self->proxy, message);
}

static void
ow_opencode_front_dispose (GObject *object)
{
  OwOpencodeFront *self = OW_OPENCODE_FRONT (object);

  g_clear_object (&self->proxy);
  g_clear_object (&self->tasks);
  g_clear_object (&self->runtime);

  G_OBJECT_CLASS (ow_opencode_front_parent_class)->dispose (object);
}

static void
ow_opencode_front_finalize (GObject *object)
{
  OwOpencodeFront *self = OW_OPENCODE_FRONT (object);

  g_strfreev (self->sensitive_tools);
  g_hash_table_unref (self->secured_sessions);

  G_OBJECT_CLASS (ow_opencode_front_parent_class)->finalize (object);
}

static void
ow_opencode_front_class_init (OwOpencodeFrontClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_opencode_front_dispose;
  object_class->finalize = ow_opencode_front_finalize;
}

static void
ow_opencode_front_init (OwOpencodeFront *self)
{
  self->secured_sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

OwOpencodeFront *
ow_opencode_front_new (OwRuntimeSupervisor *runtime,
                       OwEventHub *hub,
                       OwTasks *tasks,
                       const char *const *sensitive_tools,
                       gsize max_body_bytes,
                       guint answer_timeout_s)
{
  OwOpencodeFront *self;

  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (runtime), NULL);
  g_return_val_if_fail (OW_IS_EVENT_HUB (hub), NULL);
  g_return_val_if_fail (OW_IS_TASKS (tasks), NULL);

  self = g_object_new (OW_TYPE_OPENCODE_FRONT, NULL);
  self->runtime = g_object_ref (runtime);
  self->tasks = g_object_ref (tasks);
  self->sensitive_tools = g_strdupv ((char **) sensitive_tools);
  self->proxy = ow_opencode_proxy_new (runtime, hub, max_body_bytes);
  ow_opencode_proxy_set_answer_timeout (self->proxy, answer_timeout_s);
  return self;
}
