#pragma once

#include <gtk/gtk.h>

#include "ow-host.h"

G_BEGIN_DECLS

#define OW_TYPE_PERMISSION_DIALOG (ow_permission_dialog_get_type ())
G_DECLARE_FINAL_TYPE (OwPermissionDialog, ow_permission_dialog, OW, PERMISSION_DIALOG, GtkWindow)

/* One window for the runtime's permission requests: it follows the host's
 * #OwPermissions, shows the oldest waiting request with a count of the others, and hides
 * when none is left. A request answered elsewhere leaves the queue by itself. */
OwPermissionDialog *ow_permission_dialog_new (GtkApplication *application, OwHost *host);

/* Shows the dialog if a request waits (after "Allow or deny" in a notification). */
void ow_permission_dialog_present (OwPermissionDialog *self);

G_END_DECLS
