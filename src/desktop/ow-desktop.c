#include "config.h"

#include "ow-desktop.h"
#include "ow-approval-dialog.h"
#include "ow-desktop-util.h"
#include "ow-devices-window.h"
#include "ow-health-window.h"
#include "ow-onboarding-window.h"
#include "ow-permission-dialog.h"
#include "ow-status-window.h"
#include "ow-tray.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

#define APPLICATION_ID "org.openwork.Host"

/* The desktop face: the tray, the windows, the notifications, and the application's
 * actions that they share. Everything it shows comes from the host's core objects and
 * their signals. */
typedef struct
{
  GtkApplication *application;
  OwHost *host;
  GSettings *settings; /* nullable: the schema is not installed */
  OwTray *tray;
  char *no_tray_reason; /* nullable: why the main window stands in for the tray */

  OwStatusWindow *main_window;
  OwOnboardingWindow *onboarding;
  OwApprovalDialog *approvals;
  OwPermissionDialog *permissions;
  OwDevicesWindow *devices;
  OwHealthWindow *health;

  GHashTable *task_states; /* task id → the last OwTaskState told about */
} OwDesktop;

static void
present (GtkWindow *window)
{
  gtk_window_present (window);
}

/* State of the tray */

static guint
count_running_tasks (OwDesktop *desktop)
{
  return ow_tasks_count_active (ow_host_get_tasks (desktop->host));
}

static void
update_tray (OwDesktop *desktop)
{
  OwRuntimeSupervisor *runtime = ow_host_get_supervisor (desktop->host);
  OwRuntimeState runtime_state = ow_runtime_supervisor_get_state (runtime);
  GListModel *pairing = ow_pairing_get_requests (ow_host_get_pairing (desktop->host));
  g_autoptr (GPtrArray) permissions =
    ow_permissions_get_waiting (ow_host_get_permissions (desktop->host));
  guint devices_waiting = g_list_model_get_n_items (pairing);
  guint permissions_waiting = permissions->len;
  guint running = count_running_tasks (desktop);
  g_autofree char *line = NULL;
  OwTrayState state;

  if (permissions_waiting > 0)
    {
      state = OW_TRAY_ATTENTION;
      line =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u permission request waits for you",
                                      "%u permission requests wait for you", permissions_waiting),
                         permissions_waiting);
    }
  else if (devices_waiting > 0)
    {
      state = OW_TRAY_ATTENTION;
      line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u device waits for approval",
                                           "%u devices wait for approval", devices_waiting),
                              devices_waiting);
    }
  else if (runtime_state == OW_RUNTIME_STATE_FAILED)
    {
      state = OW_TRAY_ERROR;
      line = g_strdup (_("OpenCode keeps failing: see Health"));
    }
  else if (runtime_state == OW_RUNTIME_STATE_RESTARTING)
    {
      state = OW_TRAY_ERROR;
      line = g_strdup (_("OpenCode stopped and is being restarted"));
    }
  else if (running > 0)
    {
      state = OW_TRAY_RUNNING;
      line = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u task running", "%u tasks running", running), running);
    }
  else
    {
      state = OW_TRAY_IDLE;
      if (ow_host_get_paused (desktop->host))
        line = g_strdup (_("Hosting paused"));
      else if (runtime_state == OW_RUNTIME_STATE_RUNNING)
        line = g_strdup (_("Ready for tasks"));
      else
        line = g_strdup (_("Starting OpenCode…"));
    }

  if (desktop->tray)
    ow_tray_set_state (desktop->tray, state, line);
  if (desktop->main_window)
    ow_status_window_set_status_line (desktop->main_window, line);
}

/* Notifications */

static void
notify (OwDesktop *desktop,
        const char *id,
        const char *title,
        const char *body,
        const char *action,
        GNotificationPriority priority)
{
  g_autoptr (GNotification) notification = g_notification_new (title);

  if (body)
    g_notification_set_body (notification, body);
  if (action)
    g_notification_set_default_action (notification, action);
  g_notification_set_priority (notification, priority);
  g_application_send_notification (G_APPLICATION (desktop->application), id, notification);
}

