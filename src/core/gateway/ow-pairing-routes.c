#include "config.h"

/* The pairing API (docs/pairing-protocol.md): the public messages of a pairing run and the
 * owner's side of it (offers, invites, requests). */

#include "ow-gateway-routes.h"
#include "ow-gateway.h"
#include "ow-http.h"
#include "ow-net.h"
#include "ow-workspace.h"

#include <string.h>

static void handle_pair_start (OwGatewayRequest *request);
static void handle_pair_confirm (OwGatewayRequest *request);
static void handle_pair_grant (OwGatewayRequest *request);
static void handle_pair_poll (OwGatewayRequest *request);
static void handle_get_offer (OwGatewayRequest *request);
static void handle_invite (OwGatewayRequest *request);
static void handle_renew_offer (OwGatewayRequest *request);
static void handle_list_pair_requests (OwGatewayRequest *request);
static void handle_answer_pair_request (OwGatewayRequest *request);

const OwRoute ow_pairing_routes[] = {
  { "POST", "/pair/start", OW_ACCESS_PUBLIC, handle_pair_start },
  { "POST", "/pair/grant", OW_ACCESS_PUBLIC, handle_pair_grant },
  { "GET", "/pair/offer", OW_ACCESS_OWNER, handle_get_offer },
  { "POST", "/pair/invite", OW_ACCESS_OWNER, handle_invite },
  { "POST", "/pair/offer", OW_ACCESS_OWNER, handle_renew_offer },
  { "GET", "/pair/requests", OW_ACCESS_OWNER, handle_list_pair_requests },
  { "POST", "/pair/requests/:id", OW_ACCESS_OWNER, handle_answer_pair_request },
  { "POST", "/pair/:id/confirm", OW_ACCESS_PUBLIC, handle_pair_confirm },
  { "GET", "/pair/:id", OW_ACCESS_PUBLIC, handle_pair_poll },
  { NULL },
};

#define MAX_WAIT_SECONDS 30

/* Replies with the HTTP form of a pairing error. */
static void
reply_pair_error (SoupServerMessage *message, const GError *error)
{
  static const struct
  {
    guint status;
    const char *code;
  } statuses[] = {
    [OW_PAIR_ERROR_INVALID] = { SOUP_STATUS_BAD_REQUEST, "invalid_request" },
    [OW_PAIR_ERROR_NO_OFFER] = { SOUP_STATUS_GONE, "no_pairing_code" },
    [OW_PAIR_ERROR_RATE_LIMITED] = { 429, "rate_limited" },
    [OW_PAIR_ERROR_TOO_MANY_PENDING] = { 429, "too_many_pending" },
    [OW_PAIR_ERROR_NOT_FOUND] = { SOUP_STATUS_NOT_FOUND, "not_found" },
    [OW_PAIR_ERROR_CONFIRMATION_FAILED] = { SOUP_STATUS_FORBIDDEN, "confirmation_failed" },
    [OW_PAIR_ERROR_CODE_REPLACED] = { SOUP_STATUS_CONFLICT, "code_replaced" },
    [OW_PAIR_ERROR_FORBIDDEN] = { SOUP_STATUS_FORBIDDEN, "forbidden" },
    [OW_PAIR_ERROR_DENIED] = { SOUP_STATUS_FORBIDDEN, "denied" },
    [OW_PAIR_ERROR_GRANT_USED] = { SOUP_STATUS_CONFLICT, "grant_used" },
    [OW_PAIR_ERROR_ALREADY_ANSWERED] = { SOUP_STATUS_CONFLICT, "already_answered" },
  };

  if (error->domain == OW_PAIR_ERROR && error->code >= 0 &&
      (gsize) error->code < G_N_ELEMENTS (statuses) && statuses[error->code].code)
    {
      if (error->code == OW_PAIR_ERROR_RATE_LIMITED)
        soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                      "Retry-After", "60");
      ow_http_reply_error (message, statuses[error->code].status, statuses[error->code].code,
                           error->message);
      return;
    }
  ow_http_reply_error (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal", error->message);
}

static void
reply_invalid (OwGatewayRequest *request, const char *text)
{
  ow_http_reply_error (request->message, SOUP_STATUS_BAD_REQUEST, "invalid_request", text);
}

static const char *
peer_address (SoupServerMessage *message)
{
  const char *host = soup_server_message_get_remote_host (message);

  return host ? host : "unknown";
}

