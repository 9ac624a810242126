#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* `openwork-host client run [--workspace ID] PROMPT`, with the credential saved in @dir.
 * Returns the process's exit code. */
int ow_client_run (const char *dir, int argc, char **argv);

G_END_DECLS
