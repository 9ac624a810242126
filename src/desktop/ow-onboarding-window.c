#include "config.h"

#include "ow-onboarding-window.h"
#include "ow-approval-view.h"
#include "ow-desktop-util.h"
#include "ow-qr-view.h"
#include "ow-net.h"
#include "ow-workspace.h"

#include <glib/gi18n.h>

struct _OwOnboardingWindow
{
  GtkWindow parent_instance;

  OwHost *host;
  gint64 expires_ms;
  gboolean locked; /* the offer took its wrong codes */
  guint countdown_id;
  char *device_name; /* of the request being approved */

  GtkStack *stack;
  GtkImage *runtime_icon;
  GtkLabel *runtime_label;
  GtkLabel *workspaces_label;
  GtkLabel *setup_error;
  GtkWidget *continue_button;
  OwQrView *qr_view;
  GtkLabel *code_label;
  GtkLabel *locked_label;
  GtkLabel *countdown_label;
  GtkWidget *new_code_button;
  GtkLabel *addresses_label;
  GtkLabel *fingerprint_label;
  GtkSpinner *waiting_spinner;
  GtkBox *approve_page;
  OwApprovalView *approval;
  GtkLabel *done_title;
  GtkLabel *done_summary;
  GtkWidget *done_button;

  /* The OpenWork app's way: access, then a link the owner agrees to */
  GtkToggleButton *way_app;
  GtkToggleButton *way_client;
  GtkStack *way_stack;
  GtkSwitch *app_switch;
  GtkLabel *app_state_label;
  GtkLabel *app_error;
  GtkWidget *app_options;
  OwQrView *app_qr;
  GtkComboBoxText *app_scope;
  GtkComboBoxText *app_folders;
  GtkLabel *app_hint;
  GtkWidget *show_link_button;
  GtkWidget *copy_link_button;
  GtkLabel *app_countdown;
  char *app_link;          /* the link shown, until used, expired or changed */
  gint64 app_expires_ms;   /* when it stops working */
  gboolean showing_access; /* the switch follows the host: no switching back */
};

G_DEFINE_FINAL_TYPE (OwOnboardingWindow, ow_onboarding_window, GTK_TYPE_WINDOW)

/* Step 1: the runtime and the folders */

static void
show_runtime (OwOnboardingWindow *self)
{
  OwRuntimeSupervisor *runtime = ow_host_get_supervisor (self->host);
  OwRuntimeState state = ow_runtime_supervisor_get_state (runtime);
  const char *error = ow_runtime_supervisor_get_last_error (runtime);
  g_autofree char *text = NULL;
  const char *icon;

  switch (state)
    {
    case OW_RUNTIME_STATE_RUNNING:
      icon = "emblem-ok-symbolic";
      /* TRANSLATORS: OpenCode <version> … <path of the program> */
      text = g_strdup_printf (_("OpenCode %s is installed and running.\n%s"),
                                 ow_runtime_supervisor_get_version (runtime),
                                 ow_host_get_runtime_binary (self->host));
      break;
    case OW_RUNTIME_STATE_FAILED:
    case OW_RUNTIME_STATE_STOPPED:
      icon = "dialog-error-symbolic";
      /* TRANSLATORS: %s the reason, then the version to install */
      text = g_strdup_printf (
        _("OpenCode does not start: %s\nInstall OpenCode %s again with "
                                "“npm install -g opencode-ai@%s”, then restart OpenWork Host."),
           error ? error : _("no reason given"), OW_OPENCODE_VERSION, OW_OPENCODE_VERSION);
      break;
    case OW_RUNTIME_STATE_STARTING:
    case OW_RUNTIME_STATE_RESTARTING:
    default:
      icon = "content-loading-symbolic";
      text =
        g_strdup_printf (_("Starting OpenCode…\n%s"), ow_host_get_runtime_binary (self->host));
      break;
    }
  gtk_image_set_from_icon_name (self->runtime_icon, icon, GTK_ICON_SIZE_LARGE_TOOLBAR);
  gtk_label_set_text (self->runtime_label, text);
}

