#pragma once

/* A request on its way through the gateway to a route's handler, and what handlers use to
 * read its body and answer it. */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ow-gateway-context.h"
#include "ow-opencode-policy.h"
#include "ow-token-store.h"
#include "ow-workspace.h"

G_BEGIN_DECLS

#define OW_GATEWAY_MAX_PARAMS 2

/* The caller id of requests from the control socket: the host's own user, on this machine. */
#define OW_GATEWAY_CONTROL_CALLER "control"

typedef struct
{
  OwGatewayContext *context;
  SoupServerMessage *message;
  GHashTable *query;
  OwTokenInfo *caller; /* NULL on public routes */
  const char *token;   /* the caller's own token, as presented */
  char *params[OW_GATEWAY_MAX_PARAMS];
  const char *rest;         /* what a trailing "*" matched, with its leading "/"; for the runtime's
                             * routes, the path the runtime will act on */
  OwOpencodeRoute opencode; /* a route of the runtime's, classified */
  gboolean early;           /* the headers are in, the body is still to come */
} OwGatewayRequest;

/* Forgets what matching a route filled in. */
void ow_gateway_request_clear (OwGatewayRequest *request);

/* Returns: (transfer container): the workspaces the caller may use, the active one first */
GPtrArray *ow_gateway_request_workspaces (OwGatewayRequest *request);

/* The workspace a route under /w/:id/ or /workspace/:id/ names, if the caller may use it;
 * otherwise %NULL after replying 404 or 403. */
OwWorkspace *ow_gateway_request_mounted_workspace (OwGatewayRequest *request);

/* The request body as a JSON object (see ow_json_parse_object()), or %NULL after replying
 * 400 with what is wrong with it. */
JsonObject *ow_gateway_request_read_object (OwGatewayRequest *request);

/**
 * ow_gateway_request_read_strings:
 * @body: the request's body
 * @name: the first member's name, followed by a `const char **` for its value, then more
 *   pairs, then %NULL
 *
 * Reads optional string members; each value is left %NULL when its member is absent or
 * null.
 *
 * Returns: %FALSE after replying 400 when a member is there but not a string
 */
gboolean ow_gateway_request_read_strings (OwGatewayRequest *request,
                                          JsonObject *body,
                                          const char *name,
                                          ...) G_GNUC_NULL_TERMINATED;

/* The client's resume point for an event stream: Last-Event-ID, or ?since=; @given says
 * whether there was one. %FALSE after replying 400. */
gboolean
ow_gateway_request_read_resume_point (OwGatewayRequest *request, guint64 *seq, gboolean *given);

/* Replies 400 `invalid_request` with @error's message (a body's member of the wrong type,
 * say). */
void ow_gateway_request_reply_invalid (OwGatewayRequest *request, const GError *error);

/* Replies @status with @builder's document. */
void ow_gateway_request_reply (OwGatewayRequest *request, guint status, JsonBuilder *builder);

/* Replies to a revocation: 204 without @error, else 404 when @missing, 500 otherwise. */
void
ow_gateway_request_reply_revoked (OwGatewayRequest *request, const GError *error, gboolean missing);

/* Replies 200 `{items: @items}`, taking @items. */
void ow_gateway_request_reply_items (OwGatewayRequest *request, JsonNode *items);

/* Adds @item of a list model as one JSON object: the serializer of its type. */
typedef void (*OwGatewayAddItem) (JsonBuilder *builder, gpointer item);

/* Replies 200 `{items: […]}` with every item of @model that @visible (nullable: all)
 * lets @request see, each added by @add. */
void ow_gateway_request_reply_model (OwGatewayRequest *request,
                                     GListModel *model,
                                     OwGatewayAddItem add,
                                     gboolean (*visible) (OwGatewayRequest *request,
                                                          gpointer item));

G_END_DECLS
