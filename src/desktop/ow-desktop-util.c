#include "config.h"

#include "ow-desktop-util.h"

#include <glib/gi18n.h>

const char *
ow_scope_display_name (OwScope scope)
{
  switch (scope)
    {
    case OW_SCOPE_VIEWER:
      return _("View only");
    case OW_SCOPE_COLLABORATOR:
      return _("Run tasks");
    case OW_SCOPE_OWNER:
    default:
      return _("Full control");
    }
}

const char *
ow_scope_description (OwScope scope)
{
  switch (scope)
    {
    case OW_SCOPE_VIEWER:
      return _("Can see tasks and their results, but not start or change anything.");
    case OW_SCOPE_COLLABORATOR:
      return _("Can start tasks. Commands and file changes still ask you first.");
    case OW_SCOPE_OWNER:
    default:
      return _("Can also pair and revoke devices and manage tokens, like you.");
    }
}

const char *
ow_platform_display_name (const char *platform)
{
  if (platform == NULL || *platform == '\0')
    return _("Unknown device");
  if (g_ascii_strcasecmp (platform, "android") == 0)
    return "Android";
  if (g_ascii_strcasecmp (platform, "ios") == 0)
    return _("iPhone or iPad");
  if (g_ascii_strcasecmp (platform, "linux") == 0)
    return "Linux";
  if (g_ascii_strcasecmp (platform, "macos") == 0 || g_ascii_strcasecmp (platform, "darwin") == 0)
    return "macOS";
  if (g_ascii_strcasecmp (platform, "windows") == 0)
    return "Windows";
  return platform;
}

char *
ow_format_time_ago (gint64 unix_ms)
{
  g_autoptr (GDateTime) then = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  gint64 seconds;

  if (unix_ms <= 0)
    return g_strdup (_("never"));

  then = g_date_time_new_from_unix_local (unix_ms / 1000);
  seconds = g_date_time_difference (now, then) / G_TIME_SPAN_SECOND;
  if (seconds < 60)
    return g_strdup (_("just now"));
  if (seconds < 3600)
    return g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", seconds / 60),
      (int) (seconds / 60));
  if (seconds < 24 * 3600)
    return g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", seconds / 3600),
      (int) (seconds / 3600));
  /* TRANSLATORS: a date, see the GDateTime format codes */
  return g_date_time_format (then, _("%e %B %Y"));
}

char *
ow_format_duration (guint64 ms)
{
  guint64 minutes = ms / 60000;
  guint64 hours = minutes / 60;
  guint64 days = hours / 24;

  if (days > 0)
    /* TRANSLATORS: a duration of days and hours */
    return g_strdup_printf (_("%u d %u h"), (guint) days, (guint) (hours % 24));
  if (hours > 0)
    /* TRANSLATORS: a duration of hours and minutes */
    return g_strdup_printf (_("%u h %u min"), (guint) hours, (guint) (minutes % 60));
  /* TRANSLATORS: a duration in minutes */
  return g_strdup_printf (_("%u min"), (guint) minutes);
}

const char *
ow_runtime_state_display_name (OwRuntimeState state)
{
  switch (state)
    {
    case OW_RUNTIME_STATE_STARTING:
      return _("Starting");
    case OW_RUNTIME_STATE_RUNNING:
      return _("Running");
    case OW_RUNTIME_STATE_RESTARTING:
      return _("Restarting after a failure");
    case OW_RUNTIME_STATE_FAILED:
      return _("Failed; not restarted");
    case OW_RUNTIME_STATE_STOPPED:
    default:
      return _("Stopped");
    }
}

const char *
ow_permission_action (const char *permission)
{
  if (g_strcmp0 (permission, "bash") == 0)
    return _("run a command");
  if (g_strcmp0 (permission, "edit") == 0 || g_strcmp0 (permission, "write") == 0 ||
      g_strcmp0 (permission, "patch") == 0)
    return _("change files");
  if (g_strcmp0 (permission, "webfetch") == 0)
    return _("fetch a web page");
  if (g_strcmp0 (permission, "external_directory") == 0)
    return _("use a folder outside its workspace");
  return _("use a tool");
}

static void
destroy_child (GtkWidget *child, gpointer user_data)
{
  gtk_widget_destroy (child);
}

void
ow_container_clear (GtkContainer *container)
{
  gtk_container_foreach (container, destroy_child, NULL);
}

