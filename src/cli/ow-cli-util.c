#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"
#include "core/ow-control-server.h"

int
ow_cli_fail (GError *error)
{
  g_printerr ("%s\n", error->message);
  return g_error_matches (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_NOT_RUNNING)
           ? OW_CLI_EXIT_NOT_RUNNING
           : OW_CLI_EXIT_FAILURE;
}

void
ow_cli_print_json (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  g_print ("%s\n", text);
}

JsonArray *
ow_cli_get_items (
  OwPaths *paths, const char *path, gboolean as_json, JsonNode **answer, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  JsonNode *items;

  *answer = ow_control_client_get (ow_paths_get_control_socket (paths), path, &error);
  if (*answer == NULL)
    {
      *exit_code = ow_cli_fail (error);
      return NULL;
    }
  *exit_code = OW_CLI_EXIT_OK;
  if (as_json)
    {
      ow_cli_print_json (*answer);
      return NULL;
    }
  items = JSON_NODE_HOLDS_OBJECT (*answer)
            ? json_object_get_member (json_node_get_object (*answer), "items")
            : NULL;
  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    {
      g_printerr ("The host's answer to %s has no list of items.\n", path);
      *exit_code = OW_CLI_EXIT_FAILURE;
      return NULL;
    }
  return json_node_get_array (items);
}
