#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"

#include <glib/gi18n.h>

static char *
describe (JsonObject *item)
{
  JsonNode *patterns = json_object_get_member (item, "patterns");
  g_autoptr (GString) text = g_string_new (NULL);

  if (patterns && JSON_NODE_HOLDS_ARRAY (patterns))
    {
      JsonArray *array = json_node_get_array (patterns);

      for (guint i = 0; i < json_array_get_length (array); i++)
        g_string_append_printf (text, "%s%s", i ? ", " : "",
                                json_array_get_string_element (array, i));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static int
permissions_list (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *items;
  int status;

  items = ow_cli_get_items (paths, "/api/host/permissions",
                            argc > 1 && g_str_equal (argv[1], "--json"), &answer, &status);
  if (items == NULL)
    return status;
  if (json_array_get_length (items) == 0)
    {
      g_print (_("No permission request waits for an answer.\n"));
      return OW_CLI_EXIT_OK;
    }
  g_print ("%-34s %-32s %-18s %s\n", _("ID"), _("TASK"), _("PERMISSION"), _("WHAT"));
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      g_autofree char *what = describe (item);

      g_print ("%-34s %-32s %-18s %s\n", json_object_get_string_member (item, "id"),
               json_object_get_string_member_with_default (item, "sessionID", "?"),
               json_object_get_string_member_with_default (item, "permission", "?"), what);
    }
  g_print (_("Answer with: openwork-host permissions reply ID once|always|reject\n"));
  return OW_CLI_EXIT_OK;
}

static int
permissions_reply (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (argc != 3 || !(g_str_equal (argv[2], "once") || g_str_equal (argv[2], "always") ||
                     g_str_equal (argv[2], "reject")))
    {
      g_printerr (_("Usage: openwork-host permissions reply ID once|always|reject\n"));
      return OW_CLI_EXIT_USAGE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "reply");
  json_builder_add_string_value (builder, argv[2]);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  escaped = g_uri_escape_string (argv[1], NULL, FALSE);
  path = g_strconcat ("/api/host/permissions/", escaped, NULL);
  answer =
    ow_control_client_request (ow_paths_get_control_socket (paths), "POST", path, request, &error);
  if (answer == NULL)
    return ow_cli_fail (error);
  g_print (_("Answered %s: %s.\n"), argv[1], argv[2]);
  return OW_CLI_EXIT_OK;
}

int
ow_cli_permissions (OwPaths *paths, int argc, char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "list"))
    return permissions_list (paths, argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "reply"))
    return permissions_reply (paths, argc - 1, argv + 1);

  g_printerr (_("Usage: openwork-host permissions list [--json] | reply ID once|always|reject\n"));
  return OW_CLI_EXIT_USAGE;
}
