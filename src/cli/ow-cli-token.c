#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"
#include "ow-control-server.h"

#include <glib/gi18n.h>

static int
token_create (OwPaths *paths, int argc, char **argv)
{
  g_autofree char *scope = NULL;
  g_autofree char *name = NULL;
  gboolean as_json = FALSE;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "scope", 0, 0, G_OPTION_ARG_STRING, &scope, N_("owner, collaborator or viewer"), N_("S") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("A label, e.g. the device it is for"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print the result as JSON"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *created;

  g_option_context_set_summary (context, _("Creates a token and prints it, once."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || scope == NULL || name == NULL)
    {
      g_printerr ("%s\n", error ? error->message
                                : _("token create needs --scope (owner, collaborator or viewer) "
                                    "and --name."));
      return OW_CLI_EXIT_USAGE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scope");
  json_builder_add_string_value (builder, scope);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  answer = ow_control_client_request (ow_paths_get_control_socket (paths), "POST", "/api/tokens",
                                      request, &error);
  if (answer == NULL)
    return ow_cli_fail (error);

  if (as_json)
    {
      ow_cli_print_json (answer);
      return OW_CLI_EXIT_OK;
    }

  created = json_node_get_object (answer);
  g_print ("%s\n", json_object_get_string_member (created, "token"));
  g_printerr (_("Token %s (%s, %s) created. It is shown only now: keep it somewhere safe.\n"),
                 json_object_get_string_member (created, "id"),
                 json_object_get_string_member (created, "name"),
                 json_object_get_string_member (created, "scope"));
  return OW_CLI_EXIT_OK;
}

static int
token_list (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *items;
  int status;

  items = ow_cli_get_items (paths, "/api/tokens", argc > 1 && g_str_equal (argv[1], "--json"),
                            &answer, &status);
  if (items == NULL)
    return status;
  if (json_array_get_length (items) == 0)
    {
      g_print (_("No tokens. Create one with: openwork-host token create --scope S --name N\n"));
      return OW_CLI_EXIT_OK;
    }

  g_print ("%-18s %-13s %s\n", _("ID"), _("SCOPE"), _("NAME"));
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      g_print ("%-18s %-13s %s\n", json_object_get_string_member (item, "id"),
               json_object_get_string_member (item, "scope"),
               json_object_get_string_member (item, "name"));
    }
  return OW_CLI_EXIT_OK;
}

static int
token_revoke (OwPaths *paths, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (argc != 2)
    {
      g_printerr (_("token revoke takes the id of one token; see openwork-host token list.\n"));
      return OW_CLI_EXIT_USAGE;
    }

  escaped = g_uri_escape_string (argv[1], NULL, FALSE);
  path = g_strconcat ("/api/tokens/", escaped, NULL);
  answer =
    ow_control_client_request (ow_paths_get_control_socket (paths), "DELETE", path, NULL, &error);
  if (answer == NULL)
    return ow_cli_fail (error);

  g_print (_("Token %s revoked; its open streams are closed.\n"), argv[1]);
  return OW_CLI_EXIT_OK;
}

int
ow_cli_token (OwPaths *paths, int argc, char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "create"))
    return token_create (paths, argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "list"))
    return token_list (paths, argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "revoke"))
    return token_revoke (paths, argc - 1, argv + 1);

  g_printerr (
    _("Usage: openwork-host token create --scope S --name N | list [--json] | revoke ID\n"));
  return OW_CLI_EXIT_USAGE;
}
