#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OW_APPROVALS_ERROR (ow_approvals_error_quark ())

typedef enum
{
  OW_APPROVALS_ERROR_NOT_FOUND,
  OW_APPROVALS_ERROR_ALREADY_ANSWERED,
} OwApprovalsError;

GQuark ow_approvals_error_quark (void);

#define OW_TYPE_APPROVALS (ow_approvals_get_type ())
G_DECLARE_FINAL_TYPE (OwApprovals, ow_approvals, OW, APPROVALS, GObject)

/*
 * Remote writes that wait for the host owner's yes or no (a skill, a config patch), as
 * OpenWork's server holds them. Each request is answered once; whoever answers first
 * (dialog, command line, owner client) wins. Kept in memory only, as upstream does.
 */
OwApprovals *ow_approvals_new (void);

/**
 * ow_approvals_add:
 * @workspace_id: the workspace the write is for
 * @action: what is asked, in upstream's words, e.g. "skills.upsert", "config.patch"
 * @summary: one line for a person, e.g. "Upsert skill foo"
 * @paths: (nullable): the files it would change, absolute
 * @actor: (transfer none): who asks: `{type: "remote"|"host", clientId?, tokenHash?,
 *   scope?}`
 *
 * Returns: (transfer full): the new request's id
 */
char *ow_approvals_add (OwApprovals *self,
                        const char *workspace_id,
                        const char *action,
                        const char *summary,
                        const char *const *paths,
                        JsonObject *actor);

/* Returns: (transfer full): the requests still waiting, oldest first, as upstream's
 * `/approvals` items: `{id, workspaceId, action, summary, paths, createdAt, actor}`. */
JsonNode *ow_approvals_list (OwApprovals *self);

/**
 * ow_approvals_reply:
 *
 * Answers a waiting request and emits #OwApprovals::replied (@id, @allow). Unknown ids
 * are %OW_APPROVALS_ERROR_NOT_FOUND; answered ones %OW_APPROVALS_ERROR_ALREADY_ANSWERED.
 */
gboolean ow_approvals_reply (OwApprovals *self, const char *id, gboolean allow, GError **error);

G_END_DECLS
