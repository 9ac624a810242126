#include "config.h"

#include "ow-runtime-supervisor.h"
#include "ow-runtime-health.h"
#include "ow-runtime-launch.h"
#include "ow-runtime-output.h"
#include "ow-runtime-protocol.h"

#include <errno.h>
#include <libsoup/soup.h>
#include <signal.h>
/* After the process exits, how long its pipes may stay open before the exit is handled. */
#define PIPE_DRAIN_MS 500

/*
 * One spawned process, from spawn to the end of its output. Callbacks of a run hold a
 * reference to it; once the supervisor is done with the run (or disposed) it cancels the
 * run's cancellable, and callbacks then leave the supervisor alone.
 */
typedef struct
{
  OwRuntimeSupervisor *supervisor; /* not owned; valid until cancellable is cancelled */
  GCancellable *cancellable;
  GSubprocess *process;
  int pid;
  guint port;
  char *password;
  char *authorization; /* the basic-auth header made of it, for every request */

  OwRuntimeOutput *output;
  gboolean exited;
  gboolean terminating;
  OwRuntimeHealth *health; /* once it listens */
  char *failure_reason;    /* set when the supervisor itself ends the run */

  guint start_timeout_id;
  guint drain_timeout_id;
  guint kill_timeout_id;
} Run;

struct _OwRuntimeSupervisor
{
  GObject parent_instance;

  char *binary;
  char *workdir;
  GHashTable *environment; /* name → value, or name → NULL to unset */
  OwRotatingLog *log;
  OwRuntimeTimings timings;
  OwBackoff backoff;
  OwRuntimeClient *client; /* told where the current run listens */

  OwRuntimeState state;
  Run *run;
  char *version;
  char *last_error;
  guint restarts;
  guint restart_timeout_id;

  gboolean stopping;
  GPtrArray *stop_tasks;
};

