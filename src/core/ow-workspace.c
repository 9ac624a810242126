#include "config.h"

#include "ow-workspace.h"

#include <stdlib.h>
#include <string.h>

OwWorkspace *
ow_workspace_new (const char *path)
{
  OwWorkspace *workspace = g_new0 (OwWorkspace, 1);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, path, -1);

  workspace->id = g_strdup_printf ("ws_%.12s", digest);
  workspace->name = g_path_get_basename (path);
  workspace->path = g_strdup (path);
  return workspace;
}

void
ow_workspace_free (OwWorkspace *workspace)
{
  if (workspace == NULL)
    return;
  g_free (workspace->id);
  g_free (workspace->name);
  g_free (workspace->path);
  g_free (workspace);
}

OwWorkspace *
ow_workspace_find (GPtrArray *workspaces, const char *id)
{
  for (guint i = 0; id && i < workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (workspaces, i);

      if (g_str_equal (workspace->id, id))
        return workspace;
    }
  return NULL;
}

static gboolean
is_inside (const char *path, const char *folder)
{
  gsize length = strlen (folder);

  return g_str_equal (path, folder) || (strncmp (path, folder, length) == 0 &&
                                        (path[length] == '/' || (length == 1 && folder[0] == '/')));
}

OwWorkspace *
ow_workspace_find_containing (GPtrArray *workspaces, const char *directory)
{
  g_autofree char *canonical = NULL;
  g_autofree char *resolved = NULL;

  if (directory == NULL || !g_path_is_absolute (directory))
    return NULL;

  /* Lexically first (".."), then through symlinks where the folder exists. */
  canonical = g_canonicalize_filename (directory, NULL);
  resolved = realpath (canonical, NULL);

  for (guint i = 0; i < workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (workspaces, i);
      g_autofree char *workspace_resolved = realpath (workspace->path, NULL);
      const char *root = workspace_resolved ? workspace_resolved : workspace->path;

      if (is_inside (resolved ? resolved : canonical, root))
        return workspace;
    }
  return NULL;
}
