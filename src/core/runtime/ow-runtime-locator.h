#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ow_runtime_locate:
 * @explicit_path: (nullable): the binary given with `--opencode`, if any
 * @runtime_root: (nullable): where pinned runtimes are installed, or %NULL for the default
 *   of ow_paths_get_runtime_root()
 *
 * Finds the `opencode` binary: @explicit_path if given (and nothing else then), the pinned
 * version in the runtime folder, then `opencode` on `PATH`.
 *
 * Returns: (transfer full): the absolute path of an executable, or %NULL with @error set to
 *   a message that names the command that installs the runtime
 */
char *ow_runtime_locate (const char *explicit_path, const char *runtime_root, GError **error);

/**
 * ow_runtime_pinned_binary:
 * @runtime_root: (nullable): as for ow_runtime_locate()
 *
 * Returns: (transfer full): where `build-aux/install-deps` puts the pinned runtime's binary
 */
char *ow_runtime_pinned_binary (const char *runtime_root);

G_END_DECLS
