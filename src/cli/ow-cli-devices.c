#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"
#include "ow-control-server.h"

#include <glib/gi18n.h>

static char *
format_age (gint64 then_ms)
{
  gint64 seconds = MAX (0, (g_get_real_time () / 1000 - then_ms) / 1000);

  if (seconds < 60)
    return g_strdup_printf (_("%" G_GINT64_FORMAT " s ago"), seconds);
  if (seconds < 3600)
    return g_strdup_printf (_("%" G_GINT64_FORMAT " min ago"), seconds / 60);
  if (seconds < 48 * 3600)
    return g_strdup_printf (_("%" G_GINT64_FORMAT " h ago"), seconds / 3600);
  return g_strdup_printf (_("%" G_GINT64_FORMAT " days ago"), seconds / 86400);
}

static char *
format_workspaces (JsonObject *item)
{
  JsonNode *node = json_object_get_member (item, "workspaces");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) ids = NULL;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup (_("all"));
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_strv_builder_add (builder, json_array_get_string_element (array, i));
  ids = g_strv_builder_end (builder);
  return g_strjoinv (",", ids);
}

static int
devices_pending (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *items;
  int status;

  items = ow_cli_get_items (paths, "/api/pair/requests",
                            argc > 1 && g_str_equal (argv[1], "--json"), &answer, &status);
  if (items == NULL)
    return status;
  if (json_array_get_length (items) == 0)
    {
      g_print (_("No device waits for approval.\n"));
      return OW_CLI_EXIT_OK;
    }
  g_print ("%-20s %-24s %-10s %-7s %-16s %-10s %s\n",
           _("ID"), _("NAME"), _("PLATFORM"), _("METHOD"), _("ADDRESS"),
                                                                  _("ASKED"),
                                                                     _("ACCESS IF ALLOWED AS IS"));
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      g_autofree char *age = format_age (json_object_get_int_member (item, "requestedAt"));
      g_autofree char *workspaces = format_workspaces (item);

      g_print ("%-20s %-24s %-10s %-7s %-16s %-10s %s, %s %s\n",
               json_object_get_string_member (item, "id"),
               json_object_get_string_member (item, "name"),
               json_object_get_string_member (item, "platform"),
               json_object_get_string_member (item, "method"),
               json_object_get_string_member (item, "address"), age,
               json_object_get_string_member (item, "scope"), _("workspaces:"), workspaces);
    }
  g_print (_("Allow one with: openwork-host devices approve ID [--scope S] [--workspace W]… "
             "(the options change its access); refuse with: devices deny ID\n"));
  return OW_CLI_EXIT_OK;
}

static int
devices_approve (OwPaths *paths, int argc, char **argv)
{
  g_autofree char *scope = NULL;
  g_auto (GStrv) named = NULL;
  gboolean as_json = FALSE;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "scope", 0, 0, G_OPTION_ARG_STRING, &scope,
      N_("owner, collaborator (the default) or viewer"), N_("S") },
    { "workspace", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &named,
      N_("A workspace it may use, by id or folder (repeat; default: all)"), N_("W") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print the device as JSON"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID"));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_auto (GStrv) workspaces = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *allowed = NULL;
  JsonObject *device;

  g_option_context_set_summary (context, _("Allows a device that waits for approval."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("%s\n", error ? error->message
                                : _("devices approve takes the id of one waiting device; see "
                                    "openwork-host devices pending."));
      return OW_CLI_EXIT_USAGE;
    }

  if (named && (workspaces = ow_cli_resolve_workspaces (paths, named, &error)) == NULL)
    return ow_cli_fail (error);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reply");
  json_builder_add_string_value (builder, "allow");
  ow_cli_add_grant (builder, scope, workspaces);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  escaped = g_uri_escape_string (argv[1], NULL, FALSE);
  path = g_strconcat ("/api/pair/requests/", escaped, NULL);
  answer =
    ow_control_client_request (ow_paths_get_control_socket (paths), "POST", path, request, &error);
  if (answer == NULL)
    return ow_cli_fail (error);
  if (as_json)
    {
      ow_cli_print_json (answer);
      return OW_CLI_EXIT_OK;
    }

  device = json_node_get_object (answer);
  allowed = format_workspaces (device);
  g_print (_("Allowed %s (%s) as %s, workspaces: %s. Device id %s.\n"),
              json_object_get_string_member (device, "name"),
              json_object_get_string_member (device, "platform"),
              json_object_get_string_member (device, "scope"), allowed,
              json_object_get_string_member (device, "id"));
  return OW_CLI_EXIT_OK;
}

