#include "config.h"

#include "ow-pairing-run.h"
#include "ow-net.h"
#include "ow-pairing-offer.h"
#include "ow-random.h"

#include <sodium.h>
#include <string.h>

OwPairingRun *
ow_pairing_run_new (
  const char *method, const char *name, const char *platform, const char *address, guint generation)
{
  OwPairingRun *run = g_new0 (OwPairingRun, 1);
  g_autofree char *suffix = ow_random_hex (8);

  run->id = g_strconcat ("pr_", suffix, NULL);
  run->method = g_strdup (method);
  run->name = g_strdup (name);
  run->platform = g_strdup (platform);
  run->address = g_strdup (address);
  run->generation = generation;
  return run;
}

void
ow_pairing_run_free (OwPairingRun *run)
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

gboolean
ow_pairing_run_proof_matches (const OwPairingRun *run, const char *proof)
{
  guint8 tag[OW_PAIR_TAG_BYTES];
  gboolean matches;

  if (proof == NULL)
    return FALSE;
  if (run->grant)
    return ow_pairing_grant_equal (proof, run->grant);
  if (!ow_pair_base64url_decode (proof, tag, sizeof tag))
    return FALSE;
  matches = sodium_memcmp (tag, run->keys.client_tag, sizeof tag) == 0;
  sodium_memzero (tag, sizeof tag);
  return matches;
}

/* The table */

struct _OwPairingRuns
{
  GHashTable *by_id; /* id → OwPairingRun */
};

OwPairingRuns *
ow_pairing_runs_new (void)
{
  OwPairingRuns *runs = g_new0 (OwPairingRuns, 1);

  runs->by_id =
    g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ow_pairing_run_free);
  return runs;
}

void
ow_pairing_runs_free (OwPairingRuns *runs)
{
  if (runs == NULL)
    return;
  g_hash_table_unref (runs->by_id);
  g_free (runs);
}

void
ow_pairing_runs_add (OwPairingRuns *runs, OwPairingRun *run)
{
  g_hash_table_insert (runs->by_id, run->id, run);
}

OwPairingRun *
ow_pairing_runs_lookup (OwPairingRuns *runs, const char *id)
{
  return id ? g_hash_table_lookup (runs->by_id, id) : NULL;
}

void
ow_pairing_runs_remove (OwPairingRuns *runs, const char *id)
{
  g_hash_table_remove (runs->by_id, id);
}

OwPairingRun *
ow_pairing_runs_find_grant (OwPairingRuns *runs, const char *grant)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, runs->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OwPairingRun *run = value;

      if (run->grant && ow_pairing_grant_equal (run->grant, grant))
        return run;
    }
  return NULL;
}

guint
ow_pairing_runs_count (OwPairingRuns *runs,
                       OwPairingRunState state,
                       guint generation,
                       const char *address)
{
  g_autofree char *key = address ? ow_net_address_key (address) : NULL;
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, runs->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OwPairingRun *run = value;
      g_autofree char *run_key = NULL;

      if (run->state != state || (state == OW_PAIRING_RUN_STARTED && run->generation != generation))
        continue;
      if (key)
        {
          run_key = ow_net_address_key (run->address);
          if (!g_str_equal (run_key, key))
            continue;
        }
      n++;
    }
  return n;
}

GPtrArray *
ow_pairing_runs_expired (OwPairingRuns *runs, gint64 now)
{
  GPtrArray *expired = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, runs->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OwPairingRun *run = value;

      if (now >= run->deadline_us)
        g_ptr_array_add (expired, g_strdup (run->id));
    }
  return expired;
}
