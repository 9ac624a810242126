#pragma once

#include "ow-control-server.h"
#include "ow-host.h"

G_BEGIN_DECLS

/* The control socket's routes, for the command line on this machine: /v1/status,
 * /v1/routes, /v1/openwork-app, and /api/…, the gateway's API with owner rights. */
void ow_host_control_add_routes (OwControlServer *control, OwHost *host);

G_END_DECLS
