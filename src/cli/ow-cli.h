#pragma once

#include "core/ow-paths.h"

G_BEGIN_DECLS

/* Exit statuses of the command line. */
typedef enum
{
  OW_CLI_EXIT_OK = 0,
  OW_CLI_EXIT_FAILURE = 1,
  OW_CLI_EXIT_USAGE = 2,
  OW_CLI_EXIT_NOT_RUNNING = 3,
} OwCliExit;

/* `openwork-host status [--json]`: @argv starts with "status". */
int ow_cli_status (OwPaths *paths, int argc, char **argv);

/* `openwork-host token create --scope S --name N | list [--json] | revoke ID`. */
int ow_cli_token (OwPaths *paths, int argc, char **argv);

G_END_DECLS
