#include "config.h"

#include "ow-metrics.h"
#include "ow-http.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#define RETENTION_DAYS 30
#define DAY_MS (24 * 3600 * (gint64) 1000)
/* Connection failures are tallied in memory and written this often, a row per reason. */
#define TALLY_SECONDS 60
/* The most events kept, whatever their age: a bound on the file whatever happens. */
#define MAX_EVENTS 200000

struct _OwMetrics
{
  GObject parent_instance;

  sqlite3 *db; /* NULL when recording is off */
  gint64 period_id;
  gint64 started_ms;
  gint64 last_prune_ms;
  GHashTable *last_drop_ms; /* token id → Unix ms of its last dropped stream */
  GHashTable *tally;        /* "metric/detail" → Tally: counts not yet written */
  guint tally_id;           /* writes the tally */
};

G_DEFINE_FINAL_TYPE (OwMetrics, ow_metrics, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const metric_names[] = { "runtime_restart", "connection_failure", "pairing",
                                            "task" };

typedef struct
{
  OwMetric metric;
  char *detail;
  gint64 count;
} Tally;

static void
tally_free (Tally *tally)
{
  g_free (tally->detail);
  g_free (tally);
}

static char *
tally_key (OwMetric metric, const char *detail)
{
  return g_strdup_printf ("%s/%s", metric_names[metric], detail ? detail : "");
}

/* What anyone on the network can cause, thousands of times a second: failed handshakes,
 * refused tokens, dropped streams, wrong pairing codes. */
static gboolean
is_tallied (OwMetric metric, const char *detail)
{
  return metric == OW_METRIC_CONNECTION_FAILURE ||
         (metric == OW_METRIC_PAIRING && g_strcmp0 (detail, "failed") == 0);
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static gboolean
exec (OwMetrics *self, const char *sql, GError **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The metrics database failed: %s",
               sqlite3_errmsg (self->db));
  return FALSE;
}

static void
prune (OwMetrics *self)
{
  sqlite3_stmt *statement = NULL;
  gint64 cutoff = now_ms () - RETENTION_DAYS * DAY_MS;

  static const char *const deletions[] = {
    "DELETE FROM events WHERE at_ms < ?1",
    "DELETE FROM uptime WHERE COALESCE(end_ms, start_ms) < ?1",
    "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events ORDER BY at_ms DESC"
    "  LIMIT -1 OFFSET " G_STRINGIFY (MAX_EVENTS) ")",
  };

  self->last_prune_ms = now_ms ();
  for (guint i = 0; i < G_N_ELEMENTS (deletions); i++)
    {
      const char *sql = deletions[i];

      if (sqlite3_prepare_v2 (self->db, sql, -1, &statement, NULL) != SQLITE_OK)
        continue;
      sqlite3_bind_int64 (statement, 1, cutoff);
      sqlite3_step (statement);
      sqlite3_finalize (statement);
    }
}

static gboolean
has_column (OwMetrics *self, const char *table, const char *column)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA table_info(%s)", table);
  sqlite3_stmt *statement = NULL;
  gboolean found = FALSE;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &statement, NULL) != SQLITE_OK)
    return FALSE;
  while (!found && sqlite3_step (statement) == SQLITE_ROW)
    found = g_strcmp0 ((const char *) sqlite3_column_text (statement, 1), column) == 0;
  sqlite3_finalize (statement);
  return found;
}

