#pragma once

#include <gio/gio.h>

#include "ow-backoff.h"
#include "ow-rotating-log.h"
#include "ow-runtime-client.h"

G_BEGIN_DECLS

typedef enum
{
  OW_RUNTIME_STATE_STOPPED,    /* not started, or stopped on request */
  OW_RUNTIME_STATE_STARTING,   /* first start: waiting for the listening line and health */
  OW_RUNTIME_STATE_RUNNING,    /* answered its health check; usable */
  OW_RUNTIME_STATE_RESTARTING, /* exited unexpectedly; waiting out the backoff or starting again */
  OW_RUNTIME_STATE_FAILED,     /* failed too often in a row; see the last-error property */
} OwRuntimeState;

#define OW_TYPE_RUNTIME_STATE (ow_runtime_state_get_type ())
GType ow_runtime_state_get_type (void);

/* A stable lower-case name ("running"), used in status output and JSON. */
const char *ow_runtime_state_to_string (OwRuntimeState state);

typedef struct
{
  guint start_timeout_ms;    /* from spawn to a healthy answer */
  guint health_interval_ms;  /* between health checks while running */
  guint health_failures_max; /* failed checks in a row before the runtime is restarted */
  guint health_timeout_s;    /* a health check not answered by then has failed */
  guint stop_grace_ms;       /* from SIGTERM to SIGKILL when stopping */
  OwBackoffPolicy backoff;
} OwRuntimeTimings;

#define OW_RUNTIME_TIMINGS_DEFAULT                                                                 \
  ((OwRuntimeTimings){ .start_timeout_ms = 30000,                                                  \
                       .health_interval_ms = 30000,                                                \
                       .health_failures_max = 3,                                                   \
                       .health_timeout_s = 5,                                                      \
                       .stop_grace_ms = 5000,                                                      \
                       .backoff = OW_BACKOFF_POLICY_DEFAULT })

#define OW_TYPE_RUNTIME_SUPERVISOR (ow_runtime_supervisor_get_type ())
G_DECLARE_FINAL_TYPE (OwRuntimeSupervisor, ow_runtime_supervisor, OW, RUNTIME_SUPERVISOR, GObject)

/**
 * ow_runtime_supervisor_new:
 * @binary: the `opencode` executable (see ow_runtime_locate())
 * @workdir: the folder the runtime runs in (the first workspace)
 * @log: where the runtime's stdout and stderr go
 *
 * Returns: (transfer full): a supervisor in the stopped state
 */
OwRuntimeSupervisor *
ow_runtime_supervisor_new (const char *binary, const char *workdir, OwRotatingLog *log);

/**
 * ow_runtime_supervisor_setenv:
 * @value: (nullable): the value, or %NULL to unset @name in the runtime's environment
 *
 * Sets a variable for the runtime's environment from its next start on; the runtime
 * otherwise inherits the host's environment.
 */
void ow_runtime_supervisor_setenv (OwRuntimeSupervisor *self, const char *name, const char *value);

/* Replaces the default timings; takes effect from the next start or failure. */
void ow_runtime_supervisor_set_timings (OwRuntimeSupervisor *self, const OwRuntimeTimings *timings);

/**
 * ow_runtime_supervisor_start:
 *
 * Starts the runtime if it is stopped or failed, forgetting earlier failures. Progress is
 * reported through the #OwRuntimeSupervisor:state property.
 */
void ow_runtime_supervisor_start (OwRuntimeSupervisor *self);

/**
 * ow_runtime_supervisor_stop_async:
 *
 * Stops the runtime: SIGTERM, then SIGKILL after the grace period. Completes once the
 * process is gone and the state is %OW_RUNTIME_STATE_STOPPED.
 */
void ow_runtime_supervisor_stop_async (OwRuntimeSupervisor *self,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean
ow_runtime_supervisor_stop_finish (OwRuntimeSupervisor *self, GAsyncResult *result, GError **error);

OwRuntimeState ow_runtime_supervisor_get_state (OwRuntimeSupervisor *self);
const char *ow_runtime_supervisor_get_binary (OwRuntimeSupervisor *self);
/* The version the runtime reported in its last healthy answer, or %NULL. */
const char *ow_runtime_supervisor_get_version (OwRuntimeSupervisor *self);
/* The runtime's process id, or 0 when none runs. */
int ow_runtime_supervisor_get_pid (OwRuntimeSupervisor *self);
/* The loopback port it listens on, or 0 before its listening line. */
guint ow_runtime_supervisor_get_port (OwRuntimeSupervisor *self);
/* How often it was restarted after an unexpected exit since the host started. */
guint ow_runtime_supervisor_get_restarts (OwRuntimeSupervisor *self);
/* Why the last run ended unexpectedly, in a sentence, or %NULL. */
const char *ow_runtime_supervisor_get_last_error (OwRuntimeSupervisor *self);
/* The basic-auth password of the current run (user `opencode`); never log it. */
const char *ow_runtime_supervisor_get_password (OwRuntimeSupervisor *self);
/* The Authorization header made of it ("Basic …"), for requests to the current run. */
const char *ow_runtime_supervisor_get_authorization (OwRuntimeSupervisor *self);

/* The way to the runtime: it follows the current run, its port and its credentials. */
OwRuntimeClient *ow_runtime_supervisor_get_client (OwRuntimeSupervisor *self);

G_END_DECLS
