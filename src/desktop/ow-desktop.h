#pragma once

#include "core/ow-host.h"

G_BEGIN_DECLS

/**
 * ow_desktop_open_display:
 *
 * Connects to the display the environment names. Call before ow_desktop_run().
 *
 * Returns: %TRUE if the desktop face can be shown
 */
gboolean ow_desktop_open_display (void);

/**
 * ow_desktop_run:
 * @host: a started host
 *
 * Runs the desktop face around @host until the user quits or the process gets SIGINT or
 * SIGTERM, then stops the host.
 *
 * Returns: the process exit status
 */
int ow_desktop_run (OwHost *host, int argc, char **argv);

G_END_DECLS
