#include "config.h"

#include "ow-pairing.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

/*
 * The pairing protocol's pieces (links, key schedule, token box) and the host's side of a
 * run (OwPairing) driven by a client written with the same pieces, over real token and
 * device databases in a temporary folder.
 */

#define FINGERPRINT "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

/* Links */

static void
test_pair_link_round_trip (void)
{
  const char *addresses[] = { "192.168.1.20", "fd00::2", NULL };
  guint8 secret[OW_PAIR_SECRET_BYTES];
  g_autofree char *text = NULL;
  g_autoptr (OwPairUri) uri = NULL;
  g_autoptr (GError) error = NULL;

  randombytes_buf (secret, sizeof secret);
  text = ow_pair_uri_build ("Ana's desk & co", addresses, 8787, FINGERPRINT, secret);
  g_assert_true (g_str_has_prefix (text, "openwork://pair?v=1&name="));

  uri = ow_pair_uri_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpint (uri->kind, ==, OW_PAIR_URI_PAIR);
  g_assert_cmpstr (uri->name, ==, "Ana's desk & co");
  g_assert_cmpstrv (uri->addresses, addresses);
  g_assert_cmpuint (uri->port, ==, 8787);
  g_assert_cmpstr (uri->fingerprint, ==, FINGERPRINT);
  g_assert_cmpmem (uri->secret, sizeof uri->secret, secret, sizeof secret);
}

static void
test_connect_remote_round_trip (void)
{
  g_autofree char *text =
    ow_pair_uri_build_connect_remote ("https://192.168.1.20:8787", "owg_0123abcd", NULL, FALSE);
  g_autofree char *invite = ow_pair_uri_build_connect_remote (
    "http://192.168.1.20:8788", "owg_0123abcd", "Ana’s desk & co", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwPairUri) uri = ow_pair_uri_parse (text, &error);
  g_autoptr (OwPairUri) invited = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (uri->kind, ==, OW_PAIR_URI_CONNECT_REMOTE);
  g_assert_cmpstr (uri->host_url, ==, "https://192.168.1.20:8787");
  g_assert_cmpstr (uri->grant, ==, "owg_0123abcd");
  g_assert_null (uri->worker_name);
  g_assert_false (uri->auto_connect);

  g_assert_cmpstr (invite, ==,
                   "openwork://connect-remote?openworkHostUrl=http%3A%2F%2F192.168.1.20%3A8788"
                   "&openworkToken=owg_0123abcd&workerName=Ana%E2%80%99s%20desk%20%26%20co"
                   "&autoConnect=1");
  invited = ow_pair_uri_parse (invite, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (invited->host_url, ==, "http://192.168.1.20:8788");
  g_assert_cmpstr (invited->worker_name, ==, "Ana’s desk & co");
  g_assert_true (invited->auto_connect);
}

static void
test_invalid_links_are_refused (void)
{
  const char *invalid[] = {
    "",
    "https://pair?v=1",
    "openwork://unpair?v=1",
    "openwork://pair?v=2&name=h&addrs=10.0.0.1&port=1&fp=" FINGERPRINT
    "&secret=00112233445566778899aabbccddeeff",
    "openwork://pair?v=1&name=h&addrs=10.0.0.1&port=0&fp=" FINGERPRINT
    "&secret=00112233445566778899aabbccddeeff",
    "openwork://pair?v=1&name=h&addrs=10.0.0.1&port=70000&fp=" FINGERPRINT
    "&secret=00112233445566778899aabbccddeeff",
    "openwork://pair?v=1&name=h&addrs=not-an-ip&port=1&fp=" FINGERPRINT
    "&secret=00112233445566778899aabbccddeeff",
    "openwork://pair?v=1&name=h&addrs=10.0.0.1&port=1&fp=abc"
    "&secret=00112233445566778899aabbccddeeff",
    "openwork://pair?v=1&name=h&addrs=10.0.0.1&port=1&fp=" FINGERPRINT "&secret=0011",
    "openwork://pair?v=1&name=%01&addrs=10.0.0.1&port=1&fp=" FINGERPRINT
    "&secret=00112233445566778899aabbccddeeff",
    "openwork://connect-remote?openworkHostUrl=ftp%3A%2F%2Fx&openworkToken=owg_1",
    "openwork://connect-remote?openworkHostUrl=https%3A%2F%2Fx",
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (OwPairUri) uri = ow_pair_uri_parse (invalid[i], &error);

      g_test_message ("%s", invalid[i]);
      g_assert_null (uri);
      g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_INVALID);
    }
}

