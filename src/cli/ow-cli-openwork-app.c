#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"
#include "ow-json.h"

#include <glib/gi18n.h>

void
ow_cli_print_openwork_app (JsonObject *access)
{
  const char *url = ow_json_string_or_null (access, "url");
  const char *error = ow_json_string_or_null (access, "error");
  gboolean enabled = json_object_get_boolean_member_with_default (access, "enabled", FALSE);

  if (enabled)
    /* TRANSLATORS: %s is the address the OpenWork app connects to */
    g_print (_("OpenWork app access: on, at %s (plain HTTP, not encrypted)\n"), url);
  else if (url != NULL)
    /* TRANSLATORS: %s is an https:// address in front of the host (tailscale serve) */
    g_print (_("OpenWork app access: through %s only\n"), url);
  else
    g_print (_("OpenWork app access: off\n"));
  if (error != NULL)
    g_print (_("  Why it is off: %s\n"), error);
}

int
ow_cli_openwork_app (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  gboolean as_json = argc > 1 && g_str_equal (argv[argc - 1], "--json");
  const char *verb = argc > (as_json ? 2 : 1) ? argv[1] : NULL;
  const char *socket = ow_paths_get_control_socket (paths);

  if (argc > (as_json ? 3 : 2) || (verb && !g_str_equal (verb, "on") && !g_str_equal (verb, "off")))
    {
      g_printerr (_("Usage: openwork-host openwork-app [on|off] [--json]\n"));
      return OW_CLI_EXIT_USAGE;
    }

  if (verb != NULL)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) request = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder, g_str_equal (verb, "on"));
      json_builder_end_object (builder);
      request = json_builder_get_root (builder);
      answer = ow_control_client_request (socket, "PUT", "/v1/openwork-app", request, &error);
    }
  else
    answer = ow_control_client_get (socket, "/v1/openwork-app", &error);
  if (answer == NULL)
    return ow_cli_fail (error);

  if (as_json)
    {
      ow_cli_print_json (answer);
      return OW_CLI_EXIT_OK;
    }
  ow_cli_print_openwork_app (json_node_get_object (answer));
  /* The sentence the owner reads wherever access is switched; the same in the window. */
  if (verb == NULL || g_str_equal (verb, "on"))
    g_print ("\n%s\n",
             _("The OpenWork app cannot check this computer's certificate, so it connects over "
               "plain HTTP: anyone on your local network could read what it and this computer "
               "exchange. Turn this on only on a network you trust; devices that pin the "
               "certificate keep their encrypted connection."));
  if (json_object_get_boolean_member_with_default (json_node_get_object (answer), "enabled", FALSE))
    g_print (_("\nLink an app with: openwork-host pair --openwork-app --scope collaborator\n"));
  else if (verb == NULL)
    g_print (_("\nTurn it on with: openwork-host openwork-app on\n"));
  return OW_CLI_EXIT_OK;
}
