#include "config.h"

#include "ow-metrics.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

/* The local metrics: counting, the 7-day report, 30-day retention, and recording off. */

static char *
temp_path (char **dir)
{
  g_autoptr (GError) error = NULL;

  *dir = g_dir_make_tmp ("ow-metrics-XXXXXX", &error);
  g_assert_no_error (error);
  return g_build_filename (*dir, "metrics.db", NULL);
}

static void
remove_all (const char *dir)
{
  const char *files[] = { "metrics.db", "metrics.db-wal", "metrics.db-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static JsonObject *
member (JsonNode *report, const char *name)
{
  return json_object_get_object_member (json_node_get_object (report), name);
}

static void
test_report_counts_what_was_recorded (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwMetrics) metrics = ow_metrics_open (path, TRUE, &error);
  g_autoptr (JsonNode) report = NULL;

  g_assert_no_error (error);
  ow_metrics_record (metrics, OW_METRIC_PAIRING, "first_try", 0);
  ow_metrics_record (metrics, OW_METRIC_PAIRING, "first_try", 0);
  ow_metrics_record (metrics, OW_METRIC_PAIRING, "first_try", 0);
  ow_metrics_record (metrics, OW_METRIC_PAIRING, "retry", 0);
  ow_metrics_record (metrics, OW_METRIC_TASK, "succeeded", 0);
  ow_metrics_record (metrics, OW_METRIC_TASK, "failed", 1);
  ow_metrics_record (metrics, OW_METRIC_TASK, "failed", 0);
  ow_metrics_record (metrics, OW_METRIC_TASK, "succeeded", 0);
  ow_metrics_note_stream_dropped (metrics, "tok_1");
  ow_metrics_record (metrics, OW_METRIC_RUNTIME_RESTART, NULL, 0);

  g_assert_true (ow_metrics_stream_dropped_since (metrics, "tok_1", 0));
  g_assert_false (ow_metrics_stream_dropped_since (metrics, "tok_2", 0));

  report = ow_metrics_report (metrics, 7);
  g_assert_cmpfloat (
    json_object_get_double_member (member (report, "pairings"), "firstTimeSuccessRate"), ==, 0.75);
  g_assert_cmpint (json_object_get_int_member (member (report, "tasks"), "disconnectFailures"), ==,
                   1);
  g_assert_cmpfloat (
    json_object_get_double_member (member (report, "tasks"), "disconnectFailureShare"), ==, 0.25);
  g_assert_cmpint (
    json_object_get_int_member (member (report, "connectionFailures"), "streamDropped"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (report), "runtimeRestarts"),
                   ==, 1);
  g_clear_object (&metrics);
  remove_all (dir);
}

static void
test_old_records_are_dropped_after_thirty_days (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwMetrics) metrics = ow_metrics_open (path, TRUE, &error);
  g_autoptr (JsonNode) report = NULL;
  gint64 now_ms = g_get_real_time () / 1000;
  g_autofree char *sql = NULL;
  sqlite3 *db;

  g_assert_no_error (error);
  ow_metrics_close_period (metrics);
  g_clear_object (&metrics);

  /* Two tasks recorded long ago: 31 days (dropped) and 20 days (kept, outside 7 days). */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sql = g_strdup_printf ("INSERT INTO events (at_ms, metric, detail, value)"
                         " VALUES (%" G_GINT64_FORMAT ", 'task', 'failed', 0);"
                         "INSERT INTO events (at_ms, metric, detail, value)"
                         " VALUES (%" G_GINT64_FORMAT ", 'task', 'failed', 0);",
                         now_ms - 31 * G_GINT64_CONSTANT (86400000),
                         now_ms - 20 * G_GINT64_CONSTANT (86400000));
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  metrics = ow_metrics_open (path, TRUE, &error);
  g_assert_no_error (error);
  report = ow_metrics_report (metrics, 30);
  g_assert_cmpint (json_object_get_int_member (member (report, "tasks"), "failed"), ==, 1);
  g_clear_pointer (&report, json_node_unref);
  report = ow_metrics_report (metrics, 7);
  g_assert_cmpint (json_object_get_int_member (member (report, "tasks"), "failed"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (member (report, "uptime"), "periods"), ==, 2);
  g_clear_object (&metrics);
  remove_all (dir);
}

static gint64
query (const char *path, const char *sql)
{
  sqlite3 *db;
  sqlite3_stmt *statement = NULL;
  gint64 result = -1;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &statement, NULL), ==, SQLITE_OK);
  if (sqlite3_step (statement) == SQLITE_ROW)
    result = sqlite3_column_int64 (statement, 0);
  sqlite3_finalize (statement);
  sqlite3_close (db);
  return result;
}

static gint64
file_size (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;
  gint64 size = 0;

  if (g_stat (path, &st) == 0)
    size += st.st_size;
  if (g_stat (wal, &st) == 0)
    size += st.st_size;
  return size;
}

