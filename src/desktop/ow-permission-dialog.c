#include "config.h"

#include "ow-permission-dialog.h"
#include "ow-desktop-util.h"

#include <glib/gi18n.h>

struct _OwPermissionDialog
{
  GtkWindow parent_instance;

  OwHost *host;
  GQueue queue;      /* request ids, oldest first; the head is shown */
  gboolean replying; /* an answer to the head is on its way */

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

/* The runtime's request @id as the broker lists it, or %NULL. */
static JsonObject *
find_request (OwPermissionDialog *self, const char *id, JsonNode **list)
{
  JsonArray *items;

  *list = ow_permissions_list (ow_host_get_permissions (self->host));
  items = json_node_get_array (*list);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (item, "id", NULL), id) == 0)
        return item;
    }
  return NULL;
}

static char *
join_patterns (JsonObject *request)
{
  JsonObject *metadata = json_object_get_object_member (request, "metadata");
  JsonArray *patterns;
  g_autoptr (GString) text = g_string_new (NULL);

  /* A command is clearer in full than as the patterns derived from it. */
  if (metadata && json_object_has_member (metadata, "command") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (metadata, "command")))
    return g_strdup (json_object_get_string_member (metadata, "command"));

  patterns = json_object_has_member (request, "patterns")
               ? json_object_get_array_member (request, "patterns")
               : NULL;
  for (guint i = 0; patterns && i < json_array_get_length (patterns); i++)
    g_string_append_printf (text, "%s%s", i ? "\n" : "",
                            json_array_get_string_element (patterns, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
set_sensitive (OwPermissionDialog *self, gboolean sensitive)
{
  gtk_widget_set_sensitive (self->deny_button, sensitive);
  gtk_widget_set_sensitive (self->always_button, sensitive);
  gtk_widget_set_sensitive (self->once_button, sensitive);
}

/* Shows the head of the queue, dropping requests that are gone; hides when empty. */
static void
show_head (OwPermissionDialog *self)
{
  while (!g_queue_is_empty (&self->queue))
    {
      g_autoptr (JsonNode) list = NULL;
      g_autoptr (JsonNode) task_node = NULL;
      const char *id = g_queue_peek_head (&self->queue);
      JsonObject *request = find_request (self, id, &list);
      JsonObject *task;
      const char *permission, *device, *session;
      g_autofree char *title = NULL;
      g_autofree char *task_text = NULL;
      g_autofree char *patterns = NULL;
      guint others = g_queue_get_length (&self->queue) - 1;

      if (request == NULL)
        {
          g_free (g_queue_pop_head (&self->queue));
          continue;
        }

      permission = json_object_get_string_member_with_default (request, "permission", "");
      session = json_object_get_string_member_with_default (request, "sessionID", "");
      task_node = ow_tasks_to_json (ow_host_get_tasks (self->host), session, NULL);
      task = task_node ? json_node_get_object (task_node) : NULL;
      device = task ? json_object_get_string_member_with_default (task, "device", NULL) : NULL;
      if (device == NULL)
        device = _("This computer");

      /* TRANSLATORS: “device” wants to <run a command, change files, …> */
      title = g_strdup_printf (_("“%s” wants to %s"), device, ow_permission_action (permission));
      task_text = g_strdup_printf (
        "%s\n%s", session, json_object_get_string_member_with_default (request, "directory", ""));
      patterns = join_patterns (request);

      gtk_label_set_text (self->title_label, title);
      gtk_label_set_text (self->device_label, device);
      gtk_label_set_text (self->task_label, task_text);
      gtk_label_set_text (self->tool_label, permission);
      gtk_label_set_text (self->patterns_caption,
                          g_str_equal (permission, "bash") ? _("Command") : _("Patterns"));
      gtk_label_set_text (self->patterns_label, patterns);
      gtk_widget_set_visible (GTK_WIDGET (self->patterns_caption), *patterns != '\0');
      gtk_widget_set_visible (GTK_WIDGET (self->patterns_label), *patterns != '\0');
      gtk_widget_hide (GTK_WIDGET (self->error_label));
      if (others > 0)
        {
          g_autofree char *more = g_strdup_printf (
            g_dngettext (GETTEXT_PACKAGE, "%u more waiting", "%u more waiting", others), others);
          gtk_label_set_text (self->queue_label, more);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->queue_label), others > 0);
      set_sensitive (self, TRUE);

      if (!gtk_widget_get_visible (GTK_WIDGET (self)))
        {
          gtk_window_present (GTK_WINDOW (self));
          gtk_widget_grab_focus (self->once_button);
        }
      return;
    }
  gtk_widget_hide (GTK_WIDGET (self));
}

static void
on_asked (OwPermissions *permissions, const char *id, OwPermissionDialog *self)
{
  if (g_queue_find_custom (&self->queue, id, (GCompareFunc) g_strcmp0))
    return;
  g_queue_push_tail (&self->queue, g_strdup (id));
  show_head (self);
}

static void
on_withdrawn (OwPermissions *permissions,
              const char *id,
              const char *answered_by,
              OwPermissionDialog *self)
{
  GList *link = g_queue_find_custom (&self->queue, id, (GCompareFunc) g_strcmp0);

  if (link == NULL)
    return;
  g_free (link->data);
  g_queue_delete_link (&self->queue, link);
  if (!self->replying)
    show_head (self);
}

static void
on_replied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (OwPermissionDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  self->replying = FALSE;
  if (!ow_permissions_reply_finish (OW_PERMISSIONS (source), result, &error) &&
      !g_error_matches (error, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_ALREADY_ANSWERED) &&
      !g_error_matches (error, OW_PERMISSIONS_ERROR, OW_PERMISSIONS_ERROR_NOT_FOUND))
    {
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_show (GTK_WIDGET (self->error_label));
      set_sensitive (self, TRUE);
      return;
    }
  show_head (self);
}

static void
reply (OwPermissionDialog *self, const char *answer)
{
  const char *id = g_queue_peek_head (&self->queue);

  if (id == NULL || self->replying)
    return;
  self->replying = TRUE;
  set_sensitive (self, FALSE);
  ow_permissions_reply_async (ow_host_get_permissions (self->host), id, answer, "desktop",
                              "desktop", on_replied, g_object_ref (self));
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
  g_clear_object (&self->host);
  g_queue_clear_full (&self->queue, g_free);

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
  g_autoptr (JsonNode) waiting = NULL;
  JsonArray *items;

  self->host = g_object_ref (host);
  /* Part of the application, so that it stays while the dialog is open. */
  gtk_window_set_application (GTK_WINDOW (self), application);
  g_signal_connect_object (ow_host_get_permissions (host), "asked", G_CALLBACK (on_asked), self, 0);
  g_signal_connect_object (ow_host_get_permissions (host), "withdrawn", G_CALLBACK (on_withdrawn),
                           self, 0);

  waiting = ow_permissions_list (ow_host_get_permissions (host));
  items = json_node_get_array (waiting);
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_queue_push_tail (&self->queue, g_strdup (json_object_get_string_member (
                                       json_array_get_object_element (items, i), "id")));
  if (!g_queue_is_empty (&self->queue))
    show_head (self);
  return self;
}
