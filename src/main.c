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

/* What the command line says. */
typedef struct
{
  gboolean headless;
  gboolean show_version;
  char *data_dir;
  char *opencode;
  GStrv workspaces;
  int port;
  int http_port;
  int event_buffer;
  int max_body_mib;
  char *permission_answers;
  OwScope answerers;
  GStrv cors_origins;
  gboolean no_discovery;
} Arguments;

static void
arguments_clear (Arguments *arguments)
{
  g_free (arguments->data_dir);
  g_free (arguments->opencode);
  g_strfreev (arguments->workspaces);
  g_free (arguments->permission_answers);
  g_strfreev (arguments->cors_origins);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Arguments, arguments_clear)

/* What the process needs before anything else: signals, limits, libraries, translations. */
static void
init_process (void)
{
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
}

/* A usage error's message, or %NULL when the numbers and names given make sense. */
static const char *
check_arguments (Arguments *arguments)
{
  if (arguments->event_buffer < 0 || arguments->event_buffer > 10000000)
    return _("--event-buffer takes a number of events from 1 to 10000000.");
  if (arguments->max_body_mib < 1 || arguments->max_body_mib > 4096)
    return _("--max-body-size takes a number of MiB from 1 to 4096.");
  if (arguments->permission_answers &&
      (!ow_scope_from_string (arguments->permission_answers, &arguments->answerers) ||
       arguments->answerers == OW_SCOPE_VIEWER))
    return _("--permission-answers takes owner or collaborator.");
  if ((arguments->port < 0 && arguments->port != PORT_NOT_GIVEN) || arguments->port > 65535 ||
      (arguments->http_port < -1 && arguments->http_port != OW_HOST_PORT_UNSET) ||
      arguments->http_port > 65535)
    return _("Ports are numbers from 0 to 65535 (0 picks a free one).");
  return NULL;
}

/* Parses the options before the first command word (each command parses its own) into
 * @arguments. Returns an exit code when the process is done, or -1 to go on. */
static int
parse_arguments (Arguments *arguments, int *argc, char ***argv)
{
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &arguments->headless,
      N_("Run without the desktop face (the default when there is no display)"), NULL },
    { "no-discovery", 0, 0, G_OPTION_ARG_NONE, &arguments->no_discovery,
      N_("Do not announce the host on the local network (mDNS); devices pair by QR code or "
         "address"), NULL },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &arguments->data_dir,
      N_("Keep every file the host writes under DIR instead of the XDG folders"), N_("DIR") },
    { "port", 'p', 0, G_OPTION_ARG_INT, &arguments->port,
      N_("Port of the LAN gateway (default 8787; 0 picks a free one)"), N_("N") },
    { "http-port", 0, 0, G_OPTION_ARG_INT, &arguments->http_port,
      N_("OpenWork app access on port N for this run: plain HTTP, unencrypted (-1: off)"),
      N_("N") },
    { "cors-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &arguments->cors_origins,
      N_("Let web pages from ORIGIN call the API; repeat for more"), N_("ORIGIN") },
    { "event-buffer", 0, 0, G_OPTION_ARG_INT, &arguments->event_buffer,
      N_("Keep the last N events for clients that resume (default 10000)"), N_("N") },
    { "max-body-size", 0, 0, G_OPTION_ARG_INT, &arguments->max_body_mib,
      N_("Refuse request bodies larger than MIB mebibytes (default 16)"), N_("MIB") },
    { "permission-answers", 0, 0, G_OPTION_ARG_STRING, &arguments->permission_answers,
      N_("Who may answer the runtime's permission requests: owner (default) or collaborator"),
      N_("SCOPE") },
    { "workspace", 'w', 0, G_OPTION_ARG_FILENAME_ARRAY, &arguments->workspaces,
      N_("A folder clients may run tasks in; repeat for more (default: the current folder)"),
      N_("DIR") },
    { "opencode", 0, 0, G_OPTION_ARG_FILENAME, &arguments->opencode,
      N_("The OpenCode runtime binary to run (default: the pinned runtime, then PATH)"),
      N_("PATH") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &arguments->show_version,
      N_("Print the version and exit"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (
    _("[COMMAND] — run the host, or: status [--json] | pair [--json] | devices "
      "pending|approve|deny|list|revoke | tasks [--json] | permissions list|reply | token "
      "create|list|revoke | openwork-app [on|off]"));
  g_autoptr (GError) error = NULL;
  const char *problem;

  g_option_context_set_summary (
    context, _("Lets OpenWork clients on your network run tasks on this machine through the "
               "OpenCode runtime."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Stop at the first command word, so that each command parses its own options. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s\n%s\n", error->message, _("Run openwork-host --help for the options."));
      return OW_CLI_EXIT_USAGE;
    }
  if (arguments->show_version)
    {
      g_print ("openwork-host %s (OpenCode runtime %s)\n", PACKAGE_VERSION, OW_OPENCODE_VERSION);
      return OW_CLI_EXIT_OK;
    }
  if ((problem = check_arguments (arguments)) != NULL)
    {
      g_printerr ("%s\n", problem);
      return OW_CLI_EXIT_USAGE;
    }
  return -1;
}

/* Runs the command @argv[0] (status, token, pair, …) against the host that runs. */
static int
run_command (const Arguments *arguments, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*run) (OwPaths *paths, int argc, char **argv);
  } commands[] = {
    { "status", ow_cli_status },
    { "token", ow_cli_token },
    { "pair", ow_cli_pair },
    { "devices", ow_cli_devices },
    { "permissions", ow_cli_permissions },
    { "openwork-app", ow_cli_openwork_app },
    { "tasks", ow_cli_tasks },
  };
  g_autoptr (OwPaths) paths = ow_paths_new (arguments->data_dir);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[0], commands[i].name))
      return commands[i].run (paths, argc, argv);
  if (g_str_equal (argv[0], "client"))
    return ow_cli_client (arguments->data_dir, argc, argv);

  g_printerr (_("Unknown command “%s”. Run openwork-host --help for the commands.\n"), argv[0]);
  return OW_CLI_EXIT_USAGE;
}

