#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"
#include "ow-control-server.h"

#include <glib/gi18n.h>

static char *
format_duration (gint64 ms)
{
  gint64 seconds = ms / 1000;

  if (seconds < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT " s", seconds);
  if (seconds < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %" G_GINT64_FORMAT " s", seconds / 60,
                            seconds % 60);
  if (seconds < 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min", seconds / 3600,
                            (seconds % 3600) / 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " d %" G_GINT64_FORMAT " h", seconds / 86400,
                          (seconds % 86400) / 3600);
}

static const char *
member_string (JsonObject *object, const char *name)
{
  return json_object_get_string_member_with_default (object, name, NULL);
}

static void
print_discovery (JsonObject *discovery)
{
  const char *state;

  if (discovery == NULL)
    return;
  state = member_string (discovery, "state");
  if (g_strcmp0 (state, "published") == 0)
    g_print (_("  Discovery:   announced as “%s” (mDNS)\n"), member_string (discovery, "name"));
  else if (g_strcmp0 (state, "off") == 0)
    g_print (_("  Discovery:   off (--no-discovery)\n"));
  else if (state)
    g_print (_("  Discovery:   %s%s%s\n"), state, member_string (discovery, "reason") ? ": " : "",
                member_string (discovery, "reason") ? member_string (discovery, "reason") : "");
}

static char *
format_rate (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup (_("no data yet"));
  return g_strdup_printf ("%.1f %%", json_node_get_double (node) * 100);
}

/* The two measures of success over the last 7 days, and what goes into them. */
static void
print_metrics (JsonObject *metrics)
{
  JsonObject *pairings, *tasks, *failures;
  g_autofree char *pairing_rate = NULL;
  g_autofree char *disconnect_share = NULL;

  if (metrics == NULL)
    return;
  if (!json_object_get_boolean_member_with_default (metrics, "recording", FALSE))
    {
      g_print (_("Metrics: off ([metrics] enabled=false in host.conf)\n"));
      return;
    }
  pairings = json_object_get_object_member (metrics, "pairings");
  tasks = json_object_get_object_member (metrics, "tasks");
  failures = json_object_get_object_member (metrics, "connectionFailures");
  pairing_rate = format_rate (pairings, "firstTimeSuccessRate");
  disconnect_share = format_rate (tasks, "disconnectFailureShare");

  g_print (_("Last 7 days (kept on this machine only):\n"));
  g_print (_("  Pairing on the first try:    %s (%" G_GINT64_FORMAT " first try, %" G_GINT64_FORMAT
             " after a failure, %" G_GINT64_FORMAT " failed attempts)\n"),
              pairing_rate, json_object_get_int_member (pairings, "firstTry"),
              json_object_get_int_member (pairings, "retried"),
              json_object_get_int_member (pairings, "failed"));
  g_print (_("  Tasks failed by a disconnect: %s (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
             " tasks)\n"),
    disconnect_share, json_object_get_int_member (tasks, "disconnectFailures"),
    json_object_get_int_member (tasks, "succeeded") + json_object_get_int_member (tasks, "failed") +
      json_object_get_int_member (tasks, "interrupted"));
  g_print (_("  Runtime restarts: %" G_GINT64_FORMAT "; failed TLS handshakes: %" G_GINT64_FORMAT
             "; refused tokens: %" G_GINT64_FORMAT "; dropped streams: %" G_GINT64_FORMAT "\n"),
              json_object_get_int_member (metrics, "runtimeRestarts"),
              json_object_get_int_member (failures, "tls"),
              json_object_get_int_member (failures, "auth"),
              json_object_get_int_member (failures, "streamDropped"));
}

