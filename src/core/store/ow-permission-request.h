#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  OW_PERMISSION_REQUEST_WAITING,   /* for an answer */
  OW_PERMISSION_REQUEST_ANSWERING, /* an answer is on its way to the runtime */
  OW_PERMISSION_REQUEST_ANSWERED,  /* the runtime took an answer */
  OW_PERMISSION_REQUEST_GONE,      /* the runtime dropped it, or stopped */
} OwPermissionRequestState;

#define OW_TYPE_PERMISSION_REQUEST (ow_permission_request_get_type ())
G_DECLARE_FINAL_TYPE (OwPermissionRequest, ow_permission_request, OW, PERMISSION_REQUEST, GObject)

/**
 * ow_permission_request_new:
 * @properties: the runtime's `permission.asked` properties, checked to hold a string "id"
 * @directory: the folder of the event
 *
 * One request of the runtime's to use a tool. Its #OwPermissionRequest:state changes as
 * it is answered; everything else stays as the runtime asked it.
 */
OwPermissionRequest *ow_permission_request_new (JsonObject *properties, const char *directory);

const char *ow_permission_request_get_id (OwPermissionRequest *self);
/* The OpenCode session the request belongs to, or "" */
const char *ow_permission_request_get_session_id (OwPermissionRequest *self);
/* The permission asked for, e.g. "bash" or "edit", or "" */
const char *ow_permission_request_get_permission (OwPermissionRequest *self);
const char *ow_permission_request_get_directory (OwPermissionRequest *self);
/* What the tool will do, for a person: the command in full for bash, else the patterns,
 * one a line; "" when the runtime said neither. */
const char *ow_permission_request_get_summary (OwPermissionRequest *self);
gint64 ow_permission_request_get_asked_ms (OwPermissionRequest *self);
OwPermissionRequestState ow_permission_request_get_state (OwPermissionRequest *self);
/* Who answered, once answered (or while answering); %NULL before */
const char *ow_permission_request_get_answered_by (OwPermissionRequest *self);

/* The runtime's properties, for the HTTP edge (listing): `{id, sessionID, permission,
 * patterns, metadata, always, tool}` as the runtime sent them. */
JsonObject *ow_permission_request_get_properties (OwPermissionRequest *self);

/* For the broker: moves the request on, notifying #OwPermissionRequest:state. */
void ow_permission_request_set_state (OwPermissionRequest *self,
                                      OwPermissionRequestState state,
                                      const char *answered_by);

G_END_DECLS
