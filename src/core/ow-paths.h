#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define OW_TYPE_PATHS (ow_paths_get_type ())
G_DECLARE_FINAL_TYPE (OwPaths, ow_paths, OW, PATHS, GObject)

/**
 * ow_paths_new:
 * @data_dir: (nullable): a folder that holds every file the host writes, or %NULL to use
 *   the XDG folders (config, data and state homes, each with an `openwork-host` folder)
 *
 * Returns: (transfer full): where the host keeps its files. Nothing is created yet.
 */
OwPaths *ow_paths_new (const char *data_dir);

/**
 * ow_paths_ensure:
 *
 * Creates every folder (mode 0700) so that later writes cannot fail for a missing parent.
 */
gboolean ow_paths_ensure (OwPaths *self, GError **error);

const char *ow_paths_get_config_dir (OwPaths *self);
const char *ow_paths_get_data_dir (OwPaths *self);
const char *ow_paths_get_log_dir (OwPaths *self);

/* The control socket of the command line, in the data folder. */
const char *ow_paths_get_control_socket (OwPaths *self);

/* The size-capped log of the runtime's stdout and stderr. */
const char *ow_paths_get_runtime_log (OwPaths *self);

/**
 * ow_paths_get_runtime_root:
 *
 * The per-user folder that `build-aux/install-deps` installs pinned OpenCode runtimes into
 * (`$XDG_DATA_HOME/openwork-host/runtime`). It does not follow `--data-dir`: one install
 * serves every data folder of the user.
 */
char *ow_paths_get_runtime_root (void);

G_END_DECLS
