#include "config.h"

#include "ow-pairing.h"
#include "ow-pairing-request.h"
#include "ow-http.h"
#include "ow-net.h"

#include <sodium.h>
#include <string.h>

#define DEFAULT_CODE_LIFETIME_S 300
#define DEFAULT_ATTEMPTS_PER_MINUTE 10
#define DEFAULT_MAX_PENDING 8
/* Wrong codes one offer takes in its whole lifetime; then it takes none until the owner
 * shows a new one. */
#define MAX_FAILURES 3
/* Runs between the first message and key confirmation, at once: in all, and from one
 * address (an IPv6 /64). A client confirms right after its start; the rest are forgotten
 * soon, and those of an older offer (which only learn that the code changed) take no
 * room from new ones. */
#define MAX_STARTED_RUNS 64
#define MAX_STARTED_RUNS_PER_ADDRESS 4
#define STARTED_LIFETIME_US (15 * G_USEC_PER_SEC)
#define WAITING_LIFETIME_US (10 * 60 * G_USEC_PER_SEC)
#define DECIDED_LIFETIME_US (5 * 60 * G_USEC_PER_SEC)
#define RATE_WINDOW_US (60 * G_USEC_PER_SEC)
#define GRANT_PREFIX "owg_"
#define GRANT_SECRET_BYTES 32
/* A device that failed within this long before it paired did not pair on the first try. */
#define RETRY_WINDOW_US (10 * 60 * G_USEC_PER_SEC)

typedef enum
{
  RUN_STARTED, /* shares exchanged, key confirmation still to come */
  RUN_WAITING, /* for the owner */
  RUN_APPROVED,
  RUN_DENIED,
} RunState;

typedef struct
{
  char *id;
  RunState state;
  char *method; /* "code", "secret" or "grant" */
  char *name;
  char *platform;
  char *address;
  char *grant; /* grant requests: the grant, which is also their proof and their token */
  guint generation;
  OwPairKeys keys;
  gint64 deadline_us; /* monotonic: when it is forgotten */
  gint64 requested_ms;
  char *token_box;
  char *token_nonce;
  OwDevice *device;
} Run;

struct _OwPairing
{
  GObject parent_instance;

  OwDeviceRegistry *devices;
  char *fingerprint;
  guint8 fingerprint_bytes[OW_PAIR_FINGERPRINT_BYTES];
  char *host_name;
  OwPairingOptions options;

  OwPairingOffer *offer;   /* NULL until asked for, and after expiry */
  OwPairingInvite *invite; /* NULL until made, and once used or expired */
  guint generation;        /* of the offer; runs of an older one cannot succeed */
  guint failures;          /* failed confirmations against the current offer, in its lifetime */

  GHashTable *runs;     /* id → Run */
  GListStore *requests; /* OwPairingRequest: the waiting runs, the oldest first */
  GHashTable *attempts; /* address → GArray of gint64 monotonic times */
  GHashTable *failed;   /* address → monotonic time of its last failed confirmation */
};

G_DEFINE_FINAL_TYPE (OwPairing, ow_pairing, G_TYPE_OBJECT)

