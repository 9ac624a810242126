#include "config.h"

#include "ow-approval-view.h"
#include "ow-desktop-util.h"
#include "ow-workspace.h"

#include <glib/gi18n.h>

struct _OwApprovalView
{
  GtkBox parent_instance;

  OwHost *host;
  char *request_id; /* nullable */

  GtkImage *platform_icon;
  GtkLabel *title_label;
  GtkLabel *details_label;
  GtkComboBoxText *scope_combo;
  GtkLabel *scope_description;
  GtkBox *workspaces_box;
  GtkLabel *error_label;
  GtkButton *allow_button;
};

G_DEFINE_FINAL_TYPE (OwApprovalView, ow_approval_view, GTK_TYPE_BOX)

enum
{
  SIGNAL_DECIDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static OwScope
selected_scope (OwApprovalView *self)
{
  OwScope scope = OW_SCOPE_COLLABORATOR;

  ow_scope_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->scope_combo)), &scope);
  return scope;
}

static void
on_scope_changed (OwApprovalView *self)
{
  gtk_label_set_text (self->scope_description, ow_scope_description (selected_scope (self)));
}

/* The workspaces ticked; %NULL when all are, which also covers folders shared later. */
static GStrv
selected_workspaces (OwApprovalView *self, gboolean *none)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GList) children = gtk_container_get_children (GTK_CONTAINER (self->workspaces_box));
  gboolean all = TRUE;

  *none = TRUE;
  for (GList *l = children; l; l = l->next)
    {
      if (gtk_toggle_button_get_active (l->data))
        {
          g_strv_builder_add (builder, g_object_get_data (l->data, "ow-workspace-id"));
          *none = FALSE;
        }
      else
        all = FALSE;
    }
  return all ? NULL : g_strv_builder_end (builder);
}

static void
show_error (OwApprovalView *self, const char *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (GTK_WIDGET (self->error_label));
}

static void
on_allow_clicked (OwApprovalView *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OwDevice) device = NULL;
  g_auto (GStrv) workspaces = NULL;
  g_autofree char *id = NULL;
  gboolean none;

  if (self->request_id == NULL)
    return;
  workspaces = selected_workspaces (self, &none);
  if (none)
    {
      show_error (self, _("Choose at least one workspace, or deny the request."));
      return;
    }
  /* Taken first, so that the pairing's own "request-decided" is not reported twice. */
  id = g_steal_pointer (&self->request_id);
  if (!ow_pairing_approve (ow_host_get_pairing (self->host), id, selected_scope (self),
                           (const char *const *) workspaces, &device, &error))
    {
      self->request_id = g_steal_pointer (&id);
      show_error (self, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_DECIDED], 0, id, TRUE, device);
}

static void
on_deny_clicked (OwApprovalView *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_steal_pointer (&self->request_id);

  if (id == NULL)
    return;
  if (!ow_pairing_deny (ow_host_get_pairing (self->host), id, &error))
    {
      self->request_id = g_steal_pointer (&id);
      show_error (self, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_DECIDED], 0, id, FALSE, NULL);
}

/* Answered elsewhere (the command line, another window) or given up by the device. */
static void
on_request_decided (OwPairing *pairing, const char *id, gboolean approved, OwApprovalView *self)
{
  if (g_strcmp0 (id, self->request_id) == 0)
    g_signal_emit (self, signals[SIGNAL_DECIDED], 0, id, approved, NULL);
}

static void
fill_workspaces (OwApprovalView *self)
{
  GPtrArray *workspaces = ow_host_get_workspaces (self->host);

  ow_container_clear (GTK_CONTAINER (self->workspaces_box));
  for (guint i = 0; i < workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (workspaces, i);
      GtkWidget *check = gtk_check_button_new_with_label (workspace->path);

      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (check), TRUE);
      g_object_set_data_full (G_OBJECT (check), "ow-workspace-id", g_strdup (workspace->id),
                              g_free);
      gtk_widget_show (check);
      gtk_container_add (GTK_CONTAINER (self->workspaces_box), check);
    }
}

