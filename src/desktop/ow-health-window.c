#include "config.h"

#include "ow-health-window.h"
#include "ow-desktop-util.h"
#include "ow-net.h"

#include <glib/gi18n.h>

typedef enum
{
  ROW_UPTIME,
  ROW_HOSTING,
  ROW_ADDRESSES,
  ROW_DISCOVERY,
  ROW_OPENWORK_APP,
  ROW_CLIENTS,
  ROW_RUNTIME_STATE,
  ROW_RUNTIME_VERSION,
  ROW_RUNTIME_PID,
  ROW_RUNTIME_RESTARTS,
  ROW_RUNTIME_ERROR,
  ROW_LAST_TASK,
  ROW_PAIRING_RATE,
  ROW_DISCONNECT_SHARE,
  ROW_TASKS_WEEK,
  ROW_FAILURES_WEEK,
  N_ROWS
} Row;

struct _OwHealthWindow
{
  GtkWindow parent_instance;

  OwHost *host;
  guint refresh_id;
  char *problems_key;     /* what the problem list shows, to rebuild it only on a change */
  OwMetricsReport report; /* the last 7 days' measures, until something is recorded */
  gint64 report_us;       /* when it was made (monotonic); 0: to be made */

  GtkListBox *problems;
  GtkGrid *grid;
  GtkLabel *values[N_ROWS];
};

G_DEFINE_FINAL_TYPE (OwHealthWindow, ow_health_window, GTK_TYPE_WINDOW)

static void
set_value (OwHealthWindow *self, Row row, const char *text)
{
  gtk_label_set_text (self->values[row], text && *text ? text : "—");
}

static void
set_value_take (OwHealthWindow *self, Row row, char *text)
{
  set_value (self, row, text);
  g_free (text);
}

static char *
format_rate (double rate)
{
  if (rate < 0)
    return g_strdup (_("no data yet"));
  return g_strdup_printf ("%.0f %%", rate * 100);
}

/* Problems */

typedef struct
{
  const char *icon;
  char *text;
  const char *action_label; /* nullable */
  const char *action;       /* nullable: an app. action */
} Problem;

static void
add_problem (
  GPtrArray *problems, const char *icon, char *text, const char *label, const char *action)
{
  Problem *problem = g_new0 (Problem, 1);

  problem->icon = icon;
  problem->text = text;
  problem->action_label = label;
  problem->action = action;
  g_ptr_array_add (problems, problem);
}

static void
problem_free (Problem *problem)
{
  g_free (problem->text);
  g_free (problem);
}