static void
show_workspaces (OwOnboardingWindow *self)
{
  GPtrArray *workspaces = ow_host_get_workspaces (self->host);
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < workspaces->len; i++)
    g_string_append_printf (text, "%s%s", i ? "\n" : "",
                            ((OwWorkspace *) g_ptr_array_index (workspaces, i))->path);
  gtk_label_set_text (self->workspaces_label, text->str);
}

static void fill_app_choices (OwOnboardingWindow *self);

static void
on_folder_response (GtkNativeDialog *chooser, int response, OwOnboardingWindow *self)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
  g_object_unref (chooser);
  if (path == NULL)
    return;
  if (!ow_host_add_workspace (self->host, path, &error))
    {
      gtk_label_set_text (self->setup_error, error->message);
      gtk_widget_show (GTK_WIDGET (self->setup_error));
      return;
    }
  gtk_widget_hide (GTK_WIDGET (self->setup_error));
  show_workspaces (self);
  fill_app_choices (self);
}

static void
on_folder_clicked (OwOnboardingWindow *self)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (
    _("Choose a Folder to Share"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
       _("_Share"), _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (on_folder_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Step 2: the offer */

static void
show_countdown (OwOnboardingWindow *self)
{
  gint64 left = (self->expires_ms - g_get_real_time () / 1000 + 999) / 1000;
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->locked_label), self->locked);
  if (self->locked)
    {
      /* TRANSLATORS: the pairing code took its three wrong tries */
      gtk_label_set_text (self->countdown_label, _("Locked"));
      return;
    }

  /* TRANSLATORS: minutes:seconds until the code expires */
  text =
    g_strdup_printf (_("Expires in %d:%02d"), (int) MAX (left, 0) / 60, (int) MAX (left, 0) % 60);
  gtk_label_set_text (self->countdown_label, text);
}

static void show_offer (OwOnboardingWindow *self, gboolean renew);
static void show_app_link (OwOnboardingWindow *self);
static void show_access (OwOnboardingWindow *self);

static gboolean
on_countdown (gpointer user_data)
{
  OwOnboardingWindow *self = user_data;

  if (g_get_real_time () / 1000 >= self->expires_ms)
    show_offer (self, FALSE); /* the host makes a new offer for the expired one */
  else
    show_countdown (self);
  show_app_link (self);
  return G_SOURCE_CONTINUE;
}

static void
show_offer (OwOnboardingWindow *self, gboolean renew)
{
  OwPairing *pairing = ow_host_get_pairing (self->host);
  const OwPairingOffer *offer =
    renew ? ow_pairing_renew_offer (pairing) : ow_pairing_get_offer (pairing, TRUE);
  g_autofree char *uri = ow_host_dup_offer_uri (self->host, offer);
  g_auto (GStrv) addresses = ow_net_usable_addresses ();
  guint port = ow_host_get_port (self->host);
  g_autofree char *spaced =
    g_strdup_printf ("%.3s %s", offer->code, offer->code + MIN (strlen (offer->code), 3));
  g_autoptr (GString) address_text = g_string_new (NULL);
  g_autofree char *fingerprint = NULL;

  ow_qr_view_set_text (self->qr_view, uri);
  gtk_label_set_text (self->code_label, spaced);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->code_label)), offer->code);
  self->expires_ms = offer->expires_ms;
  self->locked = ow_pairing_get_offer_locked (pairing);
  show_countdown (self);

  for (guint i = 0; addresses[i]; i++)
    g_string_append_printf (address_text, strchr (addresses[i], ':') ? "%s[%s]:%u" : "%s%s:%u",
                            i ? "\n" : "", addresses[i], port);
  if (address_text->len == 0)
    g_string_append (address_text, _("No network: connect this computer to a network first."));
  gtk_label_set_text (self->addresses_label, address_text->str);
  /* TRANSLATORS: %s is the host's certificate fingerprint */
  fingerprint = g_strdup_printf (_("Fingerprint %s"), ow_host_get_fingerprint (self->host));
  gtk_label_set_text (self->fingerprint_label, fingerprint);
}