/* A client, written with the protocol's pieces */

typedef struct
{
  guint8 sid[OW_PAIR_SID_BYTES];
  guint8 scalar[OW_CPACE_SCALAR_BYTES];
  guint8 share[OW_CPACE_POINT_BYTES];
  OwPairKeys keys;
} Client;

static void
client_begin (Client *client, const char *password)
{
  g_autoptr (GBytes) prs = g_bytes_new (password, strlen (password));
  g_autoptr (GBytes) sid = NULL;
  guint8 generator[OW_CPACE_POINT_BYTES];

  randombytes_buf (client->sid, sizeof client->sid);
  sid = g_bytes_new (client->sid, sizeof client->sid);
  ow_pair_generator (prs, sid, generator);
  ow_cpace_random_scalar (client->scalar);
  g_assert_true (ow_cpace_share (generator, client->scalar, client->share));
}

static void
client_finish (Client *client, const OwPairingStart *start, const char *seen_fingerprint)
{
  g_autoptr (GBytes) sid = g_bytes_new (client->sid, sizeof client->sid);
  guint8 fingerprint[OW_PAIR_FINGERPRINT_BYTES];
  g_autoptr (GBytes) client_ad = NULL;
  g_autoptr (GBytes) host_ad = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (ow_pair_fingerprint_parse (seen_fingerprint, fingerprint));
  client_ad = ow_pair_client_ad (fingerprint, "Phone", "android");
  host_ad = ow_pair_host_ad (fingerprint, start->host_name);
  g_assert_true (ow_pair_derive_keys (sid, client->scalar, start->host_share, client->share,
                                      client_ad, start->host_share, host_ad, &client->keys,
                                      &error));
  g_assert_no_error (error);
}

typedef struct
{
  char *dir;
  OwTokenStore *tokens;
  OwDeviceRegistry *devices;
  OwPairing *pairing;
  guint offers_changed;
  guint requests_added;
} Fixture;

static void
on_offer_changed (OwPairing *pairing, Fixture *fixture)
{
  fixture->offers_changed++;
}

