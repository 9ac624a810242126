#include "config.h"

#include "ow-status-window.h"
#include "ow-desktop-util.h"
#include "ow-workspace.h"

#include <glib/gi18n.h>

struct _OwStatusWindow
{
  GtkApplicationWindow parent_instance;

  OwHost *host;

  GtkInfoBar *no_tray_bar;
  GtkLabel *no_tray_label;
  GtkLabel *status_line;
  GtkWidget *start_at_login;
  GtkLabel *headline;
  GtkLabel *state_label;
  GtkLabel *restarts_label;
  GtkLabel *workspace_label;
  GtkLabel *data_label;
  GtkLabel *error_label;
};

G_DEFINE_FINAL_TYPE (OwStatusWindow, ow_status_window, GTK_TYPE_APPLICATION_WINDOW)

static const char *
headline_for_state (OwRuntimeState state)
{
  switch (state)
    {
    case OW_RUNTIME_STATE_STARTING:
      return _("Starting the OpenCode runtime…");
    case OW_RUNTIME_STATE_RUNNING:
      return _("Ready: the OpenCode runtime is running");
    case OW_RUNTIME_STATE_RESTARTING:
      return _("The runtime stopped unexpectedly and is being restarted…");
    case OW_RUNTIME_STATE_FAILED:
      return _("The runtime keeps failing and was not restarted");
    case OW_RUNTIME_STATE_STOPPED:
    default:
      return _("The runtime is stopped");
    }
}

static void
refresh (OwStatusWindow *self)
{
  OwRuntimeSupervisor *runtime = ow_host_get_supervisor (self->host);
  OwRuntimeState state = ow_runtime_supervisor_get_state (runtime);
  const char *version = ow_runtime_supervisor_get_version (runtime);
  const char *last_error = ow_runtime_supervisor_get_last_error (runtime);
  g_autofree char *state_text = NULL;
  g_autofree char *restarts = NULL;

  if (state == OW_RUNTIME_STATE_RUNNING && version)
    state_text = g_strdup_printf (_("Running — OpenCode %s on 127.0.0.1:%u (pid %d)"), version,
                                     ow_runtime_supervisor_get_port (runtime),
                                     ow_runtime_supervisor_get_pid (runtime));
  else
    state_text = g_strdup (ow_runtime_state_to_string (state));

  restarts = g_strdup_printf ("%u", ow_runtime_supervisor_get_restarts (runtime));

  gtk_label_set_text (self->headline, headline_for_state (state));
  gtk_label_set_text (self->state_label, state_text);
  gtk_label_set_text (self->restarts_label, restarts);
  gtk_label_set_text (self->error_label, last_error ? last_error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), last_error != NULL);
}

static void
ow_status_window_dispose (GObject *object)
{
  OwStatusWindow *self = OW_STATUS_WINDOW (object);

  if (self->host)
    g_signal_handlers_disconnect_by_data (ow_host_get_supervisor (self->host), self);
  g_clear_object (&self->host);

  G_OBJECT_CLASS (ow_status_window_parent_class)->dispose (object);
}

static void
ow_status_window_class_init (OwStatusWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_status_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/openwork/Host/ow-status-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, no_tray_bar);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, no_tray_label);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, status_line);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, start_at_login);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, headline);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, state_label);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, restarts_label);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, workspace_label);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, data_label);
  gtk_widget_class_bind_template_child (widget_class, OwStatusWindow, error_label);
}

static void
ow_status_window_init (OwStatusWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ow_check_layout_when_shown (GTK_WINDOW (self));
}

void
ow_status_window_set_status_line (OwStatusWindow *self, const char *line)
{
  g_return_if_fail (OW_IS_STATUS_WINDOW (self));
  gtk_label_set_text (self->status_line, line);
}

void
ow_status_window_set_no_tray_reason (OwStatusWindow *self, const char *reason)
{
  g_return_if_fail (OW_IS_STATUS_WINDOW (self));

  gtk_label_set_text (self->no_tray_label, reason ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->no_tray_bar), reason != NULL);
}

OwStatusWindow *
ow_status_window_new (GtkApplication *application, OwHost *host)
{
  OwStatusWindow *self;
  GPtrArray *workspaces = ow_host_get_workspaces (host);
  g_autoptr (GString) paths = g_string_new (NULL);

  g_return_val_if_fail (OW_IS_HOST (host), NULL);

  self = g_object_new (OW_TYPE_STATUS_WINDOW, "application", application, NULL);
  self->host = g_object_ref (host);
  /* Without the settings schema there is nothing to remember the choice in. */
  gtk_widget_set_visible (
    self->start_at_login,
    g_action_map_lookup_action (G_ACTION_MAP (application), "start-at-login") != NULL);

  for (guint i = 0; i < workspaces->len; i++)
    g_string_append_printf (paths, "%s%s", i ? ", " : "",
                            ((OwWorkspace *) g_ptr_array_index (workspaces, i))->path);
  gtk_label_set_text (self->workspace_label, paths->str);
  gtk_label_set_text (self->data_label, ow_paths_get_data_dir (ow_host_get_paths (host)));

  g_signal_connect_object (ow_host_get_supervisor (host), "notify", G_CALLBACK (refresh), self,
                           G_CONNECT_SWAPPED);
  refresh (self);
  return self;
}
