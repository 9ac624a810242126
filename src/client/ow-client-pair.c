#include "config.h"

#include "ow-client-pair.h"
#include "ow-pair-protocol.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

/* How long a device waits for the owner before giving up. */
#define APPROVAL_WAIT_US (10 * 60 * G_USEC_PER_SEC)
#define POLL_WAIT_S "25"

void
ow_client_pairing_free (OwClientPairing *pairing)
{
  if (pairing == NULL)
    return;
  if (pairing->token)
    sodium_memzero (pairing->token, strlen (pairing->token));
  g_free (pairing->token);
  g_free (pairing->host_name);
  g_free (pairing->fingerprint);
  g_clear_pointer (&pairing->device, json_node_unref);
  g_free (pairing);
}

static JsonNode *
build_object (const char *first_key, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  va_list args;

  json_builder_begin_object (builder);
  va_start (args, first_key);
  for (const char *key = first_key; key; key = va_arg (args, const char *))
    {
      json_builder_set_member_name (builder, key);
      if (g_str_equal (key, "v"))
        json_builder_add_int_value (builder, va_arg (args, int));
      else
        json_builder_add_string_value (builder, va_arg (args, const char *));
    }
  va_end (args);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static const char *
member_string (JsonNode *node, const char *name)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (node), name, NULL);
}

static gboolean
protocol_error (GError **error, const char *what)
{
  g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_PROTOCOL,
               _("The host broke the pairing protocol (%s). Is it an OpenWork host?"), what);
  return FALSE;
}

/* Polls until the owner decides. Returns the final answer, or NULL with @error set. */
static JsonNode *
wait_for_owner (OwClientConnection *connection, const char *id, const char *proof, GError **error)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/pair/", escaped, "?wait=" POLL_WAIT_S, NULL);
  g_autofree char *authorization = g_strconcat ("Pair ", proof, NULL);
  gint64 deadline = g_get_monotonic_time () + APPROVAL_WAIT_US;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (JsonNode) answer = ow_client_connection_request (connection, "GET", path, NULL,
                                                                  authorization, NULL, NULL, error);
      const char *status;

      if (answer == NULL)
        return NULL;
      status = member_string (answer, "status");
      if (g_strcmp0 (status, "approved") == 0)
        return g_steal_pointer (&answer);
      if (g_strcmp0 (status, "waiting") != 0)
        {
          protocol_error (error, "unknown status");
          return NULL;
        }
    }
  g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_HTTP,
               _("The host owner did not answer within 10 minutes. Pair again."));
  return NULL;
}

static JsonNode *
device_of (JsonNode *answer)
{
  JsonObject *object = json_node_get_object (answer);
  JsonNode *device = json_object_get_member (object, "device");

  return device && JSON_NODE_HOLDS_OBJECT (device) ? json_node_copy (device) : NULL;
}

/* A CPace run on this side: what it sent, what the host answered, the keys. */
typedef struct
{
  OwClientConnection *connection;
  const char *name;
  const char *platform;
  GBytes *sid;
  guint8 scalar[OW_CPACE_SCALAR_BYTES];
  guint8 client_share[OW_CPACE_POINT_BYTES];
  guint8 host_share[OW_CPACE_POINT_BYTES];
  guint8 fingerprint[OW_PAIR_FINGERPRINT_BYTES];
  char *id;
  char *host_name;
  OwPairKeys keys;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->sid, g_bytes_unref);
  g_clear_pointer (&run->id, g_free);
  g_clear_pointer (&run->host_name, g_free);
  sodium_memzero (run->scalar, sizeof run->scalar);
  sodium_memzero (&run->keys, sizeof run->keys);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* POST /pair/start: this side's share, from the password and a fresh session id (Ya);
 * the host's share and name, and the certificate it was reached at, pinned from now on. */
static gboolean
start_run (Run *run, const char *method, GBytes *password, GError **error)
{
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) started = NULL;
  g_autofree char *sid_text = NULL;
  g_autofree char *share_text = NULL;
  guint8 sid_bytes[OW_PAIR_SID_BYTES];
  guint8 generator[OW_CPACE_POINT_BYTES];
  const char *seen;

  randombytes_buf (sid_bytes, sizeof sid_bytes);
  run->sid = g_bytes_new (sid_bytes, sizeof sid_bytes);
  ow_pair_generator (password, run->sid, generator);
  ow_cpace_random_scalar (run->scalar);
  ow_cpace_share (generator, run->scalar, run->client_share);

  sid_text = ow_pair_base64url_encode (sid_bytes, sizeof sid_bytes);
  share_text = ow_pair_base64url_encode (run->client_share, sizeof run->client_share);
  request = build_object ("v", OW_PAIR_VERSION, "method", method, "sid", sid_text, "name",
                          run->name, "platform", run->platform, "share", share_text, NULL);
  started = ow_client_connection_request (run->connection, "POST", "/pair/start", request, NULL,
                                          NULL, NULL, error);
  if (started == NULL)
    return FALSE;

  seen = ow_client_connection_get_seen_fingerprint (run->connection);
  run->id = g_strdup (member_string (started, "id"));
  run->host_name = g_strdup (member_string (started, "name"));
  if (run->id == NULL || run->host_name == NULL ||
      !ow_pair_base64url_decode (member_string (started, "share"), run->host_share,
                                 sizeof run->host_share) ||
      !ow_pair_fingerprint_parse (seen, run->fingerprint))
    return protocol_error (error, "start");

  /* The rest of the run, and every later connection, must reach the certificate the
   * keys are bound to. */
  ow_client_connection_pin (run->connection, seen);
  return TRUE;
}

