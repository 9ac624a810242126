#include "config.h"

#include "ow-host-config.h"
#include "ow-pair-protocol.h"
#include "ow-workspace.h"

#include <string.h>

GKeyFile *
ow_host_config_load (OwPaths *paths, GError **error)
{
  g_autoptr (GKeyFile) config = g_key_file_new ();
  g_autofree char *config_path =
    g_build_filename (ow_paths_get_config_dir (paths), "host.conf", NULL);
  g_autoptr (GError) config_error = NULL;

  if (!g_key_file_load_from_file (config, config_path,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &config_error) &&
      !g_error_matches (config_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The configuration file %s cannot be read: %s. Fix or remove it.", config_path,
                   config_error->message);
      return NULL;
    }
  return g_steal_pointer (&config);
}

gboolean
ow_host_config_get_uint (
  GKeyFile *config, const char *group, const char *key, guint max, guint *value, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gint64 number;

  *value = 0;
  if (!g_key_file_has_key (config, group, key, NULL))
    return TRUE;
  number = g_key_file_get_int64 (config, group, key, &local_error);
  if (local_error || number < 1 || number > (gint64) max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "In host.conf, [%s] %s must be a whole number from 1 to %u.", group, key, max);
      return FALSE;
    }
  *value = (guint) number;
  return TRUE;
}

gboolean
ow_host_config_add_workspace (GPtrArray *workspaces,
                              GHashTable *seen,
                              const char *path,
                              GError **error)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);

  if (!g_file_test (absolute, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                   "The workspace %s is not a folder. Give an existing folder with --workspace "
                   "or in the workspaces list of host.conf.",
                   absolute);
      return FALSE;
    }
  if (g_hash_table_add (seen, g_strdup (absolute)))
    g_ptr_array_add (workspaces, ow_workspace_new (absolute));
  return TRUE;
}

GPtrArray *
ow_host_config_get_workspaces (GKeyFile *config, const char *const *requested, GError **error)
{
  g_autoptr (GPtrArray) workspaces =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ow_workspace_free);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) configured = NULL;

  for (guint i = 0; requested && requested[i]; i++)
    if (!ow_host_config_add_workspace (workspaces, seen, requested[i], error))
      return NULL;

  configured = g_key_file_get_string_list (config, "host", "workspaces", NULL, NULL);
  for (guint i = 0; configured && configured[i]; i++)
    if (*configured[i] && !ow_host_config_add_workspace (workspaces, seen, configured[i], error))
      return NULL;

  if (workspaces->len == 0)
    {
      g_autofree char *current = g_get_current_dir ();
      g_ptr_array_add (workspaces, ow_workspace_new (current));
    }
  return g_steal_pointer (&workspaces);
}

char *
ow_host_config_get_name (GKeyFile *config, GError **error)
{
  g_autofree char *name = g_key_file_get_string (config, "host", "name", NULL);

  if (name == NULL)
    {
      const char *host_name = g_get_host_name ();

      return g_utf8_make_valid (host_name, MIN (strlen (host_name), OW_PAIR_NAME_MAX_BYTES));
    }
  if (!ow_pair_name_is_valid (name, OW_PAIR_NAME_MAX_BYTES))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "In host.conf, [host] name must be plain text of at most %d bytes.",
                   OW_PAIR_NAME_MAX_BYTES);
      return NULL;
    }
  return g_steal_pointer (&name);
}

char *
ow_host_config_get_public_url (GKeyFile *config, GError **error)
{
  g_autofree char *url = g_key_file_get_string (config, "openwork-app", "public-url", NULL);
  g_autoptr (GUri) uri = NULL;

  if (url == NULL)
    return NULL;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL ||
      (*g_uri_get_path (uri) != '\0' && g_strcmp0 (g_uri_get_path (uri), "/") != 0))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "In host.conf, [openwork-app] public-url must be an https:// address "
                   "with no path, such as https://desk.example.ts.net; it is “%s”.",
                   url);
      return NULL;
    }
  /* Links join paths to it. */
  if (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  return g_steal_pointer (&url);
}

gboolean
ow_host_config_get_limits (GKeyFile *config,
                           OwPairingOptions *pairing,
                           OwGatewayOptions *gateway,
                           GError **error)
{
  return ow_host_config_get_uint (config, "pairing", "code-lifetime", 24 * 3600,
                                  &pairing->code_lifetime_s, error) &&
         ow_host_config_get_uint (config, "pairing", "attempts-per-minute", 100000,
                                  &pairing->attempts_per_minute, error) &&
         ow_host_config_get_uint (config, "pairing", "max-pending", 1000, &pairing->max_pending,
                                  error) &&
         ow_host_config_get_uint (config, "gateway", "answer-timeout", 7 * 24 * 3600,
                                  &gateway->answer_timeout_s, error) &&
         ow_host_config_get_uint (config, "gateway", "request-timeout", 3600,
                                  &gateway->request_timeout_s, error) &&
         ow_host_config_get_uint (config, "gateway", "idle-timeout", 3600, &gateway->idle_timeout_s,
                                  error) &&
         ow_host_config_get_uint (config, "gateway", "max-connections", 1000000,
                                  &gateway->max_connections, error) &&
         ow_host_config_get_uint (config, "gateway", "max-connections-per-address", 1000000,
                                  &gateway->max_connections_per_address, error) &&
         ow_host_config_get_uint (config, "gateway", "max-streams", 1000000, &gateway->max_streams,
                                  error) &&
         ow_host_config_get_uint (config, "gateway", "max-streams-per-token", 1000000,
                                  &gateway->max_streams_per_token, error) &&
         ow_host_config_get_uint (config, "gateway", "stream-stall-timeout", 3600,
                                  &gateway->stream_stall_s, error);
}