static GPtrArray *
collect_problems (OwHealthWindow *self, const OwMetricsReport *week)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);
  OwRuntimeSupervisor *runtime = ow_host_get_supervisor (self->host);
  OwRuntimeState state = ow_runtime_supervisor_get_state (runtime);
  OwDiscovery *discovery = ow_host_get_discovery (self->host);
  OwDiscoveryState discovery_state = ow_discovery_get_state (discovery);
  gint64 failed_pairings = week->pairings_failed;
  gint64 tls = week->tls_failures;

  if (ow_host_get_paused (self->host))
    add_problem (problems, "media-playback-pause-symbolic",
                 g_strdup (_("Hosting is paused: devices are refused until you resume it.")),
                           _("_Resume Hosting"), "app.pause");

  if (state == OW_RUNTIME_STATE_FAILED || state == OW_RUNTIME_STATE_RESTARTING)
    {
      const char *error = ow_runtime_supervisor_get_last_error (runtime);

      add_problem (problems, "dialog-error-symbolic",
                   state == OW_RUNTIME_STATE_FAILED
                   ? g_strdup_printf (
                       _("The OpenCode runtime keeps failing and was not "
                                          "restarted: %s"),
                          error ? error : _("no reason given"))
                       : g_strdup_printf (_("The OpenCode runtime stopped and is being restarted: "
                                          "%s"),
                                             error ? error : _("no reason given")),
                                          _("Re_start Runtime"), "app.restart-runtime");
    }

  if (ow_host_get_openwork_app_error (self->host) != NULL &&
      ow_host_get_openwork_app_port (self->host) == 0)
    add_problem (problems, "network-error-symbolic",
                 /* TRANSLATORS: %s is why (a port in use, say) */
                 g_strdup_printf (_("OpenWork app access is off although it was turned on: %s"),
                                     ow_host_get_openwork_app_error (self->host)),
                                  _("_Pair a Device…"), "app.pair");

  if (discovery_state == OW_DISCOVERY_UNAVAILABLE || discovery_state == OW_DISCOVERY_FAILED)
    add_problem (problems, "network-error-symbolic",
                 g_strdup_printf (_("Devices on the network cannot find this computer: %s. They "
                                    "can still pair with the QR code or the address."),
                                     ow_discovery_get_reason (discovery)),
                                  _("_Announce Again"), "app.announce");

  if (failed_pairings > 0)
    add_problem (
      problems, "dialog-warning-symbolic",
      g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                    "%d pairing attempt failed in the last 7 days (a wrong or "
                                    "expired code). If it was not you, make a new code.",
                                    "%d pairing attempts failed in the last 7 days (wrong or "
                                    "expired codes). If it was not you, make a new code.",
                                    failed_pairings),
                       (int) failed_pairings),
      _("_New Pairing Code"), "app.new-code");

  if (tls > 0)
    add_problem (problems, "dialog-warning-symbolic",
                 g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "%d connection failed its secure handshake in the "
                                               "last 7 days: a client that does not trust this "
                                               "computer, or a probe.",
                                               "%d connections failed their secure handshake in "
                                               "the last 7 days: clients that do not trust this "
                                               "computer, or probes.",
                                               tls),
                                  (int) tls),
                 _("Open _Logs"), "app.open-logs");
  return problems;
}

static GtkWidget *
make_problem_row (const Problem *problem)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name (problem->icon, GTK_ICON_SIZE_BUTTON);
  GtkWidget *label = gtk_label_new (problem->text);

  g_object_set (box, "margin", 10, NULL);
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
  gtk_box_pack_start (GTK_BOX (box), icon, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
  if (problem->action)
    {
      GtkWidget *button = gtk_button_new_with_mnemonic (problem->action_label);

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), problem->action);
      gtk_box_pack_end (GTK_BOX (box), button, FALSE, FALSE, 0);
    }
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_container_add (GTK_CONTAINER (row), box);
  gtk_widget_show_all (row);
  return row;
}

static void
show_problems (OwHealthWindow *self, GPtrArray *problems)
{
  g_autoptr (GString) key = g_string_new (NULL);

  for (guint i = 0; i < problems->len; i++)
    g_string_append_printf (key, "%s\n", ((Problem *) g_ptr_array_index (problems, i))->text);
  if (g_strcmp0 (key->str, self->problems_key) == 0)
    return;
  g_free (self->problems_key);
  self->problems_key = g_strdup (key->str);

  ow_container_clear (GTK_CONTAINER (self->problems));
  if (problems->len == 0)
    {
      Problem none = { "emblem-ok-symbolic", _("No problems: everything works."), NULL, NULL };

      gtk_container_add (GTK_CONTAINER (self->problems), make_problem_row (&none));
    }
  for (guint i = 0; i < problems->len; i++)
    gtk_container_add (GTK_CONTAINER (self->problems),
                       make_problem_row (g_ptr_array_index (problems, i)));
}

/* Facts */

