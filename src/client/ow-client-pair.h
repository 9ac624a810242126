#pragma once

#include "ow-client-connection.h"

G_BEGIN_DECLS

/* What a finished pairing gives the device. */
typedef struct
{
  char *token;
  char *host_name;
  char *fingerprint; /* the host certificate's, now pinned */
  JsonNode *device;  /* the host's record of this device: {id, name, scope, workspaces, …} */
} OwClientPairing;

void ow_client_pairing_free (OwClientPairing *pairing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwClientPairing, ow_client_pairing_free)

/* Called once the host has put the device before its owner. */
typedef void (*OwClientWaitingFunc) (const char *host_name, gpointer user_data);

/**
 * ow_client_pair_cpace:
 * @method: "code" (with the typed digits) or "secret" (with the QR code's 16 bytes)
 * @password: the code's digits or the secret
 *
 * Runs the client side of docs/pairing-protocol.md: the PAKE, key confirmation both ways,
 * then waits (long-polling) for the owner's decision and opens the sealed token.
 *
 * Returns: (transfer full): the pairing, or %NULL with @error set
 */
OwClientPairing *ow_client_pair_cpace (OwClientConnection *connection,
                                       const char *method,
                                       GBytes *password,
                                       const char *name,
                                       const char *platform,
                                       OwClientWaitingFunc waiting,
                                       gpointer user_data,
                                       GError **error);

/* Claims a connect-remote grant and waits for the owner; the grant becomes the token. */
OwClientPairing *ow_client_pair_grant (OwClientConnection *connection,
                                       const char *grant,
                                       const char *name,
                                       const char *platform,
                                       OwClientWaitingFunc waiting,
                                       gpointer user_data,
                                       GError **error);

G_END_DECLS
