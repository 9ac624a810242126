#pragma once

#include <gtk/gtk.h>

#include "ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_APPROVAL_VIEW (ow_approval_view_get_type ())
G_DECLARE_FINAL_TYPE (OwApprovalView, ow_approval_view, OW, APPROVAL_VIEW, GtkBox)

/* A device asking to pair: who it is, the access it would get (editable), Deny and Allow.
 * Answers through the host's #OwPairing and emits "decided" (request id, allowed, the new
 * device or %NULL) once the answer is given, whoever gave it. */
GtkWidget *ow_approval_view_new (OwHost *host);

/* Shows the pending request @id; %FALSE if it is no longer waiting. */
gboolean ow_approval_view_set_request (OwApprovalView *self, const char *id);
const char *ow_approval_view_get_request (OwApprovalView *self);

G_END_DECLS