static char *
notification_id (const char *kind, const char *id)
{
  return g_strconcat (kind, "-", id, NULL);
}

static void
on_pairing_request_added (OwPairing *pairing, const char *id, OwDesktop *desktop)
{
  OwPairingRequest *request = ow_pairing_lookup_request (pairing, id);
  g_autofree char *key = notification_id ("pair", id);

  if (request != NULL)
    {
      /* TRANSLATORS: %s is a device's name */
      g_autofree char *title =
        g_strdup_printf (_("“%s” wants to pair"), ow_pairing_request_get_name (request));

      notify (desktop, key, title,
              _("Allow or deny it in OpenWork Host."), "app.approvals",
                 G_NOTIFICATION_PRIORITY_HIGH);
    }

  if (desktop->onboarding == NULL || !ow_onboarding_window_take_request (desktop->onboarding, id))
    ow_approval_dialog_add (desktop->approvals, id);
  update_tray (desktop);
}

static void
on_pairing_request_decided (OwPairing *pairing,
                            const char *id,
                            gboolean approved,
                            OwDesktop *desktop)
{
  g_autofree char *key = notification_id ("pair", id);

  g_application_withdraw_notification (G_APPLICATION (desktop->application), key);
  update_tray (desktop);
}

/* A device came in with an OpenWork app link the owner made: they hear which one, with
 * Revoke one click away. */
static void
on_device_joined (OwPairing *pairing, const char *id, const char *name, OwDesktop *desktop)
{
  g_autofree char *key = notification_id ("joined", id);
  /* TRANSLATORS: %s is a device's name */
  g_autofree char *title = g_strdup_printf (_("“%s” connected"), name);
  g_autoptr (GNotification) notification = g_notification_new (title);

  g_notification_set_body (notification, _("It used the OpenWork app link you showed. If this "
                                           "is not the device you meant, revoke it."));
  g_notification_set_default_action (notification, "app.devices");
  g_notification_add_button_with_target (notification, _("Revoke"), "app.revoke-device", "s", id);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_application_send_notification (G_APPLICATION (desktop->application), key, notification);
  update_tray (desktop);
}

static void
on_revoke_device (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;
  const char *id = g_variant_get_string (parameter, NULL);
  g_autofree char *key = notification_id ("joined", id);
  g_autoptr (GError) error = NULL;

  g_application_withdraw_notification (G_APPLICATION (desktop->application), key);
  if (!ow_device_registry_revoke (ow_host_get_devices (desktop->host), id, &error))
    g_warning ("Could not revoke device %s: %s", id, error->message);
}

static void
on_permission_asked (OwPermissions *permissions, const char *id, OwDesktop *desktop)
{
  OwPermissionRequest *request = ow_permissions_lookup (permissions, id);
  g_autofree char *key = notification_id ("permission", id);
  g_autofree char *title = NULL;
  g_auto (GStrv) lines = NULL;
  OwTask *task;

  if (request != NULL)
    {
      task = ow_tasks_lookup (ow_host_get_tasks (desktop->host),
                              ow_permission_request_get_session_id (request));
      /* TRANSLATORS: “device” wants to <run a command, change files, …> */
      title = g_strdup_printf (
        _("“%s” wants to %s"),
           task && ow_task_get_device (task)
             ? ow_task_get_device (task)
             : _("This computer"),
                  ow_permission_action (ow_permission_request_get_permission (request)));
      /* The command, or the first pattern: the rest is in the dialog. */
      lines = g_strsplit (ow_permission_request_get_summary (request), "\n", 2);
      notify (desktop, key, title, lines[0] && *lines[0] ? lines[0] : NULL, "app.permissions",
              G_NOTIFICATION_PRIORITY_URGENT);
    }
  update_tray (desktop);
}

static void
on_permission_withdrawn (OwPermissions *permissions,
                         const char *id,
                         const char *answered_by,
                         OwDesktop *desktop)
{
  g_autofree char *key = notification_id ("permission", id);

  g_application_withdraw_notification (G_APPLICATION (desktop->application), key);
  update_tray (desktop);
}