static void
on_offer_changed (OwOnboardingWindow *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "code") == 0)
    show_offer (self, FALSE);
}

static void
go_to_code (OwOnboardingWindow *self, gboolean renew)
{
  show_offer (self, renew);
  show_access (self);
  gtk_stack_set_visible_child_name (self->stack, "code");
  gtk_spinner_start (self->waiting_spinner);
  if (self->countdown_id == 0)
    self->countdown_id = g_timeout_add_seconds (1, on_countdown, self);
  gtk_widget_grab_focus (gtk_toggle_button_get_active (self->way_app) ? self->show_link_button
                                                                      : self->new_code_button);
}

static void
on_continue_clicked (OwOnboardingWindow *self)
{
  go_to_code (self, FALSE);
}

static void
on_new_code_clicked (OwOnboardingWindow *self)
{
  show_offer (self, TRUE);
}

/* Step 2, the OpenWork app's way: access on, then a link for one device */

static void
forget_link (OwOnboardingWindow *self)
{
  g_clear_pointer (&self->app_link, g_free);
  ow_qr_view_set_text (self->app_qr, NULL);
}

static void
show_app_link (OwOnboardingWindow *self)
{
  gint64 left = (self->app_expires_ms - g_get_real_time () / 1000 + 999) / 1000;
  g_autofree char *countdown = NULL;

  if (self->app_link != NULL && left <= 0)
    {
      forget_link (self);
      gtk_label_set_text (self->app_countdown, _("The link expired. Show a new one when the "
                                                 "device is ready."));
    }
  else if (self->app_link != NULL)
    {
      /* TRANSLATORS: minutes:seconds until the link stops working */
      countdown = g_strdup_printf (_("Waiting for the app… the link expires in %d:%02d"),
                                      (int) left / 60, (int) left % 60);
      gtk_label_set_text (self->app_countdown, countdown);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->app_qr), self->app_link != NULL);
  gtk_widget_set_sensitive (self->copy_link_button, self->app_link != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->app_countdown),
                          self->app_link != NULL ||
                            *gtk_label_get_text (self->app_countdown) != '\0');
}

static void
show_access (OwOnboardingWindow *self)
{
  g_autofree char *url = ow_host_dup_openwork_app_url (self->host);
  g_autofree char *state = NULL;
  guint port = ow_host_get_openwork_app_port (self->host);
  const char *why = ow_host_get_openwork_app_error (self->host);

  self->showing_access = TRUE;
  gtk_switch_set_active (self->app_switch, port != 0);
  self->showing_access = FALSE;

  if (port != 0)
    /* TRANSLATORS: %s is the address the app connects to */
    state = g_strdup_printf (_("On: the app connects to %s"), url);
  else if (url != NULL)
    /* TRANSLATORS: %s is an https:// address in front of this computer */
    state = g_strdup_printf (_("Through %s only"), url);
  else
    state = g_strdup (_("Off"));
  gtk_label_set_text (self->app_state_label, state);
  if (why != NULL && port == 0)
    {
      gtk_label_set_text (self->app_error, why);
      gtk_widget_show (GTK_WIDGET (self->app_error));
    }
  gtk_widget_set_sensitive (self->app_options, url != NULL);
  if (url == NULL)
    forget_link (self);
  show_app_link (self);
}

static void
on_app_switch_active (OwOnboardingWindow *self)
{
  g_autoptr (GError) error = NULL;

  if (self->showing_access)
    return;
  gtk_widget_hide (GTK_WIDGET (self->app_error));
  if (!ow_host_set_openwork_app_access (self->host, gtk_switch_get_active (self->app_switch),
                                        &error))
    {
      gtk_label_set_text (self->app_error, error->message);
      gtk_widget_show (GTK_WIDGET (self->app_error));
    }
  show_access (self);
}

