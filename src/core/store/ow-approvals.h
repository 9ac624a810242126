#pragma once

#include <gio/gio.h>

#include "ow-approval.h"

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
 * OpenWork's server holds them: a #GListModel of #OwApproval, the oldest first. Each is
 * answered once, and leaves the model then; whoever answers first (dialog, command line,
 * owner client) wins. Kept in memory only, as upstream does.
 */
OwApprovals *ow_approvals_new (void);

/**
 * ow_approvals_add:
 *
 * Holds a new request; see ow_approval_new() for the arguments.
 *
 * Returns: (transfer none): the request, in the model
 */
OwApproval *ow_approvals_add (OwApprovals *self,
                              const char *workspace_id,
                              const char *action,
                              const char *summary,
                              const char *const *paths,
                              const OwApprovalActor *actor);

/* Returns: (transfer none) (nullable): the waiting request @id */
OwApproval *ow_approvals_lookup (OwApprovals *self, const char *id);

/**
 * ow_approvals_reply:
 *
 * Answers a waiting request, which leaves the model, and emits #OwApprovals::replied
 * (@id, @allow). Unknown ids
 * are %OW_APPROVALS_ERROR_NOT_FOUND; answered ones %OW_APPROVALS_ERROR_ALREADY_ANSWERED.
 */
gboolean ow_approvals_reply (OwApprovals *self, const char *id, gboolean allow, GError **error);

G_END_DECLS
