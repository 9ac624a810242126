#pragma once

#include <gio/gio.h>
#include <gmodule.h>

#include "ow-host.h"

G_BEGIN_DECLS

/*
 * The desktop face is a loadable module, libopenwork-host-desktop.so, so that the headless
 * host and the command-line tools never map GTK: that is a quarter of a headless host's
 * memory and most of a command's start-up time. The module resolves the core against the
 * binary that loads it (which exports its symbols), and offers this one table.
 */
typedef struct
{
  /* The module's PACKAGE_VERSION: a binary loads only its own version's face. */
  const char *version;

  /* Connects to the display the environment names. Returns TRUE if the face can be shown.
   * Call before anything else. */
  gboolean (*open_display) (void);

  /* The face's settings (org.openwork.Host), or NULL when the schema is not installed. */
  GSettings *(*open_settings) (void);

  /* Runs the face around a started host until the user quits or the process gets SIGINT or
   * SIGTERM, then stops the host. @settings may be NULL. Returns the exit status. */
  int (*run) (OwHost *host, GSettings *settings, int argc, char **argv);

  /* Tells the owner why the host cannot start (no runtime, a bad host.conf, a port in use),
   * in a window, and waits until it is closed. */
  void (*show_startup_error) (const char *message);
} OwDesktopFace;

#define OW_DESKTOP_FACE_SYMBOL "ow_desktop_face"

typedef const OwDesktopFace *(*OwDesktopFaceFunc) (void);

/* The module's one export. */
G_MODULE_EXPORT const OwDesktopFace *ow_desktop_face (void);

G_END_DECLS
