#include "config.h"

#include "ow-runtime-supervisor.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sodium.h>

/*
 * The supervisor's state machine and backoff, driven by the stand-in runtime of
 * tests/fixtures/ow-fake-runtime.c, whose behaviour each test picks with
 * OW_FAKE_RUNTIME_MODE. Timings are shortened so that the whole file runs in seconds.
 */

#define WAIT_LIMIT_MS 15000

typedef struct
{
  char *dir;
  char *starts_file;
  OwRotatingLog *log;
  OwRuntimeSupervisor *supervisor;
  GPtrArray *states; /* every state it went through, in order */
} Fixture;

static const OwRuntimeTimings fast_timings = {
  .start_timeout_ms = 2000,
  .health_interval_ms = 100,
  .health_failures_max = 2,
  .health_timeout_s = 1,
  .stop_grace_ms = 400,
  .backoff = { .initial_ms = 50,
               .max_ms = 400,
               .healthy_reset_ms = 60000,
               .max_rapid_failures = 4 },
};

static void
on_state (OwRuntimeSupervisor *supervisor, GParamSpec *pspec, Fixture *fixture)
{
  g_ptr_array_add (fixture->states, (gpointer) ow_runtime_state_to_string (
                                      ow_runtime_supervisor_get_state (supervisor)));
}

static void
fixture_set_up (Fixture *fixture, gconstpointer mode)
{
  g_autofree char *log_path = NULL;

  fixture->dir = g_dir_make_tmp ("ow-supervisor-XXXXXX", NULL);
  fixture->starts_file = g_build_filename (fixture->dir, "starts", NULL);
  log_path = g_build_filename (fixture->dir, "runtime.log", NULL);

  fixture->log = ow_rotating_log_new (log_path, 1 << 20, 1, NULL);
  fixture->supervisor =
    ow_runtime_supervisor_new (g_getenv ("OW_FAKE_RUNTIME"), fixture->dir, fixture->log);
  /* Through the supervisor, never setenv(): GIO's worker threads read the environment. */
  ow_runtime_supervisor_setenv (fixture->supervisor, "OW_FAKE_RUNTIME_MODE", mode);
  ow_runtime_supervisor_setenv (fixture->supervisor, "OW_FAKE_RUNTIME_STARTS",
                                fixture->starts_file);
  ow_runtime_supervisor_set_timings (fixture->supervisor, &fast_timings);
  fixture->states = g_ptr_array_new ();
  g_signal_connect (fixture->supervisor, "notify::state", G_CALLBACK (on_state), fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer mode)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  g_clear_object (&fixture->supervisor);
  g_clear_object (&fixture->log);
  g_ptr_array_unref (fixture->states);

  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->starts_file);
  g_free (fixture->dir);
}