static void
on_task_changed (OwTasks *tasks, OwTask *task, OwDesktop *desktop)
{
  const char *id = ow_task_get_id (task);
  OwTaskState state = ow_task_get_state (task);
  const char *device = ow_task_get_device (task) ? ow_task_get_device (task) : "";
  const char *reason = ow_task_get_reason (task);
  g_autofree char *key = notification_id ("task", id);
  g_autofree char *body = NULL;
  gpointer told;

  update_tray (desktop);
  /* Once per state: a reason that changes alone is no news. */
  if (g_hash_table_lookup_extended (desktop->task_states, id, NULL, &told) &&
      GPOINTER_TO_INT (told) == (int) state)
    return;
  g_hash_table_replace (desktop->task_states, g_strdup (id), GINT_TO_POINTER (state));

  if (state == OW_TASK_SUCCEEDED)
    {
      /* TRANSLATORS: %s is a device's name */
      body = g_strdup_printf (_("The task from “%s” is done."), device);
      notify (desktop, key,
              _("Task finished"), body, "app.health", G_NOTIFICATION_PRIORITY_NORMAL);
    }
  else if (state == OW_TASK_FAILED || state == OW_TASK_INTERRUPTED)
    {
      /* TRANSLATORS: a device's name, then why its task failed */
      body = g_strdup_printf (_("The task from “%s” failed: %s"), device,
                                 reason ? reason : _("no reason given"));
      notify (desktop, key, _("Task failed"), body, "app.health", G_NOTIFICATION_PRIORITY_HIGH);
    }
}

/* Actions */

static OwOnboardingWindow *
ensure_onboarding (OwDesktop *desktop)
{
  if (desktop->onboarding == NULL)
    desktop->onboarding = ow_onboarding_window_new (desktop->application, desktop->host);
  return desktop->onboarding;
}

static gboolean
has_devices (OwDesktop *desktop)
{
  return g_list_model_get_n_items (G_LIST_MODEL (ow_host_get_devices (desktop->host))) > 0;
}

static void
on_pair (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  ow_onboarding_window_start (ensure_onboarding (desktop), !has_devices (desktop));
}

static void
on_new_code (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  ow_pairing_renew_offer (ow_host_get_pairing (desktop->host));
  ow_onboarding_window_start (ensure_onboarding (desktop), FALSE);
}

static void
on_devices (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  if (desktop->devices == NULL)
    desktop->devices = ow_devices_window_new (desktop->application, desktop->host);
  present (GTK_WINDOW (desktop->devices));
}

static void
on_health (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  if (desktop->health == NULL)
    desktop->health = ow_health_window_new (desktop->application, desktop->host);
  present (GTK_WINDOW (desktop->health));
}

static void
on_approvals (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;
  GListModel *pending = ow_pairing_get_requests (ow_host_get_pairing (desktop->host));

  for (guint i = 0; i < g_list_model_get_n_items (pending); i++)
    {
      g_autoptr (OwPairingRequest) request = g_list_model_get_item (pending, i);

      ow_approval_dialog_add (desktop->approvals, ow_pairing_request_get_id (request));
    }
}

static void
on_permissions (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  ow_permission_dialog_present (desktop->permissions);
}

static void
on_pause_change_state (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  ow_host_set_paused (desktop->host, g_variant_get_boolean (value));
}

static void
on_host_paused (OwHost *host, GParamSpec *pspec, OwDesktop *desktop)
{
  GAction *pause = g_action_map_lookup_action (G_ACTION_MAP (desktop->application), "pause");
  gboolean paused = ow_host_get_paused (host);

  g_simple_action_set_state (G_SIMPLE_ACTION (pause), g_variant_new_boolean (paused));
  if (desktop->tray)
    ow_tray_set_paused (desktop->tray, paused);
  update_tray (desktop);
}

static void
on_open_logs (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  ow_open_folder (NULL, ow_paths_get_log_dir (ow_host_get_paths (desktop->host)));
}

static void
on_restart_runtime (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  ow_host_restart_runtime (desktop->host);
}

static void
on_announce (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  ow_host_announce_again (desktop->host);
}

static void
on_quit (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  OwDesktop *desktop = user_data;

  g_application_quit (G_APPLICATION (desktop->application));
}

