#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"
#include "ow-control-server.h"

#include <glib/gi18n.h>

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

/* Workspace ids for what the user named: ids as they are, folders by their path. */
GStrv
ow_cli_resolve_workspaces (OwPaths *paths, char **named, GError **error)
{
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *items;

  answer = ow_control_client_get (ow_paths_get_control_socket (paths), "/api/workspaces", error);
  if (answer == NULL)
    return NULL;
  items = json_object_get_array_member (json_node_get_object (answer), "items");

  for (guint n = 0; named[n]; n++)
    {
      g_autofree char *absolute = g_canonicalize_filename (named[n], NULL);
      const char *found = NULL;

      for (guint i = 0; found == NULL && i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);

          if (g_str_equal (named[n], json_object_get_string_member (item, "id")) ||
              g_str_equal (absolute, json_object_get_string_member (item, "path")))
            found = json_object_get_string_member (item, "id");
        }
      if (found == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("%s is not a workspace of this host. \"openwork-host status\" lists "
                         "them."),
                          named[n]);
          return NULL;
        }
      g_strv_builder_add (builder, found);
    }
  return g_strv_builder_end (builder);
}

void
ow_cli_add_grant (JsonBuilder *builder, const char *scope, char **workspaces)
{
  if (scope)
    {
      json_builder_set_member_name (builder, "scope");
      json_builder_add_string_value (builder, scope);
    }
  if (workspaces)
    {
      json_builder_set_member_name (builder, "workspaces");
      json_builder_begin_array (builder);
      for (guint i = 0; workspaces[i]; i++)
        json_builder_add_string_value (builder, workspaces[i]);
      json_builder_end_array (builder);
    }
}
