#include "config.h"

#include "ow-runtime-locator.h"
#include "ow-paths.h"
#include "ow-runtime-error.h"

#include <unistd.h>

#define INSTALL_HINT                                                                               \
  "Install it with build-aux/install-deps from the OpenWork Host source folder, or with "          \
  "\"npm install -g opencode-ai@" OW_OPENCODE_VERSION "\", or name the binary with "               \
  "--opencode PATH."

static gboolean
is_executable_file (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_REGULAR) && access (path, X_OK) == 0;
}

char *
ow_runtime_pinned_binary (const char *runtime_root)
{
  g_autofree char *default_root = NULL;

  if (runtime_root == NULL)
    runtime_root = default_root = ow_paths_get_runtime_root ();

  return g_build_filename (runtime_root, "opencode-ai-" OW_OPENCODE_VERSION, "node_modules", ".bin",
                           "opencode", NULL);
}

char *
ow_runtime_locate (const char *explicit_path, const char *runtime_root, GError **error)
{
  g_autofree char *pinned = NULL;
  g_autofree char *on_path = NULL;

  if (explicit_path != NULL)
    {
      g_autofree char *absolute = g_canonicalize_filename (explicit_path, NULL);

      if (!is_executable_file (absolute))
        {
          g_set_error (error, OW_RUNTIME_ERROR, OW_RUNTIME_ERROR_NOT_FOUND,
                       "The OpenCode runtime given with --opencode (%s) is not an executable "
                       "file. " INSTALL_HINT,
                       absolute);
          return NULL;
        }
      return g_steal_pointer (&absolute);
    }

  pinned = ow_runtime_pinned_binary (runtime_root);
  if (is_executable_file (pinned))
    return g_steal_pointer (&pinned);

  on_path = g_find_program_in_path ("opencode");
  if (on_path != NULL)
    return g_steal_pointer (&on_path);

  g_set_error (error, OW_RUNTIME_ERROR, OW_RUNTIME_ERROR_NOT_FOUND,
               "The OpenCode runtime (opencode-ai %s) is not installed: it is neither at %s nor "
               "on PATH. " INSTALL_HINT,
               OW_OPENCODE_VERSION, pinned);
  return NULL;
}