enum
{
  SIGNAL_OFFER_CHANGED,
  SIGNAL_REQUEST_ADDED,
  SIGNAL_REQUEST_DECIDED,
  SIGNAL_ATTEMPT,
  SIGNAL_DEVICE_JOINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
run_free (Run *run)
{
  g_free (run->id);
  g_free (run->method);
  g_free (run->name);
  g_free (run->platform);
  g_free (run->address);
  if (run->grant)
    sodium_memzero (run->grant, strlen (run->grant));
  g_free (run->grant);
  sodium_memzero (&run->keys, sizeof run->keys);
  g_free (run->token_box);
  g_free (run->token_nonce);
  g_clear_object (&run->device);
  g_free (run);
}

static void
offer_free (OwPairingOffer *offer)
{
  if (offer == NULL)
    return;
  sodium_memzero (offer->code, strlen (offer->code));
  sodium_memzero (offer->grant, strlen (offer->grant));
  sodium_memzero (offer->secret, sizeof offer->secret);
  g_free (offer->code);
  g_free (offer->grant);
  g_free (offer);
}

static void
invite_free (OwPairingInvite *invite)
{
  if (invite == NULL)
    return;
  sodium_memzero (invite->grant, strlen (invite->grant));
  g_free (invite->grant);
  g_strfreev (invite->workspaces);
  g_free (invite);
}

void
ow_pairing_start_clear (OwPairingStart *start)
{
  g_clear_pointer (&start->id, g_free);
  g_clear_pointer (&start->host_name, g_free);
}

static char *
random_hex (gsize bytes)
{
  g_autofree guchar *data = g_malloc (bytes);
  char *hex = g_malloc (bytes * 2 + 1);

  randombytes_buf (data, bytes);
  sodium_bin2hex (hex, bytes * 2 + 1, data, bytes);
  sodium_memzero (data, bytes);
  return hex;
}

static char *
new_grant (void)
{
  g_autofree char *grant_secret = random_hex (GRANT_SECRET_BYTES);
  char *grant = g_strconcat (GRANT_PREFIX, grant_secret, NULL);

  sodium_memzero (grant_secret, strlen (grant_secret));
  return grant;
}

static gboolean
fail (GError **error, OwPairError code, const char *message)
{
  g_set_error_literal (error, OW_PAIR_ERROR, code, message);
  return FALSE;
}

/* Offers */

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static void
replace_offer (OwPairing *self, gboolean make_new)
{
  g_clear_pointer (&self->offer, offer_free);
  self->generation++;
  self->failures = 0;

  if (make_new)
    {
      self->offer = g_new0 (OwPairingOffer, 1);
      self->offer->code = g_strdup_printf ("%06u", randombytes_uniform (1000000));
      randombytes_buf (self->offer->secret, sizeof self->offer->secret);
      self->offer->grant = new_grant ();
      self->offer->expires_ms = now_ms () + (gint64) self->options.code_lifetime_s * 1000;
    }
  g_signal_emit (self, signals[SIGNAL_OFFER_CHANGED], 0);
}

/* The offer if it is still valid; an expired one is dropped, and nothing replaces it
 * until someone shows a code again. */
static const OwPairingOffer *
valid_offer (OwPairing *self)
{
  if (self->offer && now_ms () >= self->offer->expires_ms)
    replace_offer (self, FALSE);
  return self->offer;
}

const OwPairingOffer *
ow_pairing_get_offer (OwPairing *self, gboolean create)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  if (valid_offer (self) == NULL && create)
    replace_offer (self, TRUE);
  return self->offer;
}

gboolean
ow_pairing_get_offer_locked (OwPairing *self)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);
  /* Read only: an expired offer is dropped by those that use it. */
  return self->offer != NULL && now_ms () < self->offer->expires_ms &&
         self->failures >= MAX_FAILURES;
}

const OwPairingOffer *
ow_pairing_renew_offer (OwPairing *self)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  replace_offer (self, TRUE);
  return self->offer;
}

const char *
ow_pairing_get_host_name (OwPairing *self)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);
  return self->host_name;
}

/* Bookkeeping */

/* The run @id waits no longer: its request leaves the owner's list. */
static void
withdraw_request (OwPairing *self, const char *id)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->requests)); i++)
    {
      g_autoptr (OwPairingRequest) request =
        g_list_model_get_item (G_LIST_MODEL (self->requests), i);

      if (g_str_equal (ow_pairing_request_get_id (request), id))
        {
          g_list_store_remove (self->requests, i);
          return;
        }
    }
}

static void
prune (OwPairing *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GPtrArray) expired = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Run *run = value;

      if (now >= run->deadline_us)
        g_ptr_array_add (expired, g_strdup (run->id));
    }

  for (guint i = 0; i < expired->len; i++)
    {
      const char *id = g_ptr_array_index (expired, i);
      Run *run = g_hash_table_lookup (self->runs, id);
      gboolean was_waiting;

      /* A handler of an earlier request-decided may have pruned it already. */
      if (run == NULL)
        continue;
      was_waiting = run->state == RUN_WAITING;

      if (was_waiting)
        withdraw_request (self, id);
      g_hash_table_remove (self->runs, id);
      if (was_waiting)
        g_signal_emit (self, signals[SIGNAL_REQUEST_DECIDED], 0, id, FALSE);
    }
}