static void
show_last_task (OwHealthWindow *self)
{
  g_autoptr (OwTask) last =
    g_list_model_get_item (G_LIST_MODEL (ow_host_get_tasks (self->host)), 0);
  g_autofree char *when = NULL;
  const char *reason;

  if (last == NULL)
    {
      set_value (self, ROW_LAST_TASK, _("none since the host started"));
      return;
    }
  when = ow_format_time_ago (ow_task_get_updated_at (last));
  reason = ow_task_get_reason (last);
  /* TRANSLATORS: task state (as in "running", "succeeded") · device · when [· reason] */
  set_value_take (self, ROW_LAST_TASK,
                  g_strdup_printf ("%s · %s · %s%s%s",
                                   ow_task_state_to_string (ow_task_get_state (last)),
                                   ow_task_get_device (last) ? ow_task_get_device (last) : "", when,
                                   reason ? " · " : "", reason ? reason : ""));
}

/* The 7-day report runs a query over the metrics database: made again only when
 * something was recorded, and once a minute as the days move on, not at every tick. */
#define REPORT_MAX_AGE_US (60 * G_USEC_PER_SEC)

static void
on_metrics_changed (OwHealthWindow *self)
{
  self->report_us = 0;
}

static const OwMetricsReport *
get_report (OwHealthWindow *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->report_us == 0 || now - self->report_us > REPORT_MAX_AGE_US)
    {
      ow_metrics_get_report (ow_host_get_metrics (self->host), 7, &self->report);
      self->report_us = now;
    }
  return &self->report;
}

/* Where the host can be reached, and how: addresses, discovery, OpenWork app access. */
static void
show_reach (OwHealthWindow *self)
{
  OwDiscovery *discovery = ow_host_get_discovery (self->host);
  g_auto (GStrv) addresses = ow_net_usable_addresses ();
  g_autoptr (GString) address_text = g_string_new (NULL);
  g_autofree char *url = ow_host_dup_openwork_app_url (self->host);
  guint port = ow_host_get_port (self->host);

  for (guint i = 0; addresses[i]; i++)
    g_string_append_printf (address_text, strchr (addresses[i], ':') ? "%s[%s]:%u" : "%s%s:%u",
                            i ? "\n" : "", addresses[i], port);
  if (addresses[0] == NULL)
    g_string_append (address_text, _("No network: connect to a network to pair devices"));
  set_value (self, ROW_ADDRESSES, address_text->str);

  switch (ow_discovery_get_state (discovery))
    {
    case OW_DISCOVERY_PUBLISHED:
      /* TRANSLATORS: %s is the name announced on the network */
      set_value_take (self, ROW_DISCOVERY,
                      g_strdup_printf (_("Announced as “%s”"), ow_discovery_get_name (discovery)));
      break;
    case OW_DISCOVERY_PUBLISHING:
      set_value (self, ROW_DISCOVERY, _("Announcing…"));
      break;
    case OW_DISCOVERY_UNAVAILABLE:
    case OW_DISCOVERY_FAILED:
      set_value (self, ROW_DISCOVERY, ow_discovery_get_reason (discovery));
      break;
    case OW_DISCOVERY_OFF:
    default:
      set_value (self, ROW_DISCOVERY, _("Off: devices pair with the QR code or the address"));
      break;
    }

  if (ow_host_get_openwork_app_port (self->host) != 0)
    /* TRANSLATORS: %s is the address the OpenWork app connects to */
    set_value_take (self, ROW_OPENWORK_APP,
                    g_strdup_printf (_("On at %s (plain HTTP, not encrypted)"), url));
  else if (url != NULL)
    /* TRANSLATORS: %s is an https:// address in front of this computer */
    set_value_take (self, ROW_OPENWORK_APP, g_strdup_printf (_("Through %s only"), url));
  else
    set_value (self, ROW_OPENWORK_APP, _("Off"));
}