/* A path as one argument of a desktop entry's Exec key: double quotes where needed, with
 * ", `, $ and \ escaped (the Desktop Entry Specification's rules, not the shell's). */
static char *
quote_exec_argument (const char *path)
{
  g_autoptr (GString) quoted = g_string_new ("\"");

  if (strpbrk (path, " \t\n\"'\\><~|&;$*?#()`") == NULL)
    return g_strdup (path);
  for (const char *c = path; *c; c++)
    {
      if (strchr ("\"`$\\", *c))
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *c);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (g_steal_pointer (&quoted), FALSE);
}

/* OpenWork app access: the setting and the host say the same. A switch in the window or
 * from the command line lands in the setting; a change of the setting (dconf Editor,
 * gsettings set) switches the host. */
static void
on_openwork_app_setting_changed (GSettings *settings, const char *key, OwDesktop *desktop)
{
  gboolean wanted = g_settings_get_boolean (settings, "openwork-app-access");
  g_autoptr (GError) error = NULL;

  if (wanted == (ow_host_get_openwork_app_port (desktop->host) != 0))
    return;
  if (!ow_host_set_openwork_app_access (desktop->host, wanted, &error))
    g_warning ("OpenWork app access stays off: %s", error->message);
}

static void
on_openwork_app_port (OwHost *host, GParamSpec *pspec, OwDesktop *desktop)
{
  gboolean on = ow_host_get_openwork_app_port (host) != 0;

  if (desktop->settings && g_settings_get_boolean (desktop->settings, "openwork-app-access") != on)
    g_settings_set_boolean (desktop->settings, "openwork-app-access", on);
}

/* Start at login: an autostart entry, written or removed as the setting changes. */
static void
on_start_at_login_changed (GSettings *settings, const char *key, OwDesktop *desktop)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "autostart", NULL);
  g_autofree char *path = g_build_filename (dir, APPLICATION_ID ".desktop", NULL);
  g_autoptr (GError) error = NULL;

  if (g_settings_get_boolean (settings, "start-at-login"))
    {
      g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *quoted = quote_exec_argument (self_path ? self_path : "openwork-host");
      g_autofree char *entry = g_strdup_printf ("[Desktop Entry]\n"
                                                "Type=Application\n"
                                                "Name=OpenWork Host\n"
                                                "Exec=%s\n"
                                                "Icon=" APPLICATION_ID "\n"
                                                "X-GNOME-Autostart-enabled=true\n"
                                                "NoDisplay=true\n",
                                                quoted);

      if (g_mkdir_with_parents (dir, 0700) != 0 ||
          !g_file_set_contents_full (path, entry, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
        g_message ("Start at login cannot be turned on: %s",
                   error ? error->message : g_strerror (errno));
    }
  else if (g_unlink (path) != 0 && errno != ENOENT)
    {
      g_message ("Start at login cannot be turned off: %s: %s", path, g_strerror (errno));
    }
}

/* Without a StatusNotifier host (a desktop without a tray), the main window stands in. */

static gboolean
on_quit_window (OwDesktop *desktop)
{
  g_application_quit (G_APPLICATION (desktop->application));
  return TRUE;
}

static void
show_main_window (OwDesktop *desktop)
{
  if (desktop->main_window == NULL)
    {
      desktop->main_window = ow_status_window_new (desktop->application, desktop->host);
      ow_status_window_set_no_tray_reason (desktop->main_window, desktop->no_tray_reason);
      /* Without a tray nothing could bring the window back: closing it quits. */
      g_signal_connect_swapped (desktop->main_window, "delete-event", G_CALLBACK (on_quit_window),
                                desktop);
      update_tray (desktop);
    }
  gtk_window_present (GTK_WINDOW (desktop->main_window));
}

static void
on_watcher_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OwDesktop *desktop = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply =
    g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autoptr (GVariant) value = NULL;

  if (reply)
    g_variant_get (reply, "(v)", &value);
  if (value && g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN) &&
      g_variant_get_boolean (value))
    return;

  desktop->no_tray_reason = g_strdup (
    _("No system tray was found on this desktop, so OpenWork Host shows this window instead. "
      "Closing it stops hosting. On GNOME, the AppIndicator extension adds the tray icon."));
  g_message ("No StatusNotifier host on the session bus (%s); showing the main window.",
             error ? error->message : "none registered");
  show_main_window (desktop);
}

