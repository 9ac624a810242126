#pragma once

#include "ow-gateway-routes.h"

G_BEGIN_DECLS

/**
 * ow_gateway_authenticate:
 * @request: a request matched to @route (for the runtime's routes, classified)
 * @owner: (nullable): the caller, when the request came through the control socket
 * @caller: (out) (transfer full) (optional): who is calling; %NULL on a public route
 * @token: (out) (transfer full) (optional): the token as presented
 *
 * The gateway's one authentication step, as libsoup's #SoupAuthDomain is for a server:
 * the token a request presents (Bearer; on the runtime's routes also OpenCode's basic
 * auth and ?auth_token=; on the host's routes an owner's X-OpenWork-Host-Token), checked
 * against the token store, then against what @route's access asks of its scope. A
 * connect-remote grant presented as a token is claimed on the way. The caller's device
 * is marked as seen.
 *
 * Returns: %FALSE after replying 401 or 403, or pairing's answer to a grant
 */
gboolean ow_gateway_authenticate (OwGatewayRequest *request,
                                  const OwRoute *route,
                                  const OwTokenInfo *owner,
                                  OwTokenInfo **caller,
                                  char **token);

G_END_DECLS
