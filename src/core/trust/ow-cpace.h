#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * CPace over ristretto255 with SHA-512 (draft-irtf-cfrg-cpace), the PAKE of typed pairing
 * codes: both sides derive a generator from the password and the session, exchange one
 * point each, and get the same intermediate session key (ISK) only if they used the same
 * password. A network attacker gets one online guess per run and nothing to try offline.
 *
 * These are the protocol's building blocks; the pairing session puts them together.
 */

#define OW_CPACE_POINT_BYTES 32
#define OW_CPACE_SCALAR_BYTES 32
#define OW_CPACE_ISK_BYTES 64

#define OW_CPACE_ERROR (ow_cpace_error_quark ())

typedef enum
{
  OW_CPACE_ERROR_INVALID_POINT, /* not a ristretto255 encoding, or the identity */
} OwCpaceError;

GQuark ow_cpace_error_quark (void);

/* prepend_len() of the draft: appends @length as LEB128, then @data. */
void ow_cpace_append_lv (GByteArray *out, const guint8 *data, gsize length);

/**
 * ow_cpace_generator:
 * @prs: the password (the pairing code or secret)
 * @ci: the channel identifier (both parties' names)
 * @sid: the session id, fresh for each run
 * @generator: (out caller-allocates): g = from_hash(SHA-512(lv_cat(DSI, PRS, zero_pad, CI, sid)))
 */
void
ow_cpace_generator (GBytes *prs, GBytes *ci, GBytes *sid, guint8 generator[OW_CPACE_POINT_BYTES]);

/* A fresh secret scalar for one run. */
void ow_cpace_random_scalar (guint8 scalar[OW_CPACE_SCALAR_BYTES]);

/**
 * ow_cpace_share:
 * @share: (out caller-allocates): Y = scalar · generator, the point sent to the peer
 *
 * Returns: %FALSE only if the result is the identity, which a random scalar never gives
 */
gboolean ow_cpace_share (const guint8 generator[OW_CPACE_POINT_BYTES],
                         const guint8 scalar[OW_CPACE_SCALAR_BYTES],
                         guint8 share[OW_CPACE_POINT_BYTES]);

/**
 * ow_cpace_shared_point:
 * @peer_share: the point the peer sent, untrusted
 * @k: (out caller-allocates): K = scalar · peer_share
 *
 * Returns: %FALSE with @error set when @peer_share is not a valid point, is the identity,
 *   or leads to the identity: the run must then be abandoned
 */
gboolean ow_cpace_shared_point (const guint8 scalar[OW_CPACE_SCALAR_BYTES],
                                const guint8 peer_share[OW_CPACE_POINT_BYTES],
                                guint8 k[OW_CPACE_POINT_BYTES],
                                GError **error);

/**
 * ow_cpace_isk_ir:
 * @isk: (out caller-allocates): SHA-512(lv_cat(DSI "_ISK", sid, K) || lv_cat(Ya, ADa) ||
 *   lv_cat(Yb, ADb)), with the initiator's share and associated data first
 */
void ow_cpace_isk_ir (GBytes *sid,
                      const guint8 k[OW_CPACE_POINT_BYTES],
                      const guint8 ya[OW_CPACE_POINT_BYTES],
                      GBytes *ada,
                      const guint8 yb[OW_CPACE_POINT_BYTES],
                      GBytes *adb,
                      guint8 isk[OW_CPACE_ISK_BYTES]);

/* As ow_cpace_isk_ir() in the symmetric ("oc") order: the larger share first. */
void ow_cpace_isk_sy (GBytes *sid,
                      const guint8 k[OW_CPACE_POINT_BYTES],
                      const guint8 ya[OW_CPACE_POINT_BYTES],
                      GBytes *ada,
                      const guint8 yb[OW_CPACE_POINT_BYTES],
                      GBytes *adb,
                      guint8 isk[OW_CPACE_ISK_BYTES]);

/* A session id both parties can derive from the transcript, for runs without a given sid:
 * SHA-512("CPaceSidOutput" || transcript), initiator-responder order. */
void ow_cpace_sid_output_ir (const guint8 ya[OW_CPACE_POINT_BYTES],
                             GBytes *ada,
                             const guint8 yb[OW_CPACE_POINT_BYTES],
                             GBytes *adb,
                             guint8 out[OW_CPACE_ISK_BYTES]);

/* As ow_cpace_sid_output_ir() in the symmetric ("oc") order. */
void ow_cpace_sid_output_oc (const guint8 ya[OW_CPACE_POINT_BYTES],
                             GBytes *ada,
                             const guint8 yb[OW_CPACE_POINT_BYTES],
                             GBytes *adb,
                             guint8 out[OW_CPACE_ISK_BYTES]);

G_END_DECLS