/* Counts an attempt from @address (its /64 for IPv6); FALSE when it is over the limit. */
static gboolean
allow_attempt (OwPairing *self, const char *address, GError **error)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *key = ow_net_address_key (address);
  GArray *times = g_hash_table_lookup (self->attempts, key);
  guint kept = 0;

  if (times == NULL)
    {
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->attempts, g_strdup (key), times);
    }
  for (guint i = 0; i < times->len; i++)
    if (now - g_array_index (times, gint64, i) < RATE_WINDOW_US)
      g_array_index (times, gint64, kept++) = g_array_index (times, gint64, i);
  g_array_set_size (times, kept);

  if (times->len >= self->options.attempts_per_minute)
    return fail (error, OW_PAIR_ERROR_RATE_LIMITED,
                 "Too many pairing attempts from this address. Wait a minute and try again.");
  g_array_append_val (times, now);

  /* Addresses that stopped trying are forgotten, so the table stays small. */
  if (g_hash_table_size (self->attempts) > 1024)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->attempts);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          GArray *other = value;

          if (other != times &&
              (other->len == 0 ||
               now - g_array_index (other, gint64, other->len - 1) >= RATE_WINDOW_US))
            g_hash_table_iter_remove (&iter);
        }
    }
  return TRUE;
}

/* Whether @run counts among runs in @state; started ones of an older offer do not. */
static gboolean
takes_room (OwPairing *self, const Run *run, RunState state)
{
  return run->state == state && (state != RUN_STARTED || run->generation == self->generation);
}

static guint
count_runs (OwPairing *self, RunState state)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (takes_room (self, value, state))
      n++;
  return n;
}

static gboolean
code_locked (GError **error)
{
  return fail (error, OW_PAIR_ERROR_NO_OFFER,
               "Too many wrong codes were entered for the code the host shows; it takes no more. "
               "Show a new code on the host (New Code, or \"openwork-host pair --new\") and "
               "try again.");
}

static guint
count_started_from (OwPairing *self, const char *key)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Run *run = value;
      g_autofree char *run_key = NULL;

      if (!takes_room (self, run, RUN_STARTED))
        continue;
      run_key = ow_net_address_key (run->address);
      n += g_str_equal (run_key, key);
    }
  return n;
}

static gboolean
check_offer_and_room (OwPairing *self, GError **error)
{
  if (valid_offer (self) == NULL)
    return fail (error, OW_PAIR_ERROR_NO_OFFER,
                 "The host shows no pairing code now, or it expired. Show a new one on the host "
                 "(Pair a device…, or \"openwork-host pair\") and try again.");
  if (self->failures >= MAX_FAILURES)
    return code_locked (error);
  if (count_runs (self, RUN_WAITING) >= self->options.max_pending)
    return fail (error, OW_PAIR_ERROR_TOO_MANY_PENDING,
                 "Too many devices are waiting for the host owner's approval. Try again once "
                 "they are answered.");
  return TRUE;
}

static Run *
run_new (
  OwPairing *self, const char *method, const char *name, const char *platform, const char *address)
{
  Run *run = g_new0 (Run, 1);
  g_autofree char *suffix = random_hex (8);

  run->id = g_strconcat ("pr_", suffix, NULL);
  run->method = g_strdup (method);
  run->name = g_strdup (name);
  run->platform = g_strdup (platform);
  run->address = g_strdup (address);
  run->generation = self->generation;
  g_hash_table_insert (self->runs, run->id, run);
  return run;
}

/* The offer did its job: the device now waits for the owner, and the next device gets a
 * new code. */