static void
check_for_tray (OwDesktop *desktop)
{
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (desktop->application));

  if (bus == NULL)
    {
      on_watcher_checked (NULL, NULL, desktop);
      return;
    }
  g_dbus_connection_call (
    bus, "org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher",
    "org.freedesktop.DBus.Properties", "Get",
    g_variant_new ("(ss)", "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered"),
    G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, on_watcher_checked,
    desktop);
}

/* Where the tray icons are: installed, or in the source tree when run from a build. */
static char *
find_icon_theme_path (void)
{
  g_autofree char *installed = g_build_filename (OW_DATADIR, "icons", NULL);
  g_autofree char *probe = g_build_filename (installed, "hicolor", "scalable", "status",
                                             "org.openwork.Host-idle-symbolic.svg", NULL);

  if (g_file_test (probe, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&installed);
  return g_build_filename (OW_SOURCE_DIR, "data", "icons", NULL);
}

static void
on_startup (GApplication *application, OwDesktop *desktop)
{
  /* clang-format off */
  const GActionEntry actions[] = {
    { "pair", on_pair, NULL, NULL, NULL },
    { "new-code", on_new_code, NULL, NULL, NULL },
    { "devices", on_devices, NULL, NULL, NULL },
    { "revoke-device", on_revoke_device, "s", NULL, NULL },
    { "health", on_health, NULL, NULL, NULL },
    { "approvals", on_approvals, NULL, NULL, NULL },
    { "permissions", on_permissions, NULL, NULL, NULL },
    { "pause", NULL, NULL, "false", on_pause_change_state },
    { "open-logs", on_open_logs, NULL, NULL, NULL },
    { "restart-runtime", on_restart_runtime, NULL, NULL, NULL },
    { "announce", on_announce, NULL, NULL, NULL },
    { "quit", on_quit, NULL, NULL, NULL },
  };
  /* clang-format on */
  g_autofree char *icon_theme_path = find_icon_theme_path ();

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions),
                                   desktop);
  if (desktop->settings)
    {
      g_autoptr (GAction) start_at_login =
        g_settings_create_action (desktop->settings, "start-at-login");

      g_action_map_add_action (G_ACTION_MAP (application), start_at_login);
      g_signal_connect (desktop->settings, "changed::start-at-login",
                        G_CALLBACK (on_start_at_login_changed), desktop);
      /* host.conf wins at start, and the setting follows it. */
      if (ow_host_get_openwork_app_error (desktop->host) == NULL)
        on_openwork_app_port (desktop->host, NULL, desktop);
      g_signal_connect (desktop->settings, "changed::openwork-app-access",
                        G_CALLBACK (on_openwork_app_setting_changed), desktop);
    }
  gtk_icon_theme_append_search_path (gtk_icon_theme_get_default (), icon_theme_path);
  gtk_window_set_default_icon_name (APPLICATION_ID);

  desktop->tray = ow_tray_new (application, icon_theme_path);
  desktop->approvals = ow_approval_dialog_new (desktop->application, desktop->host);
  desktop->permissions = ow_permission_dialog_new (desktop->application, desktop->host);

  g_signal_connect (ow_host_get_pairing (desktop->host), "request-added",
                    G_CALLBACK (on_pairing_request_added), desktop);
  g_signal_connect (ow_host_get_pairing (desktop->host), "request-decided",
                    G_CALLBACK (on_pairing_request_decided), desktop);
  g_signal_connect (ow_host_get_pairing (desktop->host), "device-joined",
                    G_CALLBACK (on_device_joined), desktop);
  g_signal_connect (ow_host_get_permissions (desktop->host), "asked",
                    G_CALLBACK (on_permission_asked), desktop);
  g_signal_connect (ow_host_get_permissions (desktop->host), "withdrawn",
                    G_CALLBACK (on_permission_withdrawn), desktop);
  g_signal_connect (ow_host_get_tasks (desktop->host), "changed", G_CALLBACK (on_task_changed),
                    desktop);
  /* A task that goes (its session deleted) may have been the one running. */
  g_signal_connect_swapped (ow_host_get_tasks (desktop->host), "items-changed",
                            G_CALLBACK (update_tray), desktop);
  g_signal_connect_swapped (ow_host_get_supervisor (desktop->host), "notify::state",
                            G_CALLBACK (update_tray), desktop);
  g_signal_connect (desktop->host, "notify::paused", G_CALLBACK (on_host_paused), desktop);
  g_signal_connect (desktop->host, "notify::openwork-app-port", G_CALLBACK (on_openwork_app_port),
                    desktop);
  update_tray (desktop);
  check_for_tray (desktop);
}

