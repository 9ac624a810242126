#include "config.h"

#include "ow-runtime-health.h"
#include "ow-runtime-protocol.h"

#include <libsoup/soup.h>

/* Between checks while the runtime is starting up. */
#define STARTUP_POLL_MS 100

/* Reference-counted: a check under way and the timer each hold one. */
struct _OwRuntimeHealth
{
  OwRuntimeClient *client;
  OwRuntimeHealthPolicy policy;
  OwRotatingLog *log;
  const OwRuntimeHealthFuncs *funcs;
  gpointer user_data;
  GCancellable *cancellable;
  gboolean stopped;
  gint64 healthy_since_us;
  guint failures;
  guint timeout_id;
};

static void check (OwRuntimeHealth *health);

static void
health_clear (OwRuntimeHealth *health)
{
  g_object_unref (health->client);
  g_object_unref (health->log);
  g_object_unref (health->cancellable);
}

static OwRuntimeHealth *
health_ref (OwRuntimeHealth *health)
{
  return g_rc_box_acquire (health);
}

static void
health_unref (OwRuntimeHealth *health)
{
  g_rc_box_release_full (health, (GDestroyNotify) health_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwRuntimeHealth, health_unref)

static gboolean
on_timeout (gpointer user_data)
{
  OwRuntimeHealth *health = user_data;

  health->timeout_id = 0;
  check (health);
  return G_SOURCE_REMOVE;
}

static void
schedule (OwRuntimeHealth *health, guint delay_ms)
{
  g_clear_handle_id (&health->timeout_id, g_source_remove);
  health->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, on_timeout,
                                           health_ref (health), (GDestroyNotify) health_unref);
}

static void
take_failure (OwRuntimeHealth *health, const GError *error)
{
  if (health->healthy_since_us == 0)
    {
      /* Still starting up; the run's start timeout bounds how long this goes on. */
      schedule (health, STARTUP_POLL_MS);
      return;
    }

  health->failures++;
  {
    g_autofree char *line = g_strdup_printf ("health check %u of %u failed: %s", health->failures,
                                             health->policy.failures_max, error->message);
    ow_rotating_log_append (health->log, "host", line);
  }
  if (health->failures >= health->policy.failures_max)
    {
      g_autofree char *reason = g_strdup_printf (
        "The runtime stopped answering its health check (%s) and was restarted.", error->message);

      ow_runtime_health_stop (health);
      health->funcs->failed (reason, health->user_data);
      return;
    }
  schedule (health, MIN (health->policy.interval_ms, 1000));
}

static void
on_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (OwRuntimeHealth) health = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *version = NULL;
  guint status;

  body = ow_runtime_client_call_finish (OW_RUNTIME_CLIENT (source), result, &status, &error);
  if (health->stopped)
    return;
  if (body != NULL && status != SOUP_STATUS_OK)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u", status);
  if (error == NULL)
    {
      gsize length;
      const char *data = g_bytes_get_data (body, &length);

      ow_runtime_parse_health (data, length, &version, &error);
    }
  if (error)
    {
      take_failure (health, error);
      return;
    }

  health->failures = 0;
  schedule (health, health->policy.interval_ms);
  if (health->healthy_since_us == 0)
    {
      health->healthy_since_us = g_get_monotonic_time ();
      health->funcs->healthy (version, health->user_data);
    }
}

static void
check (OwRuntimeHealth *health)
{
  guint limit = MAX (health->policy.timeout_s, 1);
  OwRuntimeTimeouts timeouts = { .connect_s = limit, .answer_s = limit, .idle_s = limit };
  OwRuntimeCall call = { .method = "GET", .target = "/global/health", .timeouts = &timeouts };

  ow_runtime_client_call_async (health->client, &call, health->cancellable, on_answer,
                                health_ref (health));
}

OwRuntimeHealth *
ow_runtime_health_new (OwRuntimeClient *client,
                       const OwRuntimeHealthPolicy *policy,
                       OwRotatingLog *log,
                       const OwRuntimeHealthFuncs *funcs,
                       gpointer user_data)
{
  OwRuntimeHealth *health = g_rc_box_new0 (OwRuntimeHealth);

  health->client = g_object_ref (client);
  health->policy = *policy;
  health->log = g_object_ref (log);
  health->funcs = funcs;
  health->user_data = user_data;
  health->cancellable = g_cancellable_new ();
  check (health);
  return health;
}

void
ow_runtime_health_stop (OwRuntimeHealth *health)
{
  health->stopped = TRUE;
  g_cancellable_cancel (health->cancellable);
  g_clear_handle_id (&health->timeout_id, g_source_remove);
}

void
ow_runtime_health_free (OwRuntimeHealth *health)
{
  if (health == NULL)
    return;
  ow_runtime_health_stop (health);
  health_unref (health);
}

gint64
ow_runtime_health_get_healthy_since (OwRuntimeHealth *health)
{
  return health->healthy_since_us;
}