static int
devices_deny (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (argc != 2)
    {
      g_printerr (_("devices deny takes the id of one waiting device; see openwork-host "
                    "devices pending.\n"));
      return OW_CLI_EXIT_USAGE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reply");
  json_builder_add_string_value (builder, "deny");
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  escaped = g_uri_escape_string (argv[1], NULL, FALSE);
  path = g_strconcat ("/api/pair/requests/", escaped, NULL);
  answer =
    ow_control_client_request (ow_paths_get_control_socket (paths), "POST", path, request, &error);
  if (answer == NULL)
    return ow_cli_fail (error);
  g_print (_("Denied %s: it gets no token.\n"), argv[1]);
  return OW_CLI_EXIT_OK;
}

static int
devices_list (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *items;
  int status;

  items = ow_cli_get_items (paths, "/api/devices", argc > 1 && g_str_equal (argv[1], "--json"),
                            &answer, &status);
  if (items == NULL)
    return status;
  if (json_array_get_length (items) == 0)
    {
      g_print (_("No paired devices. Pair one with: openwork-host pair\n"));
      return OW_CLI_EXIT_OK;
    }
  g_print ("%-16s %-24s %-10s %-13s %-14s %s\n",
           _("ID"), _("NAME"), _("PLATFORM"), _("SCOPE"), _("LAST SEEN"), _("WORKSPACES"));
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      JsonNode *seen = json_object_get_member (item, "lastSeenAt");
      g_autofree char *age = seen && !JSON_NODE_HOLDS_NULL (seen)
                               ? format_age (json_node_get_int (seen))
                               : g_strdup (_("never"));
      g_autofree char *workspaces = format_workspaces (item);

      g_print ("%-16s %-24s %-10s %-13s %-14s %s\n", json_object_get_string_member (item, "id"),
               json_object_get_string_member (item, "name"),
               json_object_get_string_member (item, "platform"),
               json_object_get_string_member (item, "scope"), age, workspaces);
    }
  return OW_CLI_EXIT_OK;
}

static int
devices_revoke (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (argc != 2)
    {
      g_printerr (_("devices revoke takes the id of one device; see openwork-host devices "
                    "list.\n"));
      return OW_CLI_EXIT_USAGE;
    }

  escaped = g_uri_escape_string (argv[1], NULL, FALSE);
  path = g_strconcat ("/api/devices/", escaped, NULL);
  answer =
    ow_control_client_request (ow_paths_get_control_socket (paths), "DELETE", path, NULL, &error);
  if (answer == NULL)
    return ow_cli_fail (error);
  g_print (_("Device %s revoked; its token no longer works and its open streams are closed.\n"),
              argv[1]);
  return OW_CLI_EXIT_OK;
}

int
ow_cli_devices (OwPaths *paths, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*run) (OwPaths *paths, int argc, char **argv);
  } commands[] = {
    { "pending", devices_pending }, { "approve", devices_approve }, { "deny", devices_deny },
    { "list", devices_list },       { "revoke", devices_revoke },
  };

  for (guint i = 0; argc >= 2 && i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].run (paths, argc - 1, argv + 1);

  g_printerr (_("Usage: openwork-host devices pending [--json] | approve ID [--scope S] "
                "[--workspace W]… | deny ID | list [--json] | revoke ID\n"));
  return OW_CLI_EXIT_USAGE;
}
