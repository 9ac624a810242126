#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>

#include "cli/ow-cli.h"
#include "ow-host.h"
#include "ow-identity.h"
#include "ow-desktop-loader.h"

typedef struct
{
  OwHost *host;
  GMainLoop *loop;
  gboolean stopping;
} Headless;

static void
on_host_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Headless *headless = user_data;

  ow_host_stop_finish (OW_HOST (source), result, NULL);
  g_main_loop_quit (headless->loop);
}

/* Each client connection is a descriptor, and the usual soft limit of 1024 is the first
 * thing a busy network exhausts. The hard limit is what the administrator allows; more
 * than 65536 would only make children that close every descriptor slow to start. */
#define DESCRIPTOR_LIMIT 65536

static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= DESCRIPTOR_LIMIT)
    return;
  limit.rlim_cur = MIN (limit.rlim_max, DESCRIPTOR_LIMIT);
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("Could not raise the descriptor limit to %lu", (unsigned long) limit.rlim_cur);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Headless *headless = user_data;

  if (!headless->stopping)
    {
      headless->stopping = TRUE;
      g_message ("Stopping the host…");
      ow_host_stop_async (headless->host, on_host_stopped, headless);
    }
  return G_SOURCE_CONTINUE;
}

static int
run_headless (OwHost *host)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Headless headless = { .host = host, .loop = loop };
  guint sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, &headless);
  guint sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, &headless);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  return OW_CLI_EXIT_OK;
}

/* Ports the command line did not give: the desktop face's settings, else the defaults. */
#define PORT_NOT_GIVEN (-2)

static gboolean
display_available (void)
{
  return g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL;
}

