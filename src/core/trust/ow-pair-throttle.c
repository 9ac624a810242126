#include "config.h"

#include "ow-pair-throttle.h"
#include "ow-net.h"

#define RATE_WINDOW_US (60 * G_USEC_PER_SEC)
/* A device that failed within this long before it paired did not pair on the first try. */
#define RETRY_WINDOW_US (10 * 60 * G_USEC_PER_SEC)
/* Past this many addresses in a table, those that stopped trying are forgotten. */
#define MAX_REMEMBERED 1024

struct _OwPairThrottle
{
  guint attempts_per_minute;
  GHashTable *attempts; /* address key → GArray of gint64 monotonic times */
  GHashTable *failed;   /* address key → monotonic time of its last failed confirmation */
};

OwPairThrottle *
ow_pair_throttle_new (guint attempts_per_minute)
{
  OwPairThrottle *throttle = g_new0 (OwPairThrottle, 1);

  throttle->attempts_per_minute = attempts_per_minute;
  throttle->attempts =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  throttle->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return throttle;
}

void
ow_pair_throttle_free (OwPairThrottle *throttle)
{
  if (throttle == NULL)
    return;
  g_hash_table_unref (throttle->attempts);
  g_hash_table_unref (throttle->failed);
  g_free (throttle);
}

static void
forget_quiet_addresses (OwPairThrottle *throttle, GArray *keep, gint64 now)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, throttle->attempts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GArray *other = value;

      if (other != keep && (other->len == 0 ||
                            now - g_array_index (other, gint64, other->len - 1) >= RATE_WINDOW_US))
        g_hash_table_iter_remove (&iter);
    }
}

gboolean
ow_pair_throttle_allow (OwPairThrottle *throttle, const char *address)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *key = ow_net_address_key (address);
  GArray *times = g_hash_table_lookup (throttle->attempts, key);
  guint kept = 0;

  if (times == NULL)
    {
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (throttle->attempts, g_strdup (key), times);
    }
  for (guint i = 0; i < times->len; i++)
    if (now - g_array_index (times, gint64, i) < RATE_WINDOW_US)
      g_array_index (times, gint64, kept++) = g_array_index (times, gint64, i);
  g_array_set_size (times, kept);

  if (times->len >= throttle->attempts_per_minute)
    return FALSE;
  g_array_append_val (times, now);
  if (g_hash_table_size (throttle->attempts) > MAX_REMEMBERED)
    forget_quiet_addresses (throttle, times, now);
  return TRUE;
}

void
ow_pair_throttle_note_failure (OwPairThrottle *throttle, const char *address)
{
  gint64 now = g_get_monotonic_time ();

  if (g_hash_table_size (throttle->failed) >= MAX_REMEMBERED)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, throttle->failed);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (now - *(gint64 *) value >= RETRY_WINDOW_US)
          g_hash_table_iter_remove (&iter);
    }
  g_hash_table_insert (throttle->failed, ow_net_address_key (address),
                       g_memdup2 (&now, sizeof now));
}

gboolean
ow_pair_throttle_take_failure (OwPairThrottle *throttle, const char *address)
{
  g_autofree char *key = ow_net_address_key (address);
  gint64 *failed_at = g_hash_table_lookup (throttle->failed, key);
  gboolean recent = failed_at && g_get_monotonic_time () - *failed_at < RETRY_WINDOW_US;

  g_hash_table_remove (throttle->failed, key);
  return recent;
}
