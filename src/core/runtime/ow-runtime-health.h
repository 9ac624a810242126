#pragma once

#include "ow-rotating-log.h"
#include "ow-runtime-client.h"

G_BEGIN_DECLS

/*
 * The health checks of one run: `GET /global/health` every 100 ms while it starts up,
 * then at an interval; each check is bounded, so that a hung runtime is noticed, not
 * waited on. Failures are logged; enough of them in a row end the run.
 */
typedef struct _OwRuntimeHealth OwRuntimeHealth;

typedef struct
{
  /* The first check that passed: the runtime is ready, and reports @version. */
  void (*healthy) (const char *version, gpointer user_data);
  /* Checks failed too often in a row, after it was healthy; checking has stopped. */
  void (*failed) (const char *reason, gpointer user_data);
} OwRuntimeHealthFuncs;

typedef struct
{
  guint interval_ms; /* between checks while healthy */
  guint timeout_s;   /* a check not answered by then has failed */
  guint failures_max;
} OwRuntimeHealthPolicy;

/* Checks through @client, starting at once. */
OwRuntimeHealth *ow_runtime_health_new (OwRuntimeClient *client,
                                        const OwRuntimeHealthPolicy *policy,
                                        OwRotatingLog *log,
                                        const OwRuntimeHealthFuncs *funcs,
                                        gpointer user_data);
/* Stops checking: no callback after this. */
void ow_runtime_health_stop (OwRuntimeHealth *health);
/* Stops, and lets go. */
void ow_runtime_health_free (OwRuntimeHealth *health);
/* Since when (monotonic µs) the run has been healthy, or 0. */
gint64 ow_runtime_health_get_healthy_since (OwRuntimeHealth *health);

G_END_DECLS
