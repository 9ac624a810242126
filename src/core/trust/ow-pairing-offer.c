#include "config.h"

#include "ow-pairing-offer.h"
#include "ow-random.h"

#include <sodium.h>
#include <string.h>

#define GRANT_SECRET_BYTES 32

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

char *
ow_pairing_new_grant (void)
{
  g_autofree char *grant_secret = ow_random_hex (GRANT_SECRET_BYTES);
  char *grant = g_strconcat (OW_PAIRING_GRANT_PREFIX, grant_secret, NULL);

  sodium_memzero (grant_secret, strlen (grant_secret));
  return grant;
}

OwPairingOffer *
ow_pairing_offer_new (guint lifetime_s)
{
  OwPairingOffer *offer = g_new0 (OwPairingOffer, 1);

  offer->code = g_strdup_printf ("%06u", randombytes_uniform (1000000));
  randombytes_buf (offer->secret, sizeof offer->secret);
  offer->grant = ow_pairing_new_grant ();
  offer->expires_ms = now_ms () + (gint64) lifetime_s * 1000;
  return offer;
}

void
ow_pairing_offer_free (OwPairingOffer *offer)
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

gboolean
ow_pairing_offer_is_expired (const OwPairingOffer *offer)
{
  return now_ms () >= offer->expires_ms;
}

OwPairingInvite *
ow_pairing_invite_new (OwScope scope, const char *const *workspaces, guint lifetime_s)
{
  OwPairingInvite *invite = g_new0 (OwPairingInvite, 1);

  invite->grant = ow_pairing_new_grant ();
  invite->scope = scope;
  invite->workspaces = g_strdupv ((char **) workspaces);
  invite->expires_ms = now_ms () + (gint64) lifetime_s * 1000;
  return invite;
}

void
ow_pairing_invite_free (OwPairingInvite *invite)
{
  if (invite == NULL)
    return;
  sodium_memzero (invite->grant, strlen (invite->grant));
  g_free (invite->grant);
  g_strfreev (invite->workspaces);
  g_free (invite);
}

gboolean
ow_pairing_invite_is_expired (const OwPairingInvite *invite)
{
  return now_ms () >= invite->expires_ms;
}

gboolean
ow_pairing_invite_matches (const OwPairingInvite *invite, const char *grant)
{
  return ow_pairing_grant_equal (grant, invite->grant);
}

gboolean
ow_pairing_grant_equal (const char *a, const char *b)
{
  return strlen (a) == strlen (b) && sodium_memcmp (a, b, strlen (a)) == 0;
}