static void
put_before_owner (OwPairing *self, Run *run)
{
  run->state = RUN_WAITING;
  run->deadline_us = g_get_monotonic_time () + WAITING_LIFETIME_US;
  run->requested_ms = now_ms ();
  replace_offer (self, TRUE);
  {
    g_autoptr (OwPairingRequest) request = ow_pairing_request_new (
      run->id, run->name, run->platform, run->method, run->address, run->requested_ms);

    g_list_store_append (self->requests, request);
  }
  g_signal_emit (self, signals[SIGNAL_REQUEST_ADDED], 0, run->id);
}

/* The protocol */

gboolean
ow_pairing_start (OwPairing *self,
                  const char *address,
                  const char *method,
                  const guint8 sid[OW_PAIR_SID_BYTES],
                  const char *name,
                  const char *platform,
                  const guint8 client_share[OW_CPACE_POINT_BYTES],
                  OwPairingStart *start,
                  GError **error)
{
  g_autoptr (GBytes) password = NULL;
  g_autoptr (GBytes) sid_bytes = g_bytes_new (sid, OW_PAIR_SID_BYTES);
  g_autoptr (GBytes) client_ad = NULL;
  g_autoptr (GBytes) host_ad = NULL;
  guint8 generator[OW_CPACE_POINT_BYTES];
  guint8 scalar[OW_CPACE_SCALAR_BYTES];
  guint8 host_share[OW_CPACE_POINT_BYTES];
  OwPairKeys keys;
  gboolean derived;
  Run *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  prune (self);
  if (g_strcmp0 (method, "code") != 0 && g_strcmp0 (method, "secret") != 0)
    return fail (error, OW_PAIR_ERROR_INVALID, "The method must be \"code\" or \"secret\".");
  if (!ow_pair_name_is_valid (name, OW_PAIR_NAME_MAX_BYTES) ||
      !ow_pair_name_is_valid (platform, OW_PAIR_PLATFORM_MAX_BYTES))
    return fail (error, OW_PAIR_ERROR_INVALID,
                 "The device name (up to 64 bytes) and platform (up to 32) must be plain text.");
  if (!allow_attempt (self, address, error) || !check_offer_and_room (self, error))
    return FALSE;
  if (count_runs (self, RUN_STARTED) >= MAX_STARTED_RUNS)
    return fail (error, OW_PAIR_ERROR_RATE_LIMITED,
                 "Too many pairings are under way. Try again in a minute.");
  {
    g_autofree char *key = ow_net_address_key (address);

    if (count_started_from (self, key) >= MAX_STARTED_RUNS_PER_ADDRESS)
      return fail (error, OW_PAIR_ERROR_RATE_LIMITED,
                   "Too many pairings from this address are under way. Finish them, or try "
                   "again in a minute.");
  }

  if (g_str_equal (method, "code"))
    password = g_bytes_new (self->offer->code, strlen (self->offer->code));
  else
    password = g_bytes_new (self->offer->secret, sizeof self->offer->secret);

  client_ad = ow_pair_client_ad (self->fingerprint_bytes, name, platform);
  host_ad = ow_pair_host_ad (self->fingerprint_bytes, self->host_name);
  ow_pair_generator (password, sid_bytes, generator);
  ow_cpace_random_scalar (scalar);
  if (!ow_cpace_share (generator, scalar, host_share))
    {
      sodium_memzero (scalar, sizeof scalar);
      return fail (error, OW_PAIR_ERROR_INVALID, "The pairing could not be started.");
    }
  derived = ow_pair_derive_keys (sid_bytes, scalar, client_share, client_share, client_ad,
                                 host_share, host_ad, &keys, NULL);
  sodium_memzero (scalar, sizeof scalar);
  if (!derived)
    return fail (error, OW_PAIR_ERROR_INVALID,
                 "The client's share is not a valid ristretto255 point.");

  run = run_new (self, method, name, platform, address);
  run->keys = keys;
  run->deadline_us = g_get_monotonic_time () + STARTED_LIFETIME_US;
  sodium_memzero (&keys, sizeof keys);

  start->id = g_strdup (run->id);
  start->host_name = g_strdup (self->host_name);
  memcpy (start->host_share, host_share, sizeof host_share);
  return TRUE;
}