static gboolean
on_wait_limit (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main loop until the supervisor is in @state; fails the test after a limit. */
static void
wait_for_state (Fixture *fixture, OwRuntimeState state)
{
  gboolean expired = FALSE;
  guint limit = g_timeout_add (WAIT_LIMIT_MS, on_wait_limit, &expired);

  while (ow_runtime_supervisor_get_state (fixture->supervisor) != state && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (expired)
    g_error ("Still %s after %d ms while waiting for %s; last error: %s",
             ow_runtime_state_to_string (ow_runtime_supervisor_get_state (fixture->supervisor)),
             WAIT_LIMIT_MS, ow_runtime_state_to_string (state),
             ow_runtime_supervisor_get_last_error (fixture->supervisor));
  g_source_remove (limit);
}

static void
on_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_assert_true (ow_runtime_supervisor_stop_finish (OW_RUNTIME_SUPERVISOR (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

static void
stop_and_wait (Fixture *fixture)
{
  gboolean stopped = FALSE;

  ow_runtime_supervisor_stop_async (fixture->supervisor, NULL, on_stopped, &stopped);
  while (!stopped)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (ow_runtime_supervisor_get_state (fixture->supervisor), ==,
                   OW_RUNTIME_STATE_STOPPED);
}

/* Each start of the stand-in, as "pid password monotonic-µs" lines. */
static GStrv
read_starts (Fixture *fixture)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (fixture->starts_file, &contents, NULL, NULL))
    return g_new0 (char *, 1);
  g_strchomp (contents);
  return g_strsplit (contents, "\n", -1);
}

/* Field @index (0: pid, 1: password, 2: start time) of a line of read_starts(). */
static char *
start_field (const char *line, guint index)
{
  g_auto (GStrv) fields = g_strsplit (line, " ", 3);

  g_assert_cmpuint (g_strv_length (fields), ==, 3);
  return g_strdup (fields[index]);
}

static gboolean
process_exists (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  /* A zombie is not a running process: the state follows the ")" of the command name. */
  state = strrchr (stat, ')');
  return state == NULL || state[2] != 'Z';
}

static void
assert_states (Fixture *fixture, const char *const *expected)
{
  for (guint i = 0; expected[i]; i++)
    {
      g_assert_cmpuint (i, <, fixture->states->len);
      g_assert_cmpstr (g_ptr_array_index (fixture->states, i), ==, expected[i]);
    }
}

static void
test_starts_and_stops (Fixture *fixture, gconstpointer mode)
{
  const char *const expected[] = { "starting", "running", "stopped", NULL };
  OwRuntimeSupervisor *supervisor = fixture->supervisor;
  g_auto (GStrv) starts = NULL;
  int pid;

  g_assert_cmpint (ow_runtime_supervisor_get_state (supervisor), ==, OW_RUNTIME_STATE_STOPPED);
  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);

  /* Healthy means the stand-in accepted the basic-auth password it was started with. */
  g_assert_cmpstr (ow_runtime_supervisor_get_version (supervisor), ==, "0.0.0-fake");
  g_assert_cmpuint (ow_runtime_supervisor_get_port (supervisor), >, 0);
  g_assert_cmpuint (ow_runtime_supervisor_get_restarts (supervisor), ==, 0);
  g_assert_null (ow_runtime_supervisor_get_last_error (supervisor));
  pid = ow_runtime_supervisor_get_pid (supervisor);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (process_exists (pid));

  starts = read_starts (fixture);
  g_assert_cmpuint (g_strv_length (starts), ==, 1);
  {
    g_autofree char *password = start_field (starts[0], 1);
    g_assert_cmpstr (password, ==, ow_runtime_supervisor_get_password (supervisor));
  }
  g_assert_cmpuint (strlen (ow_runtime_supervisor_get_password (supervisor)), ==, 64);

  stop_and_wait (fixture);
  g_assert_false (process_exists (pid));
  g_assert_cmpint (ow_runtime_supervisor_get_pid (supervisor), ==, 0);
  assert_states (fixture, expected);
}

static void
test_crash_restarts_with_new_password (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;
  g_auto (GStrv) starts = NULL;
  const char *expected[] = { "starting", "running", "restarting", "running", NULL };
  int first_pid;

  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);
  first_pid = ow_runtime_supervisor_get_pid (supervisor);

  kill (first_pid, SIGKILL);
  wait_for_state (fixture, OW_RUNTIME_STATE_RESTARTING);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);

  g_assert_cmpuint (ow_runtime_supervisor_get_restarts (supervisor), ==, 1);
  g_assert_cmpint (ow_runtime_supervisor_get_pid (supervisor), !=, first_pid);
  g_assert_nonnull (strstr (ow_runtime_supervisor_get_last_error (supervisor), "signal 9"));
  assert_states (fixture, expected);

  starts = read_starts (fixture);
  g_assert_cmpuint (g_strv_length (starts), ==, 2);
  {
    g_autofree char *first_password = start_field (starts[0], 1);
    g_autofree char *second_password = start_field (starts[1], 1);
    g_assert_cmpstr (first_password, !=, second_password);
  }

  stop_and_wait (fixture);
}