static void
test_a_flood_of_failures_is_a_row_per_reason (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwMetrics) metrics = ow_metrics_open (path, TRUE, &error);
  g_autoptr (JsonNode) report = NULL;
  gint64 before;

  g_assert_no_error (error);
  before = file_size (path);
  for (guint i = 0; i < 10000; i++)
    {
      ow_metrics_record (metrics, OW_METRIC_CONNECTION_FAILURE, "auth", 0);
      ow_metrics_record (metrics, OW_METRIC_CONNECTION_FAILURE, "tls", 0);
    }
  for (guint i = 0; i < 500; i++)
    ow_metrics_record (metrics, OW_METRIC_PAIRING, "failed", 0);
  ow_metrics_record (metrics, OW_METRIC_PAIRING, "first_try", 0);

  /* Counted at once, written later. */
  report = ow_metrics_report (metrics, 7);
  g_assert_cmpint (json_object_get_int_member (member (report, "connectionFailures"), "auth"), ==,
                   10000);
  g_assert_cmpint (json_object_get_int_member (member (report, "connectionFailures"), "tls"), ==,
                   10000);
  g_assert_cmpint (json_object_get_int_member (member (report, "pairings"), "failed"), ==, 500);
  g_assert_cmpint (file_size (path) - before, <, 64 * 1024);

  /* Written on a clean stop: a row per reason, and the counts survive. */
  ow_metrics_close_period (metrics);
  g_clear_object (&metrics);
  g_assert_cmpint (query (path, "SELECT COUNT(*) FROM events WHERE metric != 'pairing'"), ==, 2);
  g_assert_cmpint (query (path, "SELECT COUNT(*) FROM events WHERE detail = 'failed'"), ==, 1);
  metrics = ow_metrics_open (path, TRUE, &error);
  g_assert_no_error (error);
  g_clear_pointer (&report, json_node_unref);
  report = ow_metrics_report (metrics, 7);
  g_assert_cmpint (json_object_get_int_member (member (report, "connectionFailures"), "auth"), ==,
                   10000);
  g_assert_cmpint (json_object_get_int_member (member (report, "pairings"), "failed"), ==, 500);
  g_assert_cmpint (json_object_get_int_member (member (report, "pairings"), "firstTry"), ==, 1);
  g_clear_object (&metrics);
  remove_all (dir);
}

static void
test_older_databases_are_read_and_capped (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwMetrics) metrics = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autofree char *sql = NULL;
  gint64 now_ms = g_get_real_time () / 1000;
  sqlite3 *db;

  /* The schema before tallies: a row per event, 200,010 of them within the week. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sql = g_strdup_printf (
    "CREATE TABLE events (at_ms INTEGER NOT NULL, metric TEXT NOT NULL, detail TEXT,"
    "  value INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE uptime (id INTEGER PRIMARY KEY, start_ms INTEGER NOT NULL, end_ms INTEGER);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200010)"
    "  INSERT INTO events SELECT %" G_GINT64_FORMAT " + i, 'connection_failure', 'auth', 0 FROM n;",
    now_ms - 3 * G_GINT64_CONSTANT (86400000));
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  metrics = ow_metrics_open (path, TRUE, &error);
  g_assert_no_error (error);
  report = ow_metrics_report (metrics, 7);
  /* The oldest ten went: the file has a bound whatever happens. */
  g_assert_cmpint (json_object_get_int_member (member (report, "connectionFailures"), "auth"), ==,
                   200000);
  g_clear_object (&metrics);
  remove_all (dir);
}

static void
test_recording_off_creates_nothing (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwMetrics) metrics = ow_metrics_open (path, FALSE, &error);
  g_autoptr (JsonNode) report = NULL;

  g_assert_no_error (error);
  ow_metrics_record (metrics, OW_METRIC_PAIRING, "failed", 0);
  ow_metrics_note_stream_dropped (metrics, "tok_1");
  report = ow_metrics_report (metrics, 7);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (report), "recording"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_object (&metrics);
  remove_all (dir);
}

static void
count (guint *changes)
{
  (*changes)++;
}

/* Watchers (the Health window) hear of each recording, tallied or not, and not of
 * recordings that are off. */
static void
test_each_recording_is_announced (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwMetrics) metrics = ow_metrics_open (path, TRUE, &error);
  g_autoptr (OwMetrics) off = NULL;
  guint changes = 0;

  g_assert_no_error (error);
  g_signal_connect_swapped (metrics, "changed", G_CALLBACK (count), &changes);
  ow_metrics_record (metrics, OW_METRIC_TASK, "succeeded", 0);
  ow_metrics_record (metrics, OW_METRIC_CONNECTION_FAILURE, "auth", 0); /* tallied */
  g_assert_cmpuint (changes, ==, 2);

  g_clear_object (&metrics);
  remove_all (dir);
  off = ow_metrics_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_signal_connect_swapped (off, "changed", G_CALLBACK (count), &changes);
  ow_metrics_record (off, OW_METRIC_TASK, "failed", 0);
  g_assert_cmpuint (changes, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/report-counts-what-was-recorded",
                   test_report_counts_what_was_recorded);
  g_test_add_func ("/metrics/a-flood-of-failures-is-a-row-per-reason",
                   test_a_flood_of_failures_is_a_row_per_reason);
  g_test_add_func ("/metrics/older-databases-are-read-and-capped",
                   test_older_databases_are_read_and_capped);
  g_test_add_func ("/metrics/old-records-dropped-after-thirty-days",
                   test_old_records_are_dropped_after_thirty_days);
  g_test_add_func ("/metrics/recording-off-creates-nothing", test_recording_off_creates_nothing);
  g_test_add_func ("/metrics/each-recording-is-announced", test_each_recording_is_announced);
  return g_test_run ();
}
