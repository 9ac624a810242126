#include "config.h"

#include "ow-cli.h"
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
