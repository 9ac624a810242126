#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  OW_TASK_CREATED, /* the session exists, no prompt ran yet */
  OW_TASK_RUNNING,
  OW_TASK_WAITING, /* for a permission answer */
  OW_TASK_SUCCEEDED,
  OW_TASK_FAILED,
  OW_TASK_INTERRUPTED, /* the runtime stopped under it */
} OwTaskState;

#define OW_TYPE_TASK_STATE (ow_task_state_get_type ())
GType ow_task_state_get_type (void);

/* The state's name in the API and the CLI: "created", "running", "waiting", … */
const char *ow_task_state_to_string (OwTaskState state);

#define OW_TYPE_TASK (ow_task_get_type ())
G_DECLARE_FINAL_TYPE (OwTask, ow_task, OW, TASK, GObject)

/**
 * ow_task_new:
 * @session_id: the OpenCode session
 * @token_id: the token (device) that started it
 * @device: the token's name, for people
 * @workspace_id: (nullable): the workspace it runs in
 * @directory: the folder it runs in
 *
 * A task: an OpenCode session a device started. Everything but its #OwTask:state,
 * #OwTask:reason and #OwTask:updated-at stays as it was made; those three change
 * together, and are notified.
 */
OwTask *ow_task_new (const char *session_id,
                     const char *token_id,
                     const char *device,
                     const char *workspace_id,
                     const char *directory);

const char *ow_task_get_id (OwTask *self);
const char *ow_task_get_token_id (OwTask *self);
const char *ow_task_get_device (OwTask *self);
const char *ow_task_get_workspace_id (OwTask *self);
const char *ow_task_get_directory (OwTask *self);
OwTaskState ow_task_get_state (OwTask *self);
/* Why it is waiting, failed or was interrupted, for a person; %NULL otherwise */
const char *ow_task_get_reason (OwTask *self);
/* Unix time in ms */
gint64 ow_task_get_created_at (OwTask *self);
gint64 ow_task_get_updated_at (OwTask *self);

/* Whether it is under way: running, or waiting for a permission answer. */
gboolean ow_task_is_active (OwTask *self);

/* Whether it has ended: succeeded, failed or interrupted. */
gboolean ow_task_is_over (OwTask *self);

/* For #OwTasks: moves the task on. Returns whether anything changed. */
gboolean ow_task_set_state (OwTask *self, OwTaskState state, const char *reason);

G_END_DECLS