/* The run's messages (public) */

static void
handle_pair_start (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *share_text = NULL;
  OwPairingStart start = { 0 };
  const char *sid_text, *share_text_in, *method, *name, *platform;
  gint64 version = 0;
  guint8 sid[OW_PAIR_SID_BYTES];
  guint8 share[OW_CPACE_POINT_BYTES];

  if (body == NULL)
    return;
  if (!ow_json_get_int (body, "v", OW_JSON_REQUIRED, &version, &error))
    {
      ow_gateway_request_reply_invalid (request, error);
      return;
    }
  if (version != 1)
    {
      reply_invalid (request, "This host speaks pairing protocol version 1 (\"v\": 1).");
      return;
    }
  if (!ow_gateway_request_read_strings (request, body, "sid", &sid_text, "share", &share_text_in,
                                        "method", &method, "name", &name, "platform", &platform,
                                        NULL))
    return;
  if (!ow_pair_base64url_decode (sid_text, sid, sizeof sid) ||
      !ow_pair_base64url_decode (share_text_in, share, sizeof share))
    {
      reply_invalid (request, "\"sid\" must be 16 bytes and \"share\" 32 bytes, base64url.");
      return;
    }

  if (!ow_pairing_start (self->pairing, peer_address (request->message), method, sid, name,
                         platform, share, &start, &error))
    {
      reply_pair_error (request->message, error);
      return;
    }

  share_text = ow_pair_base64url_encode (start.host_share, sizeof start.host_share);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "id", start.id);
  ow_json_add_string (builder, "name", start.host_name);
  ow_json_add_string (builder, "share", share_text);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
  ow_pairing_start_clear (&start);
}

static void
handle_pair_confirm (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *tag_text = NULL;
  const char *confirm;
  guint8 client_tag[OW_PAIR_TAG_BYTES];
  guint8 host_tag[OW_PAIR_TAG_BYTES];

  if (body == NULL || !ow_gateway_request_read_strings (request, body, "confirm", &confirm, NULL))
    return;
  if (!ow_pair_base64url_decode (confirm, client_tag, sizeof client_tag))
    {
      reply_invalid (request, "\"confirm\" must be 64 bytes, base64url.");
      return;
    }
  if (!ow_pairing_confirm (request->context->pairing, request->params[0], client_tag, host_tag,
                           &error))
    {
      reply_pair_error (request->message, error);
      return;
    }

  tag_text = ow_pair_base64url_encode (host_tag, sizeof host_tag);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "confirm", tag_text);
  ow_json_add_string (builder, "status", "waiting");
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

static void
handle_pair_grant (OwGatewayRequest *request)
{
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr (OwDevice) joined = NULL;
  const char *grant, *name, *platform;

  if (body == NULL || !ow_gateway_request_read_strings (request, body, "grant", &grant, "name",
                                                        &name, "platform", &platform, NULL))
    return;
  if (!ow_pairing_claim_grant (request->context->pairing, peer_address (request->message), grant,
                               name, platform, &id, &joined, &error))
    {
      reply_pair_error (request->message, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (joined != NULL)
    {
      /* An invite's grant: the device is in, and the grant is its token. */
      ow_json_add_string (builder, "status", "approved");
      ow_json_add_string (builder, "deviceId", ow_device_get_id (joined));
    }
  else
    {
      ow_json_add_string (builder, "id", id);
      ow_json_add_string (builder, "status", "waiting");
    }
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, joined ? SOUP_STATUS_OK : SOUP_STATUS_ACCEPTED, builder);
}

/* Polling, with long-polling: a waiting device's GET is held until the owner decides or
 * ?wait= seconds pass. */

typedef struct
{
  OwGatewayContext *context;
  SoupServerMessage *message;
  char *id;
  char *proof;
  guint timeout_id;
} Waiter;

static void
waiter_free (Waiter *waiter)
{
  g_clear_handle_id (&waiter->timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (waiter->message, waiter);
  g_object_unref (waiter->message);
  g_free (waiter->id);
  g_free (waiter->proof);
  g_free (waiter);
}

/* Answers a poll from the request's state; FALSE when it still waits and @final is not set. */
static gboolean
answer_poll (OwGatewayContext *self,
             SoupServerMessage *message,
             const char *id,
             const char *proof,
             gboolean final)
{
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OwDevice) device = NULL;
  g_autofree char *box = NULL;
  g_autofree char *nonce = NULL;
  OwPairingState state;

  if (!ow_pairing_poll (self->pairing, id, proof, &state, &box, &nonce, &device, &error))
    {
      reply_pair_error (message, error);
      return TRUE;
    }
  if (state == OW_PAIRING_WAITING && !final)
    return FALSE;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "status", state == OW_PAIRING_WAITING ? "waiting" : "approved");
  if (state == OW_PAIRING_APPROVED)
    {
      if (box)
        {
          json_builder_set_member_name (builder, "token");
          json_builder_begin_object (builder);
          ow_json_add_string (builder, "nonce", nonce);
          ow_json_add_string (builder, "box", box);
          json_builder_end_object (builder);
        }
      json_builder_set_member_name (builder, "device");
      ow_device_routes_add_device (builder, device);
    }
  json_builder_end_object (builder);
  answer = json_builder_get_root (builder);
  ow_http_reply_json (message, SOUP_STATUS_OK, answer);
  return TRUE;
}

