#include "config.h"

#include "ow-desktop-loader.h"

#include <stdlib.h>

#if OW_HAVE_GUI
/* The module to load. A binary in its build tree (the tests, build-aux/run) takes the one
 * built beside it, never an installed one of another version; an installed binary takes
 * the installed one. Neither looks in the current folder or the library path. */
static char *
module_path (void)
{
  g_autofree char *binary = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *folder = binary ? g_path_get_dirname (binary) : NULL;
  g_autofree char *build_folder = realpath (OW_BUILD_SRC_DIR, NULL);

  if (folder && build_folder && g_str_equal (folder, build_folder))
    return g_build_filename (build_folder, OW_DESKTOP_MODULE_FILE, NULL);
  return g_build_filename (OW_PKGLIBDIR, OW_DESKTOP_MODULE_FILE, NULL);
}
#endif

const OwDesktopFace *
ow_desktop_load (GError **error)
{
#if OW_HAVE_GUI
  g_autofree char *path = module_path ();
  OwDesktopFaceFunc get_face = NULL;
  const OwDesktopFace *face;
  GModule *module;

  /* Local binding: the module's own symbols stay its own. (The messages below are log
   * lines, untranslated like the host's others.) */
  module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The desktop face cannot be loaded: %s. Reinstall OpenWork Host.",
                   g_module_error ());
      return NULL;
    }
  if (!g_module_symbol (module, OW_DESKTOP_FACE_SYMBOL, (gpointer *) &get_face) || get_face == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s is not an OpenWork Host desktop face. Reinstall OpenWork Host.", path);
      g_module_close (module);
      return NULL;
    }
  face = get_face ();
  if (g_strcmp0 (face->version, PACKAGE_VERSION) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The desktop face %s is from version %s, this binary from %s. Reinstall "
                   "OpenWork Host.",
                   path, face->version, PACKAGE_VERSION);
      g_module_close (module);
      return NULL;
    }
  /* Its types are registered with GObject now: it can never be unloaded. */
  g_module_make_resident (module);
  return face;
#else
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "This build has no desktop face.");
  return NULL;
#endif
}