static void
show_runtime (OwHealthWindow *self)
{
  OwRuntimeSupervisor *runtime = ow_host_get_supervisor (self->host);
  const char *last_error = ow_runtime_supervisor_get_last_error (runtime);

  set_value (self, ROW_RUNTIME_STATE,
             ow_runtime_state_display_name (ow_runtime_supervisor_get_state (runtime)));
  set_value (self, ROW_RUNTIME_VERSION, ow_runtime_supervisor_get_version (runtime));
  set_value_take (self, ROW_RUNTIME_PID,
                  ow_runtime_supervisor_get_pid (runtime) > 0
                    ? g_strdup_printf ("%d", ow_runtime_supervisor_get_pid (runtime))
                    : NULL);
  set_value_take (self, ROW_RUNTIME_RESTARTS,
                  g_strdup_printf ("%u", ow_runtime_supervisor_get_restarts (runtime)));
  set_value (self, ROW_RUNTIME_ERROR, last_error ? last_error : _("none"));
}

/* The last 7 days, from the local metrics. */
static void
show_week (OwHealthWindow *self, const OwMetricsReport *week)
{
  if (!week->recording)
    {
      for (Row row = ROW_PAIRING_RATE; row <= ROW_FAILURES_WEEK; row++)
        set_value (self, row, _("not recorded (turned off in the settings)"));
      return;
    }
  set_value_take (self, ROW_PAIRING_RATE, format_rate (ow_metrics_report_first_try_rate (week)));
  set_value_take (self, ROW_DISCONNECT_SHARE,
                  format_rate (ow_metrics_report_disconnect_share (week)));
  /* TRANSLATORS: task counts of the last 7 days */
  set_value_take (self, ROW_TASKS_WEEK,
                  g_strdup_printf (_("%d succeeded, %d failed, %d interrupted"),
                                      (int) week->tasks_succeeded, (int) week->tasks_failed,
                                      (int) week->tasks_interrupted));
  /* TRANSLATORS: connection failure counts of the last 7 days */
  set_value_take (
    self, ROW_FAILURES_WEEK,
    g_strdup_printf (_("%d secure handshakes, %d refused tokens, %d dropped streams"),
                        (int) week->tls_failures, (int) week->auth_failures,
                        (int) week->streams_dropped));
}

static gboolean
refresh (gpointer user_data)
{
  OwHealthWindow *self = user_data;
  const OwMetricsReport *week = get_report (self);
  g_autoptr (GPtrArray) problems = NULL;

  set_value_take (self, ROW_UPTIME, ow_format_duration (ow_host_get_uptime_ms (self->host)));
  set_value (self, ROW_HOSTING,
             ow_host_get_paused (self->host) ? _("Paused: devices are refused")
                                             : _("On: paired devices are served"));
  show_reach (self);
  set_value_take (self, ROW_CLIENTS, g_strdup_printf ("%u", ow_host_count_clients (self->host)));
  show_runtime (self);
  show_last_task (self);
  show_week (self, week);

  problems = collect_problems (self, week);
  show_problems (self, problems);
  return G_SOURCE_CONTINUE;
}

