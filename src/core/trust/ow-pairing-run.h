#pragma once

#include "ow-device.h"
#include "ow-pair-protocol.h"

G_BEGIN_DECLS

typedef enum
{
  OW_PAIRING_RUN_STARTED, /* shares exchanged, key confirmation still to come */
  OW_PAIRING_RUN_WAITING, /* for the owner */
  OW_PAIRING_RUN_APPROVED,
  OW_PAIRING_RUN_DENIED,
} OwPairingRunState;

/* One device's way through pairing (a record of OwPairing's): from its first message
 * until it fetches its token, is denied, or is forgotten. */
typedef struct
{
  char *id; /* "pr_…" */
  OwPairingRunState state;
  char *method; /* "code", "secret" or "grant" */
  char *name;
  char *platform;
  char *address;
  char *grant;      /* grant requests: the grant, which is also their proof and their token */
  guint generation; /* of the offer it started under */
  OwPairKeys keys;
  gint64 deadline_us; /* monotonic: when it is forgotten */
  gint64 requested_ms;
  char *token_box; /* approved: the sealed token, until fetched */
  char *token_nonce;
  OwDevice *device;
} OwPairingRun;

OwPairingRun *ow_pairing_run_new (const char *method,
                                  const char *name,
                                  const char *platform,
                                  const char *address,
                                  guint generation);
/* Wipes the run's secrets and frees it. */
void ow_pairing_run_free (OwPairingRun *run);

/* Whether @proof shows the device that started @run: its grant, or the base64url of its
 * key confirmation tag. Compared in constant time. */
gboolean ow_pairing_run_proof_matches (const OwPairingRun *run, const char *proof);

/* The runs under way, by id. */
typedef struct _OwPairingRuns OwPairingRuns;

OwPairingRuns *ow_pairing_runs_new (void);
void ow_pairing_runs_free (OwPairingRuns *runs);
/* Takes @run. */
void ow_pairing_runs_add (OwPairingRuns *runs, OwPairingRun *run);
/* Returns: (transfer none) (nullable): the run @id (which may be %NULL) */
OwPairingRun *ow_pairing_runs_lookup (OwPairingRuns *runs, const char *id);
/* Forgets the run @id and frees it. */
void ow_pairing_runs_remove (OwPairingRuns *runs, const char *id);
/* Returns: (transfer none) (nullable): the run that claimed @grant */
OwPairingRun *ow_pairing_runs_find_grant (OwPairingRuns *runs, const char *grant);

/**
 * ow_pairing_runs_count:
 * @generation: the current offer's: started runs of an older offer, which can only learn
 *   that the code changed, take no room
 * @address: (nullable): only runs from this address (its /64 for IPv6)
 *
 * Returns: how many runs are in @state
 */
guint ow_pairing_runs_count (OwPairingRuns *runs,
                             OwPairingRunState state,
                             guint generation,
                             const char *address);

/* Returns: (transfer full): the ids of the runs whose deadline is past @now */
GPtrArray *ow_pairing_runs_expired (OwPairingRuns *runs, gint64 now);

G_END_DECLS
