#include "config.h"

#include "ow-tasks.h"
#include "ow-http.h"

#include <string.h>

/* The host remembers this many tasks, dropping the oldest finished ones first. */
#define MAX_TASKS 1000

typedef struct
{
  char *id;
  char *token_id;
  char *device;
  char *workspace_id;
  char *directory;
  OwTaskState state;
  char *reason;
  gint64 created_ms;
  gint64 updated_ms;
} Task;

struct _OwTasks
{
  GObject parent_instance;

  OwEventHub *hub;
  OwRuntimeSupervisor *runtime;
  GHashTable *by_id; /* session id → Task */
  GQueue order;      /* Task, oldest first */
};

G_DEFINE_FINAL_TYPE (OwTasks, ow_tasks, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const char *
ow_task_state_to_string (OwTaskState state)
{
  static const char *const names[] = { "created",   "running", "waiting",
                                       "succeeded", "failed",  "interrupted" };

  g_return_val_if_fail (state <= OW_TASK_INTERRUPTED, "created");
  return names[state];
}

static void
task_free (Task *task)
{
  g_free (task->id);
  g_free (task->token_id);
  g_free (task->device);
  g_free (task->workspace_id);
  g_free (task->directory);
  g_free (task->reason);
  g_free (task);
}

static gboolean
is_active (OwTaskState state)
{
  return state == OW_TASK_RUNNING || state == OW_TASK_WAITING;
}

static void
set_state (OwTasks *self, Task *task, OwTaskState state, const char *reason)
{
  if (task->state == state && g_strcmp0 (task->reason, reason) == 0)
    return;
  task->state = state;
  g_free (task->reason);
  task->reason = g_strdup (reason);
  task->updated_ms = g_get_real_time () / 1000;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, task->id);
}

void
ow_tasks_add (OwTasks *self,
              const char *session_id,
              const char *token_id,
              const char *device,
              const char *workspace_id,
              const char *directory)
{
  Task *task;

  g_return_if_fail (OW_IS_TASKS (self));
  g_return_if_fail (session_id != NULL);

  if (g_hash_table_contains (self->by_id, session_id))
    return;

  task = g_new0 (Task, 1);
  task->id = g_strdup (session_id);
  task->token_id = g_strdup (token_id);
  task->device = g_strdup (device);
  task->workspace_id = g_strdup (workspace_id);
  task->directory = g_strdup (directory);
  task->state = OW_TASK_CREATED;
  task->created_ms = task->updated_ms = g_get_real_time () / 1000;
  g_hash_table_insert (self->by_id, task->id, task);
  g_queue_push_tail (&self->order, task);

  /* Forget the oldest task that is not under way. */
  for (GList *l = self->order.head; l && self->order.length > MAX_TASKS; l = l->next)
    {
      Task *old = l->data;

      if (is_active (old->state))
        continue;
      g_queue_delete_link (&self->order, l);
      g_hash_table_remove (self->by_id, old->id);
      break;
    }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, task->id);
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* What a failed session says went wrong, for a person. */
static char *
error_reason (JsonObject *error)
{
  JsonObject *data = member_object (error, "data");
  const char *message = ow_json_string_or_null (data, "message");
  const char *name = ow_json_string_or_null (error, "name");

  if (message && name)
    return g_strdup_printf ("%s: %s", name, message);
  return g_strdup (message ? message : name ? name : "The runtime reported an error.");
}

/* Drops @task from the list; "changed" then finds no task under its id. */
static void
forget_task (OwTasks *self, Task *task)
{
  g_autofree char *id = g_strdup (task->id);

  g_queue_remove (&self->order, task);
  g_hash_table_remove (self->by_id, id);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, id);
}

static void
on_event (OwEventHub *hub, const OwHubEvent *event, OwTasks *self)
{
  g_autoptr (JsonObject) payload = NULL;
  JsonObject *properties;
  const char *type;
  Task *task;

  /* Only events about sessions that are tasks are read whole. */
  if (g_hash_table_size (self->by_id) == 0 ||
      (strstr (event->payload, "\"sessionID\"") == NULL &&
       strstr (event->payload, "\"session.deleted\"") == NULL))
    return;
  payload = ow_json_parse_runtime_object (event->payload, -1, NULL);
  if (payload == NULL)
    return;

  type = ow_json_string_or_null (payload, "type");
  properties = member_object (payload, "properties");
  /* A deleted session is named by its whole record; the task goes with it. */
  if (g_strcmp0 (type, "session.deleted") == 0)
    {
      task = g_hash_table_lookup (
        self->by_id, ow_json_string_or_null (member_object (properties, "info"), "id") ?: "");
      if (task != NULL)
        forget_task (self, task);
      return;
    }
  task = g_hash_table_lookup (self->by_id, ow_json_string_or_null (properties, "sessionID") ?: "");
  if (type == NULL || task == NULL)
    return;

  if (g_str_equal (type, "session.status"))
    {
      const char *status = ow_json_string_or_null (member_object (properties, "status"), "type");

      if (g_strcmp0 (status, "busy") == 0 && task->state != OW_TASK_WAITING)
        set_state (self, task, OW_TASK_RUNNING, NULL);
    }
  else if (g_str_equal (type, "permission.asked"))
    {
      g_autofree char *reason =
        g_strdup_printf ("Waiting for permission to use %s.",
                         ow_json_string_or_null (properties, "permission") ?: "a tool");
      set_state (self, task, OW_TASK_WAITING, reason);
    }
  else if (g_str_equal (type, "permission.replied"))
    {
      if (task->state == OW_TASK_WAITING)
        set_state (self, task, OW_TASK_RUNNING, NULL);
    }
  else if (g_str_equal (type, "session.error"))
    {
      g_autofree char *reason = error_reason (member_object (properties, "error"));
      set_state (self, task, OW_TASK_FAILED, reason);
    }
  else if (g_str_equal (type, "session.idle"))
    {
      if (is_active (task->state))
        set_state (self, task, OW_TASK_SUCCEEDED, NULL);
    }
}

