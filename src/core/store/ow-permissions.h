#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ow-event-hub.h"
#include "ow-permission-request.h"
#include "ow-runtime-supervisor.h"

G_BEGIN_DECLS

#define OW_PERMISSIONS_ERROR (ow_permissions_error_quark ())

typedef enum
{
  OW_PERMISSIONS_ERROR_NOT_FOUND,
  OW_PERMISSIONS_ERROR_ALREADY_ANSWERED,
  OW_PERMISSIONS_ERROR_INVALID,
  OW_PERMISSIONS_ERROR_RUNTIME, /* the runtime did not take the answer */
} OwPermissionsError;

GQuark ow_permissions_error_quark (void);

#define OW_TYPE_PERMISSIONS (ow_permissions_get_type ())
G_DECLARE_FINAL_TYPE (OwPermissions, ow_permissions, OW, PERMISSIONS, GObject)

/**
 * ow_permissions_new:
 * @audit_path: the audit log, where every answer is recorded (JSON lines, appended)
 *
 * The permission broker. Each `permission.asked` of the runtime is offered to the host
 * (#OwPermissions::asked) while clients see it in their event streams. The first answer,
 * from wherever it comes, goes to the runtime; a later one is
 * %OW_PERMISSIONS_ERROR_ALREADY_ANSWERED, and #OwPermissions::withdrawn tells every
 * other place that asks to stop asking. Nothing is ever answered for anyone: a request
 * waits until someone answers or the runtime stops.
 */
OwPermissions *
ow_permissions_new (OwEventHub *hub, OwRuntimeSupervisor *runtime, const char *audit_path);

/* Returns: (transfer full): the requests waiting, oldest first: `{id, sessionID,
 * permission, patterns, metadata, always, tool, directory, askedAt}` */
JsonNode *ow_permissions_list (OwPermissions *self);

/* Returns: (transfer none) (nullable): the request @id while it waits or is being answered */
OwPermissionRequest *ow_permissions_lookup (OwPermissions *self, const char *id);

/* Returns: (transfer container): the requests waiting or being answered, oldest first */
GPtrArray *ow_permissions_get_waiting (OwPermissions *self);

/**
 * ow_permissions_reply_async:
 * @reply: "once", "always" or "reject"
 * @who: who answers, for the audit log and the others (a device's or person's name)
 * @who_id: their token id, or "control" for the host's own user
 *
 * Answers the request @id. It is answered only once the runtime takes the answer; until
 * then its state is %OW_PERMISSION_REQUEST_ANSWERING and other answers are refused as
 * already answered. If the runtime does not take it, the request waits again (its state
 * says so) and the error is %OW_PERMISSIONS_ERROR_RUNTIME.
 */
void ow_permissions_reply_async (OwPermissions *self,
                                 const char *id,
                                 const char *reply,
                                 const char *who,
                                 const char *who_id,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);

gboolean ow_permissions_reply_finish (OwPermissions *self, GAsyncResult *result, GError **error);

G_END_DECLS
