#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ow-paths.h"
#include "ow-runtime-supervisor.h"
#include "ow-token-store.h"

G_BEGIN_DECLS

#define OW_DEFAULT_GATEWAY_PORT 8787

/* What the command line (or the desktop face) asks the host to be. */
typedef struct
{
  const char *data_dir;            /* nullable: XDG folders */
  const char *const *workspaces;   /* nullable: the current folder */
  const char *opencode;            /* nullable: look the runtime up */
  guint port;                      /* the LAN gateway's HTTPS port; 0 picks a free one */
  int http_port;                   /* opt-in plain HTTP for older clients; -1 is off */
  const char *const *cors_origins; /* nullable: browser origins allowed to call the API */
  guint event_buffer;              /* events kept for resuming clients; 0: the default */
  gsize max_body_bytes;            /* request bodies the gateway accepts; 0: the default */
  OwScope permission_answers;      /* who may answer permission requests (owner or
                                    * collaborator) */
  gboolean discovery;              /* announce the gateway over mDNS */
} OwHostOptions;

#define OW_TYPE_HOST (ow_host_get_type ())
G_DECLARE_FINAL_TYPE (OwHost, ow_host, OW, HOST, GObject)

/**
 * ow_host_new:
 *
 * Builds every service of the host (the composition root). Nothing runs until
 * ow_host_start().
 *
 * Returns: (transfer full): the host, or %NULL with @error set when the options cannot
 *   work (a workspace that is not a folder, no OpenCode runtime to be found)
 */
OwHost *ow_host_new (const OwHostOptions *options, GError **error);

/**
 * ow_host_start:
 *
 * Creates the data folders, opens the control socket and starts the runtime. Fails when
 * another host already uses the data folder.
 */
gboolean ow_host_start (OwHost *self, GError **error);

/* Stops the runtime (never leaving it behind) and closes the control socket. */
void ow_host_stop_async (OwHost *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean ow_host_stop_finish (OwHost *self, GAsyncResult *result, GError **error);

OwPaths *ow_host_get_paths (OwHost *self);
OwRuntimeSupervisor *ow_host_get_supervisor (OwHost *self);
/* Returns: (transfer none) (element-type OwWorkspace): the shared folders, in order */
GPtrArray *ow_host_get_workspaces (OwHost *self);
guint64 ow_host_get_uptime_ms (OwHost *self);

/* The state `openwork-host status --json` prints: `{host: {…}, gateway: {…}, runtime: {…}}`. */
JsonNode *ow_host_build_status (OwHost *self);

G_END_DECLS
