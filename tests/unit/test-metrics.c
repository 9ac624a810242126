#include "config.h"

#include "core/ow-metrics.h"

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
  sql = g_strdup_printf ("INSERT INTO events VALUES (%" G_GINT64_FORMAT ", 'task', 'failed', 0);"
                         "INSERT INTO events VALUES (%" G_GINT64_FORMAT ", 'task', 'failed', 0);",
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/report-counts-what-was-recorded",
                   test_report_counts_what_was_recorded);
  g_test_add_func ("/metrics/old-records-dropped-after-thirty-days",
                   test_old_records_are_dropped_after_thirty_days);
  g_test_add_func ("/metrics/recording-off-creates-nothing", test_recording_off_creates_nothing);
  return g_test_run ();
}
