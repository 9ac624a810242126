#pragma once

#include <json-glib/json-glib.h>

#include "ow-event-hub.h"
#include "ow-runtime-supervisor.h"
#include "ow-task.h"

G_BEGIN_DECLS

#define OW_TYPE_TASKS (ow_tasks_get_type ())
G_DECLARE_FINAL_TYPE (OwTasks, ow_tasks, OW, TASKS, GObject)

/**
 * ow_tasks_new:
 *
 * Every task the host knows, as a #GListModel of #OwTask, the newest first: each an
 * OpenCode session a device started in a workspace, with its state as the runtime's
 * events tell it (@hub) and as the runtime itself fares (@runtime: a runtime that stops
 * under a running task interrupts it). A task goes with its deleted session.
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

/* Returns: (transfer none) (nullable): the task of the session @session_id, if any */
OwTask *ow_tasks_lookup (OwTasks *self, const char *session_id);

/* The tasks under way (running, or waiting for a permission answer). */
guint ow_tasks_count_active (OwTasks *self);

G_END_DECLS