/* Derives the keys and proves them to the host, which proves its own: it knew the code,
 * and it is the certificate's owner. Returns this side's tag, the poll's proof. */
static char *
confirm_run (Run *run, GError **error)
{
  g_autoptr (GBytes) client_ad = NULL;
  g_autoptr (GBytes) host_ad = NULL;
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) confirmed = NULL;
  g_autofree char *tag_text = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  guint8 host_tag[OW_PAIR_TAG_BYTES];

  /* Both sides' associated data name the certificate this side saw: an interceptor's
   * certificate gives other keys than the host's, and confirmation fails. */
  client_ad = ow_pair_client_ad (run->fingerprint, run->name, run->platform);
  host_ad = ow_pair_host_ad (run->fingerprint, run->host_name);
  if (!ow_pair_derive_keys (run->sid, run->scalar, run->host_share, run->client_share, client_ad,
                            run->host_share, host_ad, &run->keys, NULL))
    {
      protocol_error (error, "invalid share");
      return NULL;
    }

  tag_text = ow_pair_base64url_encode (run->keys.client_tag, sizeof run->keys.client_tag);
  escaped = g_uri_escape_string (run->id, NULL, FALSE);
  path = g_strconcat ("/pair/", escaped, "/confirm", NULL);
  request = build_object ("confirm", tag_text, NULL);
  confirmed =
    ow_client_connection_request (run->connection, "POST", path, request, NULL, NULL, NULL, error);
  if (confirmed == NULL)
    return NULL;
  if (!ow_pair_base64url_decode (member_string (confirmed, "confirm"), host_tag, sizeof host_tag) ||
      sodium_memcmp (host_tag, run->keys.host_tag, sizeof host_tag) != 0)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FINGERPRINT,
                   _("The host could not prove it knows the code: this is not the host that "
                     "showed it, or the connection is intercepted. No token was issued."));
      return NULL;
    }
  return g_steal_pointer (&tag_text);
}

/* The device's token, from the approval's box, which only this run's key opens. */
static char *
open_token (Run *run, JsonNode *approved, GError **error)
{
  JsonNode *token = json_object_get_member (json_node_get_object (approved), "token");
  char *opened = NULL;

  if (token != NULL && JSON_NODE_HOLDS_OBJECT (token))
    opened = ow_pair_open_token (run->keys.box_key, run->id, member_string (token, "nonce"),
                                 member_string (token, "box"));
  if (opened == NULL)
    protocol_error (error, "the token does not open");
  return opened;
}

OwClientPairing *
ow_client_pair_cpace (OwClientConnection *connection,
                      const char *method,
                      GBytes *password,
                      const char *name,
                      const char *platform,
                      OwClientWaitingFunc waiting,
                      gpointer user_data,
                      GError **error)
{
  g_auto (Run) run = { .connection = connection, .name = name, .platform = platform };
  g_autoptr (OwClientPairing) pairing = g_new0 (OwClientPairing, 1);
  g_autoptr (JsonNode) approved = NULL;
  g_autofree char *proof = NULL;

  if (!start_run (&run, method, password, error) || (proof = confirm_run (&run, error)) == NULL)
    return NULL;
  if (waiting)
    waiting (run.host_name, user_data);
  approved = wait_for_owner (connection, run.id, proof, error);
  if (approved == NULL || (pairing->token = open_token (&run, approved, error)) == NULL)
    return NULL;
  pairing->host_name = g_strdup (run.host_name);
  pairing->fingerprint = g_strdup (ow_client_connection_get_seen_fingerprint (connection));
  pairing->device = device_of (approved);
  return g_steal_pointer (&pairing);
}

OwClientPairing *
ow_client_pair_grant (OwClientConnection *connection,
                      const char *grant,
                      const char *name,
                      const char *platform,
                      OwClientWaitingFunc waiting,
                      gpointer user_data,
                      GError **error)
{
  g_autoptr (OwClientPairing) pairing = g_new0 (OwClientPairing, 1);
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) claimed = NULL;
  g_autoptr (JsonNode) approved = NULL;
  const char *id;

  request = build_object ("grant", grant, "name", name, "platform", platform, NULL);
  claimed = ow_client_connection_request (connection, "POST", "/pair/grant", request, NULL, NULL,
                                          NULL, error);
  if (claimed == NULL)
    return NULL;
  id = member_string (claimed, "id");
  if (id == NULL)
    {
      protocol_error (error, "grant");
      return NULL;
    }
  /* A link without a fingerprint: the certificate of the first contact is kept. */
  ow_client_connection_pin (connection, ow_client_connection_get_seen_fingerprint (connection));

  if (waiting)
    waiting (NULL, user_data);
  approved = wait_for_owner (connection, id, grant, error);
  if (approved == NULL)
    return NULL;

  pairing->token = g_strdup (grant);
  pairing->fingerprint = g_strdup (ow_client_connection_get_seen_fingerprint (connection));
  pairing->device = device_of (approved);
  return g_steal_pointer (&pairing);
}
