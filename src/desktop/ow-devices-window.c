#include "config.h"

#include "ow-devices-window.h"
#include "ow-desktop-util.h"

#include <glib/gi18n.h>

struct _OwDevicesWindow
{
  GtkWindow parent_instance;

  OwHost *host;

  GtkStack *stack;
  GtkListBox *list;
};

G_DEFINE_FINAL_TYPE (OwDevicesWindow, ow_devices_window, GTK_TYPE_WINDOW)

static void refresh (OwDevicesWindow *self);

static void
on_revoke_clicked (GtkButton *button, OwDevicesWindow *self)
{
  /* Copies: the list may be rebuilt while the question is open. */
  g_autofree char *id = g_strdup (g_object_get_data (G_OBJECT (button), "ow-device-id"));
  g_autofree char *name = g_strdup (g_object_get_data (G_OBJECT (button), "ow-device-name"));
  g_autoptr (GError) error = NULL;
  GtkWidget *dialog;
  int response;

  dialog =
    gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                            GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                            /* TRANSLATORS: %s is a device's name */
                            _("Revoke “%s”?"), name);
  gtk_message_dialog_format_secondary_text (
    GTK_MESSAGE_DIALOG (dialog),
    _("It is disconnected at once and can no longer reach this computer. To use it again, pair "
      "it again."));
  gtk_window_set_title (GTK_WINDOW (dialog), _("Revoke Device"));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_style_context_add_class (gtk_widget_get_style_context (
    gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Revoke"), GTK_RESPONSE_ACCEPT)),
    "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  ow_check_layout_when_shown (GTK_WINDOW (dialog));
  response = gtk_dialog_run (GTK_DIALOG (dialog));
  gtk_widget_destroy (dialog);
  if (response != GTK_RESPONSE_ACCEPT)
    return;

  if (!ow_device_registry_revoke (ow_host_get_devices (self->host), id, &error))
    {
      GtkWidget *failed =
        gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL, GTK_MESSAGE_ERROR,
                                GTK_BUTTONS_CLOSE, _("The device could not be revoked"));
      gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (failed), "%s", error->message);
      gtk_dialog_run (GTK_DIALOG (failed));
      gtk_widget_destroy (failed);
    }
}

/* platform · access · when it was last seen */
static void
show_details (OwDevice *device, GParamSpec *pspec, GtkLabel *details)
{
  g_autofree char *seen = ow_format_time_ago (ow_device_get_last_seen_at (device));
  g_autofree char *text = NULL;

  /* TRANSLATORS: platform · access · "last seen 5 minutes ago" */
  text = g_strdup_printf (_("%s · %s · last seen %s"),
                             ow_platform_display_name (ow_device_get_platform (device)),
                             ow_scope_display_name (ow_device_get_scope (device)), seen);
  gtk_label_set_text (details, text);
}

static GtkWidget *
make_row (OwDevicesWindow *self, OwDevice *device)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *icon, *name, *details, *revoke;
  const char *platform = ow_device_get_platform (device);
  g_autofree char *revoke_name = NULL;
  gboolean computer = g_strcmp0 (platform, "linux") == 0 || g_strcmp0 (platform, "macos") == 0 ||
                      g_strcmp0 (platform, "windows") == 0;

  g_object_set (box, "margin", 12, NULL);
  icon = gtk_image_new_from_icon_name (computer ? "computer-symbolic" : "phone-symbolic",
                                       GTK_ICON_SIZE_DND);
  name = gtk_label_new (ow_device_get_name (device));
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_style_context_add_class (gtk_widget_get_style_context (name), "ow-may-ellipsize");
  {
    PangoAttrList *bold = pango_attr_list_new ();

    pango_attr_list_insert (bold, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
    gtk_label_set_attributes (GTK_LABEL (name), bold);
    pango_attr_list_unref (bold);
  }
  details = gtk_label_new (NULL);
  show_details (device, NULL, GTK_LABEL (details));
  g_signal_connect_object (device, "notify::last-seen-at", G_CALLBACK (show_details), details, 0);
  gtk_label_set_xalign (GTK_LABEL (details), 0);
  gtk_label_set_line_wrap (GTK_LABEL (details), TRUE);
  gtk_style_context_add_class (gtk_widget_get_style_context (details), "dim-label");

  revoke = gtk_button_new_with_mnemonic (_("_Revoke…"));
  gtk_widget_set_valign (revoke, GTK_ALIGN_CENTER);
  /* TRANSLATORS: the accessible name of a device's Revoke button */
  revoke_name = g_strdup_printf (_("Revoke %s"), ow_device_get_name (device));
  atk_object_set_name (gtk_widget_get_accessible (revoke), revoke_name);
  g_object_set_data_full (G_OBJECT (revoke), "ow-device-id", g_strdup (ow_device_get_id (device)),
                          g_free);
  g_object_set_data_full (G_OBJECT (revoke), "ow-device-name",
                          g_strdup (ow_device_get_name (device)), g_free);
  g_signal_connect (revoke, "clicked", G_CALLBACK (on_revoke_clicked), self);

  gtk_box_pack_start (GTK_BOX (text), name, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (text), details, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), icon, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), text, TRUE, TRUE, 0);
  gtk_box_pack_end (GTK_BOX (box), revoke, FALSE, FALSE, 0);
  gtk_container_add (GTK_CONTAINER (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_show_all (row);
  return row;
}

static void
refresh (OwDevicesWindow *self)
{
  GListModel *devices = G_LIST_MODEL (ow_host_get_devices (self->host));
  guint n_devices = g_list_model_get_n_items (devices);

  ow_container_clear (GTK_CONTAINER (self->list));
  /* Newest first: the one just paired is the one looked for. */
  for (guint i = n_devices; i > 0; i--)
    {
      g_autoptr (OwDevice) device = g_list_model_get_item (devices, i - 1);

      gtk_container_add (GTK_CONTAINER (self->list), make_row (self, device));
    }
  gtk_stack_set_visible_child_name (self->stack, n_devices ? "list" : "empty");
}

static void
ow_devices_window_dispose (GObject *object)
{
  OwDevicesWindow *self = OW_DEVICES_WINDOW (object);

  if (self->host)
    g_signal_handlers_disconnect_by_data (ow_host_get_devices (self->host), self);
  g_clear_object (&self->host);

  G_OBJECT_CLASS (ow_devices_window_parent_class)->dispose (object);
}

static void
ow_devices_window_class_init (OwDevicesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_devices_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/openwork/Host/ow-devices-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OwDevicesWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, OwDevicesWindow, list);
}

static void
ow_devices_window_init (OwDevicesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ow_check_layout_when_shown (GTK_WINDOW (self));
}

OwDevicesWindow *
ow_devices_window_new (GtkApplication *application, OwHost *host)
{
  OwDevicesWindow *self = g_object_new (OW_TYPE_DEVICES_WINDOW, "application", application, NULL);

  self->host = g_object_ref (host);
  g_signal_connect_object (ow_host_get_devices (host), "items-changed", G_CALLBACK (refresh), self,
                           G_CONNECT_SWAPPED);
  refresh (self);
  return self;
}
