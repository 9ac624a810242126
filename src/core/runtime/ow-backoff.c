#include "config.h"

#include "ow-backoff.h"

void
ow_backoff_init (OwBackoff *backoff, const OwBackoffPolicy *policy)
{
  g_return_if_fail (backoff != NULL);
  g_return_if_fail (policy != NULL);
  g_return_if_fail (policy->initial_ms > 0 && policy->initial_ms <= policy->max_ms);
  g_return_if_fail (policy->max_rapid_failures > 0);

  backoff->policy = *policy;
  backoff->failures = 0;
}

gboolean
ow_backoff_record_failure (OwBackoff *backoff, guint64 healthy_ms, guint *delay_ms)
{
  guint64 delay;

  g_return_val_if_fail (backoff != NULL, FALSE);
  g_return_val_if_fail (delay_ms != NULL, FALSE);

  if (healthy_ms >= backoff->policy.healthy_reset_ms)
    backoff->failures = 0;

  backoff->failures++;
  if (backoff->failures >= backoff->policy.max_rapid_failures)
    {
      *delay_ms = 0;
      return FALSE;
    }

  /* initial · 2^(failures-1), computed so that it cannot overflow before the cap. */
  delay = backoff->policy.initial_ms;
  for (guint i = 1; i < backoff->failures && delay < backoff->policy.max_ms; i++)
    delay *= 2;

  *delay_ms = (guint) MIN (delay, (guint64) backoff->policy.max_ms);
  return TRUE;
}

void
ow_backoff_reset (OwBackoff *backoff)
{
  g_return_if_fail (backoff != NULL);
  backoff->failures = 0;
}
