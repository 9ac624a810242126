#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Who asks for a write, as OpenWork's server names an approval's actor. */
typedef struct
{
  const char *type;       /* "remote" (a device) or "host" (this computer) */
  const char *client_id;  /* nullable: what the client calls itself (X-OpenWork-Client-Id) */
  const char *token_hash; /* nullable: SHA-256 of its token, in hex */
  const char *scope;      /* nullable: its token's scope */
} OwApprovalActor;

#define OW_TYPE_APPROVAL (ow_approval_get_type ())
G_DECLARE_FINAL_TYPE (OwApproval, ow_approval, OW, APPROVAL, GObject)

/**
 * ow_approval_new:
 * @id: the request's id
 * @workspace_id: the workspace the write is for
 * @action: what is asked, in upstream's words, e.g. "skills.upsert", "config.patch"
 * @summary: one line for a person, e.g. "Upsert skill foo"
 * @paths: (nullable): the files it would change, absolute
 * @actor: who asks
 *
 * A remote write waiting for the host owner's yes or no. Nothing of it changes once made.
 */
OwApproval *ow_approval_new (const char *id,
                             const char *workspace_id,
                             const char *action,
                             const char *summary,
                             const char *const *paths,
                             const OwApprovalActor *actor);

const char *ow_approval_get_id (OwApproval *self);
const char *ow_approval_get_workspace_id (OwApproval *self);
const char *ow_approval_get_action (OwApproval *self);
const char *ow_approval_get_summary (OwApproval *self);
/* Never %NULL; empty when the write names no file */
const char *const *ow_approval_get_paths (OwApproval *self);
/* Unix time in ms */
gint64 ow_approval_get_created_at (OwApproval *self);
/* Its members stay valid as long as @self */
const OwApprovalActor *ow_approval_get_actor (OwApproval *self);

G_END_DECLS
