#include "config.h"

#include "ow-permission-dialog.h"
#include "ow-desktop-util.h"

#include <glib/gi18n.h>

struct _OwPermissionDialog
{
  GtkWindow parent_instance;

  OwHost *host;
  GQueue queue;               /* OwPermissionRequest, oldest first */
  OwPermissionRequest *shown; /* the request whose text the window shows */

  GtkLabel *queue_label;
  GtkLabel *title_label;
  GtkLabel *device_label;
  GtkLabel *task_label;
  GtkLabel *tool_label;
  GtkLabel *patterns_caption;
  GtkLabel *patterns_label;
  GtkLabel *error_label;
  GtkWidget *deny_button;
  GtkWidget *always_button;
  GtkWidget *once_button;
};

G_DEFINE_FINAL_TYPE (OwPermissionDialog, ow_permission_dialog, GTK_TYPE_WINDOW)

static void show_head (OwPermissionDialog *self);

/* The buttons answer the request shown, and only while it waits for an answer. */
static void
update_buttons (OwPermissionDialog *self)
{
  gboolean waiting =
    self->shown && ow_permission_request_get_state (self->shown) == OW_PERMISSION_REQUEST_WAITING;

  gtk_widget_set_sensitive (self->deny_button, waiting);
  gtk_widget_set_sensitive (self->always_button, waiting);
  gtk_widget_set_sensitive (self->once_button, waiting);
}

static void
on_shown_state (OwPermissionRequest *request, GParamSpec *pspec, OwPermissionDialog *self)
{
  switch (ow_permission_request_get_state (request))
    {
    case OW_PERMISSION_REQUEST_ANSWERED:
    case OW_PERMISSION_REQUEST_GONE:
      show_head (self);
      break;
    default:
      update_buttons (self);
      break;
    }
}

static void
set_shown (OwPermissionDialog *self, OwPermissionRequest *request)
{
  if (self->shown == request)
    return;
  if (self->shown)
    g_signal_handlers_disconnect_by_func (self->shown, on_shown_state, self);
  g_set_object (&self->shown, request);
  if (request)
    g_signal_connect (request, "notify::state", G_CALLBACK (on_shown_state), self);
}

static gboolean
is_over (OwPermissionRequest *request)
{
  OwPermissionRequestState state = ow_permission_request_get_state (request);

  return state == OW_PERMISSION_REQUEST_ANSWERED || state == OW_PERMISSION_REQUEST_GONE;
}

/* Shows the head of the queue, dropping requests that are over; hides when empty. */
static void
show_head (OwPermissionDialog *self)
{
  OwPermissionRequest *request;
  OwTask *task;
  const char *permission, *device, *session, *summary;
  g_autofree char *title = NULL;
  g_autofree char *task_text = NULL;
  guint others;

  /* Requests answered or gone leave the queue wherever they are, so that the count of
   * the others is right. */
  for (GList *l = self->queue.head, *next; l; l = next)
    {
      next = l->next;
      if (is_over (l->data))
        {
          g_object_unref (l->data);
          g_queue_delete_link (&self->queue, l);
        }
    }
  request = g_queue_peek_head (&self->queue);
  if (request == NULL)
    {
      set_shown (self, NULL);
      gtk_widget_hide (GTK_WIDGET (self));
      return;
    }

  if (request != self->shown)
    gtk_widget_hide (GTK_WIDGET (self->error_label));
  set_shown (self, request);
  others = g_queue_get_length (&self->queue) - 1;
  permission = ow_permission_request_get_permission (request);
  session = ow_permission_request_get_session_id (request);
  summary = ow_permission_request_get_summary (request);
  task = ow_tasks_lookup (ow_host_get_tasks (self->host), session);
  device = task ? ow_task_get_device (task) : NULL;
  if (device == NULL)
    device = _("This computer");

  /* TRANSLATORS: “device” wants to <run a command, change files, …> */
  title = g_strdup_printf (_("“%s” wants to %s"), device, ow_permission_action (permission));
  task_text = g_strdup_printf ("%s\n%s", session, ow_permission_request_get_directory (request));

  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->device_label, device);
  gtk_label_set_text (self->task_label, task_text);
  gtk_label_set_text (self->tool_label, permission);
  gtk_label_set_text (self->patterns_caption,
                      g_str_equal (permission, "bash") ? _("Command") : _("Patterns"));
  gtk_label_set_text (self->patterns_label, summary);
  gtk_widget_set_visible (GTK_WIDGET (self->patterns_caption), *summary != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->patterns_label), *summary != '\0');
  if (others > 0)
    {
      g_autofree char *more = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u more waiting", "%u more waiting", others), others);
      gtk_label_set_text (self->queue_label, more);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->queue_label), others > 0);
  update_buttons (self);

  if (!gtk_widget_get_visible (GTK_WIDGET (self)))
    {
      gtk_window_present (GTK_WINDOW (self));
      gtk_widget_grab_focus (self->once_button);
    }
}