static void
test_rapid_failures_end_in_failed (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;
  g_auto (GStrv) starts = NULL;
  const char *last_error;

  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_FAILED);

  /* max_rapid_failures starts, three of them restarts, then no more. */
  starts = read_starts (fixture);
  g_assert_cmpuint (g_strv_length (starts), ==, fast_timings.backoff.max_rapid_failures);
  g_assert_cmpuint (ow_runtime_supervisor_get_restarts (supervisor), ==,
                    fast_timings.backoff.max_rapid_failures - 1);
  g_assert_cmpint (ow_runtime_supervisor_get_pid (supervisor), ==, 0);

  /* The reason carries the runtime's own last stderr lines. */
  last_error = ow_runtime_supervisor_get_last_error (supervisor);
  g_assert_nonnull (strstr (last_error, "failed 4 times in a row"));
  g_assert_nonnull (strstr (last_error, "exited with status 3"));
  g_assert_nonnull (strstr (last_error, "error: scripted crash"));
  g_assert_nonnull (strstr (last_error, "fatal: the stand-in runtime gives up"));

  /* Nothing restarts it by itself any more. */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (fast_timings.backoff.max_ms * 1000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (ow_runtime_supervisor_get_state (supervisor), ==, OW_RUNTIME_STATE_FAILED);
}

static void
test_backoff_grows_between_starts (Fixture *fixture, gconstpointer mode)
{
  g_auto (GStrv) starts = NULL;
  guint expected_ms = fast_timings.backoff.initial_ms;

  ow_runtime_supervisor_start (fixture->supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_FAILED);

  /* Each retry waits at least its backoff delay: 50, 100, 200 ms. */
  starts = read_starts (fixture);
  g_assert_cmpuint (g_strv_length (starts), ==, fast_timings.backoff.max_rapid_failures);
  for (guint i = 1; starts[i]; i++, expected_ms *= 2)
    {
      g_autofree char *previous = start_field (starts[i - 1], 2);
      g_autofree char *current = start_field (starts[i], 2);
      gint64 gap_us = g_ascii_strtoll (current, NULL, 10) - g_ascii_strtoll (previous, NULL, 10);

      g_test_message ("start %u came %" G_GINT64_FORMAT " ms after the previous one", i,
                      gap_us / 1000);
      g_assert_cmpint (gap_us, >=, (gint64) expected_ms * 1000);
    }
}

static void
test_recovers_after_early_crashes (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;
  const char *expected[] = { "starting", "restarting", "running", NULL };

  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);

  g_assert_cmpuint (ow_runtime_supervisor_get_restarts (supervisor), ==, 2);
  g_assert_nonnull (strstr (ow_runtime_supervisor_get_last_error (supervisor), "scripted crash"));
  assert_states (fixture, expected);
  stop_and_wait (fixture);
}

static void
test_hang_hits_start_timeout (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;
  OwRuntimeTimings timings = fast_timings;

  timings.start_timeout_ms = 300;
  timings.backoff.max_rapid_failures = 2;
  ow_runtime_supervisor_set_timings (supervisor, &timings);

  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_FAILED);
  g_assert_nonnull (
    strstr (ow_runtime_supervisor_get_last_error (supervisor), "did not become ready within"));
}

static void
test_unanswered_health_restarts (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;

  ow_runtime_supervisor_setenv (supervisor, "OW_FAKE_RUNTIME_CRASH_MS", "200");
  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);
  wait_for_state (fixture, OW_RUNTIME_STATE_RESTARTING);

  g_assert_nonnull (strstr (ow_runtime_supervisor_get_last_error (supervisor),
                            "stopped answering its health check"));
  g_assert_cmpuint (ow_runtime_supervisor_get_restarts (supervisor), ==, 1);
}

static void
test_stop_escalates_to_sigkill (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;
  gint64 before;
  int pid;

  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);
  pid = ow_runtime_supervisor_get_pid (supervisor);

  before = g_get_monotonic_time ();
  stop_and_wait (fixture);
  g_assert_false (process_exists (pid));
  /* SIGTERM was ignored, so the stop took the grace period. */
  g_assert_cmpint (g_get_monotonic_time () - before, >=,
                   (gint64) fast_timings.stop_grace_ms * 1000);
  g_assert_null (ow_runtime_supervisor_get_last_error (supervisor));
}