static void
on_activate (GApplication *application, OwDesktop *desktop)
{
  /* The first start: nothing paired yet, so show how. */
  if (!has_devices (desktop))
    ow_onboarding_window_start (ensure_onboarding (desktop), TRUE);
  else if (desktop->no_tray_reason)
    show_main_window (desktop);
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

static gboolean
open_display (void)
{
  /* Nothing here draws with OpenGL. Left on, GTK loads the GL driver at start to choose
   * visuals: on Xvfb that is Mesa's llvmpipe, 50 MiB of the desktop host's 98 MiB. */
  g_setenv ("GDK_GL", "disable", FALSE);
  return gtk_init_check (NULL, NULL);
}

static void
show_startup_error (const char *message)
{
  GtkWidget *dialog = gtk_message_dialog_new (NULL, 0, GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE,
                                              _("OpenWork Host cannot start"));

  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", message);
  gtk_window_set_title (GTK_WINDOW (dialog), _("OpenWork Host"));
  ow_check_layout_when_shown (GTK_WINDOW (dialog));
  gtk_dialog_run (GTK_DIALOG (dialog));
  gtk_widget_destroy (dialog);
}

static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema =
    source ? g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE) : NULL;

  if (schema == NULL)
    {
      g_message ("The settings schema %s is not installed; using the defaults. Install the host "
                 "(meson install) or set GSETTINGS_SCHEMA_DIR.",
                 APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static int
run (OwHost *host, GSettings *settings, int argc, char **argv)
{
  OwDesktop desktop = { .host = host };
  g_autoptr (GMainLoop) stopping = g_main_loop_new (NULL, FALSE);
  guint sigint_id, sigterm_id;
  int status;

  /* Several hosts (one per data folder) may run at once, so no single-instance ownership. */
  desktop.application = gtk_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  desktop.settings = settings ? g_object_ref (settings) : NULL;
  desktop.task_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (desktop.application, "startup", G_CALLBACK (on_startup), &desktop);
  g_signal_connect (desktop.application, "activate", G_CALLBACK (on_activate), &desktop);
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, desktop.application);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, desktop.application);

  status = g_application_run (G_APPLICATION (desktop.application), argc, argv);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (ow_host_get_pairing (host), &desktop);
  g_signal_handlers_disconnect_by_data (ow_host_get_permissions (host), &desktop);
  g_signal_handlers_disconnect_by_data (ow_host_get_tasks (host), &desktop);
  g_signal_handlers_disconnect_by_data (ow_host_get_supervisor (host), &desktop);
  g_signal_handlers_disconnect_by_data (host, &desktop);
  if (desktop.settings)
    g_signal_handlers_disconnect_by_data (desktop.settings, &desktop);

  ow_host_stop_async (host, on_host_stopped, stopping);
  g_main_loop_run (stopping);

  g_clear_object (&desktop.tray);
  g_clear_object (&desktop.settings);
  g_clear_pointer (&desktop.task_states, g_hash_table_unref);
  g_clear_pointer (&desktop.no_tray_reason, g_free);
  g_clear_object (&desktop.application);
  return status;
}

const OwDesktopFace *
ow_desktop_face (void)
{
  static const OwDesktopFace face = {
    .version = PACKAGE_VERSION,
    .open_display = open_display,
    .open_settings = open_settings,
    .run = run,
    .show_startup_error = show_startup_error,
  };

  return &face;
}
