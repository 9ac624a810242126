#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ow-device-registry.h"
#include "ow-discovery.h"
#include "ow-gateway.h"
#include "ow-metrics.h"
#include "ow-openwork-app.h"
#include "ow-pairing.h"
#include "ow-paths.h"
#include "ow-permissions.h"
#include "ow-tasks.h"
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
  int http_port;                   /* OpenWork app access for this run: its plain-HTTP port
                                    * (0: a free one), -1 off, or OW_HOST_PORT_UNSET for
                                    * what host.conf and the defaults below say */
  const char *const *cors_origins; /* nullable: browser origins allowed to call the API */
  guint event_buffer;              /* events kept for resuming clients; 0: the default */
  gsize max_body_bytes;            /* request bodies the gateway accepts; 0: the default */
  OwScope permission_answers;      /* who may answer permission requests (owner or
                                    * collaborator) */
  gboolean discovery;              /* announce the gateway over mDNS */
  /* Defaults for what host.conf may set ([metrics] enabled, [permissions] sensitive-tools):
   * the desktop face's settings. host.conf wins where it has the key. */
  gboolean no_metrics;                /* record no local metrics */
  const char *const *sensitive_tools; /* nullable: the built-in list */
  gboolean openwork_app;              /* OpenWork app access ([openwork-app] access) */
  guint openwork_app_port;            /* its port ([openwork-app] port); 0: the default */
} OwHostOptions;

#define OW_TYPE_HOST (ow_host_get_type ())
G_DECLARE_FINAL_TYPE (OwHost, ow_host, OW, HOST, GObject)

/**
 * ow_host_new:
 *
 * Builds every service of the host (the composition root). Nothing runs until
 * ow_host_start(). The process initialises libsodium first, once (sodium_init(), as
 * main() does); so does a test that builds a service of its own.
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

/* The core objects, for the desktop face to show and to listen to. Valid once started. */
OwPairing *ow_host_get_pairing (OwHost *self);
OwPermissions *ow_host_get_permissions (OwHost *self);
OwTasks *ow_host_get_tasks (OwHost *self);
OwDeviceRegistry *ow_host_get_devices (OwHost *self);
OwGateway *ow_host_get_gateway (OwHost *self);
OwDiscovery *ow_host_get_discovery (OwHost *self);
OwMetrics *ow_host_get_metrics (OwHost *self);
const char *ow_host_get_fingerprint (OwHost *self);
const char *ow_host_get_runtime_binary (OwHost *self);
/* The gateway's HTTPS port. */
guint ow_host_get_port (OwHost *self);
/* Clients with an event stream open now. */
guint ow_host_count_clients (OwHost *self);

/* Returns: (transfer full): the QR code's link for @offer (an offer of the host's
 * pairing), with this computer's addresses now */
char *ow_host_dup_offer_uri (OwHost *self, const OwPairingOffer *offer);

/* Pausing refuses every client (503), ends their streams and withdraws the announcement;
 * the runtime keeps running. Notifies "paused". */
gboolean ow_host_get_paused (OwHost *self);
void ow_host_set_paused (OwHost *self, gboolean paused);

/* Stops the runtime and starts it again, also after it gave up. */
void ow_host_restart_runtime (OwHost *self);

/* Withdraws the mDNS announcement and announces again (after a network change). */
void ow_host_announce_again (OwHost *self);

/**
 * ow_host_set_openwork_app_access:
 *
 * Turns OpenWork app access (the plain-HTTP listener stock OpenWork clients use) on or
 * off now, and keeps the choice in host.conf for the next start. Off closes every
 * connection that came through it. Notifies "openwork-app-port".
 *
 * Returns: FALSE with @error set when it cannot listen (its port taken, say)
 */
gboolean ow_host_set_openwork_app_access (OwHost *self, gboolean enabled, GError **error);

/* The plain-HTTP port of OpenWork app access while it is on; 0 while off. */
guint ow_host_get_openwork_app_port (OwHost *self);

/* Returns: (nullable): why OpenWork app access is off although it was wanted */
const char *ow_host_get_openwork_app_error (OwHost *self);

/* Returns: (transfer full): the address stock OpenWork clients are given: the HTTPS front
 * of [openwork-app] public-url, else http://<first usable address>:<port>; %NULL while
 * access is off */
char *ow_host_dup_openwork_app_url (OwHost *self);

/* Adds OpenWork app access as `status` and /v1/openwork-app give it, as one object:
 * `{enabled, port, url, publicUrl, error}`. */
void ow_host_describe_openwork_app (OwHost *self, JsonBuilder *builder);

/**
 * ow_host_invite_openwork_app:
 * @workspaces: (nullable): workspace ids; %NULL for all
 * @expires_ms: (out): when the link stops working (Unix time)
 *
 * A connect-remote link for one OpenWork app (see ow_gateway_invite_openwork_app()).
 *
 * Returns: (transfer full): the link, or %NULL with @error set while access is off
 */
char *ow_host_invite_openwork_app (
  OwHost *self, OwScope scope, const char *const *workspaces, gint64 *expires_ms, GError **error);

/* Shares @path with clients from now on and saves it in host.conf for the next start. */
gboolean ow_host_add_workspace (OwHost *self, const char *path, GError **error);

G_END_DECLS