OwMetrics *
ow_metrics_open (const char *path, gboolean enabled, GError **error)
{
  g_autoptr (OwMetrics) self = g_object_new (OW_TYPE_METRICS, NULL);
  sqlite3_stmt *statement = NULL;
  int code;

  if (!enabled)
    return g_steal_pointer (&self);

  code = sqlite3_open_v2 (path, &self->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (code != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not open the metrics %s: %s", path,
                   sqlite3_errstr (code));
      return NULL;
    }
  g_chmod (path, 0600);
  sqlite3_busy_timeout (self->db, 5000);
  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = NORMAL", error) ||
      !exec (self,
             "CREATE TABLE IF NOT EXISTS events ("
             "  at_ms INTEGER NOT NULL, metric TEXT NOT NULL, detail TEXT,"
             "  value INTEGER NOT NULL DEFAULT 0, count INTEGER NOT NULL DEFAULT 1);"
             "CREATE INDEX IF NOT EXISTS events_at ON events (at_ms);"
             "CREATE TABLE IF NOT EXISTS uptime ("
             "  id INTEGER PRIMARY KEY, start_ms INTEGER NOT NULL, end_ms INTEGER)",
             error))
    return NULL;
  /* Databases from before the tally have one row per event. */
  if (!has_column (self, "events", "count") &&
      !exec (self, "ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1", error))
    return NULL;

  prune (self);
  if (sqlite3_prepare_v2 (self->db, "INSERT INTO uptime (start_ms) VALUES (?)", -1, &statement,
                          NULL) == SQLITE_OK)
    {
      self->started_ms = now_ms ();
      sqlite3_bind_int64 (statement, 1, self->started_ms);
      if (sqlite3_step (statement) == SQLITE_DONE)
        self->period_id = sqlite3_last_insert_rowid (self->db);
      sqlite3_finalize (statement);
    }
  return g_steal_pointer (&self);
}

gboolean
ow_metrics_is_enabled (OwMetrics *self)
{
  g_return_val_if_fail (OW_IS_METRICS (self), FALSE);
  return self->db != NULL;
}

