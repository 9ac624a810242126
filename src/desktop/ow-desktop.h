#pragma once

#include <gio/gio.h>

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
 * ow_desktop_open_settings:
 *
 * Returns: (transfer full) (nullable): the desktop face's settings (org.openwork.Host), or
 *   %NULL when the schema is not installed
 */
GSettings *ow_desktop_open_settings (void);

/**
 * ow_desktop_run:
 * @host: a started host
 * @settings: (nullable): from ow_desktop_open_settings()
 *
 * Runs the desktop face around @host until the user quits or the process gets SIGINT or
 * SIGTERM, then stops the host.
 *
 * Returns: the process exit status
 */
int ow_desktop_run (OwHost *host, GSettings *settings, int argc, char **argv);

/* Tells the owner why the host cannot start (no runtime, a bad host.conf, a port in use),
 * in a window, and waits until it is closed. */
void ow_desktop_show_startup_error (const char *message);

G_END_DECLS
