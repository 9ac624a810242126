#include "config.h"

#include "ow-desktop.h"
#include "ow-status-window.h"

#include <glib-unix.h>
#include <gtk/gtk.h>

static void
on_activate (GtkApplication *application, OwHost *host)
{
  GList *windows = gtk_application_get_windows (application);

  if (windows == NULL)
    {
      GtkWindow *window = GTK_WINDOW (ow_status_window_new (application, host));

      gtk_widget_show (GTK_WIDGET (window));
      /* Otherwise the first selectable label takes the focus and shows a caret. */
      gtk_window_set_focus (window, NULL);
    }
  else
    {
      gtk_window_present (windows->data);
    }
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_CONTINUE;
}

static void
on_host_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ow_host_stop_finish (OW_HOST (source), result, NULL);
  g_main_loop_quit (user_data);
}

gboolean
ow_desktop_open_display (void)
{
  return gtk_init_check (NULL, NULL);
}

int
ow_desktop_run (OwHost *host, int argc, char **argv)
{
  /* Several hosts (one per data folder) may run at once, so no single-instance ownership. */
  g_autoptr (GtkApplication) application =
    gtk_application_new ("org.openwork.Host", G_APPLICATION_NON_UNIQUE);
  g_autoptr (GMainLoop) stopping = g_main_loop_new (NULL, FALSE);
  guint sigint_id, sigterm_id;
  int status;

  g_signal_connect (application, "activate", G_CALLBACK (on_activate), host);
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, application);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, application);

  status = g_application_run (G_APPLICATION (application), argc, argv);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  ow_host_stop_async (host, on_host_stopped, stopping);
  g_main_loop_run (stopping);
  return status;
}