static void
insert (OwMetrics *self, OwMetric metric, const char *detail, gint64 value, gint64 count)
{
  sqlite3_stmt *statement = NULL;

  if (now_ms () - self->last_prune_ms > DAY_MS)
    prune (self);
  if (sqlite3_prepare_v2 (self->db,
                          "INSERT INTO events (at_ms, metric, detail, value, count)"
                          " VALUES (?, ?, ?, ?, ?)",
                          -1, &statement, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64 (statement, 1, now_ms ());
  sqlite3_bind_text (statement, 2, metric_names[metric], -1, SQLITE_STATIC);
  sqlite3_bind_text (statement, 3, detail, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (statement, 4, value);
  sqlite3_bind_int64 (statement, 5, count);
  if (sqlite3_step (statement) != SQLITE_DONE)
    g_warning ("Could not record a metric: %s", sqlite3_errmsg (self->db));
  sqlite3_finalize (statement);
}

/* Writes what the tally holds, a row per reason, and empties it. */
static void
write_tally (OwMetrics *self)
{
  GHashTableIter iter;
  Tally *tally;

  if (self->db == NULL || g_hash_table_size (self->tally) == 0)
    return;
  exec (self, "BEGIN", NULL);
  g_hash_table_iter_init (&iter, self->tally);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &tally))
    insert (self, tally->metric, tally->detail, 0, tally->count);
  exec (self, "COMMIT", NULL);
  g_hash_table_remove_all (self->tally);
}

static gboolean
on_tally_due (gpointer user_data)
{
  OwMetrics *self = user_data;

  self->tally_id = 0;
  write_tally (self);
  return G_SOURCE_REMOVE;
}

void
ow_metrics_record (OwMetrics *self, OwMetric metric, const char *detail, gint64 value)
{
  g_autofree char *key = NULL;
  Tally *tally;

  g_return_if_fail (OW_IS_METRICS (self));
  g_return_if_fail (metric < G_N_ELEMENTS (metric_names));

  if (self->db == NULL)
    return;
  if (!is_tallied (metric, detail))
    {
      insert (self, metric, detail, value, 1);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
      return;
    }

  /* A row each would be unbounded disk, and a write on the main loop each. */
  key = tally_key (metric, detail);
  tally = g_hash_table_lookup (self->tally, key);
  if (tally == NULL)
    {
      tally = g_new0 (Tally, 1);
      tally->metric = metric;
      tally->detail = g_strdup (detail);
      g_hash_table_insert (self->tally, g_steal_pointer (&key), tally);
    }
  tally->count++;
  if (self->tally_id == 0)
    self->tally_id = g_timeout_add_seconds (TALLY_SECONDS, on_tally_due, self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

void
ow_metrics_note_stream_dropped (OwMetrics *self, const char *token_id)
{
  gint64 now = now_ms ();

  g_return_if_fail (OW_IS_METRICS (self));

  if (token_id)
    g_hash_table_insert (self->last_drop_ms, g_strdup (token_id), g_memdup2 (&now, sizeof now));
  ow_metrics_record (self, OW_METRIC_CONNECTION_FAILURE, "stream_dropped", 0);
}

gboolean
ow_metrics_stream_dropped_since (OwMetrics *self, const char *token_id, gint64 since_ms)
{
  gint64 *last;

  g_return_val_if_fail (OW_IS_METRICS (self), FALSE);

  last = token_id ? g_hash_table_lookup (self->last_drop_ms, token_id) : NULL;
  return last && *last >= since_ms;
}

void
ow_metrics_close_period (OwMetrics *self)
{
  sqlite3_stmt *statement = NULL;

  g_return_if_fail (OW_IS_METRICS (self));

  write_tally (self);
  if (self->db == NULL || self->period_id == 0)
    return;
  if (sqlite3_prepare_v2 (self->db, "UPDATE uptime SET end_ms = ? WHERE id = ?", -1, &statement,
                          NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64 (statement, 1, now_ms ());
  sqlite3_bind_int64 (statement, 2, self->period_id);
  sqlite3_step (statement);
  sqlite3_finalize (statement);
  self->period_id = 0;
}

/* A query with one integer answer, its first parameter @since_ms. */
static gint64
count (OwMetrics *self, const char *sql, gint64 since_ms, const char *metric, const char *detail)
{
  sqlite3_stmt *statement = NULL;
  gint64 result = 0;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &statement, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_int64 (statement, 1, since_ms);
  if (metric)
    sqlite3_bind_text (statement, 2, metric, -1, SQLITE_STATIC);
  if (detail)
    sqlite3_bind_text (statement, 3, detail, -1, SQLITE_STATIC);
  if (sqlite3_step (statement) == SQLITE_ROW)
    result = sqlite3_column_int64 (statement, 0);
  sqlite3_finalize (statement);
  return result;
}

static gint64
events (OwMetrics *self, gint64 since_ms, OwMetric metric, const char *detail)
{
  g_autofree char *key = tally_key (metric, detail);
  Tally *pending = g_hash_table_lookup (self->tally, key);

  return (pending ? pending->count : 0) +
         count (self,
                detail ? "SELECT COALESCE(SUM(count), 0) FROM events"
                         " WHERE at_ms >= ? AND metric = ? AND detail = ?"
                       : "SELECT COALESCE(SUM(count), 0) FROM events"
                         " WHERE at_ms >= ? AND metric = ?",
                since_ms, metric_names[metric], detail);
}

void
ow_metrics_get_report (OwMetrics *self, guint days, OwMetricsReport *report)
{
  gint64 since = now_ms () - days * DAY_MS;

  g_return_if_fail (OW_IS_METRICS (self));
  g_return_if_fail (report != NULL);

  *report = (OwMetricsReport){ .recording = self->db != NULL, .days = days };
  if (self->db == NULL)
    return;

  report->uptime_periods = count (
    self, "SELECT COUNT(*) FROM uptime WHERE COALESCE(end_ms, ?1 + 1) >= ?1", since, NULL, NULL);
  report->current_since_ms = self->started_ms;
  report->runtime_restarts = events (self, since, OW_METRIC_RUNTIME_RESTART, NULL);
  report->tls_failures = events (self, since, OW_METRIC_CONNECTION_FAILURE, "tls");
  report->auth_failures = events (self, since, OW_METRIC_CONNECTION_FAILURE, "auth");
  report->limit_failures = events (self, since, OW_METRIC_CONNECTION_FAILURE, "limit");
  report->streams_dropped = events (self, since, OW_METRIC_CONNECTION_FAILURE, "stream_dropped");
  report->pairings_first_try = events (self, since, OW_METRIC_PAIRING, "first_try");
  report->pairings_retried = events (self, since, OW_METRIC_PAIRING, "retry");
  report->pairings_failed = events (self, since, OW_METRIC_PAIRING, "failed");
  report->tasks_succeeded = events (self, since, OW_METRIC_TASK, "succeeded");
  report->tasks_failed = events (self, since, OW_METRIC_TASK, "failed");
  report->tasks_interrupted = events (self, since, OW_METRIC_TASK, "interrupted");
  report->tasks_disconnect_failures = count (
    self,
    "SELECT COALESCE(SUM(count), 0) FROM events WHERE at_ms >= ? AND metric = ? AND value = 1",
    since, metric_names[OW_METRIC_TASK], NULL);
}

static double
share (gint64 part, gint64 whole)
{
  return whole > 0 ? (double) part / (double) whole : -1;
}

double
ow_metrics_report_first_try_rate (const OwMetricsReport *report)
{
  return share (report->pairings_first_try, report->pairings_first_try + report->pairings_retried);
}

double
ow_metrics_report_disconnect_share (const OwMetricsReport *report)
{
  return share (report->tasks_disconnect_failures,
                report->tasks_succeeded + report->tasks_failed + report->tasks_interrupted);
}

static void
add_rate (JsonBuilder *builder, const char *name, double rate)
{
  json_builder_set_member_name (builder, name);
  if (rate >= 0)
    json_builder_add_double_value (builder, rate);
  else
    json_builder_add_null_value (builder);
}

JsonNode *
ow_metrics_report (OwMetrics *self, guint days)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  OwMetricsReport report;

  g_return_val_if_fail (OW_IS_METRICS (self), NULL);

  ow_metrics_get_report (self, days, &report);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "recording");
  json_builder_add_boolean_value (builder, report.recording);
  ow_json_add_int (builder, "days", days);
  if (!report.recording)
    {
      json_builder_end_object (builder);
      return json_builder_get_root (builder);
    }

  json_builder_set_member_name (builder, "uptime");
  json_builder_begin_object (builder);
  ow_json_add_int (builder, "periods", report.uptime_periods);
  ow_json_add_int (builder, "currentSince", report.current_since_ms);
  json_builder_end_object (builder);

  ow_json_add_int (builder, "runtimeRestarts", report.runtime_restarts);

  json_builder_set_member_name (builder, "connectionFailures");
  json_builder_begin_object (builder);
  ow_json_add_int (builder, "tls", report.tls_failures);
  ow_json_add_int (builder, "auth", report.auth_failures);
  ow_json_add_int (builder, "limit", report.limit_failures);
  ow_json_add_int (builder, "streamDropped", report.streams_dropped);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "pairings");
  json_builder_begin_object (builder);
  ow_json_add_int (builder, "firstTry", report.pairings_first_try);
  ow_json_add_int (builder, "retried", report.pairings_retried);
  ow_json_add_int (builder, "failed", report.pairings_failed);
  add_rate (builder, "firstTimeSuccessRate", ow_metrics_report_first_try_rate (&report));
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "tasks");
  json_builder_begin_object (builder);
  ow_json_add_int (builder, "succeeded", report.tasks_succeeded);
  ow_json_add_int (builder, "failed", report.tasks_failed);
  ow_json_add_int (builder, "interrupted", report.tasks_interrupted);
  ow_json_add_int (builder, "disconnectFailures", report.tasks_disconnect_failures);
  add_rate (builder, "disconnectFailureShare", ow_metrics_report_disconnect_share (&report));
  json_builder_end_object (builder);

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
ow_metrics_finalize (GObject *object)
{
  OwMetrics *self = OW_METRICS (object);

  g_clear_handle_id (&self->tally_id, g_source_remove);
  write_tally (self);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->last_drop_ms, g_hash_table_unref);
  g_clear_pointer (&self->tally, g_hash_table_unref);

  G_OBJECT_CLASS (ow_metrics_parent_class)->finalize (object);
}

static void
ow_metrics_class_init (OwMetricsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_metrics_finalize;

  /**
   * OwMetrics::changed:
   *
   * Something was recorded: a report made now would differ. Reports also change as the
   * days they cover move on, without this.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ow_metrics_init (OwMetrics *self)
{
  self->last_drop_ms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->tally =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) tally_free);
}
