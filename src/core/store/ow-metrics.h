#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What the host counts about how well it serves. Never sent anywhere. */
typedef enum
{
  OW_METRIC_RUNTIME_RESTART,
  OW_METRIC_CONNECTION_FAILURE, /* detail: "tls", "auth" or "stream_dropped" */
  OW_METRIC_PAIRING,            /* detail: "first_try", "retry" or "failed" */
  OW_METRIC_TASK,               /* detail: the final state; value 1 when a disconnect caused a
                                 * failure */
} OwMetric;

#define OW_TYPE_METRICS (ow_metrics_get_type ())
G_DECLARE_FINAL_TYPE (OwMetrics, ow_metrics, OW, METRICS, GObject)

/**
 * ow_metrics_open:
 * @path: the SQLite database (WAL, mode 0600)
 * @enabled: %FALSE records nothing, and no file is created
 *
 * Opens the local metrics and starts an uptime period; records older than 30 days, and
 * the oldest beyond 200,000, are dropped.
 *
 * Returns: (transfer full): the metrics, or %NULL with @error set
 */
OwMetrics *ow_metrics_open (const char *path, gboolean enabled, GError **error);

gboolean ow_metrics_is_enabled (OwMetrics *self);

/* Records one happening now. Does nothing when recording is off. What anyone on the
 * network can cause (connection failures, wrong pairing codes) is counted in memory and
 * written once a minute, a row per reason; reports include it at once. */
void ow_metrics_record (OwMetrics *self, OwMetric metric, const char *detail, gint64 value);

/* Notes that a stream of @token_id dropped (recorded as a connection failure). */
void ow_metrics_note_stream_dropped (OwMetrics *self, const char *token_id);

/* Whether a stream of @token_id dropped at or after @since_ms (Unix time) during this run. */
gboolean ow_metrics_stream_dropped_since (OwMetrics *self, const char *token_id, gint64 since_ms);

/* Ends the current uptime period (a clean stop); a crash leaves it open-ended. */
void ow_metrics_close_period (OwMetrics *self);

/* What the last days held, as ow_metrics_get_report() counts it. */
typedef struct
{
  gboolean recording; /* FALSE: recording is off, and every count is 0 */
  guint days;
  gint64 uptime_periods;   /* starts of the host that overlap the days */
  gint64 current_since_ms; /* when this run started, Unix time */
  gint64 runtime_restarts;
  gint64 tls_failures;   /* handshakes that failed */
  gint64 auth_failures;  /* refused tokens */
  gint64 limit_failures; /* connections over the caps */
  gint64 streams_dropped;
  gint64 pairings_first_try;
  gint64 pairings_retried;
  gint64 pairings_failed;
  gint64 tasks_succeeded;
  gint64 tasks_failed;
  gint64 tasks_interrupted;
  gint64 tasks_disconnect_failures; /* failed or interrupted after their stream dropped */
} OwMetricsReport;

/* Counts the last @days into @report. */
void ow_metrics_get_report (OwMetrics *self, guint days, OwMetricsReport *report);

/* Of the devices that paired, the share that did on their first attempt; -1 with none. */
double ow_metrics_report_first_try_rate (const OwMetricsReport *report);

/* Of the tasks that ended, the share that failed after their stream dropped; -1 with none. */
double ow_metrics_report_disconnect_share (const OwMetricsReport *report);

/**
 * ow_metrics_report:
 * @days: how far back to count
 *
 * The report for the status and the API.
 *
 * Returns: (transfer full): `{recording, days, uptime: {periods, currentSince}, runtimeRestarts,
 *   connectionFailures: {tls, auth, limit, streamDropped}, pairings: {firstTry, retried,
 *   failed, firstTimeSuccessRate}, tasks: {succeeded, failed, interrupted,
 *   disconnectFailures, disconnectFailureShare}}`; rates are null when there is nothing to
 *   divide
 */
JsonNode *ow_metrics_report (OwMetrics *self, guint days);

G_END_DECLS
