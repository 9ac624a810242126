#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ow-gateway-context.h"

G_BEGIN_DECLS

typedef struct
{
  guint port;                         /* HTTPS on all interfaces; 0 picks a free port */
  const char *public_url;             /* nullable: an HTTPS proxy in front, for links */
  const char *const *cors_origins;    /* nullable: origins browsers may call from */
  gsize max_body_bytes;               /* larger request bodies get 413 */
  OwScope permission_answers;         /* the least scope that may answer permission requests */
  const char *const *sensitive_tools; /* nullable: permissions forced to "ask" in sessions
                                       * that clients create */
  gboolean remote_always;             /* devices may answer a permission request "always" */
  guint answer_timeout_s;             /* for the runtime's answer to start; 0: the default */
  guint request_timeout_s;            /* for a request's head, and between body pieces */
  guint idle_timeout_s;               /* for a kept connection's next request */
  guint max_connections;              /* open at once; 0: the listener's default */
  guint max_connections_per_address;  /* from one address (IPv6: one /64); 0: the default */
  guint max_streams;                  /* event streams open at once; 0: the default */
  guint max_streams_per_token;        /* … for one token; its oldest makes room for its newest */
  guint stream_stall_s;               /* how long a stream's client may take nothing; 0: 30 s */
} OwGatewayOptions;

#define OW_GATEWAY_DEFAULT_MAX_BODY_BYTES (16 * 1024 * 1024)

#define OW_TYPE_GATEWAY (ow_gateway_get_type ())
G_DECLARE_FINAL_TYPE (OwGateway, ow_gateway, OW, GATEWAY, GObject)

/**
 * ow_gateway_new:
 * @services: the host's services (the first part of the context); the gateway keeps a
 *   reference to each
 *
 * The API that clients talk to: an OpenWork-compatible HTTPS server whose every route
 * but `/health` needs a token of a sufficient scope.
 */
OwGateway *ow_gateway_new (const OwGatewayContext *services, const OwGatewayOptions *options);

/* Starts listening; fails when the port is taken, with a message that says so. */
gboolean ow_gateway_listen (OwGateway *self, GError **error);

/* The HTTPS port in use (the chosen one when 0 was asked for), or 0 before listening. */
guint ow_gateway_get_port (OwGateway *self);

/**
 * ow_gateway_set_http_port:
 * @port: the plain-HTTP port for OpenWork app access (0: a free one), or -1 for none
 *
 * Opens or closes the plain-HTTP listener of a listening gateway. Closing it also closes
 * every connection it accepted, streams included; HTTPS goes on untouched. A port taken
 * leaves the listener off and says so in @error.
 */
gboolean ow_gateway_set_http_port (OwGateway *self, int port, GError **error);

/* The plain-HTTP port in use, or 0 when that listener is off. */
guint ow_gateway_get_http_port (OwGateway *self);

/* Returns: (transfer full) (nullable): the address stock OpenWork clients are given: the
 * HTTPS front configured, else http://<first usable address>:<port>; %NULL while
 * neither is there */
char *ow_gateway_dup_openwork_app_url (OwGateway *self);

/**
 * ow_gateway_invite_openwork_app:
 * @workspaces: (nullable): the workspace ids the device gets; %NULL for all
 * @invite: (out) (transfer none): the invite made, replacing any earlier one
 * @host_url: (out) (optional) (transfer full): the address the link gives
 *
 * Makes the one-device invite of ow_pairing_invite() and its connect-remote link, for
 * stock OpenWork clients: to the HTTPS front when one is configured, else to the
 * plain-HTTP listener at the first usable address. Showing it is the owner's consent.
 *
 * Returns: (transfer full): the link, or %NULL with @error set while OpenWork app access
 *   is off (neither a front nor plain HTTP)
 */
char *ow_gateway_invite_openwork_app (OwGateway *self,
                                      OwScope scope,
                                      const char *const *workspaces,
                                      const OwPairingInvite **invite,
                                      char **host_url,
                                      GError **error);

/**
 * ow_gateway_dispatch_as_owner:
 * @path: the API path, e.g. "/tokens"
 *
 * Serves @message from the API with owner rights and no token: for the control socket,
 * whose peer is already known to be the host's own user.
 */
void ow_gateway_dispatch_as_owner (OwGateway *self,
                                   SoupServerMessage *message,
                                   const char *path,
                                   GHashTable *query);

/* While paused, every request from the network gets 503 `hosting_paused` and open event
 * streams end; the control socket still works. */
void ow_gateway_set_paused (OwGateway *self, gboolean paused);

/* The connections from the network open now, handshakes under way included. */
guint ow_gateway_count_connections (OwGateway *self);

/* The event streams (SSE and WebSocket) open now: the clients connected. */
guint ow_gateway_count_streams (OwGateway *self);

/* Returns: (transfer full): the route table, `[{method, path, access}]`, for tests and docs */
JsonNode *ow_gateway_describe_routes (OwGateway *self);

G_END_DECLS
