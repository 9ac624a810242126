#pragma once

#include <json-glib/json-glib.h>

#include "ow-event-hub.h"
#include "ow-runtime-supervisor.h"

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

const char *ow_task_state_to_string (OwTaskState state);

#define OW_TYPE_TASKS (ow_tasks_get_type ())
G_DECLARE_FINAL_TYPE (OwTasks, ow_tasks, OW, TASKS, GObject)

/**
 * ow_tasks_new:
 *
 * Every task the host knows: an OpenCode session a device started in a workspace, with
 * its state as the runtime's events tell it (@hub) and as the runtime itself fares
 * (@runtime: a runtime that stops under a running task interrupts it).
 */
OwTasks *ow_tasks_new (OwEventHub *hub, OwRuntimeSupervisor *runtime);

/**
 * ow_tasks_add:
 * @session_id: the OpenCode session
 * @token_id: the token (device) that started it
 * @device: the token's name, for people
 * @workspace_id: (nullable): the workspace it runs in
 * @directory: the folder it runs in
 */
void ow_tasks_add (OwTasks *self,
                   const char *session_id,
                   const char *token_id,
                   const char *device,
                   const char *workspace_id,
                   const char *directory);

/**
 * ow_tasks_to_json:
 * @id: (nullable): one task, or %NULL for all, newest first
 * @token_id: (nullable): only tasks this token started; %NULL for every task
 *
 * Returns: (transfer full) (nullable): `{id, device, tokenId, workspace, directory, state,
 *   reason, createdAt, updatedAt}`, an array of them, or %NULL when @id is not a task
 *   @token_id may see
 */
JsonNode *ow_tasks_to_json (OwTasks *self, const char *id, const char *token_id);

/* The state of the task @session_id; %FALSE if it is not a task. */
gboolean ow_tasks_get_state (OwTasks *self, const char *session_id, OwTaskState *state);

G_END_DECLS