G_DEFINE_FINAL_TYPE (OwRuntimeSupervisor, ow_runtime_supervisor, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (OwRuntimeState,
                    ow_runtime_state,
                    G_DEFINE_ENUM_VALUE (OW_RUNTIME_STATE_STOPPED, "stopped"),
                    G_DEFINE_ENUM_VALUE (OW_RUNTIME_STATE_STARTING, "starting"),
                    G_DEFINE_ENUM_VALUE (OW_RUNTIME_STATE_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (OW_RUNTIME_STATE_RESTARTING, "restarting"),
                    G_DEFINE_ENUM_VALUE (OW_RUNTIME_STATE_FAILED, "failed"))

enum
{
  PROP_0,
  PROP_STATE,
  PROP_VERSION,
  PROP_PID,
  PROP_PORT,
  PROP_RESTARTS,
  PROP_LAST_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void spawn_run (OwRuntimeSupervisor *self);
static void start_fresh (OwRuntimeSupervisor *self);

const char *
ow_runtime_state_to_string (OwRuntimeState state)
{
  GEnumValue *value = g_enum_get_value (g_type_class_peek (OW_TYPE_RUNTIME_STATE), (int) state);

  return value ? value->value_nick : "unknown";
}

/* Runs */

static Run *
run_new (OwRuntimeSupervisor *self)
{
  Run *run = g_rc_box_new0 (Run);

  run->supervisor = self;
  run->cancellable = g_cancellable_new ();
  return run;
}

static void
run_clear_timers (Run *run)
{
  g_clear_handle_id (&run->start_timeout_id, g_source_remove);
  if (run->health)
    ow_runtime_health_stop (run->health);
  g_clear_handle_id (&run->drain_timeout_id, g_source_remove);
  g_clear_handle_id (&run->kill_timeout_id, g_source_remove);
}

static void
run_free_contents (Run *run)
{
  run_clear_timers (run);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->process);
  g_free (run->password);
  g_free (run->authorization);
  g_free (run->failure_reason);
  ow_runtime_output_free (run->output);
  ow_runtime_health_free (run->health);
}

static Run *
run_ref (Run *run)
{
  return g_rc_box_acquire (run);
}

static void
run_unref (Run *run)
{
  g_rc_box_release_full (run, (GDestroyNotify) run_free_contents);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_unref)

/* Whether the supervisor still cares about this run's callbacks. */
static gboolean
run_is_live (Run *run)
{
  return !g_cancellable_is_cancelled (run->cancellable);
}

/* Signals the whole process group: the runtime runs tools in children of its own. */
static void
run_signal (Run *run, int signum)
{
  if (run->pid <= 0 || run->exited)
    return;
  if (kill (-run->pid, signum) != 0 && errno == ESRCH)
    kill (run->pid, signum);
}

/* State */

static void log_event (OwRuntimeSupervisor *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
log_event (OwRuntimeSupervisor *self, const char *format, ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  ow_rotating_log_append (self->log, "host", line);
}

static void
set_state (OwRuntimeSupervisor *self, OwRuntimeState state)
{
  if (self->state == state)
    return;

  self->state = state;
  log_event (self, "runtime state: %s", ow_runtime_state_to_string (state));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_last_error (OwRuntimeSupervisor *self, const char *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;

  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static void
complete_stop_tasks (OwRuntimeSupervisor *self)
{
  g_autoptr (GPtrArray) tasks = g_steal_pointer (&self->stop_tasks);

  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}

static char *
describe_exit (Run *run)
{
  GSubprocess *process = run->process;
  GString *reason = g_string_new (NULL);

  if (run->failure_reason)
    g_string_append (reason, run->failure_reason);
  else if (g_subprocess_get_if_signaled (process))
    g_string_append_printf (reason, "The runtime was killed by signal %d (%s).",
                            g_subprocess_get_term_sig (process),
                            g_strsignal (g_subprocess_get_term_sig (process)));
  else
    g_string_append_printf (reason, "The runtime exited with status %d.",
                            g_subprocess_get_exit_status (process));

  if (run->output)
    ow_runtime_output_append_tail (run->output, reason);
  return g_string_free (reason, FALSE);
}

static gboolean
on_restart_timeout (gpointer user_data)
{
  OwRuntimeSupervisor *self = user_data;

  self->restart_timeout_id = 0;
  spawn_run (self);
  return G_SOURCE_REMOVE;
}

/* Called once a run's process has exited and its output is read (or given up on). */
static void
finish_run (Run *run)
{
  OwRuntimeSupervisor *self = run->supervisor;
  G_GNUC_UNUSED g_autoptr (Run) finished = run; /* takes over the supervisor's reference */
  g_autofree char *reason = NULL;
  guint64 healthy_ms = 0;
  guint delay_ms;

  g_assert (self->run == run);
  self->run = NULL;
  ow_runtime_client_set_endpoint (self->client, 0, NULL);
  run_clear_timers (run);
  g_cancellable_cancel (run->cancellable);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);

  if (run->terminating || self->stopping)
    {
      /* The end of a run we stopped, or of one that ended while a stop was asked for, is
       * never a failure; if a start came meanwhile, the runtime starts again. */
      log_event (self, "runtime stopped");
      if (self->stopping)
        set_state (self, OW_RUNTIME_STATE_STOPPED);
      else
        start_fresh (self);
      g_object_thaw_notify (G_OBJECT (self));
      complete_stop_tasks (self);
      return;
    }

  reason = describe_exit (run);
  log_event (self, "runtime ended unexpectedly: %s", reason);
  g_message ("%s", reason);

  if (run->health && ow_runtime_health_get_healthy_since (run->health) > 0)
    healthy_ms =
      (guint64) (g_get_monotonic_time () - ow_runtime_health_get_healthy_since (run->health)) /
      1000;

  if (ow_backoff_record_failure (&self->backoff, healthy_ms, &delay_ms))
    {
      set_last_error (self, reason);
      self->restarts++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTARTS]);
      set_state (self, OW_RUNTIME_STATE_RESTARTING);
      log_event (self, "restarting the runtime in %u ms", delay_ms);
      self->restart_timeout_id = g_timeout_add (delay_ms, on_restart_timeout, self);
    }
  else
    {
      g_autofree char *final = g_strdup_printf (
        "The runtime failed %u times in a row and is no longer restarted. Restart the host "
        "once the cause is fixed; the runtime log has its full output. Last failure: %s",
        self->backoff.failures, reason);

      set_last_error (self, final);
      set_state (self, OW_RUNTIME_STATE_FAILED);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

static void
maybe_finish_run (Run *run)
{
  if (run_is_live (run) && run->exited &&
      (run->output == NULL || ow_runtime_output_is_closed (run->output)))
    finish_run (run);
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  Run *run = user_data;

  run->drain_timeout_id = 0;
  /* A grandchild still holds a pipe open; do not wait for it any longer. */
  ow_runtime_output_stop_waiting (run->output);
  return G_SOURCE_REMOVE;
}

static void
on_process_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Run) run = user_data;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL) || !run_is_live (run))
    return;

  run->exited = TRUE;
  g_clear_handle_id (&run->start_timeout_id, g_source_remove);
  g_clear_handle_id (&run->kill_timeout_id, g_source_remove);
  if (run->health)
    ow_runtime_health_stop (run->health);

  if (!ow_runtime_output_is_closed (run->output))
    run->drain_timeout_id = g_timeout_add (PIPE_DRAIN_MS, on_drain_timeout, run);
  maybe_finish_run (run);
}