static void
on_request_added (OwPairing *pairing, const char *id, Fixture *fixture)
{
  fixture->requests_added++;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  const OwPairingOptions *options = data;
  g_autofree char *tokens_path = NULL;
  g_autofree char *devices_path = NULL;
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("ow-pairing-XXXXXX", &error);
  g_assert_no_error (error);
  tokens_path = g_build_filename (fixture->dir, "tokens.db", NULL);
  devices_path = g_build_filename (fixture->dir, "devices.db", NULL);
  fixture->tokens = ow_token_store_open (tokens_path, &error);
  g_assert_no_error (error);
  fixture->devices = ow_device_registry_open (devices_path, fixture->tokens, &error);
  g_assert_no_error (error);
  fixture->pairing = ow_pairing_new (fixture->devices, FINGERPRINT, "Desk", options);
  g_signal_connect (fixture->pairing, "offer-changed", G_CALLBACK (on_offer_changed), fixture);
  g_signal_connect (fixture->pairing, "request-added", G_CALLBACK (on_request_added), fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  const char *files[] = { "tokens.db",  "tokens.db-wal",  "tokens.db-shm",
                          "devices.db", "devices.db-wal", "devices.db-shm" };

  g_clear_object (&fixture->pairing);
  g_clear_object (&fixture->devices);
  g_clear_object (&fixture->tokens);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (fixture->dir, files[i], NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

/* Runs start and confirm with @password; returns the request id, or NULL with @error. */
static char *
run_pairing (Fixture *fixture,
             const char *address,
             const char *password,
             const char *seen_fingerprint,
             Client *client,
             GError **error)
{
  OwPairingStart start = { 0 };
  guint8 host_tag[OW_PAIR_TAG_BYTES];
  char *id;

  client_begin (client, password);
  if (!ow_pairing_start (fixture->pairing, address, "code", client->sid, "Phone", "android",
                         client->share, &start, error))
    return NULL;
  g_assert_cmpstr (start.host_name, ==, "Desk");
  client_finish (client, &start, seen_fingerprint);
  if (!ow_pairing_confirm (fixture->pairing, start.id, client->keys.client_tag, host_tag, error))
    {
      ow_pairing_start_clear (&start);
      return NULL;
    }
  g_assert_cmpmem (host_tag, sizeof host_tag, client->keys.host_tag, sizeof host_tag);
  id = g_steal_pointer (&start.id);
  ow_pairing_start_clear (&start);
  return id;
}

static void
test_a_run_gives_a_sealed_token_after_approval (Fixture *fixture, gconstpointer data)
{
  const OwPairingOffer *offer = ow_pairing_get_offer (fixture->pairing, TRUE);
  g_autofree char *code = g_strdup (offer->code);
  const char *workspaces[] = { "ws_0123456789ab", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (OwDevice) device = NULL;
  g_autoptr (OwTokenInfo) verified = NULL;
  GListModel *requests;
  OwPairingRequest *request;
  g_autofree char *proof = NULL;
  g_autofree char *box = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = NULL;
  OwPairingState state;
  Client client;

  g_assert_cmpuint (strlen (code), ==, 6);
  id = run_pairing (fixture, "10.0.0.2", code, FINGERPRINT, &client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->requests_added, ==, 1);
  g_assert_cmpstr (ow_pairing_get_offer (fixture->pairing, FALSE)->code, !=, code);

  requests = ow_pairing_get_requests (fixture->pairing);
  g_assert_cmpuint (g_list_model_get_n_items (requests), ==, 1);
  request = ow_pairing_lookup_request (fixture->pairing, id);
  g_assert_nonnull (request);
  g_assert_cmpstr (ow_pairing_request_get_address (request), ==, "10.0.0.2");
  g_assert_cmpstr (ow_pairing_request_get_method (request), ==, "code");

  proof = ow_pair_base64url_encode (client.keys.client_tag, sizeof client.keys.client_tag);
  g_assert_true (ow_pairing_poll (fixture->pairing, id, proof, &state, &box, &nonce, NULL, &error));
  g_assert_cmpint (state, ==, OW_PAIRING_WAITING);
  g_assert_false (
    ow_pairing_poll (fixture->pairing, id, "wrong", &state, NULL, NULL, NULL, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_FORBIDDEN);
  g_clear_error (&error);

  g_assert_true (
    ow_pairing_approve (fixture->pairing, id, OW_SCOPE_VIEWER, workspaces, NULL, &error));
  g_assert_true (
    ow_pairing_poll (fixture->pairing, id, proof, &state, &box, &nonce, &device, &error));
  g_assert_cmpint (state, ==, OW_PAIRING_APPROVED);
  g_assert_cmpstr (ow_device_get_name (device), ==, "Phone");

  g_assert_null (ow_pair_open_token (client.keys.box_key, "pr_other", nonce, box));
  token = ow_pair_open_token (client.keys.box_key, id, nonce, box);
  g_assert_nonnull (token);
  verified = ow_token_store_verify (fixture->tokens, token);
  g_assert_nonnull (verified);
  g_assert_cmpint (verified->scope, ==, OW_SCOPE_VIEWER);
  g_assert_cmpstrv (verified->workspaces, workspaces);

  /* Answered once, then forgotten. */
  g_assert_false (ow_pairing_poll (fixture->pairing, id, proof, &state, NULL, NULL, NULL, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_NOT_FOUND);
}

static void
test_a_different_fingerprint_fails_confirmation (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  g_autofree char *intercepted = g_strdup (FINGERPRINT);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  Client client;

  intercepted[0] = 'b';
  id = run_pairing (fixture, "10.0.0.2", code, intercepted, &client, &error);
  g_assert_null (id);
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_CONFIRMATION_FAILED);
  g_assert_cmpuint (fixture->requests_added, ==, 0);
}

static void
test_three_failures_lock_the_offer_until_a_new_one (Fixture *fixture, gconstpointer data)
{
  const OwPairingOffer *offer = ow_pairing_get_offer (fixture->pairing, TRUE);
  g_autofree char *code = g_strdup (offer->code);
  g_autofree char *wrong = g_strdup_printf ("%06d", (atoi (code) + 1) % 1000000);
  gint64 expires_ms = offer->expires_ms;
  guint changes_before = fixture->offers_changed;
  g_autoptr (GError) error = NULL;
  Client client;

  /* From three addresses: the budget is the offer's, not an address's. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *address = g_strdup_printf ("10.0.0.%u", 2 + i);
      g_autofree char *id = run_pairing (fixture, address, wrong, FINGERPRINT, &client, &error);

      g_assert_null (id);
      g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_CONFIRMATION_FAILED);
      g_clear_error (&error);
      g_assert_cmpuint (fixture->offers_changed, ==, changes_before + (i == 2 ? 1 : 0));
    }

  /* The same code, with its first lifetime, takes nothing more: not even the right code. */
  offer = ow_pairing_get_offer (fixture->pairing, TRUE);
  g_assert_cmpstr (offer->code, ==, code);
  g_assert_cmpint (offer->expires_ms, ==, expires_ms);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *address = g_strdup_printf ("10.0.1.%u", i);
      g_autofree char *id = run_pairing (fixture, address, code, FINGERPRINT, &client, &error);

      g_assert_null (id);
      g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_NO_OFFER);
      g_assert_nonnull (strstr (error->message, "Show a new code on the host"));
      g_clear_error (&error);
    }
  g_assert_cmpuint (fixture->requests_added, ==, 0);

  /* A new code from the owner is a fresh budget. */
  g_free (code);
  code = g_strdup (ow_pairing_renew_offer (fixture->pairing)->code);
  {
    g_autofree char *id = run_pairing (fixture, "10.0.0.9", code, FINGERPRINT, &client, &error);

    g_assert_no_error (error);
    g_assert_nonnull (id);
  }
}

/* The first message only, as a client that never confirms sends it. */
static gboolean
start_only (Fixture *fixture, const char *address, const char *code, GError **error)
{
  OwPairingStart start = { 0 };
  Client client;
  gboolean started;

  client_begin (&client, code);
  started = ow_pairing_start (fixture->pairing, address, "code", client.sid, "Phone", "android",
                              client.share, &start, error);
  ow_pairing_start_clear (&start);
  return started;
}

static void
test_an_ipv6_network_is_one_address (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  const char *same_network[] = { "fd00:1:2:3::1", "fd00:1:2:3:ffff::2", "fd00:1:2:3::3" };
  g_autoptr (GError) error = NULL;
  Client client;

  for (guint i = 0; i < G_N_ELEMENTS (same_network); i++)
    {
      g_assert_true (start_only (fixture, same_network[i], code, &error) == (i < 2));
      if (i == 2)
        {
          g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_RATE_LIMITED);
          g_assert_nonnull (strstr (error->message, "attempts"));
        }
    }
  g_clear_error (&error);
  /* Another /64 is another address. */
  {
    g_autofree char *id =
      run_pairing (fixture, "fd00:1:2:4::1", code, FINGERPRINT, &client, &error);

    g_assert_no_error (error);
    g_assert_nonnull (id);
  }
}

static void
test_unconfirmed_starts_are_capped_per_address (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  g_autoptr (GError) error = NULL;
  Client client;

  /* Starts that never confirm hold a place each, four per address at most. */
  for (guint i = 0; i < 5; i++)
    {
      g_assert_true (start_only (fixture, "10.0.0.7", code, &error) == (i < 4));
      if (i == 4)
        {
          g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_RATE_LIMITED);
          g_assert_nonnull (strstr (error->message, "under way"));
        }
    }
  g_clear_error (&error);
  {
    g_autofree char *id = run_pairing (fixture, "10.0.0.8", code, FINGERPRINT, &client, &error);

    g_assert_no_error (error);
    g_assert_nonnull (id);
  }

  /* Runs of an older code take no room: a new code lets the address start again. */
  g_free (code);
  code = g_strdup (ow_pairing_renew_offer (fixture->pairing)->code);
  g_assert_true (start_only (fixture, "10.0.0.7", code, &error));
  g_assert_no_error (error);
}

static void
test_a_run_across_a_new_code_is_told_so (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  g_autoptr (GError) error = NULL;
  OwPairingStart start = { 0 };
  guint8 host_tag[OW_PAIR_TAG_BYTES];
  Client client;

  client_begin (&client, code);
  g_assert_true (ow_pairing_start (fixture->pairing, "10.0.0.2", "code", client.sid, "Phone",
                                   "android", client.share, &start, &error));
  client_finish (&client, &start, FINGERPRINT);
  ow_pairing_renew_offer (fixture->pairing);
  g_assert_false (
    ow_pairing_confirm (fixture->pairing, start.id, client.keys.client_tag, host_tag, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_CODE_REPLACED);
  ow_pairing_start_clear (&start);
}

static void
test_addresses_are_counted_as_networks (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  g_autoptr (GError) error = NULL;

  /* An IPv4 address, also in IPv6 clothes, is one address (two attempts a minute here). */
  g_assert_true (start_only (fixture, "10.0.0.5", code, &error));
  g_assert_true (start_only (fixture, "::ffff:10.0.0.5", code, &error));
  g_assert_false (start_only (fixture, "10.0.0.5", code, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_RATE_LIMITED);
  g_assert_nonnull (strstr (error->message, "attempts"));
  g_clear_error (&error);

  /* Link-local addresses share a /64 with every link's: each is its own. */
  for (guint i = 0; i < 2; i++)
    {
      g_assert_true (start_only (fixture, "fe80::1", code, &error));
      g_assert_true (start_only (fixture, "fe80::2", code, &error));
    }
  g_assert_no_error (error);
}

static void
test_an_expired_offer_pairs_nobody (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  Client client;

  g_usleep (1100 * 1000);
  id = run_pairing (fixture, "10.0.0.2", code, FINGERPRINT, &client, &error);
  g_assert_null (id);
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_NO_OFFER);
  g_assert_null (ow_pairing_get_offer (fixture->pairing, FALSE));
}

static void
test_attempts_are_limited_per_address (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  g_autofree char *wrong = g_strdup_printf ("%06d", (atoi (code) + 1) % 1000000);
  g_autoptr (GError) error = NULL;
  Client client;

  for (guint i = 0; i < 2; i++)
    {
      G_GNUC_UNUSED g_autofree char *id =
        run_pairing (fixture, "10.0.0.2", wrong, FINGERPRINT, &client, &error);
      g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_CONFIRMATION_FAILED);
      g_clear_error (&error);
    }
  {
    G_GNUC_UNUSED g_autofree char *id =
      run_pairing (fixture, "10.0.0.2", code, FINGERPRINT, &client, &error);
    g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_RATE_LIMITED);
    g_clear_error (&error);
  }
  {
    /* Another address is not held back. */
    G_GNUC_UNUSED g_autofree char *id =
      run_pairing (fixture, "10.0.0.3", code, FINGERPRINT, &client, &error);
    g_assert_no_error (error);
  }
}