/* A link shown was for the choices made: other choices need a new one. */
static void
on_app_choice_changed (OwOnboardingWindow *self)
{
  if (self->app_link == NULL)
    return;
  forget_link (self);
  gtk_label_set_text (self->app_countdown, "");
  show_app_link (self);
}

static void
on_show_link_clicked (OwOnboardingWindow *self)
{
  const char *folder = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->app_folders));
  const char *workspaces[] = { folder, NULL };
  g_autoptr (GError) error = NULL;
  OwScope scope = OW_SCOPE_COLLABORATOR;

  ow_scope_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->app_scope)), &scope);
  g_free (self->app_link);
  /* Showing the link is the owner's consent: the first device to use it is in. */
  self->app_link = ow_host_invite_openwork_app (
    self->host, scope, folder && *folder ? workspaces : NULL, &self->app_expires_ms, &error);
  if (self->app_link == NULL)
    {
      gtk_label_set_text (self->app_error, error->message);
      gtk_widget_show (GTK_WIDGET (self->app_error));
    }
  ow_qr_view_set_text (self->app_qr, self->app_link);
  show_app_link (self);
  if (self->countdown_id == 0)
    self->countdown_id = g_timeout_add_seconds (1, on_countdown, self);
}

static void
on_copy_link_clicked (OwOnboardingWindow *self)
{
  if (self->app_link != NULL)
    gtk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD),
                            self->app_link, -1);
}

static void
fill_app_choices (OwOnboardingWindow *self)
{
  GPtrArray *workspaces = ow_host_get_workspaces (self->host);
  g_autofree char *hint = NULL;
  guint minutes =
    MAX (1, (ow_pairing_get_code_lifetime_s (ow_host_get_pairing (self->host)) + 59) / 60);

  gtk_combo_box_text_remove_all (self->app_folders);
  gtk_combo_box_text_append (self->app_folders, "", _("All shared folders"));
  for (guint i = 0; i < workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (workspaces, i);
      g_autofree char *name = g_path_get_basename (workspace->path);

      gtk_combo_box_text_append (self->app_folders, workspace->id, name);
    }
  gtk_combo_box_set_active (GTK_COMBO_BOX (self->app_folders), 0);
  /* TRANSLATORS: %u is a number of minutes */
  hint = g_strdup_printf (
    g_dngettext (GETTEXT_PACKAGE,
                 "The link lets one device in at once, without asking you again, for %u minute. "
                 "You will see which device used it, and can revoke it.",
                 "The link lets one device in at once, without asking you again, for %u "
                 "minutes. You will see which device used it, and can revoke it.",
                 minutes),
    minutes);
  gtk_label_set_text (self->app_hint, hint);
}

static void
on_way_toggled (OwOnboardingWindow *self)
{
  gboolean app = gtk_toggle_button_get_active (self->way_app);

  gtk_stack_set_visible_child_name (self->way_stack, app ? "app" : "client");
  if (app)
    show_access (self);
}

/* Step 3 and 4: approval and done */

static void
stop_waiting (OwOnboardingWindow *self)
{
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  gtk_spinner_stop (self->waiting_spinner);
}