/* Ends a run that misbehaves; its exit then goes through the usual restart path. */
static void
run_fail (Run *run, const char *reason)
{
  if (run->failure_reason == NULL)
    run->failure_reason = g_strdup (reason);
  run_signal (run, SIGKILL);
}

/* Health */

static void
on_run_healthy (const char *version, gpointer user_data)
{
  Run *run = user_data;
  OwRuntimeSupervisor *self = run->supervisor;

  g_clear_handle_id (&run->start_timeout_id, g_source_remove);
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->version, version) != 0)
    {
      g_free (self->version);
      self->version = g_strdup (version);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERSION]);
    }
  log_event (self, "runtime %s is healthy on 127.0.0.1:%u (pid %d)", version, run->port, run->pid);
  g_message ("OpenCode runtime %s is running on 127.0.0.1:%u (pid %d)", version, run->port,
             run->pid);
  set_state (self, OW_RUNTIME_STATE_RUNNING);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
on_run_unhealthy (const char *reason, gpointer user_data)
{
  run_fail (user_data, reason);
}

static const OwRuntimeHealthFuncs health_funcs = {
  .healthy = on_run_healthy,
  .failed = on_run_unhealthy,
};

/* Output */

static void
on_listening (guint port, gpointer user_data)
{
  Run *run = user_data;
  OwRuntimeSupervisor *self = run->supervisor;
  OwRuntimeHealthPolicy policy = {
    .interval_ms = self->timings.health_interval_ms,
    .timeout_s = self->timings.health_timeout_s,
    .failures_max = self->timings.health_failures_max,
  };

  run->port = port;
  ow_runtime_client_set_endpoint (self->client, port, run->authorization);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  run->health = ow_runtime_health_new (self->client, &policy, self->log, &health_funcs, run);
}

static void
on_output_closed (gpointer user_data)
{
  maybe_finish_run (user_data);
}

static const OwRuntimeOutputFuncs output_funcs = {
  .listening = on_listening,
  .closed = on_output_closed,
};

/* Spawning */

static gboolean
on_start_timeout (gpointer user_data)
{
  Run *run = user_data;
  g_autofree char *reason = NULL;

  run->start_timeout_id = 0;
  reason = g_strdup_printf ("The runtime did not become ready within %u s.",
                            run->supervisor->timings.start_timeout_ms / 1000);
  run_fail (run, reason);
  return G_SOURCE_REMOVE;
}

static void
spawn_failed (OwRuntimeSupervisor *self, Run *run, const char *message)
{
  /* Treated like a run that exited at once: the same backoff and failure handling. */
  g_autofree char *reason = g_strdup_printf ("The runtime could not be started: %s", message);

  run->failure_reason = g_steal_pointer (&reason);
  run->exited = TRUE;
  finish_run (run);
}