static void
test_a_grant_belongs_to_one_device (Fixture *fixture, gconstpointer data)
{
  g_autofree char *grant = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->grant);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwDevice) device = NULL;
  g_autoptr (OwTokenInfo) verified = NULL;
  g_autofree char *id = NULL;
  g_autofree char *again = NULL;
  g_autofree char *other = NULL;
  g_autofree char *box = NULL;
  OwPairingState state;

  g_assert_true (g_str_has_prefix (grant, "owg_"));
  g_assert_true (
    ow_pairing_claim_grant (fixture->pairing, "10.0.0.2", grant, "App", "ios", &id, NULL, &error));
  g_assert_true (ow_pairing_claim_grant (fixture->pairing, "10.0.0.2", grant, "App", "ios", &again,
                                         NULL, &error));
  g_assert_cmpstr (id, ==, again);
  g_assert_false (ow_pairing_claim_grant (fixture->pairing, "10.0.0.9", grant, "Other", "ios",
                                          &other, NULL, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_GRANT_USED);
  g_clear_error (&error);

  g_assert_null (ow_token_store_verify (fixture->tokens, grant));
  g_assert_true (
    ow_pairing_approve (fixture->pairing, id, OW_SCOPE_COLLABORATOR, NULL, NULL, &error));
  g_assert_true (
    ow_pairing_poll (fixture->pairing, id, grant, &state, &box, NULL, &device, &error));
  g_assert_cmpint (state, ==, OW_PAIRING_APPROVED);
  g_assert_null (box);
  verified = ow_token_store_verify (fixture->tokens, grant);
  g_assert_nonnull (verified);
  g_assert_cmpstr (verified->id, ==, ow_device_get_token_id (device));
}

