#pragma once

/* The gateway's routes, one table per resource. The router (ow-gateway.c) matches a
 * request against them in order, and authenticates it (ow-gateway-auth.c) as its route's
 * access says, before the handler runs. */

#include "ow-device-registry.h"
#include "ow-gateway-request.h"

G_BEGIN_DECLS

/* Who may use a route. */
typedef enum
{
  OW_ACCESS_PUBLIC,
  OW_ACCESS_VIEWER,
  OW_ACCESS_COLLABORATOR,
  OW_ACCESS_OWNER,
  OW_ACCESS_OPENCODE, /* the runtime's API: as ow_opencode_route_parse() classifies each
                       * route, viewers read, collaborators write, owners answer */
  OW_ACCESS_ANSWER,   /* answering permission requests: as --permission-answers says */
} OwAccess;

typedef enum
{
  OW_ROUTE_NONE = 0,
  /* The token may come as OpenCode's own clients send it, as basic auth or ?auth_token=
   * (browsers cannot set headers on a WebSocket either). */
  OW_ROUTE_OPENCODE_CREDENTIALS = 1 << 0,
} OwRouteFlags;

typedef void (*OwRouteHandler) (OwGatewayRequest *request);

typedef struct
{
  const char *method;  /* NULL: any */
  const char *pattern; /* "/a/:id" or "/b/" then "*" */
  OwAccess access;
  OwRouteHandler handler;
  OwRouteFlags flags;
} OwRoute;

/* Each table ends with a route whose pattern is NULL. */

/* OpenWork's server API: health, capabilities, status, identity, workspaces, sessions,
 * approvals (ow-openwork-routes.c). */
extern const OwRoute ow_openwork_routes[];
/* Pairing and the owner's side of it (ow-pairing-routes.c). */
extern const OwRoute ow_pairing_routes[];
/* Devices and tokens (ow-device-routes.c). */
extern const OwRoute ow_device_routes[];
/* The host's own extensions under /host/ (ow-host-routes.c). */
extern const OwRoute ow_host_routes[];
/* The runtime's API (ow-opencode-front.c). */
extern const OwRoute ow_opencode_routes[];

/* Pairing's part in the rest of the gateway (ow-pairing-routes.c) */

/* A connect-remote grant presented as a token: %TRUE if it was an invite's, and is now a
 * device's token; otherwise the answer (approval pending, or why not) is sent. */
gboolean ow_pairing_routes_use_grant (OwGatewayContext *context,
                                      SoupServerMessage *message,
                                      const char *grant);
GPtrArray *ow_pairing_waiters_new (void);
void ow_pairing_waiters_free (GPtrArray *waiters);
/* Answers the polls held for the pairing request @id, which the owner just decided. */
void ow_pairing_routes_request_decided (OwGatewayContext *context, const char *id);

/* The serializers of tokens (its members, into an object being built) and devices (one
 * object), for every route that shows them (ow-device-routes.c) */
void ow_device_routes_add_token (JsonBuilder *builder, const OwTokenInfo *info);
void ow_device_routes_add_device (JsonBuilder *builder, OwDevice *device);

/* The serializer of approvals: upstream's `/approvals` item `{id, workspaceId, action,
 * summary, paths, createdAt, actor}` (ow-openwork-routes.c) */
void ow_openwork_routes_add_approval (JsonBuilder *builder, OwApproval *approval);

/* Answers the permission request @id for the caller, through the broker: the first answer
 * wins, a later one gets 409 (ow-host-routes.c). */
void
ow_host_routes_answer_permission (OwGatewayRequest *request, const char *id, const char *reply);

/* The names of #OwAccess values, as the route table shows them. */
const char *ow_access_to_string (OwAccess access);

G_END_DECLS