static void
show_done (OwOnboardingWindow *self, OwDevice *device)
{
  g_autofree char *title = NULL;
  g_autofree char *summary = NULL;
  g_autoptr (GString) folders = g_string_new (NULL);
  GPtrArray *workspaces = ow_host_get_workspaces (self->host);

  for (guint i = 0; i < workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (workspaces, i);

      if (device && ow_device_get_workspaces (device) &&
          !g_strv_contains (ow_device_get_workspaces (device), workspace->id))
        continue;
      g_string_append_printf (folders, "\n    %s", workspace->path);
    }

  /* TRANSLATORS: %s is the device's name */
  title = g_strdup_printf (_("“%s” is paired"),
                              device ? ow_device_get_name (device) : self->device_name);
  if (device)
    summary = g_strdup_printf (
      /* TRANSLATORS: the access, what it means, then the folders, one per line */
      _("Access: %s. %s\nFolders it may work in:%s\n\nCommands and file changes it starts "
        "ask you here first. You can revoke it any time under Devices."),
         ow_scope_display_name (ow_device_get_scope (device)),
         ow_scope_description (ow_device_get_scope (device)), folders->str);
  else
    summary = g_strdup (_("It was approved elsewhere. You can see and revoke it under Devices."));
  gtk_label_set_text (self->done_title, title);
  gtk_label_set_text (self->done_summary, summary);
  gtk_stack_set_visible_child_name (self->stack, "done");
  gtk_widget_grab_focus (self->done_button);
}

static void
on_decided (OwApprovalView *view,
            const char *id,
            gboolean approved,
            OwDevice *device,
            OwOnboardingWindow *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "approve") != 0)
    return;
  if (approved)
    show_done (self, device);
  else
    go_to_code (self, FALSE);
}

gboolean
ow_onboarding_window_take_request (OwOnboardingWindow *self, const char *id)
{
  OwPairingRequest *request;

  g_return_val_if_fail (OW_IS_ONBOARDING_WINDOW (self), FALSE);

  if (!gtk_widget_get_visible (GTK_WIDGET (self)) ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "code") != 0 ||
      !ow_approval_view_set_request (self->approval, id))
    return FALSE;

  request = ow_pairing_lookup_request (ow_host_get_pairing (self->host), id);
  g_free (self->device_name);
  self->device_name = g_strdup (request ? ow_pairing_request_get_name (request) : NULL);
  stop_waiting (self);
  gtk_stack_set_visible_child_name (self->stack, "approve");
  gtk_window_present (GTK_WINDOW (self));
  return TRUE;
}

/* The device that used the link shown here: the owner sees which one it was. */
static void
on_device_joined (OwPairing *pairing, const char *id, const char *name, OwOnboardingWindow *self)
{
  g_autofree char *title = NULL;

  if (self->app_link == NULL || !gtk_widget_get_visible (GTK_WIDGET (self)))
    return;
  forget_link (self);
  gtk_label_set_text (self->app_countdown, "");
  stop_waiting (self);
  /* TRANSLATORS: %s is the device's name */
  title = g_strdup_printf (_("“%s” connected"), name);
  gtk_label_set_text (self->done_title, title);
  gtk_label_set_text (self->done_summary,
                      _("It came in with the OpenWork app link, with the access you chose. If it "
                        "is not the device you meant, revoke it under Devices."));
  gtk_stack_set_visible_child_name (self->stack, "done");
  gtk_widget_grab_focus (self->done_button);
  gtk_window_present (GTK_WINDOW (self));
}

static void
on_another_clicked (OwOnboardingWindow *self)
{
  go_to_code (self, TRUE);
}

static void
on_done_clicked (OwOnboardingWindow *self)
{
  gtk_widget_hide (GTK_WIDGET (self));
}

void
ow_onboarding_window_start (OwOnboardingWindow *self, gboolean setup)
{
  g_return_if_fail (OW_IS_ONBOARDING_WINDOW (self));

  /* A device being approved keeps its page. */
  if (!gtk_widget_get_visible (GTK_WIDGET (self)) ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "approve") != 0)
    {
      if (setup)
        {
          show_runtime (self);
          show_workspaces (self);
          gtk_stack_set_visible_child_name (self->stack, "setup");
          gtk_widget_grab_focus (self->continue_button);
        }
      else
        go_to_code (self, FALSE);
    }
  gtk_window_present (GTK_WINDOW (self));
}

static void
ow_onboarding_window_hide (GtkWidget *widget)
{
  stop_waiting (OW_ONBOARDING_WINDOW (widget));
  GTK_WIDGET_CLASS (ow_onboarding_window_parent_class)->hide (widget);
}