static void
count_joined (OwPairing *pairing, const char *id, const char *name, guint *joined)
{
  g_assert_true (g_str_has_prefix (id, "dev_"));
  g_assert_cmpstr (name, ==, "OpenWork app");
  (*joined)++;
}

static void
test_an_invite_lets_one_device_in_at_once (Fixture *fixture, gconstpointer data)
{
  const char *const workspaces[] = { "ws_0123456789ab", NULL };
  const OwPairingInvite *invite = ow_pairing_invite (fixture->pairing, OW_SCOPE_VIEWER, workspaces);
  g_autofree char *grant = g_strdup (invite->grant);
  g_autofree char *replaced = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (OwDevice) device = NULL;
  g_autoptr (OwTokenInfo) verified = NULL;
  g_autofree char *id = NULL;
  guint joined = 0;

  /* A new invite replaces the one before: only the newest link works. */
  replaced = g_strdup (grant);
  invite = ow_pairing_invite (fixture->pairing, OW_SCOPE_VIEWER, workspaces);
  g_free (grant);
  grant = g_strdup (invite->grant);
  g_assert_cmpstr (grant, !=, replaced);
  g_assert_false (ow_pairing_claim_grant (fixture->pairing, "10.0.0.2", replaced, "OpenWork app",
                                          "unknown", &id, &device, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_NO_OFFER);
  g_clear_error (&error);

  g_signal_connect (fixture->pairing, "device-joined", G_CALLBACK (count_joined), &joined);
  g_assert_null (ow_token_store_verify (fixture->tokens, grant));
  g_assert_true (ow_pairing_claim_grant (fixture->pairing, "10.0.0.2", grant, "OpenWork app",
                                         "unknown", &id, &device, &error));
  g_assert_no_error (error);
  g_assert_null (id);
  g_assert_nonnull (device);
  g_assert_cmpuint (joined, ==, 1);
  g_assert_null (ow_pairing_get_invite (fixture->pairing));

  /* No owner's act was waited for: the grant is the device's token, with what the owner
   * chose before showing the link. */
  verified = ow_token_store_verify (fixture->tokens, grant);
  g_assert_nonnull (verified);
  g_assert_cmpstr (verified->id, ==, ow_device_get_token_id (device));
  g_assert_cmpint (verified->scope, ==, OW_SCOPE_VIEWER);
  g_assert_cmpstrv (verified->workspaces, workspaces);
  g_assert_cmpuint (g_list_model_get_n_items (ow_pairing_get_requests (fixture->pairing)), ==, 0);

  /* Used up: presenting it to pairing again is no second device. */
  g_clear_object (&device);
  g_assert_false (ow_pairing_claim_grant (fixture->pairing, "10.0.0.9", grant, "Other", "unknown",
                                          &id, &device, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_NO_OFFER);
  g_assert_cmpuint (joined, ==, 1);
}

static void
test_a_denied_request_is_answered_once (Fixture *fixture, gconstpointer data)
{
  g_autofree char *code = g_strdup (ow_pairing_get_offer (fixture->pairing, TRUE)->code);
  g_autoptr (GError) error = NULL;
  g_autofree char *proof = NULL;
  g_autofree char *id = NULL;
  OwPairingState state;
  Client client;

  id = run_pairing (fixture, "10.0.0.2", code, FINGERPRINT, &client, &error);
  g_assert_no_error (error);
  g_assert_true (ow_pairing_deny (fixture->pairing, id, &error));
  g_assert_false (ow_pairing_approve (fixture->pairing, id, OW_SCOPE_OWNER, NULL, NULL, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_ALREADY_ANSWERED);
  g_clear_error (&error);

  proof = ow_pair_base64url_encode (client.keys.client_tag, sizeof client.keys.client_tag);
  g_assert_false (ow_pairing_poll (fixture->pairing, id, proof, &state, NULL, NULL, NULL, &error));
  g_assert_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_DENIED);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->devices)), ==, 0);
}