static void
spawn_run (OwRuntimeSupervisor *self)
{
  g_autoptr (GError) error = NULL;
  const char *identifier;
  Run *run;
  guint port = 0;

  g_return_if_fail (self->run == NULL);

  run = self->run = run_new (self);
  set_state (self, self->restarts == 0 && self->last_error == NULL ? OW_RUNTIME_STATE_STARTING
                                                                   : OW_RUNTIME_STATE_RESTARTING);

  run->password = ow_runtime_new_password ();
  run->authorization = ow_runtime_basic_authorization (run->password);
  run->process = ow_runtime_launch (self->binary, self->workdir, self->environment, run->password,
                                    &port, &error);
  if (run->process == NULL)
    {
      spawn_failed (self, run, error->message);
      return;
    }
  log_event (self, "started %s serve on 127.0.0.1:%u in %s", self->binary, port, self->workdir);

  /* GLib forgets the pid once it has reaped the child, which a runtime that exits at once
   * can beat us to; its exit is then reported through the wait below as usual. */
  identifier = g_subprocess_get_identifier (run->process);
  run->pid = identifier ? (int) g_ascii_strtoll (identifier, NULL, 10) : 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PID]);

  run->output =
    ow_runtime_output_new (run->process, self->log, run->cancellable, &output_funcs, run);
  g_subprocess_wait_async (run->process, run->cancellable, on_process_exited, run_ref (run));
  run->start_timeout_id = g_timeout_add (self->timings.start_timeout_ms, on_start_timeout, run);
}

/* Public API */

/* Starts a run with every earlier failure forgotten. */
static void
start_fresh (OwRuntimeSupervisor *self)
{
  ow_backoff_init (&self->backoff, &self->timings.backoff);
  spawn_run (self);
}

void
ow_runtime_supervisor_start (OwRuntimeSupervisor *self)
{
  g_return_if_fail (OW_IS_RUNTIME_SUPERVISOR (self));

  /* A run that is still stopping starts again once it is gone (see finish_run()). */
  self->stopping = FALSE;
  if (self->run != NULL || self->restart_timeout_id != 0)
    return;

  start_fresh (self);
}

static gboolean
on_kill_timeout (gpointer user_data)
{
  Run *run = user_data;

  run->kill_timeout_id = 0;
  log_event (run->supervisor, "the runtime ignored SIGTERM; sending SIGKILL");
  run_signal (run, SIGKILL);
  return G_SOURCE_REMOVE;
}

void
ow_runtime_supervisor_stop_async (OwRuntimeSupervisor *self,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  Run *run;

  g_return_if_fail (OW_IS_RUNTIME_SUPERVISOR (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ow_runtime_supervisor_stop_async);

  self->stopping = TRUE;
  g_clear_handle_id (&self->restart_timeout_id, g_source_remove);

  run = self->run;
  if (run == NULL)
    {
      set_state (self, OW_RUNTIME_STATE_STOPPED);
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->stop_tasks, g_steal_pointer (&task));
  if (!run->terminating && !run->exited)
    {
      run->terminating = TRUE;
      g_clear_handle_id (&run->start_timeout_id, g_source_remove);
      if (run->health)
        ow_runtime_health_stop (run->health);
      log_event (self, "stopping the runtime (pid %d)", run->pid);
      run_signal (run, SIGTERM);
      run->kill_timeout_id = g_timeout_add (self->timings.stop_grace_ms, on_kill_timeout, run);
    }
}

gboolean
ow_runtime_supervisor_stop_finish (OwRuntimeSupervisor *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
ow_runtime_supervisor_setenv (OwRuntimeSupervisor *self, const char *name, const char *value)
{
  g_return_if_fail (OW_IS_RUNTIME_SUPERVISOR (self));
  g_return_if_fail (name != NULL);

  g_hash_table_replace (self->environment, g_strdup (name), g_strdup (value));
}

void
ow_runtime_supervisor_set_timings (OwRuntimeSupervisor *self, const OwRuntimeTimings *timings)
{
  g_return_if_fail (OW_IS_RUNTIME_SUPERVISOR (self));
  g_return_if_fail (timings != NULL);

  self->timings = *timings;
}

OwRuntimeState
ow_runtime_supervisor_get_state (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), OW_RUNTIME_STATE_STOPPED);
  return self->state;
}

const char *
ow_runtime_supervisor_get_binary (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), NULL);
  return self->binary;
}

const char *
ow_runtime_supervisor_get_version (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), NULL);
  return self->version;
}