gboolean
ow_approval_view_set_request (OwApprovalView *self, const char *id)
{
  OwPairingRequest *request;
  g_autofree char *title = NULL;
  g_autofree char *details = NULL;
  g_autofree char *when = NULL;
  const char *method;
  const char *platform;

  g_return_val_if_fail (OW_IS_APPROVAL_VIEW (self), FALSE);

  request = ow_pairing_lookup_request (ow_host_get_pairing (self->host), id);
  if (request == NULL)
    return FALSE;

  g_free (self->request_id);
  self->request_id = g_strdup (id);

  /* TRANSLATORS: %s is the name a phone or laptop gives itself */
  title =
    g_strdup_printf (_("“%s” wants to use this computer"), ow_pairing_request_get_name (request));
  method = ow_pairing_request_get_method (request);
  platform = ow_pairing_request_get_platform (request);
  when = ow_format_time_ago (ow_pairing_request_get_requested_at (request));
  /* TRANSLATORS: platform · how it paired · network address · when */
  details =
    g_strdup_printf (_("%s · %s · from %s · asked %s"), ow_platform_display_name (platform),
                        g_strcmp0 (method, "secret") == 0 ? _("scanned the QR code")
                                                          : g_strcmp0 (method, "grant") == 0
                        ? _("used a one-time link")
                        : _("entered the code"), ow_pairing_request_get_address (request), when);

  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->details_label, details);
  gtk_image_set_from_icon_name (self->platform_icon,
                                g_strcmp0 (platform, "linux") == 0 ||
                                    g_strcmp0 (platform, "macos") == 0 ||
                                    g_strcmp0 (platform, "windows") == 0
                                  ? "computer-symbolic"
                                  : "phone-symbolic",
                                GTK_ICON_SIZE_DIALOG);
  /* What approving it without changes gives. */
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->scope_combo),
                               ow_scope_to_string (OW_SCOPE_COLLABORATOR));
  fill_workspaces (self);
  gtk_widget_hide (GTK_WIDGET (self->error_label));
  gtk_widget_grab_focus (GTK_WIDGET (self->allow_button));
  return TRUE;
}

const char *
ow_approval_view_get_request (OwApprovalView *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL_VIEW (self), NULL);
  return self->request_id;
}

static void
ow_approval_view_dispose (GObject *object)
{
  OwApprovalView *self = OW_APPROVAL_VIEW (object);

  if (self->host)
    g_signal_handlers_disconnect_by_data (ow_host_get_pairing (self->host), self);
  g_clear_object (&self->host);
  g_clear_pointer (&self->request_id, g_free);

  G_OBJECT_CLASS (ow_approval_view_parent_class)->dispose (object);
}

static void
ow_approval_view_class_init (OwApprovalViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_approval_view_dispose;

  /**
   * OwApprovalView::decided:
   * @id: the request
   * @approved: whether the device was allowed
   * @device: (nullable): the new device, when allowed here
   */
  signals[SIGNAL_DECIDED] =
    g_signal_new ("decided", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_BOOLEAN, OW_TYPE_DEVICE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/openwork/Host/ow-approval-view.ui");
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, platform_icon);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, title_label);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, details_label);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, scope_combo);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, scope_description);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, workspaces_box);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, error_label);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalView, allow_button);
  gtk_widget_class_bind_template_callback (widget_class, on_scope_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_allow_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_deny_clicked);
}

static void
ow_approval_view_init (OwApprovalView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (OwScope scope = OW_SCOPE_VIEWER; scope <= OW_SCOPE_OWNER; scope++)
    gtk_combo_box_text_append (self->scope_combo, ow_scope_to_string (scope),
                               ow_scope_display_name (scope));
}

GtkWidget *
ow_approval_view_new (OwHost *host)
{
  OwApprovalView *self = g_object_new (OW_TYPE_APPROVAL_VIEW, NULL);

  self->host = g_object_ref (host);
  g_signal_connect_object (ow_host_get_pairing (host), "request-decided",
                           G_CALLBACK (on_request_decided), self, 0);
  return GTK_WIDGET (self);
}