static const OwPairingOptions defaults = { 0 };
static const OwPairingOptions short_lived = { .code_lifetime_s = 1 };
static const OwPairingOptions two_attempts = { .attempts_per_minute = 2 };

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/pair-protocol/pair-link-round-trip", test_pair_link_round_trip);
  g_test_add_func ("/pair-protocol/connect-remote-round-trip", test_connect_remote_round_trip);
  g_test_add_func ("/pair-protocol/invalid-links-are-refused", test_invalid_links_are_refused);
  g_test_add ("/pairing/sealed-token-after-approval", Fixture, &defaults, fixture_set_up,
              test_a_run_gives_a_sealed_token_after_approval, fixture_tear_down);
  g_test_add ("/pairing/different-fingerprint-fails", Fixture, &defaults, fixture_set_up,
              test_a_different_fingerprint_fails_confirmation, fixture_tear_down);
  g_test_add ("/pairing/three-failures-lock-the-offer", Fixture, &defaults, fixture_set_up,
              test_three_failures_lock_the_offer_until_a_new_one, fixture_tear_down);
  g_test_add ("/pairing/ipv6-network-is-one-address", Fixture, &two_attempts, fixture_set_up,
              test_an_ipv6_network_is_one_address, fixture_tear_down);
  g_test_add ("/pairing/unconfirmed-starts-capped-per-address", Fixture, &defaults, fixture_set_up,
              test_unconfirmed_starts_are_capped_per_address, fixture_tear_down);
  g_test_add ("/pairing/run-across-a-new-code", Fixture, &defaults, fixture_set_up,
              test_a_run_across_a_new_code_is_told_so, fixture_tear_down);
  g_test_add ("/pairing/addresses-counted-as-networks", Fixture, &two_attempts, fixture_set_up,
              test_addresses_are_counted_as_networks, fixture_tear_down);
  g_test_add ("/pairing/expired-offer", Fixture, &short_lived, fixture_set_up,
              test_an_expired_offer_pairs_nobody, fixture_tear_down);
  g_test_add ("/pairing/attempts-limited-per-address", Fixture, &two_attempts, fixture_set_up,
              test_attempts_are_limited_per_address, fixture_tear_down);
  g_test_add ("/pairing/grant-belongs-to-one-device", Fixture, &defaults, fixture_set_up,
              test_a_grant_belongs_to_one_device, fixture_tear_down);
  g_test_add ("/pairing/invite-lets-one-device-in-at-once", Fixture, &defaults, fixture_set_up,
              test_an_invite_lets_one_device_in_at_once, fixture_tear_down);
  g_test_add ("/pairing/denied-answered-once", Fixture, &defaults, fixture_set_up,
              test_a_denied_request_is_answered_once, fixture_tear_down);
  return g_test_run ();
}
