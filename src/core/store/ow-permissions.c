#include "config.h"

#include "ow-permissions.h"
#include "ow-http.h"
#include "ow-permission-request.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Answered requests are remembered, to tell a late answer why it is refused. */
#define MAX_ANSWERED 1000

/* clang-format off */
G_DEFINE_QUARK (ow-permissions-error-quark, ow_permissions_error)
/* clang-format on */

struct _OwPermissions
{
  GObject parent_instance;

  OwEventHub *hub;
  OwRuntimeSupervisor *runtime;
  char *audit_path;
  GHashTable *pending;  /* id → OwPermissionRequest, waiting or being answered */
  GQueue order;         /* ids of pending, oldest first */
  GHashTable *answered; /* id → who answered */
  GQueue answered_order;
};

G_DEFINE_FINAL_TYPE (OwPermissions, ow_permissions, G_TYPE_OBJECT)

enum
{
  SIGNAL_ASKED,
  SIGNAL_WITHDRAWN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Appends one line to the audit log, synced: a decision must not be lost in a crash. */
static void
audit (OwPermissions *self, JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);
  g_autofree char *line = g_strconcat (text, "\n", NULL);
  int fd = g_open (self->audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  gsize length = strlen (line);

  if (fd < 0 || write (fd, line, length) != (gssize) length || fdatasync (fd) != 0)
    g_warning ("Could not record a decision in the audit log %s: %s", self->audit_path,
               g_strerror (errno));
  if (fd >= 0)
    close (fd);
}

static void
audit_answer (OwPermissions *self,
              OwPermissionRequest *request,
              const char *reply,
              const char *who,
              const char *who_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  JsonNode *patterns =
    json_object_get_member (ow_permission_request_get_properties (request), "patterns");

  json_builder_begin_object (builder);
  ow_json_add_int (builder, "at", g_get_real_time () / 1000);
  ow_json_add_string (builder, "kind", "permission");
  ow_json_add_string (builder, "id", ow_permission_request_get_id (request));
  ow_json_add_string (builder, "session", ow_permission_request_get_session_id (request));
  ow_json_add_string (builder, "permission", ow_permission_request_get_permission (request));
  json_builder_set_member_name (builder, "patterns");
  json_builder_add_value (builder,
                          patterns ? json_node_copy (patterns) : json_node_new (JSON_NODE_NULL));
  ow_json_add_string (builder, "reply", reply);
  ow_json_add_string (builder, "by", who);
  ow_json_add_string (builder, "byId", who_id);
  json_builder_end_object (builder);
  audit (self, builder);
}

static void
remember_answered (OwPermissions *self, const char *id, const char *who)
{
  g_hash_table_replace (self->answered, g_strdup (id), g_strdup (who));
  g_queue_push_tail (&self->answered_order, g_strdup (id));
  while (self->answered_order.length > MAX_ANSWERED)
    {
      g_autofree char *old = g_queue_pop_head (&self->answered_order);
      g_hash_table_remove (self->answered, old);
    }
}

/* Takes @id out of the waiting ones and tells everyone who shows it: answered by
 * @answered_by, or gone when that is %NULL. */
static void
withdraw (OwPermissions *self, const char *id, const char *answered_by)
{
  g_autofree char *key = NULL;
  g_autoptr (OwPermissionRequest) request = NULL;
  GList *link = g_queue_find_custom (&self->order, id, (GCompareFunc) g_strcmp0);

  if (!g_hash_table_steal_extended (self->pending, id, (gpointer *) &key, (gpointer *) &request))
    return;
  if (link)
    {
      g_free (link->data);
      g_queue_delete_link (&self->order, link);
    }
  ow_permission_request_set_state (
    request, answered_by ? OW_PERMISSION_REQUEST_ANSWERED : OW_PERMISSION_REQUEST_GONE,
    answered_by);
  /* @answered_by may have been the request's own, replaced just now. */
  g_signal_emit (self, signals[SIGNAL_WITHDRAWN], 0, key,
                 ow_permission_request_get_answered_by (request));
}

static void
on_event (OwEventHub *hub, const OwHubEvent *event, OwPermissions *self)
{
  g_autoptr (JsonObject) payload = NULL;
  JsonObject *properties;
  const char *type;

  if (strstr (event->payload, "\"permission.") == NULL)
    return;
  payload = ow_json_parse_runtime_object (event->payload, -1, NULL);
  if (payload == NULL)
    return;
  type = ow_json_string_or_null (payload, "type");
  properties = json_object_get_member (payload, "properties") &&
                   JSON_NODE_HOLDS_OBJECT (json_object_get_member (payload, "properties"))
                 ? json_object_get_object_member (payload, "properties")
                 : NULL;
  if (type == NULL || properties == NULL)
    return;

  if (g_str_equal (type, "permission.asked"))
    {
      const char *id = ow_json_string_or_null (properties, "id");
      OwPermissionRequest *request;

      if (id == NULL || g_hash_table_contains (self->pending, id) ||
          g_hash_table_contains (self->answered, id))
        return;
      request = ow_permission_request_new (properties, event->directory);
      g_hash_table_insert (self->pending, g_strdup (id), request);
      g_queue_push_tail (&self->order, g_strdup (id));
      g_signal_emit (self, signals[SIGNAL_ASKED], 0, id);
    }
  else if (g_str_equal (type, "permission.replied"))
    {
      const char *id = ow_json_string_or_null (properties, "requestID");
      OwPermissionRequest *request = id ? g_hash_table_lookup (self->pending, id) : NULL;

      /* An answer of ours may be confirmed by the event before its own reply comes. */
      if (request)
        withdraw (self, id,
                  ow_permission_request_get_state (request) == OW_PERMISSION_REQUEST_ANSWERING
                    ? ow_permission_request_get_answered_by (request)
                    : NULL);
    }
}

/* A runtime that stops forgets its requests: nobody can answer them any more. */
static void
on_runtime_state (OwRuntimeSupervisor *runtime, GParamSpec *pspec, OwPermissions *self)
{
  OwRuntimeState state = ow_runtime_supervisor_get_state (runtime);

  if (state == OW_RUNTIME_STATE_RUNNING || state == OW_RUNTIME_STATE_STARTING)
    return;
  while (self->order.length > 0)
    {
      g_autofree char *id = g_strdup (g_queue_peek_head (&self->order));
      OwPermissionRequest *request = g_hash_table_lookup (self->pending, id);
      g_autoptr (JsonObject) properties = json_object_new ();
      g_autofree char *directory = g_strdup (ow_permission_request_get_directory (request));

      json_object_set_string_member (properties, "id", id);
      json_object_set_string_member (properties, "sessionID",
                                     ow_permission_request_get_session_id (request));
      json_object_set_string_member (properties, "reason",
                                     "The OpenCode runtime stopped; the request is gone.");
      withdraw (self, id, NULL);
      /* No permission.replied will come from a runtime that is gone: say so. */
      ow_event_hub_publish (self->hub, directory, "openwork.permission.withdrawn", properties);
    }
}

OwPermissionRequest *
ow_permissions_lookup (OwPermissions *self, const char *id)
{
  g_return_val_if_fail (OW_IS_PERMISSIONS (self), NULL);
  return id ? g_hash_table_lookup (self->pending, id) : NULL;
}

GPtrArray *
ow_permissions_get_waiting (OwPermissions *self)
{
  GPtrArray *waiting = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (OW_IS_PERMISSIONS (self), waiting);
  for (GList *l = self->order.head; l; l = l->next)
    g_ptr_array_add (waiting, g_object_ref (g_hash_table_lookup (self->pending, l->data)));
  return waiting;
}

JsonNode *
ow_permissions_list (OwPermissions *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (OW_IS_PERMISSIONS (self), NULL);

  json_builder_begin_array (builder);
  for (GList *l = self->order.head; l; l = l->next)
    {
      OwPermissionRequest *pending = g_hash_table_lookup (self->pending, l->data);
      JsonObject *request = ow_permission_request_get_properties (pending);
      GList *members = json_object_get_members (request);

      json_builder_begin_object (builder);
      for (GList *m = members; m; m = m->next)
        {
          json_builder_set_member_name (builder, m->data);
          json_builder_add_value (builder,
                                  json_node_copy (json_object_get_member (request, m->data)));
        }
      g_list_free (members);
      ow_json_add_string (builder, "directory", ow_permission_request_get_directory (pending));
      ow_json_add_int (builder, "askedAt", ow_permission_request_get_asked_ms (pending));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

/* An answer on its way to the runtime. */
typedef struct
{
  OwPermissions *self;
  OwPermissionRequest *request;
  char *reply;
  char *who;
  char *who_id;
} Reply;

static void
reply_free (Reply *reply)
{
  g_object_unref (reply->self);
  g_object_unref (reply->request);
  g_free (reply->reply);
  g_free (reply->who);
  g_free (reply->who_id);
  g_free (reply);
}

/* The runtime took the answer: only now is the request answered. */
static void
commit_answer (Reply *reply)
{
  const char *id = ow_permission_request_get_id (reply->request);

  audit_answer (reply->self, reply->request, reply->reply, reply->who, reply->who_id);
  remember_answered (reply->self, id, reply->who);
  withdraw (reply->self, id, reply->who);
}

static void
on_replied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Reply *reply = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  guint status;
  g_autoptr (GBytes) body =
    ow_runtime_client_call_finish (OW_RUNTIME_CLIENT (source), result, &status, &error);
  g_autofree char *answered = g_strdup_printf ("it answered %u", status);

  if (body == NULL || !SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      /* Still waiting, for everyone who shows it (unless the runtime dropped it meanwhile). */
      if (ow_permission_request_get_state (reply->request) == OW_PERMISSION_REQUEST_ANSWERING)
        ow_permission_request_set_state (reply->request, OW_PERMISSION_REQUEST_WAITING, NULL);
      g_task_return_new_error (
        task, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_RUNTIME,
        "The OpenCode runtime did not take the answer (%s); the request still waits.",
        error ? error->message : answered);
      return;
    }
  commit_answer (reply);
  g_task_return_boolean (task, TRUE);
}

void
ow_permissions_reply_async (OwPermissions *self,
                            const char *id,
                            const char *reply,
                            const char *who,
                            const char *who_id,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  OwRuntimeClient *client = ow_runtime_supervisor_get_client (self->runtime);
  OwRuntimeCall call = { .method = "POST" };
  const char *directory;
  OwPermissionRequest *request;
  Reply *data;

  g_return_if_fail (OW_IS_PERMISSIONS (self));

  if (g_strcmp0 (reply, "once") != 0 && g_strcmp0 (reply, "always") != 0 &&
      g_strcmp0 (reply, "reject") != 0)
    {
      g_task_return_new_error (task, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_INVALID,
                               "The answer must be once, always or reject.");
      return;
    }

  request = id ? g_hash_table_lookup (self->pending, id) : NULL;
  if (request == NULL)
    {
      const char *by = id ? g_hash_table_lookup (self->answered, id) : NULL;

      if (id && g_hash_table_contains (self->answered, id))
        g_task_return_new_error (task, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_ALREADY_ANSWERED,
                                 "This permission request was already answered%s%s.",
                                 by ? " by " : "", by ? by : "");
      else
        g_task_return_new_error (task, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_NOT_FOUND,
                                 "No permission request with this id waits for an answer.");
      return;
    }
  /* The first answer wins: another one is on its way already. */
  if (ow_permission_request_get_state (request) == OW_PERMISSION_REQUEST_ANSWERING)
    {
      g_task_return_new_error (task, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_ALREADY_ANSWERED,
                               "This permission request is being answered by %s.",
                               ow_permission_request_get_answered_by (request));
      return;
    }

  data = g_new0 (Reply, 1);
  data->self = g_object_ref (self);
  data->request = g_object_ref (request);
  data->reply = g_strdup (reply);
  data->who = g_strdup (who);
  data->who_id = g_strdup (who_id);
  g_task_set_task_data (task, data, (GDestroyNotify) reply_free);

  escaped = g_uri_escape_string (id, NULL, FALSE);
  path = g_strdup_printf ("/permission/%s/reply", escaped);
  if (ow_runtime_client_get_port (client) == 0)
    {
      g_task_return_new_error (task, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_RUNTIME,
                               "The OpenCode runtime is not running.");
      return;
    }
  ow_permission_request_set_state (request, OW_PERMISSION_REQUEST_ANSWERING, who);
  directory = ow_permission_request_get_directory (request);
  if (*directory && !g_str_equal (directory, "global"))
    call.directory = directory;
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "reply", reply);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  text = json_to_string (body, FALSE);
  bytes = g_bytes_new (text, strlen (text));
  call.target = path;
  call.body = bytes;
  ow_runtime_client_call_async (client, &call, NULL, on_replied, g_steal_pointer (&task));
}

gboolean
ow_permissions_reply_finish (OwPermissions *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
ow_permissions_dispose (GObject *object)
{
  OwPermissions *self = OW_PERMISSIONS (object);

  if (self->hub)
    g_signal_handlers_disconnect_by_data (self->hub, self);
  if (self->runtime)
    g_signal_handlers_disconnect_by_data (self->runtime, self);
  g_clear_object (&self->hub);
  g_clear_object (&self->runtime);

  G_OBJECT_CLASS (ow_permissions_parent_class)->dispose (object);
}

static void
ow_permissions_finalize (GObject *object)
{
  OwPermissions *self = OW_PERMISSIONS (object);

  g_queue_clear_full (&self->order, g_free);
  g_queue_clear_full (&self->answered_order, g_free);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->answered, g_hash_table_unref);
  g_free (self->audit_path);

  G_OBJECT_CLASS (ow_permissions_parent_class)->finalize (object);
}

static void
ow_permissions_class_init (OwPermissionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_permissions_dispose;
  object_class->finalize = ow_permissions_finalize;

  /**
   * OwPermissions::asked:
   * @id: the runtime's request id, as ow_permissions_list() lists it
   */
  signals[SIGNAL_ASKED] = g_signal_new ("asked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * OwPermissions::withdrawn:
   * @id: the request
   * @answered_by: (nullable): who answered it, or %NULL when the runtime dropped it
   *
   * Stop asking: the request was answered, or can no longer be.
   */
  signals[SIGNAL_WITHDRAWN] =
    g_signal_new ("withdrawn", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
ow_permissions_init (OwPermissions *self)
{
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->answered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->order);
  g_queue_init (&self->answered_order);
}

OwPermissions *
ow_permissions_new (OwEventHub *hub, OwRuntimeSupervisor *runtime, const char *audit_path)
{
  OwPermissions *self = g_object_new (OW_TYPE_PERMISSIONS, NULL);

  self->hub = g_object_ref (hub);
  self->runtime = g_object_ref (runtime);
  self->audit_path = g_strdup (audit_path);
  g_signal_connect (hub, "event", G_CALLBACK (on_event), self);
  g_signal_connect (runtime, "notify::state", G_CALLBACK (on_runtime_state), self);
  return self;
}
