#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A folder clients may run tasks in. */
typedef struct
{
  char *id;   /* "ws_" and the first 12 hex digits of SHA-256 of the path */
  char *name; /* the folder's name, for people */
  char *path; /* absolute */
} OwWorkspace;

OwWorkspace *ow_workspace_new (const char *path);
void ow_workspace_free (OwWorkspace *workspace);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwWorkspace, ow_workspace_free)

/* The workspace in @workspaces (of OwWorkspace) with @id, or %NULL. */
OwWorkspace *ow_workspace_find (GPtrArray *workspaces, const char *id);

/**
 * ow_workspace_find_containing:
 * @directory: an absolute folder a client named
 *
 * Returns: (nullable): the workspace that is @directory or holds it, or %NULL when it lies
 *   outside every workspace. `..` and symlinks are resolved first, so neither escapes.
 */
OwWorkspace *ow_workspace_find_containing (GPtrArray *workspaces, const char *directory);

G_END_DECLS