static void
test_missing_binary_fails_clearly (Fixture *fixture, gconstpointer mode)
{
  g_autoptr (OwRuntimeSupervisor) supervisor =
    ow_runtime_supervisor_new ("/nonexistent/opencode", fixture->dir, fixture->log);
  OwRuntimeTimings timings = fast_timings;
  gboolean expired = FALSE;
  guint limit;

  timings.backoff.max_rapid_failures = 2;
  ow_runtime_supervisor_set_timings (supervisor, &timings);
  ow_runtime_supervisor_start (supervisor);

  limit = g_timeout_add (WAIT_LIMIT_MS, on_wait_limit, &expired);
  while (ow_runtime_supervisor_get_state (supervisor) != OW_RUNTIME_STATE_FAILED && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (limit);

  g_assert_nonnull (
    strstr (ow_runtime_supervisor_get_last_error (supervisor), "could not be started"));
}

static void
test_start_after_failed_tries_again (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;

  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_FAILED);

  ow_runtime_supervisor_setenv (supervisor, "OW_FAKE_RUNTIME_MODE", "ok");
  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);
  stop_and_wait (fixture);
}

static void
test_start_during_stop_completes_the_stop_then_starts (Fixture *fixture, gconstpointer mode)
{
  OwRuntimeSupervisor *supervisor = fixture->supervisor;
  gboolean stopped = FALSE;
  int first_pid;

  ow_runtime_supervisor_start (supervisor);
  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);
  first_pid = ow_runtime_supervisor_get_pid (supervisor);

  /* The stand-in ignores SIGTERM, so the stop is still under way when start comes. */
  ow_runtime_supervisor_stop_async (supervisor, NULL, on_stopped, &stopped);
  ow_runtime_supervisor_start (supervisor);
  while (!stopped)
    g_main_context_iteration (NULL, TRUE);

  wait_for_state (fixture, OW_RUNTIME_STATE_RUNNING);
  g_assert_false (process_exists (first_pid));
  g_assert_cmpint (ow_runtime_supervisor_get_pid (supervisor), !=, first_pid);
  /* A stop asked for is no crash. */
  g_assert_cmpuint (ow_runtime_supervisor_get_restarts (supervisor), ==, 0);
  g_assert_null (ow_runtime_supervisor_get_last_error (supervisor));
  stop_and_wait (fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  if (g_getenv ("OW_FAKE_RUNTIME") == NULL)
    g_error ("OW_FAKE_RUNTIME must name the stand-in runtime; run this test with meson test");

#define ADD(path, mode, func)                                                                      \
  g_test_add ("/supervisor/" path, Fixture, mode, fixture_set_up, func, fixture_tear_down)

  ADD ("starts-and-stops", "ok", test_starts_and_stops);
  ADD ("crash-restarts-with-new-password", "ok", test_crash_restarts_with_new_password);
  ADD ("rapid-failures-end-in-failed", "crash", test_rapid_failures_end_in_failed);
  ADD ("backoff-grows-between-starts", "crash", test_backoff_grows_between_starts);
  ADD ("recovers-after-early-crashes", "crash-first-2", test_recovers_after_early_crashes);
  ADD ("hang-hits-start-timeout", "hang", test_hang_hits_start_timeout);
  ADD ("unanswered-health-restarts", "hang-after-ready", test_unanswered_health_restarts);
  ADD ("stop-escalates-to-sigkill", "ignore-term", test_stop_escalates_to_sigkill);
  ADD ("start-during-stop-completes-the-stop-then-starts", "ignore-term",
       test_start_during_stop_completes_the_stop_then_starts);
  ADD ("missing-binary-fails-clearly", "ok", test_missing_binary_fails_clearly);
  ADD ("start-after-failed-tries-again", "crash", test_start_after_failed_tries_again);

  return g_test_run ();
}
