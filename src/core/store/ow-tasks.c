#include "config.h"

#include "ow-tasks.h"
#include "ow-http.h"

#include <string.h>

/* The host remembers this many tasks, dropping the oldest finished ones first. */
#define MAX_TASKS 1000

struct _OwTasks
{
  GObject parent_instance;

  OwEventHub *hub;
  OwRuntimeSupervisor *runtime;
  GPtrArray *items;  /* OwTask, the newest first: the list model's order */
  GHashTable *by_id; /* session id → OwTask, borrowed from items */
};

static void ow_tasks_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OwTasks,
                               ow_tasks,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, ow_tasks_list_model_init))

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GType
ow_tasks_get_item_type (GListModel *model)
{
  return OW_TYPE_TASK;
}

static guint
ow_tasks_get_n_items (GListModel *model)
{
  return OW_TASKS (model)->items->len;
}

static gpointer
ow_tasks_get_item (GListModel *model, guint position)
{
  OwTasks *self = OW_TASKS (model);

  return position < self->items->len ? g_object_ref (g_ptr_array_index (self->items, position))
                                     : NULL;
}

static void
ow_tasks_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ow_tasks_get_item_type;
  iface->get_n_items = ow_tasks_get_n_items;
  iface->get_item = ow_tasks_get_item;
}

static void
set_state (OwTasks *self, OwTask *task, OwTaskState state, const char *reason)
{
  if (ow_task_set_state (task, state, reason))
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, task);
}

/* Drops the task at @position from the list; "changed" is not emitted for it. */
static void
remove_at (OwTasks *self, guint position)
{
  OwTask *task = g_ptr_array_index (self->items, position);

  g_hash_table_remove (self->by_id, ow_task_get_id (task));
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

void
ow_tasks_add (OwTasks *self,
              const char *session_id,
              const char *token_id,
              const char *device,
              const char *workspace_id,
              const char *directory)
{
  OwTask *task;

  g_return_if_fail (OW_IS_TASKS (self));
  g_return_if_fail (session_id != NULL);

  if (g_hash_table_contains (self->by_id, session_id))
    return;

  task = ow_task_new (session_id, token_id, device, workspace_id, directory);
  g_ptr_array_insert (self->items, 0, task);
  g_hash_table_insert (self->by_id, (gpointer) ow_task_get_id (task), task);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);

  /* Forget the oldest task that is not under way. */
  for (guint i = self->items->len; self->items->len > MAX_TASKS && i-- > 0;)
    if (!ow_task_is_active (g_ptr_array_index (self->items, i)))
      {
        remove_at (self, i);
        break;
      }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, task);
}

OwTask *
ow_tasks_lookup (OwTasks *self, const char *session_id)
{
  g_return_val_if_fail (OW_IS_TASKS (self), NULL);

  return session_id ? g_hash_table_lookup (self->by_id, session_id) : NULL;
}

guint
ow_tasks_count_active (OwTasks *self)
{
  guint active = 0;

  g_return_val_if_fail (OW_IS_TASKS (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    active += ow_task_is_active (g_ptr_array_index (self->items, i));
  return active;
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

static void
on_event (OwEventHub *hub, const OwHubEvent *event, OwTasks *self)
{
  g_autoptr (JsonObject) payload = NULL;
  JsonObject *properties;
  const char *type;
  OwTask *task;
  guint position;

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
      task =
        ow_tasks_lookup (self, ow_json_string_or_null (member_object (properties, "info"), "id"));
      if (task != NULL && g_ptr_array_find (self->items, task, &position))
        remove_at (self, position);
      return;
    }
  task = ow_tasks_lookup (self, ow_json_string_or_null (properties, "sessionID"));
  if (type == NULL || task == NULL)
    return;

  if (g_str_equal (type, "session.status"))
    {
      const char *status = ow_json_string_or_null (member_object (properties, "status"), "type");

      if (g_strcmp0 (status, "busy") == 0 && ow_task_get_state (task) != OW_TASK_WAITING)
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
      if (ow_task_get_state (task) == OW_TASK_WAITING)
        set_state (self, task, OW_TASK_RUNNING, NULL);
    }
  else if (g_str_equal (type, "session.error"))
    {
      g_autofree char *reason = error_reason (member_object (properties, "error"));
      set_state (self, task, OW_TASK_FAILED, reason);
    }
  else if (g_str_equal (type, "session.idle"))
    {
      if (ow_task_is_active (task))
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
  for (guint i = self->items->len; i-- > 0;)
    {
      OwTask *task = g_ptr_array_index (self->items, i);
      g_autoptr (JsonObject) properties = NULL;

      if (!ow_task_is_active (task))
        continue;
      set_state (self, task, OW_TASK_INTERRUPTED, reason);
      /* Clients learn it in their streams: the runtime that would tell them is gone. */
      properties = json_object_new ();
      json_object_set_string_member (properties, "sessionID", ow_task_get_id (task));
      json_object_set_string_member (properties, "reason", reason);
      ow_event_hub_publish (self->hub, ow_task_get_directory (task), "openwork.task.interrupted",
                            properties);
    }
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

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);

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
   * @task: the task that was added or changed state
   *
   * Tasks that go (their session deleted, or the oldest over when there are too many)
   * leave through #GListModel::items-changed alone.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, OW_TYPE_TASK);
}

static void
ow_tasks_init (OwTasks *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
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