static void
print_status (JsonObject *status)
{
  JsonObject *host = json_object_get_object_member (status, "host");
  JsonObject *runtime = json_object_get_object_member (status, "runtime");
  JsonObject *gateway = json_object_get_object_member (status, "gateway");
  JsonArray *workspaces = json_object_get_array_member (host, "workspaces");
  g_autofree char *uptime =
    format_duration (json_object_get_int_member_with_default (host, "uptimeMs", 0));
  const char *state = member_string (runtime, "state");
  const char *version = member_string (runtime, "version");
  const char *last_error = member_string (runtime, "lastError");
  gint64 pid = json_object_get_int_member_with_default (runtime, "pid", 0);
  gint64 port = json_object_get_int_member_with_default (runtime, "port", 0);

  g_print (_("OpenWork Host %s is running (pid %" G_GINT64_FORMAT ", up %s)\n"),
              member_string (host, "version"), json_object_get_int_member (host, "pid"), uptime);
  g_print (_("  Data folder: %s\n"), member_string (host, "dataDir"));
  for (guint i = 0; workspaces && i < json_array_get_length (workspaces); i++)
    g_print (_("  Workspace:   %s\n"), json_array_get_string_element (workspaces, i));

  if (gateway)
    {
      JsonArray *warnings = json_object_get_array_member (gateway, "warnings");

      g_print (_("Gateway: HTTPS on port %" G_GINT64_FORMAT "\n"),
                  json_object_get_int_member_with_default (gateway, "port", 0));
      g_print (_("  Fingerprint: %s\n"), member_string (host, "fingerprint"));
      print_discovery (json_object_get_object_member (gateway, "discovery"));
      for (guint i = 0; warnings && i < json_array_get_length (warnings); i++)
        g_print (_("  Warning:     %s\n"), json_array_get_string_element (warnings, i));
      if (json_object_has_member (gateway, "openworkApp") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (gateway, "openworkApp")))
        ow_cli_print_openwork_app (json_object_get_object_member (gateway, "openworkApp"));
    }

  g_print (_("Runtime: %s"), state);
  if (version)
    g_print (_(", OpenCode %s"), version);
  if (port > 0)
    g_print (_(" on 127.0.0.1:%" G_GINT64_FORMAT), port);
  if (pid > 0)
    g_print (_(" (pid %" G_GINT64_FORMAT ")"), pid);
  g_print ("\n");
  g_print (_("  Binary:      %s\n"), member_string (runtime, "binary"));
  g_print (_("  Restarts:    %" G_GINT64_FORMAT "\n"),
              json_object_get_int_member_with_default (runtime, "restarts", 0));
  g_print (_("  Last error:  %s\n"), last_error ? last_error : _("none"));
  g_print (_("  Log:         %s/runtime.log\n"), member_string (host, "logDir"));
  if (json_object_has_member (status, "metrics") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (status, "metrics")))
    print_metrics (json_object_get_object_member (status, "metrics"));
}

int
ow_cli_status (OwPaths *paths, int argc, char **argv)
{
  gboolean as_json = FALSE;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print the status as JSON"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = NULL;

  g_option_context_set_summary (context,
                                _("Shows the state of the running host and its runtime."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc > 1)
    {
      g_printerr ("%s\n", error ? error->message : _("status takes no arguments besides --json"));
      return OW_CLI_EXIT_USAGE;
    }

  status = ow_control_client_get (ow_paths_get_control_socket (paths), "/v1/status", &error);
  if (status == NULL)
    {
      g_printerr ("%s\n", error->message);
      return g_error_matches (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_NOT_RUNNING)
               ? OW_CLI_EXIT_NOT_RUNNING
               : OW_CLI_EXIT_FAILURE;
    }

  if (!JSON_NODE_HOLDS_OBJECT (status) ||
      !json_object_has_member (json_node_get_object (status), "host") ||
      !json_object_has_member (json_node_get_object (status), "runtime"))
    {
      g_printerr (_("The host's status answer is missing its host or runtime part.\n"));
      return OW_CLI_EXIT_FAILURE;
    }

  if (as_json)
    {
      g_autofree char *text = json_to_string (status, TRUE);
      g_print ("%s\n", text);
    }
  else
    {
      print_status (json_node_get_object (status));
    }

  return OW_CLI_EXIT_OK;
}
