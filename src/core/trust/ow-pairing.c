#include "config.h"

#include "ow-pairing.h"
#include "ow-pair-throttle.h"
#include "ow-pairing-run.h"
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

  OwPairingRuns *runs;
  GListStore *requests; /* OwPairingRequest: the waiting runs, the oldest first */
  OwPairThrottle *throttle;
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

void
ow_pairing_start_clear (OwPairingStart *start)
{
  g_clear_pointer (&start->id, g_free);
  g_clear_pointer (&start->host_name, g_free);
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
  g_clear_pointer (&self->offer, ow_pairing_offer_free);
  self->generation++;
  self->failures = 0;

  if (make_new)
    self->offer = ow_pairing_offer_new (self->options.code_lifetime_s);
  g_signal_emit (self, signals[SIGNAL_OFFER_CHANGED], 0);
}

/* The offer if it is still valid; an expired one is dropped, and nothing replaces it
 * until someone shows a code again. */
static const OwPairingOffer *
valid_offer (OwPairing *self)
{
  if (self->offer && ow_pairing_offer_is_expired (self->offer))
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
  return self->offer != NULL && !ow_pairing_offer_is_expired (self->offer) &&
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

/* Returns: (transfer none) (nullable): the waiting request of the run @id */
static OwPairingRequest *
find_request (OwPairing *self, const char *id, guint *position)
{
  GListModel *requests = G_LIST_MODEL (self->requests);

  for (guint i = 0; id && i < g_list_model_get_n_items (requests); i++)
    {
      g_autoptr (OwPairingRequest) request = g_list_model_get_item (requests, i);

      if (g_str_equal (ow_pairing_request_get_id (request), id))
        {
          if (position)
            *position = i;
          return request; /* the store keeps it */
        }
    }
  return NULL;
}

/* The run @id waits no longer: its request leaves the owner's list. */
static void
withdraw_request (OwPairing *self, const char *id)
{
  guint position;

  if (find_request (self, id, &position))
    g_list_store_remove (self->requests, position);
}

static void
prune (OwPairing *self)
{
  g_autoptr (GPtrArray) expired = ow_pairing_runs_expired (self->runs, g_get_monotonic_time ());

  for (guint i = 0; i < expired->len; i++)
    {
      const char *id = g_ptr_array_index (expired, i);
      OwPairingRun *run = ow_pairing_runs_lookup (self->runs, id);
      gboolean was_waiting;

      /* A handler of an earlier request-decided may have pruned it already. */
      if (run == NULL)
        continue;
      was_waiting = run->state == OW_PAIRING_RUN_WAITING;

      if (was_waiting)
        withdraw_request (self, id);
      ow_pairing_runs_remove (self->runs, id);
      if (was_waiting)
        g_signal_emit (self, signals[SIGNAL_REQUEST_DECIDED], 0, id, FALSE);
    }
}

/* Counts an attempt from @address; FALSE when it is over the limit. */
static gboolean
allow_attempt (OwPairing *self, const char *address, GError **error)
{
  if (ow_pair_throttle_allow (self->throttle, address))
    return TRUE;
  return fail (error, OW_PAIR_ERROR_RATE_LIMITED,
               "Too many pairing attempts from this address. Wait a minute and try again.");
}

static gboolean
check_names (const char *name, const char *platform, GError **error)
{
  if (ow_pair_name_is_valid (name, OW_PAIR_NAME_MAX_BYTES) &&
      ow_pair_name_is_valid (platform, OW_PAIR_PLATFORM_MAX_BYTES))
    return TRUE;
  return fail (error, OW_PAIR_ERROR_INVALID,
               "The device name (up to 64 bytes) and platform (up to 32) must be plain text.");
}

static gboolean
code_locked (GError **error)
{
  return fail (error, OW_PAIR_ERROR_NO_OFFER,
               "Too many wrong codes were entered for the code the host shows; it takes no more. "
               "Show a new code on the host (New Code, or \"openwork-host pair --new\") and "
               "try again.");
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
  if (ow_pairing_runs_count (self->runs, OW_PAIRING_RUN_WAITING, self->generation, NULL) >=
      self->options.max_pending)
    return fail (error, OW_PAIR_ERROR_TOO_MANY_PENDING,
                 "Too many devices are waiting for the host owner's approval. Try again once "
                 "they are answered.");
  return TRUE;
}

static OwPairingRun *
add_run (
  OwPairing *self, const char *method, const char *name, const char *platform, const char *address)
{
  OwPairingRun *run = ow_pairing_run_new (method, name, platform, address, self->generation);

  ow_pairing_runs_add (self->runs, run);
  return run;
}

/* The offer did its job: the device now waits for the owner, and the next device gets a
 * new code. */
static void
put_before_owner (OwPairing *self, OwPairingRun *run)
{
  run->state = OW_PAIRING_RUN_WAITING;
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
  guint8 host_share[OW_CPACE_POINT_BYTES];
  OwPairKeys keys;
  OwPairingRun *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  prune (self);
  if (g_strcmp0 (method, "code") != 0 && g_strcmp0 (method, "secret") != 0)
    return fail (error, OW_PAIR_ERROR_INVALID, "The method must be \"code\" or \"secret\".");
  if (!check_names (name, platform, error))
    return FALSE;
  if (!allow_attempt (self, address, error) || !check_offer_and_room (self, error))
    return FALSE;
  if (ow_pairing_runs_count (self->runs, OW_PAIRING_RUN_STARTED, self->generation, NULL) >=
      MAX_STARTED_RUNS)
    return fail (error, OW_PAIR_ERROR_RATE_LIMITED,
                 "Too many pairings are under way. Try again in a minute.");
  if (ow_pairing_runs_count (self->runs, OW_PAIRING_RUN_STARTED, self->generation, address) >=
      MAX_STARTED_RUNS_PER_ADDRESS)
    return fail (error, OW_PAIR_ERROR_RATE_LIMITED,
                 "Too many pairings from this address are under way. Finish them, or try again "
                 "in a minute.");

  if (g_str_equal (method, "code"))
    password = g_bytes_new (self->offer->code, strlen (self->offer->code));
  else
    password = g_bytes_new (self->offer->secret, sizeof self->offer->secret);

  client_ad = ow_pair_client_ad (self->fingerprint_bytes, name, platform);
  host_ad = ow_pair_host_ad (self->fingerprint_bytes, self->host_name);
  if (!ow_pair_host_respond (password, sid_bytes, client_ad, host_ad, client_share, host_share,
                             &keys, error))
    return FALSE;

  run = add_run (self, method, name, platform, address);
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
  OwPairingRun *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  prune (self);
  run = ow_pairing_runs_lookup (self->runs, id);
  if (run == NULL || run->state != OW_PAIRING_RUN_STARTED)
    return fail (error, OW_PAIR_ERROR_NOT_FOUND,
                 "This pairing attempt is unknown or expired. Start again.");

  if (run->generation != self->generation || valid_offer (self) == NULL)
    {
      ow_pairing_runs_remove (self->runs, id);
      return fail (error, OW_PAIR_ERROR_CODE_REPLACED,
                   "The pairing code changed while this attempt was under way. Enter the code "
                   "the host shows now.");
    }
  /* Runs started before the offer took its last wrong code are refused too, right or not. */
  if (self->failures >= MAX_FAILURES)
    {
      ow_pairing_runs_remove (self->runs, id);
      return code_locked (error);
    }

  if (sodium_memcmp (client_tag, run->keys.client_tag, OW_PAIR_TAG_BYTES) != 0)
    {
      ow_pair_throttle_note_failure (self->throttle, run->address);
      g_signal_emit (self, signals[SIGNAL_ATTEMPT], 0, "failed");
      ow_pairing_runs_remove (self->runs, id);
      /* Counted for the offer's whole lifetime: neither a new code nor more time. */
      if (++self->failures == MAX_FAILURES)
        g_signal_emit (self, signals[SIGNAL_OFFER_CHANGED], 0);
      return fail (error, OW_PAIR_ERROR_CONFIRMATION_FAILED,
                   "Pairing failed: the code is wrong, or something between this device and the "
                   "host intercepts the connection (the certificate seen is not the host's). "
                   "Check the code and the network, and try again.");
    }

  memcpy (host_tag, run->keys.host_tag, OW_PAIR_TAG_BYTES);
  g_signal_emit (self, signals[SIGNAL_ATTEMPT], 0,
                 ow_pair_throttle_take_failure (self->throttle, run->address) ? "retry"
                                                                              : "first_try");
  put_before_owner (self, run);
  return TRUE;
}

/* Invites */

const OwPairingInvite *
ow_pairing_invite (OwPairing *self, OwScope scope, const char *const *workspaces)
{
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  g_clear_pointer (&self->invite, ow_pairing_invite_free);
  self->invite = ow_pairing_invite_new (scope, workspaces, self->options.code_lifetime_s);
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

  if (self->invite && ow_pairing_invite_is_expired (self->invite))
    g_clear_pointer (&self->invite, ow_pairing_invite_free);
  return self->invite;
}

static gboolean
is_invite_grant (OwPairing *self, const char *grant)
{
  const OwPairingInvite *invite = ow_pairing_get_invite (self);

  return invite != NULL && ow_pairing_invite_matches (invite, grant);
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
  g_clear_pointer (&self->invite, ow_pairing_invite_free);
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
  OwPairingRun *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);
  g_return_val_if_fail (request_id != NULL && *request_id == NULL, FALSE);

  prune (self);
  if (grant == NULL || !g_str_has_prefix (grant, OW_PAIRING_GRANT_PREFIX))
    return fail (error, OW_PAIR_ERROR_INVALID, "This is not a pairing grant.");
  if (!check_names (name, platform, error))
    return FALSE;

  run = ow_pairing_runs_find_grant (self->runs, grant);
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
  if (valid_offer (self) == NULL || !ow_pairing_grant_equal (grant, self->offer->grant))
    return fail (error, OW_PAIR_ERROR_NO_OFFER,
                 "This pairing link expired or was already used. Show a new one on the host.");
  if (!check_offer_and_room (self, error))
    return FALSE;

  run = add_run (self, "grant", name, platform, address);
  run->grant = g_strdup (grant);
  g_signal_emit (self, signals[SIGNAL_ATTEMPT], 0, "first_try");
  put_before_owner (self, run);
  *request_id = g_strdup (run->id);
  return TRUE;
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
  OwPairingRun *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  prune (self);
  run = ow_pairing_runs_lookup (self->runs, id);
  if (run == NULL || run->state == OW_PAIRING_RUN_STARTED)
    return fail (error, OW_PAIR_ERROR_NOT_FOUND,
                 "This pairing request is unknown or expired. Pair again.");
  if (!ow_pairing_run_proof_matches (run, proof))
    return fail (error, OW_PAIR_ERROR_FORBIDDEN, "This is not the device that asked to pair.");

  switch (run->state)
    {
    case OW_PAIRING_RUN_WAITING:
      *state = OW_PAIRING_WAITING;
      return TRUE;
    case OW_PAIRING_RUN_DENIED:
      ow_pairing_runs_remove (self->runs, id);
      return fail (error, OW_PAIR_ERROR_DENIED, "The host owner did not allow this device.");
    case OW_PAIRING_RUN_APPROVED:
      *state = OW_PAIRING_APPROVED;
      if (token_box)
        *token_box = g_steal_pointer (&run->token_box);
      if (token_nonce)
        *token_nonce = g_steal_pointer (&run->token_nonce);
      if (device)
        *device = g_steal_pointer (&run->device);
      ow_pairing_runs_remove (self->runs, id);
      return TRUE;
    case OW_PAIRING_RUN_STARTED:
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
  g_return_val_if_fail (OW_IS_PAIRING (self), NULL);

  prune (self);
  return find_request (self, id, NULL);
}

static OwPairingRun *
waiting_run (OwPairing *self, const char *id, GError **error)
{
  OwPairingRun *run;

  prune (self);
  run = ow_pairing_runs_lookup (self->runs, id);
  if (run == NULL || run->state == OW_PAIRING_RUN_STARTED)
    {
      g_set_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_NOT_FOUND,
                   "No device with the request id %s waits for approval. List them with "
                   "\"openwork-host devices pending\".",
                   id);
      return NULL;
    }
  if (run->state != OW_PAIRING_RUN_WAITING)
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
  OwPairingRun *run;

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
  run->state = OW_PAIRING_RUN_APPROVED;
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
  OwPairingRun *run;

  g_return_val_if_fail (OW_IS_PAIRING (self), FALSE);

  run = waiting_run (self, id, error);
  if (run == NULL)
    return FALSE;
  run->state = OW_PAIRING_RUN_DENIED;
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

  g_clear_pointer (&self->offer, ow_pairing_offer_free);
  g_clear_pointer (&self->invite, ow_pairing_invite_free);
  g_clear_pointer (&self->runs, ow_pairing_runs_free);
  g_clear_object (&self->requests);
  g_clear_pointer (&self->throttle, ow_pair_throttle_free);
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
  self->runs = ow_pairing_runs_new ();
  self->requests = g_list_store_new (OW_TYPE_PAIRING_REQUEST);
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
  self->throttle = ow_pair_throttle_new (self->options.attempts_per_minute);
  return self;
}
