#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What pairing remembers of each address (an IPv6 /64 counts as one): how often it tried
 * in the last minute, and when its last confirmation failed, to tell a device that paired
 * at its first try from one that needed another. Addresses that stop trying are
 * forgotten, so that many of them cannot grow the host's memory.
 */
typedef struct _OwPairThrottle OwPairThrottle;

OwPairThrottle *ow_pair_throttle_new (guint attempts_per_minute);
void ow_pair_throttle_free (OwPairThrottle *throttle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwPairThrottle, ow_pair_throttle_free)

/* Counts an attempt from @address. Returns: %FALSE when it is over the limit */
gboolean ow_pair_throttle_allow (OwPairThrottle *throttle, const char *address);

/* @address entered a wrong code. */
void ow_pair_throttle_note_failure (OwPairThrottle *throttle, const char *address);

/* Returns: whether @address failed within the last ten minutes; forgets its failure */
gboolean ow_pair_throttle_take_failure (OwPairThrottle *throttle, const char *address);

G_END_DECLS
