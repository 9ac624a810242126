#pragma once

/* What the gateway's files share: its state, and a request on its way to a handler. */

#include "ow-event-hub.h"
#include "ow-gateway.h"
#include "ow-opencode-proxy.h"

G_BEGIN_DECLS

#define MAX_PARAMS 2

typedef struct
{
  OwGateway *gateway;
  SoupServerMessage *message;
  GHashTable *query;
  OwTokenInfo *caller; /* NULL on public routes */
  const char *token;   /* the caller's own token, as presented */
  char *params[MAX_PARAMS];
  const char *rest; /* what a trailing "*" matched, with its leading "/" */
  gboolean early;   /* the headers are in, the body is still to come */
} OwGatewayRequest;

struct _OwGateway
{
  GObject parent_instance;

  OwIdentity *identity;
  OwTokenStore *tokens;
  OwRuntimeSupervisor *runtime;
  OwApprovals *approvals;
  OwEventHub *hub;
  OwOpencodeProxy *proxy;
  GPtrArray *streams; /* OwEventStream */
  guint heartbeat_id;
  GPtrArray *workspaces;
  guint port;
  int http_port;
  GStrv cors_origins;
  gsize max_body_bytes;
  OwScope permission_answers;

  SoupServer *server;
  gint64 started_us;
};

/* The API's resources, in ow-gateway-api.c. */
void ow_gateway_handle_health (OwGatewayRequest *request);
void ow_gateway_handle_capabilities (OwGatewayRequest *request);
void ow_gateway_handle_status (OwGatewayRequest *request);
void ow_gateway_handle_whoami (OwGatewayRequest *request);
void ow_gateway_handle_workspaces (OwGatewayRequest *request);
void ow_gateway_handle_list_tokens (OwGatewayRequest *request);
void ow_gateway_handle_create_token (OwGatewayRequest *request);
void ow_gateway_handle_revoke_token (OwGatewayRequest *request);
void ow_gateway_handle_list_approvals (OwGatewayRequest *request);
void ow_gateway_handle_reply_approval (OwGatewayRequest *request);

G_END_DECLS