static gboolean
ow_onboarding_window_delete_event (GtkWidget *widget, GdkEventAny *event)
{
  gtk_widget_hide (widget);
  return TRUE;
}

static void
ow_onboarding_window_dispose (GObject *object)
{
  OwOnboardingWindow *self = OW_ONBOARDING_WINDOW (object);

  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->host)
    {
      g_signal_handlers_disconnect_by_data (ow_host_get_pairing (self->host), self);
      g_signal_handlers_disconnect_by_data (ow_host_get_supervisor (self->host), self);
      g_signal_handlers_disconnect_by_data (self->host, self);
    }
  g_clear_object (&self->host);
  g_clear_pointer (&self->device_name, g_free);
  g_clear_pointer (&self->app_link, g_free);

  G_OBJECT_CLASS (ow_onboarding_window_parent_class)->dispose (object);
}

static void
ow_onboarding_window_class_init (OwOnboardingWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_onboarding_window_dispose;
  widget_class->hide = ow_onboarding_window_hide;
  widget_class->delete_event = ow_onboarding_window_delete_event;

  g_type_ensure (OW_TYPE_QR_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/openwork/Host/ow-onboarding-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, runtime_icon);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, runtime_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, workspaces_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, setup_error);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, continue_button);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, qr_view);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, code_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, locked_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, new_code_button);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, addresses_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, waiting_spinner);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, approve_page);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, done_title);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, done_summary);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, done_button);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, way_app);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, way_client);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, way_stack);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_switch);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_state_label);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_error);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_options);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_qr);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_scope);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_folders);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_hint);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, show_link_button);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, copy_link_button);
  gtk_widget_class_bind_template_child (widget_class, OwOnboardingWindow, app_countdown);
  gtk_widget_class_bind_template_callback (widget_class, on_way_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_app_switch_active);
  gtk_widget_class_bind_template_callback (widget_class, on_app_choice_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_show_link_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_link_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_new_code_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_another_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);
}

static void
ow_onboarding_window_init (OwOnboardingWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ow_check_layout_when_shown (GTK_WINDOW (self));
  for (OwScope scope = OW_SCOPE_VIEWER; scope <= OW_SCOPE_OWNER; scope++)
    gtk_combo_box_text_append (self->app_scope, ow_scope_to_string (scope),
                               ow_scope_display_name (scope));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->app_scope),
                               ow_scope_to_string (OW_SCOPE_COLLABORATOR));
}

OwOnboardingWindow *
ow_onboarding_window_new (GtkApplication *application, OwHost *host)
{
  OwOnboardingWindow *self =
    g_object_new (OW_TYPE_ONBOARDING_WINDOW, "application", application, NULL);

  self->host = g_object_ref (host);
  self->approval = OW_APPROVAL_VIEW (ow_approval_view_new (host));
  gtk_box_pack_start (self->approve_page, GTK_WIDGET (self->approval), TRUE, TRUE, 0);
  g_signal_connect_object (self->approval, "decided", G_CALLBACK (on_decided), self, 0);
  g_signal_connect_object (ow_host_get_pairing (host), "offer-changed",
                           G_CALLBACK (on_offer_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ow_host_get_supervisor (host), "notify", G_CALLBACK (show_runtime), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (ow_host_get_pairing (host), "device-joined",
                           G_CALLBACK (on_device_joined), self, 0);
  g_signal_connect_object (host, "notify::openwork-app-port", G_CALLBACK (show_access), self,
                           G_CONNECT_SWAPPED);
  fill_app_choices (self);
  /* The OpenWork app's way first once its access is on; the pinned client's otherwise. */
  gtk_toggle_button_set_active (
    ow_host_get_openwork_app_port (host) != 0 ? self->way_app : self->way_client, TRUE);
  on_way_toggled (self);
  return self;
}