void
ow_open_folder (GtkWindow *parent, const char *path)
{
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  g_autoptr (GError) error = NULL;

  if (uri && gtk_show_uri_on_window (parent, uri, GDK_CURRENT_TIME, &error))
    return;
  g_message ("The folder %s cannot be opened: %s", path, error ? error->message : "bad path");
}

/* Layout check (tests) */

static void
check_widget (GtkWidget *widget, gpointer user_data)
{
  GPtrArray *problems = user_data;

  if (!gtk_widget_get_mapped (widget))
    return;

  if (GTK_IS_LABEL (widget) &&
      !gtk_style_context_has_class (gtk_widget_get_style_context (widget), "ow-may-ellipsize"))
    {
      GtkLabel *label = GTK_LABEL (widget);
      PangoLayout *layout = gtk_label_get_layout (label);
      int natural = 0, text_width = 0;

      gtk_widget_get_preferred_width (widget, NULL, &natural);
      pango_layout_get_pixel_size (layout, &text_width, NULL);
      if (pango_layout_is_ellipsized (layout) ||
          gtk_widget_get_allocated_width (widget) < MIN (natural, text_width))
        g_ptr_array_add (problems,
                         g_strdup_printf ("the label “%s” is clipped (%d of %d px)",
                                          gtk_label_get_text (label),
                                          gtk_widget_get_allocated_width (widget), text_width));
    }

  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), check_widget, user_data);
}

static gboolean
check_layout (gpointer user_data)
{
  GtkWindow *window = user_data;
  const char *title = gtk_window_get_title (window);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  GdkRectangle workarea = { 0 };
  GdkMonitor *monitor;

  g_object_set_data (G_OBJECT (window), "ow-layout-check", NULL);
  if (!gtk_widget_get_mapped (GTK_WIDGET (window)))
    return G_SOURCE_REMOVE;
  if (title == NULL)
    title = "";

  monitor = gdk_display_get_monitor_at_window (gtk_widget_get_display (GTK_WIDGET (window)),
                                               gtk_widget_get_window (GTK_WIDGET (window)));
  gdk_monitor_get_workarea (monitor, &workarea);
  if (gtk_widget_get_allocated_width (GTK_WIDGET (window)) > workarea.width ||
      gtk_widget_get_allocated_height (GTK_WIDGET (window)) > workarea.height)
    g_ptr_array_add (problems,
                     g_strdup_printf ("the window (%d×%d) does not fit the screen (%d×%d)",
                                      gtk_widget_get_allocated_width (GTK_WIDGET (window)),
                                      gtk_widget_get_allocated_height (GTK_WIDGET (window)),
                                      workarea.width, workarea.height));
  check_widget (GTK_WIDGET (window), problems);

  /* A label whose text changed after the frame this check follows still has
   * the old allocation. Before reporting, lay the window out again and look
   * once more after the next frame: only what is still wrong then is real. */
  if (problems->len > 0 && g_object_get_data (G_OBJECT (window), "ow-layout-retried") == NULL)
    {
      g_object_set_data (G_OBJECT (window), "ow-layout-retried", GINT_TO_POINTER (1));
      gtk_widget_queue_resize (GTK_WIDGET (window));
      return G_SOURCE_REMOVE;
    }
  g_object_set_data (G_OBJECT (window), "ow-layout-retried", NULL);

  for (guint i = 0; i < problems->len; i++)
    g_warning ("layout check: in the window “%s”, %s", title,
               (const char *) g_ptr_array_index (problems, i));
  g_message ("layout check: “%s” done", title);
  return G_SOURCE_REMOVE;
}

static gboolean
on_window_drawn (GtkWidget *window, cairo_t *cr, gpointer user_data)
{
  /* After the first frame: everything is allocated and laid out by then. */
  if (g_object_get_data (G_OBJECT (window), "ow-layout-check") == NULL)
    {
      g_object_set_data (G_OBJECT (window), "ow-layout-check", GINT_TO_POINTER (1));
      g_timeout_add_full (G_PRIORITY_LOW, 200, check_layout, g_object_ref (window), g_object_unref);
    }
  return FALSE;
}

void
ow_check_layout_when_shown (GtkWindow *window)
{
  if (g_getenv ("OPENWORK_HOST_CHECK_LAYOUT") == NULL)
    return;
  g_signal_connect_after (window, "draw", G_CALLBACK (on_window_drawn), NULL);
}
