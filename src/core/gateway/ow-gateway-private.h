#pragma once

/* What the gateway's files share: its state, and a request on its way to a handler. */

#include "ow-event-hub.h"
#include "ow-gateway.h"
#include "ow-opencode-policy.h"
#include "ow-opencode-proxy.h"
#include "ow-listener.h"

G_BEGIN_DECLS

#define MAX_PARAMS 2

/* The caller id of requests from the control socket: the host's own user, on this machine. */
#define OW_GATEWAY_CONTROL_CALLER "control"

typedef struct
{
  OwGateway *gateway;
  SoupServerMessage *message;
  GHashTable *query;
  OwTokenInfo *caller; /* NULL on public routes */
  const char *token;   /* the caller's own token, as presented */
  char *params[MAX_PARAMS];
  const char *rest;         /* what a trailing "*" matched, with its leading "/"; for the runtime's
                             * routes, the path the runtime will act on */
  OwOpencodeRoute opencode; /* a route of the runtime's, classified */
  gboolean early;           /* the headers are in, the body is still to come */
} OwGatewayRequest;

struct _OwGateway
{
  GObject parent_instance;

  OwIdentity *identity;
  OwTokenStore *tokens;
  OwRuntimeSupervisor *runtime;
  OwApprovals *approvals;
  OwPairing *pairing;
  OwDeviceRegistry *devices;
  OwTasks *tasks;
  OwPermissions *permissions;
  OwMetrics *metrics;
  GStrv sensitive_tools;
  GHashTable *secured_sessions; /* ids of sessions given the host's rules in this run */
  gboolean remote_always;
  GPtrArray *pair_waiters; /* polls held until the owner decides */
  OwEventHub *hub;
  OwOpencodeProxy *proxy;
  GPtrArray *streams; /* OwEventStream */
  guint heartbeat_id;
  guint stream_check_id;
  guint trim_id;       /* handing freed memory back once streams have gone */
  gboolean trim_again; /* a stream closed while that was pending */
  guint max_streams;
  guint max_streams_per_token;
  guint stream_stall_s;
  GPtrArray *workspaces;
  char *active_workspace; /* the id OpenWork's clients made active; NULL: the first */
  guint port;             /* asked for; once listening, the one in use */
  int http_port;          /* plain HTTP's, while on; -1: off */
  char *public_url;       /* nullable: an HTTPS front (tailscale serve) for links */
  char *public_host;      /* its name, which plain HTTP accepts in Host */
  gboolean listening;
  GStrv cors_origins;
  gsize max_body_bytes;
  OwScope permission_answers;

  SoupServer *server;
  OwListener *listener; /* accepts connections and hands them to server */
  gint64 started_us;
  gboolean paused; /* the owner paused hosting: clients get 503 */
};

/* GET /host/opencode-policy?method=M&path=P: how the runtime's route P is classified. */
void ow_gateway_handle_opencode_policy (OwGatewayRequest *request);

/* Returns: (transfer container): the workspaces the caller may use, in the host's order */
GPtrArray *ow_gateway_caller_workspaces (OwGatewayRequest *request);

/* The request body as a JSON object (see ow_json_parse_object()), or %NULL after replying
 * 400 with what is wrong with it. */
JsonObject *ow_gateway_read_json_object (OwGatewayRequest *request);

/* Replies 400 `invalid_request` with @error's message (a body's member of the wrong type,
 * say). */
void ow_gateway_reply_invalid (OwGatewayRequest *request, const GError *error);

/**
 * ow_gateway_read_strings:
 * @body: the request's body
 * @name: the first member's name, followed by a `const char **` for its value, then more
 *   pairs, then %NULL
 *
 * Reads optional string members; each value is left %NULL when its member is absent or
 * null.
 *
 * Returns: %FALSE after replying 400 when a member is there but not a string
 */
gboolean ow_gateway_read_strings (OwGatewayRequest *request,
                                  JsonObject *body,
                                  const char *name,
                                  ...) G_GNUC_NULL_TERMINATED;

/* Replies to a revocation: 204 without @error, else 404 when @missing, 500 otherwise. */
void ow_gateway_reply_revoked (OwGatewayRequest *request, const GError *error, gboolean missing);

/* Replies 200 `{items: @items}`, taking @items. */
void ow_gateway_reply_items (OwGatewayRequest *request, JsonNode *items);

/* Adds @item of a list model as one JSON object: the serializer of its type. */
typedef void (*OwGatewayAddItem) (JsonBuilder *builder, gpointer item);

/* Replies 200 `{items: […]}` with every item of @model that @visible (nullable: all)
 * lets @request see, each added by @add. */
void ow_gateway_reply_model (OwGatewayRequest *request,
                             GListModel *model,
                             OwGatewayAddItem add,
                             gboolean (*visible) (OwGatewayRequest *request, gpointer item));

/* The API's resources, in ow-gateway-api.c. */
void ow_gateway_handle_health (OwGatewayRequest *request);
void ow_gateway_handle_capabilities (OwGatewayRequest *request);
void ow_gateway_handle_status (OwGatewayRequest *request);
void ow_gateway_handle_whoami (OwGatewayRequest *request);
void ow_gateway_handle_workspaces (OwGatewayRequest *request);
void ow_gateway_handle_activate_workspace (OwGatewayRequest *request);
void ow_gateway_handle_delete_session (OwGatewayRequest *request);
void ow_gateway_handle_list_tokens (OwGatewayRequest *request);
void ow_gateway_handle_create_token (OwGatewayRequest *request);
void ow_gateway_handle_revoke_token (OwGatewayRequest *request);
void ow_gateway_handle_list_approvals (OwGatewayRequest *request);
void ow_gateway_handle_reply_approval (OwGatewayRequest *request);
void ow_gateway_handle_list_tasks (OwGatewayRequest *request);
void ow_gateway_handle_get_task (OwGatewayRequest *request);
void ow_gateway_handle_list_permissions (OwGatewayRequest *request);
void ow_gateway_handle_health_report (OwGatewayRequest *request);
void ow_gateway_handle_answer_permission (OwGatewayRequest *request);

/* Answers the permission request @id for the caller, through the broker: the first answer
 * wins, a later one gets 409. */
void ow_gateway_answer_permission (OwGatewayRequest *request, const char *id, const char *reply);

/* Pairing and devices, in ow-gateway-pair.c. */
void ow_gateway_handle_pair_start (OwGatewayRequest *request);
void ow_gateway_handle_pair_confirm (OwGatewayRequest *request);
void ow_gateway_handle_pair_grant (OwGatewayRequest *request);
void ow_gateway_handle_pair_poll (OwGatewayRequest *request);
void ow_gateway_handle_get_offer (OwGatewayRequest *request);
void ow_gateway_handle_invite (OwGatewayRequest *request);
void ow_gateway_handle_renew_offer (OwGatewayRequest *request);
void ow_gateway_handle_list_pair_requests (OwGatewayRequest *request);
void ow_gateway_handle_answer_pair_request (OwGatewayRequest *request);
void ow_gateway_handle_list_devices (OwGatewayRequest *request);
void ow_gateway_handle_revoke_device (OwGatewayRequest *request);
/* A connect-remote grant presented as a token: %TRUE if it was an invite's, and is now a
 * device's token; otherwise the answer (approval pending, or why not) is sent. */
gboolean ow_gateway_use_grant (OwGateway *self, SoupServerMessage *message, const char *grant);
void ow_gateway_pair_request_decided (OwGateway *self, const char *id);
GPtrArray *ow_gateway_pair_waiters_new (void);
void ow_gateway_pair_waiters_free (GPtrArray *waiters);

G_END_DECLS