/* A runtime that stops takes its running tasks with it. */
static void
on_runtime_state (OwRuntimeSupervisor *runtime, GParamSpec *pspec, OwTasks *self)
{
  OwRuntimeState state = ow_runtime_supervisor_get_state (runtime);
  g_autofree char *reason = NULL;

  if (state == OW_RUNTIME_STATE_RUNNING || state == OW_RUNTIME_STATE_STARTING)
    return;

  reason = g_strdup_printf ("The OpenCode runtime stopped while the task ran (%s).",
                            ow_runtime_supervisor_get_last_error (runtime)
                              ?: ow_runtime_state_to_string (state));
  for (GList *l = self->order.head; l; l = l->next)
    {
      Task *task = l->data;
      g_autoptr (JsonObject) properties = NULL;

      if (!is_active (task->state))
        continue;
      set_state (self, task, OW_TASK_INTERRUPTED, reason);
      /* Clients learn it in their streams: the runtime that would tell them is gone. */
      properties = json_object_new ();
      json_object_set_string_member (properties, "sessionID", task->id);
      json_object_set_string_member (properties, "reason", reason);
      ow_event_hub_publish (self->hub, task->directory, "openwork.task.interrupted", properties);
    }
}

static void
add_task (JsonBuilder *builder, Task *task)
{
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "id", task->id);
  ow_json_add_string (builder, "device", task->device);
  ow_json_add_string (builder, "tokenId", task->token_id);
  ow_json_add_string (builder, "workspace", task->workspace_id);
  ow_json_add_string (builder, "directory", task->directory);
  ow_json_add_string (builder, "state", ow_task_state_to_string (task->state));
  ow_json_add_string (builder, "reason", task->reason);
  ow_json_add_int (builder, "createdAt", task->created_ms);
  ow_json_add_int (builder, "updatedAt", task->updated_ms);
  json_builder_end_object (builder);
}

JsonNode *
ow_tasks_to_json (OwTasks *self, const char *id, const char *token_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (OW_IS_TASKS (self), NULL);

  if (id)
    {
      Task *task = g_hash_table_lookup (self->by_id, id);

      if (task == NULL || (token_id && g_strcmp0 (task->token_id, token_id) != 0))
        return NULL;
      add_task (builder, task);
      return json_builder_get_root (builder);
    }

  json_builder_begin_array (builder);
  for (GList *l = self->order.tail; l; l = l->prev)
    {
      Task *task = l->data;

      if (token_id == NULL || g_strcmp0 (task->token_id, token_id) == 0)
        add_task (builder, task);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

gboolean
ow_tasks_get_state (OwTasks *self, const char *session_id, OwTaskState *state)
{
  Task *task;

  g_return_val_if_fail (OW_IS_TASKS (self), FALSE);

  task = g_hash_table_lookup (self->by_id, session_id);
  if (task == NULL)
    return FALSE;
  *state = task->state;
  return TRUE;
}

static void
ow_tasks_dispose (GObject *object)
{
  OwTasks *self = OW_TASKS (object);

  if (self->hub)
    g_signal_handlers_disconnect_by_data (self->hub, self);
  if (self->runtime)
    g_signal_handlers_disconnect_by_data (self->runtime, self);
  g_clear_object (&self->hub);
  g_clear_object (&self->runtime);

  G_OBJECT_CLASS (ow_tasks_parent_class)->dispose (object);
}

static void
ow_tasks_finalize (GObject *object)
{
  OwTasks *self = OW_TASKS (object);

  g_queue_clear (&self->order);
  g_clear_pointer (&self->by_id, g_hash_table_unref);

  G_OBJECT_CLASS (ow_tasks_parent_class)->finalize (object);
}

static void
ow_tasks_class_init (OwTasksClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_tasks_dispose;
  object_class->finalize = ow_tasks_finalize;

  /**
   * OwTasks::changed:
   * @id: the task that was added, changed state, or went with its deleted session
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ow_tasks_init (OwTasks *self)
{
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) task_free);
  g_queue_init (&self->order);
}

OwTasks *
ow_tasks_new (OwEventHub *hub, OwRuntimeSupervisor *runtime)
{
  OwTasks *self = g_object_new (OW_TYPE_TASKS, NULL);

  self->hub = g_object_ref (hub);
  self->runtime = g_object_ref (runtime);
  g_signal_connect (hub, "event", G_CALLBACK (on_event), self);
  g_signal_connect (runtime, "notify::state", G_CALLBACK (on_runtime_state), self);
  return self;
}
