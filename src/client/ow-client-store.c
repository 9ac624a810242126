#include "config.h"

#include "ow-client-store.h"
#include "ow-client-connection.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#define STORE_FILE "client.json"

void
ow_client_store_free (OwClientStore *store)
{
  if (store == NULL)
    return;
  g_free (store->host_name);
  g_free (store->url);
  g_free (store->fingerprint);
  g_free (store->token);
  g_clear_pointer (&store->device, json_node_unref);
  g_free (store);
}

char *
ow_client_store_dir (const char *data_dir)
{
  if (data_dir)
    return g_canonicalize_filename (data_dir, NULL);
  return g_build_filename (g_get_user_data_dir (), "openwork-host", "client", NULL);
}

OwClientStore *
ow_client_store_load (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, STORE_FILE, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (OwClientStore) store = g_new0 (OwClientStore, 1);
  JsonObject *root;
  JsonNode *device;

  if (!json_parser_load_from_mapped_file (parser, path, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NOT_PAIRED,
                     _("This client is not paired with a host (no %s). Pair first: "
                       "openwork-host client pair --code CODE"),
                        path);
      else
        g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NOT_PAIRED,
                     _("%s cannot be read (%s). Pair again to replace it."), path,
                        local_error->message);
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto invalid;
  root = json_node_get_object (json_parser_get_root (parser));
  store->host_name = g_strdup (json_object_get_string_member_with_default (root, "hostName", ""));
  store->url = g_strdup (json_object_get_string_member_with_default (root, "url", NULL));
  store->fingerprint =
    g_strdup (json_object_get_string_member_with_default (root, "fingerprint", NULL));
  store->token = g_strdup (json_object_get_string_member_with_default (root, "token", NULL));
  device = json_object_get_member (root, "device");
  if (device && JSON_NODE_HOLDS_OBJECT (device))
    store->device = json_node_copy (device);
  if (store->url == NULL || store->fingerprint == NULL || store->token == NULL)
    goto invalid;
  return g_steal_pointer (&store);

invalid:
  g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NOT_PAIRED,
               _("%s is incomplete. Pair again to replace it."), path);
  return NULL;
}

gboolean
ow_client_store_save (const char *dir, const OwClientStore *store, GError **error)
{
  g_autofree char *path = g_build_filename (dir, STORE_FILE, NULL);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   _("Cannot create the client folder %s: %s"), dir, g_strerror (errno));
      return FALSE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "hostName");
  json_builder_add_string_value (builder, store->host_name ? store->host_name : "");
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, store->url);
  json_builder_set_member_name (builder, "fingerprint");
  json_builder_add_string_value (builder, store->fingerprint);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, store->token);
  if (store->device)
    {
      json_builder_set_member_name (builder, "device");
      json_builder_add_value (builder, json_node_copy (store->device));
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);

  return g_file_set_contents_full (
    path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

OwClientConnection *
ow_client_store_connect (const char *dir, OwClientStore **store_out, GError **error)
{
  g_autoptr (OwClientStore) store = ow_client_store_load (dir, error);
  OwClientConnection *connection;

  if (store == NULL)
    return NULL;
  connection = ow_client_connection_new (store->url, store->fingerprint);
  ow_client_connection_set_token (connection, store->token);
  if (store_out)
    *store_out = g_steal_pointer (&store);
  return connection;
}
