#include "config.h"

#include "ow-task.h"

struct _OwTask
{
  GObject parent_instance;

  char *id;
  char *token_id;
  char *device;
  char *workspace_id;
  char *directory;
  OwTaskState state;
  char *reason;
  gint64 created_ms;
  gint64 updated_ms;
};

G_DEFINE_FINAL_TYPE (OwTask, ow_task, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (OwTaskState,
                    ow_task_state,
                    G_DEFINE_ENUM_VALUE (OW_TASK_CREATED, "created"),
                    G_DEFINE_ENUM_VALUE (OW_TASK_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (OW_TASK_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (OW_TASK_SUCCEEDED, "succeeded"),
                    G_DEFINE_ENUM_VALUE (OW_TASK_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (OW_TASK_INTERRUPTED, "interrupted"))

enum
{
  PROP_0,
  PROP_ID,
  PROP_TOKEN_ID,
  PROP_DEVICE,
  PROP_WORKSPACE_ID,
  PROP_DIRECTORY,
  PROP_STATE,
  PROP_REASON,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
ow_task_state_to_string (OwTaskState state)
{
  static const char *const names[] = { "created",   "running", "waiting",
                                       "succeeded", "failed",  "interrupted" };

  g_return_val_if_fail (state <= OW_TASK_INTERRUPTED, "created");
  return names[state];
}

OwTask *
ow_task_new (const char *session_id,
             const char *token_id,
             const char *device,
             const char *workspace_id,
             const char *directory)
{
  g_return_val_if_fail (session_id != NULL, NULL);

  return g_object_new (OW_TYPE_TASK, "id", session_id, "token-id", token_id, "device", device,
                       "workspace-id", workspace_id, "directory", directory, NULL);
}

const char *
ow_task_get_id (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), NULL);
  return self->id;
}

const char *
ow_task_get_token_id (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), NULL);
  return self->token_id;
}

const char *
ow_task_get_device (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), NULL);
  return self->device;
}

const char *
ow_task_get_workspace_id (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), NULL);
  return self->workspace_id;
}

const char *
ow_task_get_directory (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), NULL);
  return self->directory;
}

OwTaskState
ow_task_get_state (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), OW_TASK_CREATED);
  return self->state;
}

const char *
ow_task_get_reason (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), NULL);
  return self->reason;
}

gint64
ow_task_get_created_at (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), 0);
  return self->created_ms;
}

gint64
ow_task_get_updated_at (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), 0);
  return self->updated_ms;
}

gboolean
ow_task_is_active (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), FALSE);
  return self->state == OW_TASK_RUNNING || self->state == OW_TASK_WAITING;
}

gboolean
ow_task_is_over (OwTask *self)
{
  g_return_val_if_fail (OW_IS_TASK (self), FALSE);
  return self->state == OW_TASK_SUCCEEDED || self->state == OW_TASK_FAILED ||
         self->state == OW_TASK_INTERRUPTED;
}

gboolean
ow_task_set_state (OwTask *self, OwTaskState state, const char *reason)
{
  g_return_val_if_fail (OW_IS_TASK (self), FALSE);

  if (self->state == state && g_strcmp0 (self->reason, reason) == 0)
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (g_strcmp0 (self->reason, reason) != 0)
    {
      g_free (self->reason);
      self->reason = g_strdup (reason);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
    }
  self->updated_ms = g_get_real_time () / 1000;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

static void
ow_task_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OwTask *self = OW_TASK (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_TOKEN_ID:
      g_value_set_string (value, self->token_id);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_WORKSPACE_ID:
      g_value_set_string (value, self->workspace_id);
      break;
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_REASON:
      g_value_set_string (value, self->reason);
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_ms);
      break;
    case PROP_UPDATED_AT:
      g_value_set_int64 (value, self->updated_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_task_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  OwTask *self = OW_TASK (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_TOKEN_ID:
      self->token_id = g_value_dup_string (value);
      break;
    case PROP_DEVICE:
      self->device = g_value_dup_string (value);
      break;
    case PROP_WORKSPACE_ID:
      self->workspace_id = g_value_dup_string (value);
      break;
    case PROP_DIRECTORY:
      self->directory = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_task_finalize (GObject *object)
{
  OwTask *self = OW_TASK (object);

  g_free (self->id);
  g_free (self->token_id);
  g_free (self->device);
  g_free (self->workspace_id);
  g_free (self->directory);
  g_free (self->reason);

  G_OBJECT_CLASS (ow_task_parent_class)->finalize (object);
}

static void
ow_task_class_init (OwTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags made = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags read = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = ow_task_get_property;
  object_class->set_property = ow_task_set_property;
  object_class->finalize = ow_task_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, made);
  properties[PROP_TOKEN_ID] = g_param_spec_string ("token-id", NULL, NULL, NULL, made);
  properties[PROP_DEVICE] = g_param_spec_string ("device", NULL, NULL, NULL, made);
  properties[PROP_WORKSPACE_ID] = g_param_spec_string ("workspace-id", NULL, NULL, NULL, made);
  properties[PROP_DIRECTORY] = g_param_spec_string ("directory", NULL, NULL, NULL, made);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, OW_TYPE_TASK_STATE,
                                              OW_TASK_CREATED, read | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_REASON] =
    g_param_spec_string ("reason", NULL, NULL, NULL, read | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, read);
  properties[PROP_UPDATED_AT] =
    g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0, read | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_task_init (OwTask *self)
{
  self->state = OW_TASK_CREATED;
  self->created_ms = self->updated_ms = g_get_real_time () / 1000;
}
