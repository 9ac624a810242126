#pragma once

#include "desktop/ow-desktop.h"

G_BEGIN_DECLS

/**
 * ow_desktop_load:
 *
 * Loads the desktop face: the module built beside this binary when it runs from its build
 * tree, else the installed one.
 *
 * Returns: the face, loaded for good; %NULL with @error set when this build has none or it
 *   cannot be loaded
 */
const OwDesktopFace *ow_desktop_load (GError **error);

G_END_DECLS