static void
add_heading (OwHealthWindow *self, int top, const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  PangoAttrList *bold = pango_attr_list_new ();

  pango_attr_list_insert (bold, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  gtk_label_set_attributes (GTK_LABEL (label), bold);
  pango_attr_list_unref (bold);
  gtk_widget_set_halign (label, GTK_ALIGN_START);
  gtk_widget_set_margin_top (label, top ? 12 : 0);
  gtk_grid_attach (self->grid, label, 0, top, 2, 1);
}

static void
add_row (OwHealthWindow *self, int top, Row row, const char *caption)
{
  GtkWidget *name = gtk_label_new (caption);
  GtkWidget *value = gtk_label_new (NULL);

  gtk_widget_set_halign (name, GTK_ALIGN_END);
  gtk_widget_set_valign (name, GTK_ALIGN_START);
  gtk_label_set_xalign (GTK_LABEL (name), 1);
  gtk_style_context_add_class (gtk_widget_get_style_context (name), "dim-label");
  gtk_widget_set_halign (value, GTK_ALIGN_START);
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_label_set_line_wrap (GTK_LABEL (value), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (value), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (value), 50);
  gtk_label_set_selectable (GTK_LABEL (value), TRUE);
  gtk_widget_set_can_focus (value, FALSE);
  atk_object_set_name (gtk_widget_get_accessible (value), caption);
  gtk_grid_attach (self->grid, name, 0, top, 1, 1);
  gtk_grid_attach (self->grid, value, 1, top, 1, 1);
  self->values[row] = GTK_LABEL (value);
}

static void
build_rows (OwHealthWindow *self)
{
  int top = 0;

  add_heading (self, top++, _("Host"));
  add_row (self, top++, ROW_UPTIME, _("Uptime"));
  add_row (self, top++, ROW_HOSTING, _("Hosting"));
  add_row (self, top++, ROW_ADDRESSES, _("Addresses"));
  add_row (self, top++, ROW_DISCOVERY, _("Discovery"));
  add_row (self, top++, ROW_OPENWORK_APP, _("OpenWork app access"));
  add_row (self, top++, ROW_CLIENTS, _("Connected clients"));
  add_heading (self, top++, _("OpenCode runtime"));
  add_row (self, top++, ROW_RUNTIME_STATE, _("State"));
  add_row (self, top++, ROW_RUNTIME_VERSION, _("Version"));
  add_row (self, top++, ROW_RUNTIME_PID, _("Process"));
  add_row (self, top++, ROW_RUNTIME_RESTARTS, _("Restarts"));
  add_row (self, top++, ROW_RUNTIME_ERROR, _("Last error"));
  add_row (self, top++, ROW_LAST_TASK, _("Last task"));
  add_heading (self, top++, _("Last 7 days"));
  add_row (self, top++, ROW_PAIRING_RATE, _("Paired on the first try"));
  add_row (self, top++, ROW_DISCONNECT_SHARE, _("Tasks lost to disconnects"));
  add_row (self, top++, ROW_TASKS_WEEK, _("Tasks"));
  add_row (self, top++, ROW_FAILURES_WEEK, _("Failed connections"));
  gtk_widget_show_all (GTK_WIDGET (self->grid));
}

static void
ow_health_window_map (GtkWidget *widget)
{
  OwHealthWindow *self = OW_HEALTH_WINDOW (widget);

  GTK_WIDGET_CLASS (ow_health_window_parent_class)->map (widget);
  refresh (self);
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add_seconds (1, refresh, self);
}

static void
ow_health_window_unmap (GtkWidget *widget)
{
  OwHealthWindow *self = OW_HEALTH_WINDOW (widget);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  GTK_WIDGET_CLASS (ow_health_window_parent_class)->unmap (widget);
}

static void
ow_health_window_dispose (GObject *object)
{
  OwHealthWindow *self = OW_HEALTH_WINDOW (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_object (&self->host);
  g_clear_pointer (&self->problems_key, g_free);

  G_OBJECT_CLASS (ow_health_window_parent_class)->dispose (object);
}

static void
ow_health_window_class_init (OwHealthWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ow_health_window_dispose;
  widget_class->map = ow_health_window_map;
  widget_class->unmap = ow_health_window_unmap;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/openwork/Host/ow-health-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OwHealthWindow, problems);
  gtk_widget_class_bind_template_child (widget_class, OwHealthWindow, grid);
}

static void
ow_health_window_init (OwHealthWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  build_rows (self);
  ow_check_layout_when_shown (GTK_WINDOW (self));
}

OwHealthWindow *
ow_health_window_new (GtkApplication *application, OwHost *host)
{
  OwHealthWindow *self = g_object_new (OW_TYPE_HEALTH_WINDOW, "application", application, NULL);

  self->host = g_object_ref (host);
  g_signal_connect_object (ow_host_get_metrics (host), "changed", G_CALLBACK (on_metrics_changed),
                           self, G_CONNECT_SWAPPED);
  return self;
}