int
ow_runtime_supervisor_get_pid (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), 0);
  return self->run && !self->run->exited ? self->run->pid : 0;
}

guint
ow_runtime_supervisor_get_port (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), 0);
  return self->run ? self->run->port : 0;
}

guint
ow_runtime_supervisor_get_restarts (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), 0);
  return self->restarts;
}

const char *
ow_runtime_supervisor_get_last_error (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), NULL);
  return self->last_error;
}

const char *
ow_runtime_supervisor_get_password (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), NULL);
  return self->run ? self->run->password : NULL;
}

const char *
ow_runtime_supervisor_get_authorization (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), NULL);
  return self->run ? self->run->authorization : NULL;
}

OwRuntimeClient *
ow_runtime_supervisor_get_client (OwRuntimeSupervisor *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_SUPERVISOR (self), NULL);
  return self->client;
}

/* GObject */

static void
ow_runtime_supervisor_dispose (GObject *object)
{
  OwRuntimeSupervisor *self = OW_RUNTIME_SUPERVISOR (object);

  g_clear_handle_id (&self->restart_timeout_id, g_source_remove);
  if (self->run != NULL)
    {
      /* Disposed without a stop: never leave the runtime behind. */
      run_signal (self->run, SIGKILL);
      run_clear_timers (self->run);
      g_cancellable_cancel (self->run->cancellable);
      g_clear_pointer (&self->run, run_unref);
      ow_runtime_client_set_endpoint (self->client, 0, NULL);
    }
  if (self->stop_tasks && self->stop_tasks->len > 0)
    complete_stop_tasks (self);

  g_clear_object (&self->log);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (ow_runtime_supervisor_parent_class)->dispose (object);
}

static void
ow_runtime_supervisor_finalize (GObject *object)
{
  OwRuntimeSupervisor *self = OW_RUNTIME_SUPERVISOR (object);

  g_free (self->binary);
  g_free (self->workdir);
  g_clear_pointer (&self->environment, g_hash_table_unref);
  g_free (self->version);
  g_free (self->last_error);
  g_clear_pointer (&self->stop_tasks, g_ptr_array_unref);

  G_OBJECT_CLASS (ow_runtime_supervisor_parent_class)->finalize (object);
}

static void
ow_runtime_supervisor_get_property (GObject *object,
                                    guint prop_id,
                                    GValue *value,
                                    GParamSpec *pspec)
{
  OwRuntimeSupervisor *self = OW_RUNTIME_SUPERVISOR (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_VERSION:
      g_value_set_string (value, self->version);
      break;
    case PROP_PID:
      g_value_set_int (value, ow_runtime_supervisor_get_pid (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, ow_runtime_supervisor_get_port (self));
      break;
    case PROP_RESTARTS:
      g_value_set_uint (value, self->restarts);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_runtime_supervisor_class_init (OwRuntimeSupervisorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_runtime_supervisor_dispose;
  object_class->finalize = ow_runtime_supervisor_finalize;
  object_class->get_property = ow_runtime_supervisor_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, OW_TYPE_RUNTIME_STATE, OW_RUNTIME_STATE_STOPPED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERSION] =
    g_param_spec_string ("version", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PID] =
    g_param_spec_int ("pid", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESTARTS] =
    g_param_spec_uint ("restarts", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_runtime_supervisor_init (OwRuntimeSupervisor *self)
{
  self->timings = OW_RUNTIME_TIMINGS_DEFAULT;
  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->environment = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->client = ow_runtime_client_new ();
}

OwRuntimeSupervisor *
ow_runtime_supervisor_new (const char *binary, const char *workdir, OwRotatingLog *log)
{
  OwRuntimeSupervisor *self;

  g_return_val_if_fail (binary != NULL, NULL);
  g_return_val_if_fail (workdir != NULL, NULL);
  g_return_val_if_fail (OW_IS_ROTATING_LOG (log), NULL);

  self = g_object_new (OW_TYPE_RUNTIME_SUPERVISOR, NULL);
  self->binary = g_strdup (binary);
  self->workdir = g_strdup (workdir);
  self->log = g_object_ref (log);
  return self;
}
