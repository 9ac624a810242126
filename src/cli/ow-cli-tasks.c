#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"

#include <glib/gi18n.h>

int
ow_cli_tasks (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *items;
  int status;

  if (argc > 2 || (argc == 2 && !g_str_equal (argv[1], "--json")))
    {
      g_printerr (_("Usage: openwork-host tasks [--json]\n"));
      return OW_CLI_EXIT_USAGE;
    }

  items = ow_cli_get_items (paths, "/api/host/tasks", argc == 2, &answer, &status);
  if (items == NULL)
    return status;
  if (json_array_get_length (items) == 0)
    {
      g_print (_("No tasks yet. Devices start them through the gateway.\n"));
      return OW_CLI_EXIT_OK;
    }
  g_print ("%-32s %-12s %-24s %-17s %s\n", _("ID"), _("STATE"), _("DEVICE"), _("WORKSPACE"),
                                                                                   _("NOTE"));
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      g_print ("%-32s %-12s %-24s %-17s %s\n", json_object_get_string_member (item, "id"),
               json_object_get_string_member (item, "state"),
               json_object_get_string_member_with_default (item, "device", "?"),
               json_object_get_string_member_with_default (item, "workspace", "-") ?: "-",
               json_object_get_string_member_with_default (item, "reason", "") ?: "");
    }
  return OW_CLI_EXIT_OK;
}
