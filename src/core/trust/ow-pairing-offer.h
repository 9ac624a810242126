#pragma once

#include "ow-device.h"
#include "ow-pair-protocol.h"

G_BEGIN_DECLS

/* How every one-time grant starts. */
#define OW_PAIRING_GRANT_PREFIX "owg_"

/* The current offer: what the host shows so that one device can pair. */
typedef struct
{
  char *code;                          /* 6 digits: the typed code's password */
  guint8 secret[OW_PAIR_SECRET_BYTES]; /* the QR code's password */
  char *grant;                         /* "owg_…": the connect-remote one-time grant */
  gint64 expires_ms;                   /* Unix time */
} OwPairingOffer;

/* A new offer, valid for @lifetime_s: a random code, secret and grant. */
OwPairingOffer *ow_pairing_offer_new (guint lifetime_s);
/* Wipes the offer's secrets and frees it. */
void ow_pairing_offer_free (OwPairingOffer *offer);
gboolean ow_pairing_offer_is_expired (const OwPairingOffer *offer);

/* A link for one OpenWork app that the owner agreed to before it was shown: who may use
 * it, with which scope and workspaces. The first device to present its grant is in at
 * once; the grant is that device's token from then on. */
typedef struct
{
  char *grant; /* "owg_…" */
  OwScope scope;
  GStrv workspaces;  /* %NULL: all */
  gint64 expires_ms; /* Unix time; unused after it, it is gone */
} OwPairingInvite;

OwPairingInvite *
ow_pairing_invite_new (OwScope scope, const char *const *workspaces, guint lifetime_s);
void ow_pairing_invite_free (OwPairingInvite *invite);
gboolean ow_pairing_invite_is_expired (const OwPairingInvite *invite);
/* Whether @grant is the invite's. */
gboolean ow_pairing_invite_matches (const OwPairingInvite *invite, const char *grant);

/* Whether two grants (or other secrets of text) are equal, compared in constant time. */
gboolean ow_pairing_grant_equal (const char *a, const char *b);

/* Returns: (transfer full): a new one-time grant, "owg_" and 64 hex digits */
char *ow_pairing_new_grant (void);

G_END_DECLS