static void
finish_waiter (Waiter *waiter, gboolean final)
{
  OwGatewayContext *self = waiter->context;

  if (!answer_poll (self, waiter->message, waiter->id, waiter->proof, final))
    return;
  soup_server_message_unpause (waiter->message);
  g_ptr_array_remove_fast (self->pair_waiters, waiter);
}

static gboolean
on_waiter_timeout (gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter->timeout_id = 0;
  finish_waiter (waiter, TRUE);
  return G_SOURCE_REMOVE;
}

/* The client went away while waiting. */
static void
on_waiter_finished (SoupServerMessage *message, Waiter *waiter)
{
  g_ptr_array_remove_fast (waiter->context->pair_waiters, waiter);
}

void
ow_pairing_routes_request_decided (OwGatewayContext *self, const char *id)
{
  g_autoptr (GPtrArray) ready = g_ptr_array_new ();

  for (guint i = 0; i < self->pair_waiters->len; i++)
    {
      Waiter *waiter = g_ptr_array_index (self->pair_waiters, i);

      if (g_str_equal (waiter->id, id))
        g_ptr_array_add (ready, waiter);
    }
  for (guint i = 0; i < ready->len; i++)
    finish_waiter (g_ptr_array_index (ready, i), TRUE);
}

void
ow_pairing_waiters_free (GPtrArray *waiters)
{
  while (waiters->len > 0)
    {
      Waiter *waiter = g_ptr_array_index (waiters, waiters->len - 1);

      soup_server_message_set_status (waiter->message, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      soup_server_message_unpause (waiter->message);
      g_ptr_array_remove_index (waiters, waiters->len - 1);
    }
  g_ptr_array_unref (waiters);
}

GPtrArray *
ow_pairing_waiters_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) waiter_free);
}

static void
handle_pair_poll (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  const char *authorization = soup_message_headers_get_one (
    soup_server_message_get_request_headers (request->message), "Authorization");
  const char *wait_text = request->query ? g_hash_table_lookup (request->query, "wait") : NULL;
  guint64 wait = 0;
  Waiter *waiter;

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Pair ", 5) != 0)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                           "Send the run's proof: Authorization: Pair <confirm or grant>.");
      return;
    }
  if (wait_text && !g_ascii_string_to_unsigned (wait_text, 10, 0, MAX_WAIT_SECONDS, &wait, NULL))
    {
      reply_invalid (request, "wait must be a number of seconds from 0 to 30.");
      return;
    }

  if (answer_poll (self, request->message, request->params[0], authorization + 5, wait == 0))
    return;

  waiter = g_new0 (Waiter, 1);
  waiter->context = self;
  waiter->message = g_object_ref (request->message);
  waiter->id = g_strdup (request->params[0]);
  waiter->proof = g_strdup (authorization + 5);
  waiter->timeout_id = g_timeout_add_seconds ((guint) wait, on_waiter_timeout, waiter);
  g_signal_connect (request->message, "finished", G_CALLBACK (on_waiter_finished), waiter);
  g_ptr_array_add (self->pair_waiters, waiter);
  soup_server_message_pause (request->message);
}

/* The owner's side */

