#include "config.h"

#include "ow-approval-dialog.h"
#include "ow-approval-view.h"
#include "ow-desktop-util.h"

#include <glib/gi18n.h>

struct _OwApprovalDialog
{
  GtkWindow parent_instance;

  OwHost *host;
  GQueue queue; /* request ids; the head is shown */

  GtkLabel *queue_label;
  GtkBox *content;
  OwApprovalView *view;
};

G_DEFINE_FINAL_TYPE (OwApprovalDialog, ow_approval_dialog, GTK_TYPE_WINDOW)

static void
show_head (OwApprovalDialog *self)
{
  while (!g_queue_is_empty (&self->queue))
    {
      guint others = g_queue_get_length (&self->queue) - 1;

      /* Requests that were decided or given up meanwhile are skipped. */
      if (!ow_approval_view_set_request (self->view, g_queue_peek_head (&self->queue)))
        {
          g_free (g_queue_pop_head (&self->queue));
          continue;
        }
      if (others > 0)
        {
          g_autofree char *more = g_strdup_printf (
            g_dngettext (GETTEXT_PACKAGE, "%u more waiting", "%u more waiting", others), others);
          gtk_label_set_text (self->queue_label, more);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->queue_label), others > 0);
      gtk_window_present (GTK_WINDOW (self));
      return;
    }
  gtk_widget_hide (GTK_WIDGET (self));
}

static void
on_decided (
  OwApprovalView *view, const char *id, gboolean approved, gpointer device, OwApprovalDialog *self)
{
  GList *link = g_queue_find_custom (&self->queue, id, (GCompareFunc) g_strcmp0);

  if (link == NULL)
    return;
  g_free (link->data);
  g_queue_delete_link (&self->queue, link);
  show_head (self);
}

/* A request decided while it waited behind another one. */
static void
on_request_decided (OwPairing *pairing, const char *id, gboolean approved, OwApprovalDialog *self)
{
  GList *link = g_queue_find_custom (&self->queue, id, (GCompareFunc) g_strcmp0);

  if (link == NULL || link == self->queue.head)
    return; /* the view reports the shown one */
  g_free (link->data);
  g_queue_delete_link (&self->queue, link);
  show_head (self);
}

void
ow_approval_dialog_add (OwApprovalDialog *self, const char *id)
{
  g_return_if_fail (OW_IS_APPROVAL_DIALOG (self));

  if (!g_queue_find_custom (&self->queue, id, (GCompareFunc) g_strcmp0))
    g_queue_push_tail (&self->queue, g_strdup (id));
  show_head (self);
}

/* Closing is not an answer: the request keeps waiting (the tray says so) until it expires. */
static gboolean
ow_approval_dialog_delete_event (GtkWidget *widget, GdkEventAny *event)
{
  gtk_widget_hide (widget);
  return TRUE;
}

static void
ow_approval_dialog_dispose (GObject *object)
{
  OwApprovalDialog *self = OW_APPROVAL_DIALOG (object);

  if (self->host)
    g_signal_handlers_disconnect_by_data (ow_host_get_pairing (self->host), self);
  g_clear_object (&self->host);
  g_queue_clear_full (&self->queue, g_free);

  G_OBJECT_CLASS (ow_approval_dialog_parent_class)->dispose (object);
}

static void
ow_approval_dialog_class_init (OwApprovalDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_approval_dialog_dispose;
  widget_class->delete_event = ow_approval_dialog_delete_event;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/openwork/Host/ow-approval-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, OwApprovalDialog, queue_label);
  gtk_widget_class_bind_template_child (widget_class, OwApprovalDialog, content);
}

static void
ow_approval_dialog_init (OwApprovalDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_queue_init (&self->queue);
  ow_check_layout_when_shown (GTK_WINDOW (self));
}

OwApprovalDialog *
ow_approval_dialog_new (GtkApplication *application, OwHost *host)
{
  OwApprovalDialog *self = g_object_new (OW_TYPE_APPROVAL_DIALOG, "application", application, NULL);

  self->host = g_object_ref (host);
  self->view = OW_APPROVAL_VIEW (ow_approval_view_new (host));
  gtk_box_pack_start (self->content, GTK_WIDGET (self->view), TRUE, TRUE, 0);
  g_signal_connect_object (self->view, "decided", G_CALLBACK (on_decided), self, 0);
  g_signal_connect_object (ow_host_get_pairing (host), "request-decided",
                           G_CALLBACK (on_request_decided), self, 0);
  return self;
}
