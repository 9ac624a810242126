#pragma once

#include "ow-approvals.h"
#include "ow-device-registry.h"
#include "ow-event-hub.h"
#include "ow-identity.h"
#include "ow-metrics.h"
#include "ow-pairing.h"
#include "ow-permissions.h"
#include "ow-runtime-supervisor.h"
#include "ow-tasks.h"
#include "ow-token-store.h"

G_BEGIN_DECLS

typedef struct _OwGateway OwGateway;
typedef struct _OwOpencodeFront OwOpencodeFront;
typedef struct _OwStreamRegistry OwStreamRegistry;

/**
 * OwGatewayContext:
 *
 * What the gateway's routes work with: the host's services, which the composition root
 * fills in and ow_gateway_new() takes a reference to each of, and the parts of the
 * gateway's own that more than one route module uses, which the gateway fills in.
 */
typedef struct
{
  /* The host's services */
  OwIdentity *identity;
  OwTokenStore *tokens;
  OwRuntimeSupervisor *runtime;
  OwEventHub *hub;
  OwApprovals *approvals;
  OwPairing *pairing;
  OwDeviceRegistry *devices;
  OwTasks *tasks;
  OwPermissions *permissions;
  OwMetrics *metrics;
  GPtrArray *workspaces; /* OwWorkspace, in the host's order */

  /* The gateway's, set by ow_gateway_new() */
  OwGateway *gateway;         /* not a reference: it owns the context */
  OwStreamRegistry *streams;  /* every event stream open */
  OwOpencodeFront *opencode;  /* the runtime's routes */
  GPtrArray *pair_waiters;    /* polls held until the owner decides (ow-pairing-routes.c) */
  char *active_workspace;     /* the id OpenWork's clients made active; NULL: the first */
  char *public_url;           /* nullable: an HTTPS front (tailscale serve) for links */
  GStrv cors_origins;         /* origins browsers may call from */
  gboolean remote_always;     /* devices may answer a permission request "always" */
  OwScope permission_answers; /* the least scope that answers permission requests */
  gint64 started_us;          /* when the gateway began to listen */
} OwGatewayContext;

/* A context with a reference to each of @services' services, the rest empty. */
OwGatewayContext *ow_gateway_context_new (const OwGatewayContext *services);

void ow_gateway_context_free (OwGatewayContext *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwGatewayContext, ow_gateway_context_free)

G_END_DECLS