static void
describe_offer (OwGatewayContext *self, JsonBuilder *builder, const OwPairingOffer *offer)
{
  g_auto (GStrv) addresses = ow_net_usable_addresses ();
  const char *name = ow_pairing_get_host_name (self->pairing);
  const char *fingerprint = ow_identity_get_fingerprint (self->identity);
  guint port = ow_gateway_get_port (self->gateway);

  json_builder_begin_object (builder);
  ow_json_add_string (builder, "name", name);
  ow_json_add_string (builder, "fingerprint", fingerprint);
  ow_json_add_int (builder, "port", port);
  ow_json_add_strv (builder, "addresses", (const char *const *) addresses);
  json_builder_set_member_name (builder, "offer");
  if (offer == NULL)
    {
      json_builder_add_null_value (builder);
    }
  else
    {
      g_autofree char *uri = NULL;
      g_autofree char *host_url = NULL;
      g_autofree char *connect_remote = NULL;
      const char *first = addresses[0] ? addresses[0] : "127.0.0.1";

      uri =
        ow_pair_uri_build (name, (const char *const *) addresses, port, fingerprint, offer->secret);
      host_url = ow_net_http_url ("https", first, port);
      connect_remote = ow_pair_uri_build_connect_remote (host_url, offer->grant, name, FALSE);

      json_builder_begin_object (builder);
      ow_json_add_string (builder, "code", offer->code);
      ow_json_add_int (builder, "expiresAt", offer->expires_ms);
      json_builder_set_member_name (builder, "locked");
      json_builder_add_boolean_value (builder, ow_pairing_get_offer_locked (self->pairing));
      ow_json_add_string (builder, "uri", uri);
      ow_json_add_string (builder, "connectRemote", connect_remote);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

static void
handle_get_offer (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  describe_offer (self, builder, ow_pairing_get_offer (self->pairing, TRUE));
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

static void
handle_renew_offer (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  describe_offer (self, builder, ow_pairing_renew_offer (self->pairing));
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

/* A waiting device as the API and `devices pending` give it: `{id, name, platform,
 * method, address, requestedAt, scope, workspaces}`, the last two what approving it
 * without changes gives. */
static void
add_pair_request (JsonBuilder *builder, OwPairingRequest *pending)
{
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "id", ow_pairing_request_get_id (pending));
  ow_json_add_string (builder, "name", ow_pairing_request_get_name (pending));
  ow_json_add_string (builder, "platform", ow_pairing_request_get_platform (pending));
  ow_json_add_string (builder, "method", ow_pairing_request_get_method (pending));
  ow_json_add_string (builder, "address", ow_pairing_request_get_address (pending));
  ow_json_add_int (builder, "requestedAt", ow_pairing_request_get_requested_at (pending));
  ow_json_add_string (builder, "scope", ow_scope_to_string (OW_SCOPE_COLLABORATOR));
  json_builder_set_member_name (builder, "workspaces");
  json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

static void
handle_list_pair_requests (OwGatewayRequest *request)
{
  ow_gateway_request_reply_model (request, ow_pairing_get_requests (request->context->pairing),
                                  (OwGatewayAddItem) add_pair_request, NULL);
}

/* The "workspaces" member of an approval: absent or null for all, else known ids. FALSE
 * after replying 400. */
static gboolean
read_workspaces (OwGatewayRequest *request, JsonObject *body, GStrv *workspaces)
{
  g_autoptr (GError) error = NULL;
  JsonArray *array = NULL;

  *workspaces = NULL;
  if (!ow_json_get_array (body, "workspaces", OW_JSON_OPTIONAL, &array, &error))
    {
      reply_invalid (request, "\"workspaces\" must be a list of workspace ids, or null for all.");
      return FALSE;
    }
  if (array == NULL)
    return TRUE;
  *workspaces = ow_json_array_get_strings (array, "workspaces", &error);
  if (*workspaces == NULL)
    {
      reply_invalid (request, "\"workspaces\" must be a list of workspace ids, or null for all.");
      return FALSE;
    }
  for (guint i = 0; (*workspaces)[i]; i++)
    if (ow_workspace_find (request->context->workspaces, (*workspaces)[i]) == NULL)
      {
        g_clear_pointer (workspaces, g_strfreev);
        ow_http_reply_error (request->message, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                             "unknown_workspace",
                             "A workspace named in \"workspaces\" is not one this host "
                             "shares. GET /workspaces lists them.");
        return FALSE;
      }
  return TRUE;
}

static void
handle_answer_pair_request (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OwDevice) device = NULL;
  g_auto (GStrv) workspaces = NULL;
  const char *reply;
  const char *scope_text;
  OwScope scope = OW_SCOPE_COLLABORATOR;

  if (body == NULL ||
      !ow_gateway_request_read_strings (request, body, "reply", &reply, "scope", &scope_text, NULL))
    return;
  if (g_strcmp0 (reply, "deny") == 0)
    {
      if (!ow_pairing_deny (self->pairing, request->params[0], &error))
        reply_pair_error (request->message, error);
      else
        soup_server_message_set_status (request->message, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }
  if (g_strcmp0 (reply, "allow") != 0)
    {
      reply_invalid (request, "\"reply\" must be \"allow\" or \"deny\".");
      return;
    }

  if (scope_text && !ow_scope_from_string (scope_text, &scope))
    {
      reply_invalid (request, "\"scope\" must be viewer, collaborator or owner.");
      return;
    }
  if (!read_workspaces (request, body, &workspaces))
    return;

  if (!ow_pairing_approve (self->pairing, request->params[0], scope,
                           (const char *const *) workspaces, &device, &error))
    {
      reply_pair_error (request->message, error);
      return;
    }

  builder = json_builder_new ();
  ow_device_routes_add_device (builder, device);
  ow_gateway_request_reply (request, SOUP_STATUS_OK, builder);
}

/* An OpenWork app link the owner agrees to before it is shown: POST /pair/invite {scope,
 * workspaces}. Stock OpenWork clients make the platform's certificate checks and cannot
 * pin ours, so the link points at the plain-HTTP listener, which must be on, or at the
 * HTTPS front the owner configured. */
static void
handle_invite (OwGatewayRequest *request)
{
  OwGatewayContext *self = request->context;
  g_autoptr (JsonObject) body = ow_gateway_request_read_object (request);
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) workspaces = NULL;
  g_autofree char *host_url = NULL;
  g_autofree char *link = NULL;
  const OwPairingInvite *invite;
  const char *scope_text;
  OwScope scope;

  if (body == NULL || !ow_gateway_request_read_strings (request, body, "scope", &scope_text, NULL))
    return;
  if (!ow_scope_from_string (scope_text, &scope))
    {
      reply_invalid (request, "Choose the link's \"scope\": viewer, collaborator or owner.");
      return;
    }
  if (!read_workspaces (request, body, &workspaces))
    return;
  link = ow_gateway_invite_openwork_app (self->gateway, scope, (const char *const *) workspaces,
                                         &invite, &host_url, &error);
  if (link == NULL)
    {
      ow_http_reply_error (request->message, SOUP_STATUS_CONFLICT, "openwork_app_access_off",
                           error->message);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "link", link);
  ow_json_add_string (builder, "hostUrl", host_url);
  ow_json_add_string (builder, "workerName", ow_pairing_get_host_name (self->pairing));
  ow_json_add_string (builder, "scope", ow_scope_to_string (scope));
  ow_json_add_strv (builder, "workspaces", (const char *const *) invite->workspaces);
  ow_json_add_int (builder, "expiresAt", invite->expires_ms);
  json_builder_end_object (builder);
  ow_gateway_request_reply (request, SOUP_STATUS_CREATED, builder);
}

/* Existing OpenWork clients know no pairing API: they present the grant of a
 * connect-remote link as their token. The first such request claims the grant for that
 * device: an invite's is in at once, an offer's asks the owner. */
gboolean
ow_pairing_routes_use_grant (OwGatewayContext *self, SoupServerMessage *message, const char *grant)
{
  const char *agent =
    soup_message_headers_get_one (soup_server_message_get_request_headers (message), "User-Agent");
  g_autofree char *name = NULL;
  g_autofree char *id = NULL;
  g_autoptr (OwDevice) joined = NULL;
  g_autoptr (GError) error = NULL;

  name = ow_pair_name_is_valid (agent, OW_PAIR_NAME_MAX_BYTES) ? g_strdup (agent)
                                                               : g_strdup ("OpenWork client");
  if (!ow_pairing_claim_grant (self->pairing, peer_address (message), grant, name, "unknown", &id,
                               &joined, &error))
    {
      reply_pair_error (message, error);
      return FALSE;
    }
  if (joined != NULL)
    return TRUE;
  ow_http_reply_error (message, SOUP_STATUS_FORBIDDEN, "approval_pending",
                       "The host owner has not approved this device yet. Ask them to allow it, "
                       "then try again.");
  return FALSE;
}