static void
enqueue (OwPermissionDialog *self, OwPermissionRequest *request)
{
  if (request == NULL || g_queue_find (&self->queue, request))
    return;
  g_queue_push_tail (&self->queue, g_object_ref (request));
}

static void
on_asked (OwPermissions *permissions, const char *id, OwPermissionDialog *self)
{
  enqueue (self, ow_permissions_lookup (permissions, id));
  show_head (self);
}

static void
on_withdrawn (OwPermissions *permissions,
              const char *id,
              const char *answered_by,
              OwPermissionDialog *self)
{
  /* The request's own state says so; this keeps the count of the others right. */
  show_head (self);
}

typedef struct
{
  OwPermissionDialog *self;
  OwPermissionRequest *request;
} Answer;

static void
on_replied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Answer *answer = user_data;
  g_autoptr (OwPermissionDialog) self = answer->self;
  g_autoptr (OwPermissionRequest) request = answer->request;
  g_autoptr (GError) error = NULL;

  g_free (answer);
  if (!ow_permissions_reply_finish (OW_PERMISSIONS (source), result, &error) &&
      request == self->shown &&
      ow_permission_request_get_state (request) == OW_PERMISSION_REQUEST_WAITING)
    {
      /* The runtime did not take it: the same request waits, and says why. */
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_show (GTK_WIDGET (self->error_label));
    }
  show_head (self);
}

static void
reply (OwPermissionDialog *self, const char *reply)
{
  Answer *answer;

  if (self->shown == NULL ||
      ow_permission_request_get_state (self->shown) != OW_PERMISSION_REQUEST_WAITING)
    return;
  gtk_widget_hide (GTK_WIDGET (self->error_label));
  answer = g_new0 (Answer, 1);
  answer->self = g_object_ref (self);
  answer->request = g_object_ref (self->shown);
  ow_permissions_reply_async (ow_host_get_permissions (self->host),
                              ow_permission_request_get_id (self->shown), reply, "desktop",
                              "desktop", on_replied, answer);
}

static void
on_deny_clicked (OwPermissionDialog *self)
{
  reply (self, "reject");
}

static void
on_always_clicked (OwPermissionDialog *self)
{
  reply (self, "always");
}

static void
on_once_clicked (OwPermissionDialog *self)
{
  reply (self, "once");
}

/* Closing the window is not an answer: the request waits, and the tray still says so. */
static gboolean
ow_permission_dialog_delete_event (GtkWidget *widget, GdkEventAny *event)
{
  gtk_widget_hide (widget);
  return TRUE;
}

void
ow_permission_dialog_present (OwPermissionDialog *self)
{
  g_return_if_fail (OW_IS_PERMISSION_DIALOG (self));

  if (!g_queue_is_empty (&self->queue))
    gtk_window_present (GTK_WINDOW (self));
}

static void
ow_permission_dialog_dispose (GObject *object)
{
  OwPermissionDialog *self = OW_PERMISSION_DIALOG (object);

  if (self->host)
    g_signal_handlers_disconnect_by_data (ow_host_get_permissions (self->host), self);
  set_shown (self, NULL);
  g_clear_object (&self->host);
  g_queue_clear_full (&self->queue, g_object_unref);

  G_OBJECT_CLASS (ow_permission_dialog_parent_class)->dispose (object);
}

static void
ow_permission_dialog_class_init (OwPermissionDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_permission_dialog_dispose;
  widget_class->delete_event = ow_permission_dialog_delete_event;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/openwork/Host/ow-permission-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, queue_label);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, title_label);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, device_label);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, task_label);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, tool_label);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, patterns_caption);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, patterns_label);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, deny_button);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, always_button);
  gtk_widget_class_bind_template_child (widget_class, OwPermissionDialog, once_button);
  gtk_widget_class_bind_template_callback (widget_class, on_deny_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_always_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_once_clicked);
}

static void
ow_permission_dialog_init (OwPermissionDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_queue_init (&self->queue);
  ow_check_layout_when_shown (GTK_WINDOW (self));
}

OwPermissionDialog *
ow_permission_dialog_new (GtkApplication *application, OwHost *host)
{
  OwPermissionDialog *self = g_object_new (OW_TYPE_PERMISSION_DIALOG, NULL);
  g_autoptr (GPtrArray) waiting = NULL;

  self->host = g_object_ref (host);
  /* Part of the application, so that it stays while the dialog is open. */
  gtk_window_set_application (GTK_WINDOW (self), application);
  g_signal_connect_object (ow_host_get_permissions (host), "asked", G_CALLBACK (on_asked), self, 0);
  g_signal_connect_object (ow_host_get_permissions (host), "withdrawn", G_CALLBACK (on_withdrawn),
                           self, 0);

  waiting = ow_permissions_get_waiting (ow_host_get_permissions (host));
  for (guint i = 0; i < waiting->len; i++)
    enqueue (self, g_ptr_array_index (waiting, i));
  if (!g_queue_is_empty (&self->queue))
    show_head (self);
  return self;
}
