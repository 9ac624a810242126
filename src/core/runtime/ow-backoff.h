#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * When to try a crashed runtime again, and when to give up. A failure is "rapid" when the
 * run it ends was never healthy for @healthy_reset_ms; only an unbroken series of rapid
 * failures counts towards @max_rapid_failures.
 */
typedef struct
{
  guint initial_ms;         /* delay before the first retry */
  guint max_ms;             /* no delay is ever longer */
  guint healthy_reset_ms;   /* a run this long forgives earlier failures */
  guint max_rapid_failures; /* give up after this many rapid failures in a row */
} OwBackoffPolicy;

#define OW_BACKOFF_POLICY_DEFAULT                                                                  \
  ((OwBackoffPolicy){                                                                              \
    .initial_ms = 100, .max_ms = 30000, .healthy_reset_ms = 60000, .max_rapid_failures = 6 })

typedef struct
{
  OwBackoffPolicy policy;
  guint failures;
} OwBackoff;

void ow_backoff_init (OwBackoff *backoff, const OwBackoffPolicy *policy);

/**
 * ow_backoff_record_failure:
 * @healthy_ms: how long the failed run had been healthy, or 0 if it never was
 * @delay_ms: (out): how long to wait before the next try
 *
 * Returns: %TRUE if the runtime should be tried again after @delay_ms, %FALSE if it has
 *   failed too often in a row and should be left in the failed state.
 */
gboolean ow_backoff_record_failure (OwBackoff *backoff, guint64 healthy_ms, guint *delay_ms);

/* Forgets every failure, for an explicit restart by the user. */
void ow_backoff_reset (OwBackoff *backoff);

G_END_DECLS