gboolean
ow_pairing_confirm (OwPairing *self,
                    const char *id,
                    const guint8 client_tag[OW_PAIR_TAG_BYTES],
                    guint8 host_tag[OW_PAIR_TAG_BYTES],
                    GError **error)
{
  Run *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  prune (self);
  run = id ? g_hash_table_lookup (self->runs, id) : NULL;
  if (run == NULL || run->state != RUN_STARTED)
    return fail (error, OW_PAIR_ERROR_NOT_FOUND,
                 "This pairing attempt is unknown or expired. Start again.");

  if (run->generation != self->generation || valid_offer (self) == NULL)
    {
      g_hash_table_remove (self->runs, id);
      return fail (error, OW_PAIR_ERROR_CODE_REPLACED,
                   "The pairing code changed while this attempt was under way. Enter the code "
                   "the host shows now.");
    }
  /* Runs started before the offer took its last wrong code are refused too, right or not. */
  if (self->failures >= MAX_FAILURES)
    {
      g_hash_table_remove (self->runs, id);
      return code_locked (error);
    }

  if (sodium_memcmp (client_tag, run->keys.client_tag, OW_PAIR_TAG_BYTES) != 0)
    {
      gint64 now = g_get_monotonic_time ();

      g_hash_table_insert (self->failed, g_strdup (run->address), g_memdup2 (&now, sizeof now));
      g_signal_emit (self, signals[SIGNAL_ATTEMPT], 0, "failed");
      g_hash_table_remove (self->runs, id);
      /* Counted for the offer's whole lifetime: neither a new code nor more time. */
      if (++self->failures == MAX_FAILURES)
        g_signal_emit (self, signals[SIGNAL_OFFER_CHANGED], 0);
      return fail (error, OW_PAIR_ERROR_CONFIRMATION_FAILED,
                   "Pairing failed: the code is wrong, or something between this device and the "
                   "host intercepts the connection (the certificate seen is not the host's). "
                   "Check the code and the network, and try again.");
    }

  memcpy (host_tag, run->keys.host_tag, OW_PAIR_TAG_BYTES);
  {
    gint64 *failed_at = g_hash_table_lookup (self->failed, run->address);
    gboolean retried = failed_at && g_get_monotonic_time () - *failed_at < RETRY_WINDOW_US;

    g_hash_table_remove (self->failed, run->address);
    g_signal_emit (self, signals[SIGNAL_ATTEMPT], 0, retried ? "retry" : "first_try");
  }
  put_before_owner (self, run);
  return TRUE;
}

/* Invites */

const OwPairingInvite *
ow_pairing_invite (OwPairing *self, OwScope scope, const char *const *workspaces)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  g_clear_pointer (&self->invite, invite_free);
  self->invite = g_new0 (OwPairingInvite, 1);
  self->invite->grant = new_grant ();
  self->invite->scope = scope;
  self->invite->workspaces = g_strdupv ((char **) workspaces);
  self->invite->expires_ms = now_ms () + (gint64) self->options.code_lifetime_s * 1000;
  return self->invite;
}

guint
ow_pairing_get_code_lifetime_s (OwPairing *self)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), 0);
  return self->options.code_lifetime_s;
}

const OwPairingInvite *
ow_pairing_get_invite (OwPairing *self)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  if (self->invite && now_ms () >= self->invite->expires_ms)
    g_clear_pointer (&self->invite, invite_free);
  return self->invite;
}

static gboolean
is_invite_grant (OwPairing *self, const char *grant)
{
  const OwPairingInvite *invite = ow_pairing_get_invite (self);

  return invite != NULL && strlen (grant) == strlen (invite->grant) &&
         sodium_memcmp (grant, invite->grant, strlen (grant)) == 0;
}