int
main (int argc, char **argv)
{
  gboolean headless = FALSE;
  gboolean show_version = FALSE;
  g_autofree char *data_dir = NULL;
  g_autofree char *opencode = NULL;
  g_auto (GStrv) workspaces = NULL;
  int port = PORT_NOT_GIVEN;
  int http_port = OW_HOST_PORT_UNSET;
  int event_buffer = 0;
  int max_body_mib = 16;
  g_autofree char *permission_answers = NULL;
  OwScope answerers = OW_SCOPE_OWNER;
  g_auto (GStrv) cors_origins = NULL;
  gboolean no_discovery = FALSE;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      N_("Run without the desktop face (the default when there is no display)"), NULL },
    { "no-discovery", 0, 0, G_OPTION_ARG_NONE, &no_discovery,
      N_("Do not announce the host on the local network (mDNS); devices pair by QR code or "
         "address"), NULL },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("Keep every file the host writes under DIR instead of the XDG folders"), N_("DIR") },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      N_("Port of the LAN gateway (default 8787; 0 picks a free one)"), N_("N") },
    { "http-port", 0, 0, G_OPTION_ARG_INT, &http_port,
      N_("OpenWork app access on port N for this run: plain HTTP, unencrypted (-1: off)"),
      N_("N") },
    { "cors-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cors_origins,
      N_("Let web pages from ORIGIN call the API; repeat for more"), N_("ORIGIN") },
    { "event-buffer", 0, 0, G_OPTION_ARG_INT, &event_buffer,
      N_("Keep the last N events for clients that resume (default 10000)"), N_("N") },
    { "max-body-size", 0, 0, G_OPTION_ARG_INT, &max_body_mib,
      N_("Refuse request bodies larger than MIB mebibytes (default 16)"), N_("MIB") },
    { "permission-answers", 0, 0, G_OPTION_ARG_STRING, &permission_answers,
      N_("Who may answer the runtime's permission requests: owner (default) or collaborator"),
      N_("SCOPE") },
    { "workspace", 'w', 0, G_OPTION_ARG_FILENAME_ARRAY, &workspaces,
      N_("A folder clients may run tasks in; repeat for more (default: the current folder)"),
      N_("DIR") },
    { "opencode", 0, 0, G_OPTION_ARG_FILENAME, &opencode,
      N_("The OpenCode runtime binary to run (default: the pinned runtime, then PATH)"),
      N_("PATH") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version, N_("Print the version and exit"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OwHost) host = NULL;
  g_autoptr (OwPaths) paths = NULL;
  g_autoptr (GSettings) settings = NULL; /* only the desktop face reads it */
  g_auto (GStrv) sensitive_tools = NULL;
  const OwDesktopFace *desktop = NULL;
  OwHostOptions options;

  /* Writing to a peer that has gone (a pipe, a socket) is an error to handle, not a reason
   * to die. */
  signal (SIGPIPE, SIG_IGN);
  raise_descriptor_limit ();
  /* Once for the process, before any service draws a random byte or pairs. */
  if (sodium_init () < 0)
    g_error ("libsodium could not be initialised");
  ow_identity_use_tls_policy ();
  setlocale (LC_ALL, "");
  /* OPENWORK_HOST_LOCALEDIR: translations from a build tree (<build>/po), for the tests. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("OPENWORK_HOST_LOCALEDIR")
                                     ? g_getenv ("OPENWORK_HOST_LOCALEDIR")
                                     : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (
    _("[COMMAND] — run the host, or: status [--json] | pair [--json] | devices "
      "pending|approve|deny|list|revoke | tasks [--json] | permissions list|reply | token "
      "create|list|revoke | openwork-app [on|off]"));
  g_option_context_set_summary (
    context, _("Lets OpenWork clients on your network run tasks on this machine through the "
               "OpenCode runtime."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Stop at the first command word, so that each command parses its own options. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n%s\n", error->message, _("Run openwork-host --help for the options."));
      return OW_CLI_EXIT_USAGE;
    }

  if (show_version)
    {
      g_print ("openwork-host %s (OpenCode runtime %s)\n", PACKAGE_VERSION, OW_OPENCODE_VERSION);
      return OW_CLI_EXIT_OK;
    }

  if (event_buffer < 0 || event_buffer > 10000000)
    {
      g_printerr (_("--event-buffer takes a number of events from 1 to 10000000.\n"));
      return OW_CLI_EXIT_USAGE;
    }

  if (max_body_mib < 1 || max_body_mib > 4096)
    {
      g_printerr (_("--max-body-size takes a number of MiB from 1 to 4096.\n"));
      return OW_CLI_EXIT_USAGE;
    }

  if (permission_answers &&
      (!ow_scope_from_string (permission_answers, &answerers) || answerers == OW_SCOPE_VIEWER))
    {
      g_printerr (_("--permission-answers takes owner or collaborator.\n"));
      return OW_CLI_EXIT_USAGE;
    }

  if ((port < 0 && port != PORT_NOT_GIVEN) || port > 65535 ||
      (http_port < -1 && http_port != OW_HOST_PORT_UNSET) || http_port > 65535)
    {
      g_printerr (_("Ports are numbers from 0 to 65535 (0 picks a free one).\n"));
      return OW_CLI_EXIT_USAGE;
    }

  if (argc > 1)
    {
      paths = ow_paths_new (data_dir);
      if (g_str_equal (argv[1], "status"))
        return ow_cli_status (paths, argc - 1, argv + 1);
      if (g_str_equal (argv[1], "token"))
        return ow_cli_token (paths, argc - 1, argv + 1);
      if (g_str_equal (argv[1], "pair"))
        return ow_cli_pair (paths, argc - 1, argv + 1);
      if (g_str_equal (argv[1], "devices"))
        return ow_cli_devices (paths, argc - 1, argv + 1);
      if (g_str_equal (argv[1], "permissions"))
        return ow_cli_permissions (paths, argc - 1, argv + 1);
      if (g_str_equal (argv[1], "openwork-app"))
        return ow_cli_openwork_app (paths, argc - 1, argv + 1);
      if (g_str_equal (argv[1], "tasks"))
        return ow_cli_tasks (paths, argc - 1, argv + 1);
      if (g_str_equal (argv[1], "client"))
        return ow_cli_client (data_dir, argc - 1, argv + 1);

      g_printerr (_("Unknown command “%s”. Run openwork-host --help for the commands.\n"),
                     argv[1]);
      return OW_CLI_EXIT_USAGE;
    }

  if (!headless && display_available ())
    {
      g_autoptr (GError) load_error = NULL;

      desktop = ow_desktop_load (&load_error);
      if (desktop == NULL)
        g_message ("%s Running headless.", load_error->message);
      else if (!desktop->open_display ())
        {
          g_message ("The display %s cannot be opened. Running headless.",
                     g_getenv ("WAYLAND_DISPLAY") ? g_getenv ("WAYLAND_DISPLAY")
                                                  : g_getenv ("DISPLAY"));
          desktop = NULL;
        }
    }

  options = (OwHostOptions){ .no_metrics = FALSE };
  /* The desktop face's settings stand in for what the command line does not say. */
  if (desktop && (settings = desktop->open_settings ()) != NULL)
    {
      if (port == PORT_NOT_GIVEN)
        port = (int) g_settings_get_uint (settings, "port");
      options.openwork_app = g_settings_get_boolean (settings, "openwork-app-access");
      options.openwork_app_port = g_settings_get_uint (settings, "openwork-app-port");
      no_discovery = no_discovery || !g_settings_get_boolean (settings, "discovery");
      options.no_metrics = !g_settings_get_boolean (settings, "metrics");
      sensitive_tools = g_settings_get_strv (settings, "sensitive-tools");
    }
  if (port == PORT_NOT_GIVEN)
    port = OW_DEFAULT_GATEWAY_PORT;

  options = (OwHostOptions){
    .no_metrics = options.no_metrics,
    .openwork_app = options.openwork_app,
    .openwork_app_port = options.openwork_app_port,
    .sensitive_tools = (const char *const *) sensitive_tools,
    .data_dir = data_dir,
    .workspaces = (const char *const *) workspaces,
    .opencode = opencode,
    .port = (guint) port,
    .http_port = http_port,
    .cors_origins = (const char *const *) cors_origins,
    .event_buffer = (guint) event_buffer,
    .max_body_bytes = (gsize) max_body_mib * 1024 * 1024,
    .permission_answers = answerers,
    .discovery = !no_discovery,
  };

  host = ow_host_new (&options, &error);
  if (host == NULL || !ow_host_start (host, &error))
    {
      g_printerr ("%s\n", error->message);
      if (desktop)
        desktop->show_startup_error (error->message);
      return OW_CLI_EXIT_FAILURE;
    }

  if (desktop)
    return desktop->run (host, settings, argc, argv);
  return run_headless (host);
}