/* The desktop face, when there is a display to show it on and it is wanted. */
static const OwDesktopFace *
open_desktop (const Arguments *arguments)
{
  g_autoptr (GError) error = NULL;
  const OwDesktopFace *desktop;

  if (arguments->headless || !display_available ())
    return NULL;
  desktop = ow_desktop_load (&error);
  if (desktop == NULL)
    {
      g_message ("%s Running headless.", error->message);
      return NULL;
    }
  if (!desktop->open_display ())
    {
      g_message ("The display %s cannot be opened. Running headless.",
                 g_getenv ("WAYLAND_DISPLAY") ? g_getenv ("WAYLAND_DISPLAY")
                                              : g_getenv ("DISPLAY"));
      return NULL;
    }
  return desktop;
}

int
main (int argc, char **argv)
{
  g_auto (Arguments) arguments = {
    .port = PORT_NOT_GIVEN,
    .http_port = OW_HOST_PORT_UNSET,
    .max_body_mib = 16,
    .answerers = OW_SCOPE_OWNER,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (OwHost) host = NULL;
  g_autoptr (GSettings) settings = NULL; /* only the desktop face reads it */
  g_auto (GStrv) sensitive_tools = NULL;
  const OwDesktopFace *desktop;
  OwHostOptions options = { .no_metrics = FALSE };
  int done;

  init_process ();
  if ((done = parse_arguments (&arguments, &argc, &argv)) >= 0)
    return done;
  if (argc > 1)
    return run_command (&arguments, argc - 1, argv + 1);

  desktop = open_desktop (&arguments);
  /* The desktop face's settings stand in for what the command line does not say. */
  if (desktop && (settings = desktop->open_settings ()) != NULL)
    {
      if (arguments.port == PORT_NOT_GIVEN)
        arguments.port = (int) g_settings_get_uint (settings, "port");
      options.openwork_app = g_settings_get_boolean (settings, "openwork-app-access");
      options.openwork_app_port = g_settings_get_uint (settings, "openwork-app-port");
      arguments.no_discovery =
        arguments.no_discovery || !g_settings_get_boolean (settings, "discovery");
      options.no_metrics = !g_settings_get_boolean (settings, "metrics");
      sensitive_tools = g_settings_get_strv (settings, "sensitive-tools");
    }
  if (arguments.port == PORT_NOT_GIVEN)
    arguments.port = OW_DEFAULT_GATEWAY_PORT;

  options.sensitive_tools = (const char *const *) sensitive_tools;
  options.data_dir = arguments.data_dir;
  options.workspaces = (const char *const *) arguments.workspaces;
  options.opencode = arguments.opencode;
  options.port = (guint) arguments.port;
  options.http_port = arguments.http_port;
  options.cors_origins = (const char *const *) arguments.cors_origins;
  options.event_buffer = (guint) arguments.event_buffer;
  options.max_body_bytes = (gsize) arguments.max_body_mib * 1024 * 1024;
  options.permission_answers = arguments.answerers;
  options.discovery = !arguments.no_discovery;

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