/* The owner said yes before the link was shown: the device is in, once. */
static gboolean
join_by_invite (OwPairing *self,
                const char *grant,
                const char *name,
                const char *platform,
                OwDevice **joined,
                GError **error)
{
  OwPairingInvite *invite = self->invite;
  g_autoptr (OwDevice) info = NULL;
  g_autofree char *token = NULL;

  token = ow_device_registry_add (self->devices, name, platform, "grant", invite->scope,
                                  (const char *const *) invite->workspaces, grant, &info, error);
  if (token == NULL)
    return FALSE;
  sodium_memzero (token, strlen (token));
  g_clear_pointer (&self->invite, invite_free);
  /* The owner hears of it on a headless host too. */
  g_message ("Device “%s” (%s) connected with an OpenWork app link; to cut it off: "
             "openwork-host devices revoke %s",
             ow_device_get_name (info), ow_device_get_id (info), ow_device_get_id (info));
  g_signal_emit (self, signals[SIGNAL_ATTEMPT], 0, "first_try");
  g_signal_emit (self, signals[SIGNAL_DEVICE_JOINED], 0, ow_device_get_id (info),
                 ow_device_get_name (info));
  if (joined)
    *joined = g_steal_pointer (&info);
  return TRUE;
}

static Run *
find_grant_run (OwPairing *self, const char *grant)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Run *run = value;

      if (run->grant && strlen (run->grant) == strlen (grant) &&
          sodium_memcmp (run->grant, grant, strlen (grant)) == 0)
        return run;
    }
  return NULL;
}

gboolean
ow_pairing_claim_grant (OwPairing *self,
                        const char *address,
                        const char *grant,
                        const char *name,
                        const char *platform,
                        char **request_id,
                        OwDevice **joined,
                        GError **error)
{
  Run *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);
  g_return_val_if_fail (request_id != NULL && *request_id == NULL, FALSE);

  prune (self);
  if (grant == NULL || !g_str_has_prefix (grant, GRANT_PREFIX))
    return fail (error, OW_PAIR_ERROR_INVALID, "This is not a pairing grant.");
  if (!ow_pair_name_is_valid (name, OW_PAIR_NAME_MAX_BYTES) ||
      !ow_pair_name_is_valid (platform, OW_PAIR_PLATFORM_MAX_BYTES))
    return fail (error, OW_PAIR_ERROR_INVALID,
                 "The device name (up to 64 bytes) and platform (up to 32) must be plain text.");

  run = find_grant_run (self, grant);
  if (run)
    {
      if (g_strcmp0 (run->address, address) != 0)
        return fail (error, OW_PAIR_ERROR_GRANT_USED,
                     "This pairing link was already used by another device. Show a new one on "
                     "the host.");
      *request_id = g_strdup (run->id);
      return TRUE;
    }

  if (!allow_attempt (self, address, error))
    return FALSE;
  if (is_invite_grant (self, grant))
    return join_by_invite (self, grant, name, platform, joined, error);
  if (valid_offer (self) == NULL || strlen (grant) != strlen (self->offer->grant) ||
      sodium_memcmp (grant, self->offer->grant, strlen (grant)) != 0)
    return fail (error, OW_PAIR_ERROR_NO_OFFER,
                 "This pairing link expired or was already used. Show a new one on the host.");
  if (!check_offer_and_room (self, error))
    return FALSE;

  run = run_new (self, "grant", name, platform, address);
  run->grant = g_strdup (grant);
  g_signal_emit (self, signals[SIGNAL_ATTEMPT], 0, "first_try");
  put_before_owner (self, run);
  *request_id = g_strdup (run->id);
  return TRUE;
}

static gboolean
proof_matches (Run *run, const char *proof)
{
  guint8 tag[OW_PAIR_TAG_BYTES];
  gboolean matches;

  if (proof == NULL)
    return FALSE;
  if (run->grant)
    return strlen (proof) == strlen (run->grant) &&
           sodium_memcmp (proof, run->grant, strlen (proof)) == 0;
  if (!ow_pair_base64url_decode (proof, tag, sizeof tag))
    return FALSE;
  matches = sodium_memcmp (tag, run->keys.client_tag, sizeof tag) == 0;
  sodium_memzero (tag, sizeof tag);
  return matches;
}

