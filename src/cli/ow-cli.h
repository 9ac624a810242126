#pragma once

#include <json-glib/json-glib.h>

#include "ow-paths.h"

G_BEGIN_DECLS

/* Exit statuses of the command line. */
typedef enum
{
  OW_CLI_EXIT_OK = 0,
  OW_CLI_EXIT_FAILURE = 1,
  OW_CLI_EXIT_USAGE = 2,
  OW_CLI_EXIT_NOT_RUNNING = 3,
} OwCliExit;

/* Prints @error's message and returns the exit status it calls for. */
int ow_cli_fail (GError *error);

/* Prints @node as indented JSON on stdout. */
void ow_cli_print_json (JsonNode *node);

/**
 * ow_cli_get_items:
 * @path: a list route on the control socket, answering `{items: […]}`
 * @as_json: print the answer as it is instead
 * @answer: (out) (transfer full): keeps the returned array alive
 * @exit_code: (out): the exit status when %NULL is returned
 *
 * Returns: (transfer none) (nullable): the items to print, or %NULL when all is done (an
 *   error was reported, or the JSON printed)
 */
JsonArray *ow_cli_get_items (
  OwPaths *paths, const char *path, gboolean as_json, JsonNode **answer, int *exit_code);

/**
 * ow_cli_resolve_workspaces:
 * @named: workspaces as the user named them: ids, or folders
 *
 * Returns: (transfer full): their ids, or %NULL with @error set when one is no workspace
 *   of the host
 */
GStrv ow_cli_resolve_workspaces (OwPaths *paths, char **named, GError **error);

/* Adds what a device is let do to a request body under way: "scope" when @scope is
 * given, "workspaces" (ids) when @workspaces is. */
void ow_cli_add_grant (JsonBuilder *builder, const char *scope, char **workspaces);

/* `openwork-host status [--json]`: @argv starts with "status". */
int ow_cli_status (OwPaths *paths, int argc, char **argv);

/* `openwork-host token create --scope S --name N | list [--json] | revoke ID`. */
int ow_cli_token (OwPaths *paths, int argc, char **argv);

/* `openwork-host pair [--json] [--new] [--no-qr]`: the current pairing offer. */
int ow_cli_pair (OwPaths *paths, int argc, char **argv);

/* `openwork-host devices pending|approve|deny|list|revoke`. */
int ow_cli_devices (OwPaths *paths, int argc, char **argv);

/* `openwork-host tasks [--json]`: every task devices started, newest first. */
int ow_cli_tasks (OwPaths *paths, int argc, char **argv);

/* `openwork-host permissions list [--json] | reply ID once|always|reject`. */
int ow_cli_permissions (OwPaths *paths, int argc, char **argv);

/* `openwork-host openwork-app [on|off] [--json]`: shows or switches OpenWork app access. */
int ow_cli_openwork_app (OwPaths *paths, int argc, char **argv);

/* Prints OpenWork app access as the status's `gateway.openworkApp` describes it. */
void ow_cli_print_openwork_app (JsonObject *access);

/* `openwork-host client [--data-dir DIR] discover|pair|run|status`: the reference client.
 * Its folder defaults to `<host data dir>/client` when @host_data_dir is given. */
int ow_cli_client (const char *host_data_dir, int argc, char **argv);

G_END_DECLS
