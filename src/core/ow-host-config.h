#pragma once

/* host.conf: the settings that have no command-line option, read and checked once, each
 * with a message that names the key and what it must be. */

#include <glib.h>

#include "ow-gateway.h"
#include "ow-pairing.h"
#include "ow-paths.h"

G_BEGIN_DECLS

/* host.conf in the config folder; a missing file is an empty one. Its comments are kept:
 * the host writes back to it (a folder shared, OpenWork app access switched) and a
 * person's notes must survive that. */
GKeyFile *ow_host_config_load (OwPaths *paths, GError **error);

/* A whole number from [@group] @key within [1, @max]; 0 (the default) when absent. */
gboolean ow_host_config_get_uint (
  GKeyFile *config, const char *group, const char *key, guint max, guint *value, GError **error);

/* Returns: (transfer full) (element-type OwWorkspace): those given on the command line,
 * then those of `[host] workspaces=…;…`, each once; the current folder when there are
 * none */
GPtrArray *
ow_host_config_get_workspaces (GKeyFile *config, const char *const *requested, GError **error);

/* Adds the folder @path to @workspaces unless @seen (the paths in them) has it; fails
 * with a message that says what to do when it is not a folder. */
gboolean ow_host_config_add_workspace (GPtrArray *workspaces,
                                       GHashTable *seen,
                                       const char *path,
                                       GError **error);

/* The name devices see: `[host] name=`, else the machine's name. */
char *ow_host_config_get_name (GKeyFile *config, GError **error);

/* `[openwork-app] public-url`, an https:// address with no path and no trailing "/";
 * %NULL when absent, or with @error when it is not such an address. */
char *ow_host_config_get_public_url (GKeyFile *config, GError **error);

/* The [pairing] and [gateway] limits, into the options they set. */
gboolean ow_host_config_get_limits (GKeyFile *config,
                                    OwPairingOptions *pairing,
                                    OwGatewayOptions *gateway,
                                    GError **error);

G_END_DECLS