gboolean
ow_pairing_poll (OwPairing *self,
                 const char *id,
                 const char *proof,
                 OwPairingState *state,
                 char **token_box,
                 char **token_nonce,
                 OwDevice **device,
                 GError **error)
{
  Run *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  prune (self);
  run = id ? g_hash_table_lookup (self->runs, id) : NULL;
  if (run == NULL || run->state == RUN_STARTED)
    return fail (error, OW_PAIR_ERROR_NOT_FOUND,
                 "This pairing request is unknown or expired. Pair again.");
  if (!proof_matches (run, proof))
    return fail (error, OW_PAIR_ERROR_FORBIDDEN, "This is not the device that asked to pair.");

  switch (run->state)
    {
    case RUN_WAITING:
      *state = OW_PAIRING_WAITING;
      return TRUE;
    case RUN_DENIED:
      g_hash_table_remove (self->runs, id);
      return fail (error, OW_PAIR_ERROR_DENIED, "The host owner did not allow this device.");
    case RUN_APPROVED:
      *state = OW_PAIRING_APPROVED;
      if (token_box)
        *token_box = g_steal_pointer (&run->token_box);
      if (token_nonce)
        *token_nonce = g_steal_pointer (&run->token_nonce);
      if (device)
        *device = g_steal_pointer (&run->device);
      g_hash_table_remove (self->runs, id);
      return TRUE;
    case RUN_STARTED:
    default:
      g_assert_not_reached ();
    }
}

/* The owner's side */

GListModel *
ow_pairing_get_requests (OwPairing *self)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  prune (self);
  return G_LIST_MODEL (self->requests);
}

OwPairingRequest *
ow_pairing_lookup_request (OwPairing *self, const char *id)
{
  GListModel *requests;

  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  requests = ow_pairing_get_requests (self);
  for (guint i = 0; id && i < g_list_model_get_n_items (requests); i++)
    {
      g_autoptr (OwPairingRequest) request = g_list_model_get_item (requests, i);

      if (g_str_equal (ow_pairing_request_get_id (request), id))
        return request; /* the store keeps it */
    }
  return NULL;
}

static Run *
waiting_run (OwPairing *self, const char *id, GError **error)
{
  Run *run;

  prune (self);
  run = id ? g_hash_table_lookup (self->runs, id) : NULL;
  if (run == NULL || run->state == RUN_STARTED)
    {
      g_set_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_NOT_FOUND,
                   "No device with the request id %s waits for approval. List them with "
                   "\"openwork-host devices pending\".",
                   id);
      return NULL;
    }
  if (run->state != RUN_WAITING)
    {
      fail (error, OW_PAIR_ERROR_ALREADY_ANSWERED, "This pairing request was already answered.");
      return NULL;
    }
  return run;
}

gboolean
ow_pairing_approve (OwPairing *self,
                    const char *id,
                    OwScope scope,
                    const char *const *workspaces,
                    OwDevice **device,
                    GError **error)
{
  g_autoptr (OwDevice) info = NULL;
  g_autofree char *token = NULL;
  Run *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  run = waiting_run (self, id, error);
  if (run == NULL)
    return FALSE;

  token = ow_device_registry_add (self->devices, run->name, run->platform, run->method, scope,
                                  workspaces, run->grant, &info, error);
  if (token == NULL)
    return FALSE;

  if (run->grant == NULL)
    run->token_box = ow_pair_seal_token (run->keys.box_key, run->id, token, &run->token_nonce);
  sodium_memzero (token, strlen (token));
  run->state = RUN_APPROVED;
  run->deadline_us = g_get_monotonic_time () + DECIDED_LIFETIME_US;
  withdraw_request (self, id);
  if (device)
    *device = g_object_ref (info);
  run->device = g_steal_pointer (&info);
  g_signal_emit (self, signals[SIGNAL_REQUEST_DECIDED], 0, id, TRUE);
  return TRUE;
}

