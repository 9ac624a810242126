#pragma once

#include <gtk/gtk.h>

#include "ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_APPROVAL_DIALOG (ow_approval_dialog_get_type ())
G_DECLARE_FINAL_TYPE (OwApprovalDialog, ow_approval_dialog, OW, APPROVAL_DIALOG, GtkWindow)

/* The pairing requests that wait for the owner, one at a time, oldest first. */
OwApprovalDialog *ow_approval_dialog_new (GtkApplication *application, OwHost *host);

/* Queues the request @id and shows the dialog. */
void ow_approval_dialog_add (OwApprovalDialog *self, const char *id);

G_END_DECLS
