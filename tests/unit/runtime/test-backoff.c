#include "config.h"

#include "ow-backoff.h"

static const OwBackoffPolicy policy = {
  .initial_ms = 100, .max_ms = 1000, .healthy_reset_ms = 60000, .max_rapid_failures = 7
};

static void
test_delays_double_up_to_the_cap (void)
{
  const guint expected[] = { 100, 200, 400, 800, 1000, 1000 };
  OwBackoff backoff;
  guint delay;

  ow_backoff_init (&backoff, &policy);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_true (ow_backoff_record_failure (&backoff, 0, &delay));
      g_assert_cmpuint (delay, ==, expected[i]);
    }

  /* The seventh rapid failure in a row gives up. */
  g_assert_false (ow_backoff_record_failure (&backoff, 0, &delay));
}

static void
test_a_healthy_minute_forgives (void)
{
  OwBackoff backoff;
  guint delay;

  ow_backoff_init (&backoff, &policy);
  for (guint i = 0; i < 5; i++)
    g_assert_true (ow_backoff_record_failure (&backoff, 59999, &delay));
  g_assert_cmpuint (delay, ==, 1000);

  /* A run that was healthy for the whole reset period starts the series anew. */
  g_assert_true (ow_backoff_record_failure (&backoff, 60000, &delay));
  g_assert_cmpuint (delay, ==, 100);
  g_assert_cmpuint (backoff.failures, ==, 1);
}

static void
test_reset_forgets_failures (void)
{
  OwBackoff backoff;
  guint delay;

  ow_backoff_init (&backoff, &policy);
  for (guint i = 0; i < 6; i++)
    ow_backoff_record_failure (&backoff, 0, &delay);
  ow_backoff_reset (&backoff);
  g_assert_true (ow_backoff_record_failure (&backoff, 0, &delay));
  g_assert_cmpuint (delay, ==, 100);
}

static void
test_huge_cap_does_not_overflow (void)
{
  OwBackoffPolicy wide = {
    .initial_ms = 1, .max_ms = G_MAXUINT, .healthy_reset_ms = 1, .max_rapid_failures = 200
  };
  OwBackoff backoff;
  guint delay = 0, previous = 0;

  ow_backoff_init (&backoff, &wide);
  for (guint i = 0; i < 100; i++)
    {
      g_assert_true (ow_backoff_record_failure (&backoff, 0, &delay));
      g_assert_cmpuint (delay, >=, previous);
      previous = delay;
    }
  g_assert_cmpuint (delay, ==, G_MAXUINT);
}

static void
test_default_policy_is_sub_second_first (void)
{
  OwBackoffPolicy defaults = OW_BACKOFF_POLICY_DEFAULT;
  OwBackoff backoff;
  guint delay;

  ow_backoff_init (&backoff, &defaults);
  g_assert_true (ow_backoff_record_failure (&backoff, 0, &delay));
  g_assert_cmpuint (delay, <, 1000);
  g_assert_cmpuint (defaults.healthy_reset_ms, ==, 60000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backoff/delays-double-up-to-the-cap", test_delays_double_up_to_the_cap);
  g_test_add_func ("/backoff/a-healthy-minute-forgives", test_a_healthy_minute_forgives);
  g_test_add_func ("/backoff/reset-forgets-failures", test_reset_forgets_failures);
  g_test_add_func ("/backoff/huge-cap-does-not-overflow", test_huge_cap_does_not_overflow);
  g_test_add_func ("/backoff/default-policy-is-sub-second-first",
                   test_default_policy_is_sub_second_first);
  return g_test_run ();
}