gboolean
ow_pairing_deny (OwPairing *self, const char *id, GError **error)
{
  Run *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  run = waiting_run (self, id, error);
  if (run == NULL)
    return FALSE;
  run->state = RUN_DENIED;
  run->deadline_us = g_get_monotonic_time () + DECIDED_LIFETIME_US;
  withdraw_request (self, id);
  g_signal_emit (self, signals[SIGNAL_REQUEST_DECIDED], 0, id, FALSE);
  return TRUE;
}

/* The object */

static void
ow_pairing_dispose (GObject *object)
{
  OwPairing *self = OW_PAIRING (object);

  g_clear_object (&self->devices);

  G_OBJECT_CLASS (ow_pairing_parent_class)->dispose (object);
}

static void
ow_pairing_finalize (GObject *object)
{
  OwPairing *self = OW_PAIRING (object);

  g_clear_pointer (&self->offer, offer_free);
  g_clear_pointer (&self->invite, invite_free);
  g_clear_pointer (&self->runs, g_hash_table_unref);
  g_clear_object (&self->requests);
  g_clear_pointer (&self->attempts, g_hash_table_unref);
  g_clear_pointer (&self->failed, g_hash_table_unref);
  g_free (self->fingerprint);
  g_free (self->host_name);

  G_OBJECT_CLASS (ow_pairing_parent_class)->finalize (object);
}

static void
ow_pairing_class_init (OwPairingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_pairing_dispose;
  object_class->finalize = ow_pairing_finalize;

  /**
   * OwPairing::offer-changed:
   *
   * The offer was used, replaced or expired: whatever shows it must show the new one.
   */
  signals[SIGNAL_OFFER_CHANGED] =
    g_signal_new ("offer-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  /**
   * OwPairing::request-added:
   * @id: the request, as ow_pairing_get_requests() lists it
   *
   * A device proved it knows the offer and waits for the owner's approval.
   */
  signals[SIGNAL_REQUEST_ADDED] =
    g_signal_new ("request-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * OwPairing::request-decided:
   * @id: the request
   * @allowed: whether the device was approved (%FALSE also when the request expired)
   */
  signals[SIGNAL_REQUEST_DECIDED] =
    g_signal_new ("request-decided", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);

  /**
   * OwPairing::attempt:
   * @outcome: "first_try" (the device proved the offer with no failure before), "retry"
   *   (it had failed within 10 minutes), or "failed"
   *
   * A key confirmation or grant claim was decided, for the local metrics.
   */
  signals[SIGNAL_ATTEMPT] = g_signal_new ("attempt", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * OwPairing::device-joined:
   * @id: the new device's id
   * @name: its name
   *
   * A device came in with an invite's link, which the owner agreed to beforehand; the
   * owner should now hear which one it was, with a way to revoke it.
   */
  signals[SIGNAL_DEVICE_JOINED] =
    g_signal_new ("device-joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
ow_pairing_init (OwPairing *self)
{
  self->runs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) run_free);
  self->requests = g_list_store_new (OW_TYPE_PAIRING_REQUEST);
  self->attempts =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  self->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

OwPairing *
ow_pairing_new (OwDeviceRegistry *devices,
                const char *fingerprint,
                const char *host_name,
                const OwPairingOptions *options)
{
  OwPairing *self = g_object_new (OW_TYPE_PAIRING, NULL);

  g_return_val_if_fail (OW_IS_DEVICE_REGISTRY (devices), NULL);

  self->devices = g_object_ref (devices);
  self->fingerprint = g_strdup (fingerprint);
  if (!ow_pair_fingerprint_parse (fingerprint, self->fingerprint_bytes))
    g_critical ("The host fingerprint %s is not 64 hex digits", fingerprint);
  self->host_name = g_strdup (host_name);
  self->options.code_lifetime_s =
    options && options->code_lifetime_s ? options->code_lifetime_s : DEFAULT_CODE_LIFETIME_S;
  self->options.attempts_per_minute = options && options->attempts_per_minute
                                        ? options->attempts_per_minute
                                        : DEFAULT_ATTEMPTS_PER_MINUTE;
  self->options.max_pending =
    options && options->max_pending ? options->max_pending : DEFAULT_MAX_PENDING;
  return self;
}
