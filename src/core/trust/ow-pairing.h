#pragma once

#include <json-glib/json-glib.h>

#include "ow-device-registry.h"
#include "ow-pairing-offer.h"
#include "ow-pairing-request.h"
#include "ow-pair-protocol.h"

G_BEGIN_DECLS

typedef struct
{
  guint code_lifetime_s;     /* how long an offer is valid; 0 for 5 minutes */
  guint attempts_per_minute; /* pairing attempts one address may make; 0 for 10 */
  guint max_pending;         /* devices that may wait for approval at once; 0 for 8 */
} OwPairingOptions;

/* What the client learns from a started run. */
typedef struct
{
  char *id; /* "pr_…" */
  char *host_name;
  guint8 host_share[OW_CPACE_POINT_BYTES];
} OwPairingStart;

void ow_pairing_start_clear (OwPairingStart *start);

typedef enum
{
  OW_PAIRING_WAITING,  /* for the owner */
  OW_PAIRING_APPROVED, /* the token is ready to be fetched */
} OwPairingState;

#define OW_TYPE_PAIRING (ow_pairing_get_type ())
G_DECLARE_FINAL_TYPE (OwPairing, ow_pairing, OW, PAIRING, GObject)

/**
 * ow_pairing_new:
 * @fingerprint: the host certificate's fingerprint, hex
 * @host_name: the name devices see
 *
 * Pairing new devices: offers (a code, a QR secret and a grant, each good for one device),
 * the host side of the CPace runs, the rate limits, and the requests that wait for the
 * owner's approval. Approved devices go into @devices with their token.
 */
OwPairing *ow_pairing_new (OwDeviceRegistry *devices,
                           const char *fingerprint,
                           const char *host_name,
                           const OwPairingOptions *options);

const char *ow_pairing_get_host_name (OwPairing *self);

/**
 * ow_pairing_get_offer:
 * @create: whether to make a new offer when none is valid
 *
 * Returns: (transfer none) (nullable): the offer devices can pair with now; it changes
 *   (see #OwPairing::offer-changed) when used, or on request, and ends at its expiry
 */
const OwPairingOffer *ow_pairing_get_offer (OwPairing *self, gboolean create);

/**
 * ow_pairing_get_offer_locked:
 *
 * Returns: whether the offer took its 3 wrong codes and takes nothing more until it is
 *   renewed (#OwPairing::offer-changed says when it locks)
 */
gboolean ow_pairing_get_offer_locked (OwPairing *self);

/* Replaces the offer with a new one (the "New code" button). */
const OwPairingOffer *ow_pairing_renew_offer (OwPairing *self);

/**
 * ow_pairing_invite:
 * @workspaces: (nullable): the workspace ids the device may use; %NULL for all
 *
 * Makes a new invite, replacing any earlier one that was not used. It lasts as long as
 * an offer does.
 *
 * Returns: (transfer none): the invite
 */
const OwPairingInvite *
ow_pairing_invite (OwPairing *self, OwScope scope, const char *const *workspaces);

/* How long an offer and an invite stay valid, in seconds. */
guint ow_pairing_get_code_lifetime_s (OwPairing *self);

/* Returns: (transfer none) (nullable): the invite still waiting for its device, if any */
const OwPairingInvite *ow_pairing_get_invite (OwPairing *self);

/**
 * ow_pairing_start:
 * @address: the client's address, for rate limits
 * @method: "code" or "secret"
 *
 * The first message: the client's share Ya, made with the offer's code or secret.
 * Replies with the host's share Yb. Nothing is decided yet; see ow_pairing_confirm().
 */
gboolean ow_pairing_start (OwPairing *self,
                           const char *address,
                           const char *method,
                           const guint8 sid[OW_PAIR_SID_BYTES],
                           const char *name,
                           const char *platform,
                           const guint8 client_share[OW_CPACE_POINT_BYTES],
                           OwPairingStart *start,
                           GError **error);

/**
 * ow_pairing_confirm:
 * @client_tag: Ta
 * @host_tag: (out caller-allocates): Tb, on success
 *
 * Checks the client's key confirmation. A wrong one is a failed attempt (after three the
 * offer takes nothing more until renewed, see ow_pairing_get_offer_locked()); a right one uses up
 * the offer and puts the device before the owner
 * (#OwPairing::request-added).
 */
gboolean ow_pairing_confirm (OwPairing *self,
                             const char *id,
                             const guint8 client_tag[OW_PAIR_TAG_BYTES],
                             guint8 host_tag[OW_PAIR_TAG_BYTES],
                             GError **error);

/**
 * ow_pairing_claim_grant:
 * @request_id: (out) (transfer full): the pairing request it became
 *
 * @joined: (out) (optional) (transfer full): for an invite's grant, the device it made
 *
 * A device presents the offer's one-time grant. It becomes a request for approval bound
 * to @address; the same device presenting it again gets the same request, any other
 * %OW_PAIR_ERROR_GRANT_USED. An invite's grant needs no approval: the device is added at
 * once (#OwPairing::device-joined), and @joined is set.
 */
gboolean ow_pairing_claim_grant (OwPairing *self,
                                 const char *address,
                                 const char *grant,
                                 const char *name,
                                 const char *platform,
                                 char **request_id,
                                 OwDevice **joined,
                                 GError **error);

/**
 * ow_pairing_poll:
 * @proof: Ta for a CPace run, the grant for a grant request
 * @token_box: (out) (optional) (transfer full): once approved, the sealed token (CPace
 *   runs only); @token_nonce likewise
 * @device: (out) (optional) (transfer full): once approved, the device record
 *
 * Where a waiting device's request stands. Denied is %OW_PAIR_ERROR_DENIED. Once approved,
 * the request is answered once more and then forgotten.
 */
gboolean ow_pairing_poll (OwPairing *self,
                          const char *id,
                          const char *proof,
                          OwPairingState *state,
                          char **token_box,
                          char **token_nonce,
                          OwDevice **device,
                          GError **error);

/* Returns: (transfer none): the requests waiting for the owner, a #GListModel of
 * #OwPairingRequest, the oldest first; expired ones are dropped first. Approving one
 * without changes gives collaborator access to every workspace. */
GListModel *ow_pairing_get_requests (OwPairing *self);

/* Returns: (transfer none) (nullable): the waiting request @id */
OwPairingRequest *ow_pairing_lookup_request (OwPairing *self, const char *id);

/**
 * ow_pairing_approve:
 * @workspaces: (nullable): the workspace ids the device may use; %NULL for all
 *
 * Issues the device's token with @scope (#OwPairing::request-decided).
 */
gboolean ow_pairing_approve (OwPairing *self,
                             const char *id,
                             OwScope scope,
                             const char *const *workspaces,
                             OwDevice **device,
                             GError **error);

gboolean ow_pairing_deny (OwPairing *self, const char *id, GError **error);

G_END_DECLS
