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
 * What waits for the host owner's yes or no: new devices, sensitive tool use. Each request
 * is answered once; whoever answers first (dialog, command line, owner client) wins.
 */
OwApprovals *ow_approvals_new (void);

/**
 * ow_approvals_add:
 * @kind: what is asked, e.g. "pairing"
 * @title: one line for a person
 * @details: (transfer none): more to show, as a JSON object
 *
 * Returns: (transfer full): the new request's id
 */
char *
ow_approvals_add (OwApprovals *self, const char *kind, const char *title, JsonObject *details);

/* Returns: (transfer full): the requests still waiting, as a JSON array of objects
 * `{id, kind, title, details, createdAt}`. */
JsonNode *ow_approvals_list (OwApprovals *self);

/**
 * ow_approvals_reply:
 *
 * Answers a waiting request and emits #OwApprovals::replied (@id, @allow). Unknown ids
 * are %OW_APPROVALS_ERROR_NOT_FOUND; answered ones %OW_APPROVALS_ERROR_ALREADY_ANSWERED.
 */
gboolean ow_approvals_reply (OwApprovals *self, const char *id, gboolean allow, GError **error);

G_END_DECLS
