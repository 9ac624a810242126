#include "config.h"

#include "ow-host.h"
#include "ow-host-config.h"
#include "ow-host-control.h"
#include "ow-approvals.h"
#include "ow-control-server.h"
#include "ow-device-registry.h"
#include "ow-discovery.h"
#include "ow-event-hub.h"
#include "ow-gateway.h"
#include "ow-http.h"
#include "ow-identity.h"
#include "ow-metrics.h"
#include "ow-net.h"
#include "ow-pairing.h"
#include "ow-permissions.h"
#include "ow-tasks.h"
#include "ow-token-store.h"
#include "ow-workspace.h"
#include "ow-rotating-log.h"
#include "ow-runtime-locator.h"

#include <string.h>
#include <unistd.h>

static const char *const OW_DEFAULT_SENSITIVE_TOOLS[] = { "bash",  "edit",     "write",
                                                          "patch", "webfetch", "external_directory",
                                                          NULL };

/* The runtime log: four parts of at most 4 MiB each. */
#define RUNTIME_LOG_MAX_BYTES (4 * 1024 * 1024)
#define RUNTIME_LOG_KEEP 3

struct _OwHost
{
  GObject parent_instance;

  OwPaths *paths;
  GPtrArray *workspaces; /* OwWorkspace, in the order given */
  char *runtime_binary;
  OwGatewayOptions gateway_options;
  OwEventHubLimits hub_limits;
  GStrv cors_origins;
  GKeyFile *config; /* host.conf, empty when there is none */
  char *name;       /* what devices see */
  OwPairingOptions pairing_options;
  gboolean discovery_enabled;

  OwRotatingLog *runtime_log;
  OwRuntimeSupervisor *supervisor;
  OwControlServer *control;
  OwIdentity *identity;
  OwTokenStore *tokens;
  OwApprovals *approvals;
  OwDeviceRegistry *devices;
  OwPairing *pairing;
  OwEventHub *hub;
  OwGateway *gateway;
  OwDiscovery *discovery;
  OwTasks *tasks;
  OwPermissions *permissions;
  OwMetrics *metrics;
  gboolean metrics_enabled;
  guint recorded_restarts;
  GStrv sensitive_tools;
  gboolean paused;
  OwOpenworkApp *openwork_app;

  gint64 started_us;
};

G_DEFINE_FINAL_TYPE (OwHost, ow_host, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PAUSED,
  PROP_OPENWORK_APP_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
on_openwork_app_port (OwHost *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPENWORK_APP_PORT]);
}

OwHost *
ow_host_new (const OwHostOptions *options, GError **error)
{
  g_autoptr (OwHost) self = g_object_new (OW_TYPE_HOST, NULL);
  g_autofree char *config_path = NULL;

  g_return_val_if_fail (options != NULL, NULL);

  self->paths = ow_paths_new (options->data_dir);
  self->cors_origins = g_strdupv ((char **) options->cors_origins);
  self->gateway_options = (OwGatewayOptions){
    .port = options->port,
    .cors_origins = (const char *const *) self->cors_origins,
    .max_body_bytes = options->max_body_bytes,
    .permission_answers = options->permission_answers,
  };

  self->hub_limits = (OwEventHubLimits){ .max_events = options->event_buffer };
  self->discovery_enabled = options->discovery;

  self->config = ow_host_config_load (self->paths, error);
  if (self->config == NULL)
    return NULL;
  self->workspaces = ow_host_config_get_workspaces (self->config, options->workspaces, error);
  if (self->workspaces == NULL)
    return NULL;
  /* The runtime's permissions that sessions of clients must always ask for. */
  if (g_key_file_has_key (self->config, "permissions", "sensitive-tools", NULL))
    self->sensitive_tools =
      g_key_file_get_string_list (self->config, "permissions", "sensitive-tools", NULL, NULL);
  else if (options->sensitive_tools)
    self->sensitive_tools = g_strdupv ((char **) options->sensitive_tools);
  else
    self->sensitive_tools = g_strdupv ((char **) OW_DEFAULT_SENSITIVE_TOOLS);
  self->gateway_options.sensitive_tools = (const char *const *) self->sensitive_tools;
  self->gateway_options.remote_always =
    g_key_file_get_boolean (self->config, "permissions", "remote-always", NULL);
  /* Local metrics are on unless [metrics] enabled=false; then nothing is written. */
  if (g_key_file_has_key (self->config, "metrics", "enabled", NULL))
    self->metrics_enabled = g_key_file_get_boolean (self->config, "metrics", "enabled", NULL);
  else
    self->metrics_enabled = !options->no_metrics;

  config_path = g_build_filename (ow_paths_get_config_dir (self->paths), "host.conf", NULL);
  self->openwork_app =
    ow_openwork_app_new (self->config, config_path, options->http_port, options->openwork_app,
                         options->openwork_app_port, error);
  if (self->openwork_app == NULL)
    return NULL;
  g_signal_connect_object (self->openwork_app, "notify::port", G_CALLBACK (on_openwork_app_port),
                           self, G_CONNECT_SWAPPED);
  self->gateway_options.public_url = ow_openwork_app_get_public_url (self->openwork_app);

  self->name = ow_host_config_get_name (self->config, error);
  if (self->name == NULL || !ow_host_config_get_limits (self->config, &self->pairing_options,
                                                        &self->gateway_options, error))
    return NULL;

  self->runtime_binary = ow_runtime_locate (options->opencode, NULL, error);
  if (self->runtime_binary == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

void
ow_host_describe_openwork_app (OwHost *self, JsonBuilder *builder)
{
  g_return_if_fail (OW_IS_HOST (self));
  ow_openwork_app_describe (self->openwork_app, builder);
}

/* Local metrics */

static void
on_pairing_attempt (OwPairing *pairing, const char *outcome, OwHost *self)
{
  ow_metrics_record (self->metrics, OW_METRIC_PAIRING, outcome, 0);
}

/* A task that ended: its outcome, and whether its device's stream dropped while it ran
 * (a failure then counts as disconnect-related). */
static void
on_task_changed (OwTasks *tasks, OwTask *task, OwHost *self)
{
  gboolean failed;

  if (!ow_task_is_over (task))
    return;
  failed = ow_task_get_state (task) != OW_TASK_SUCCEEDED;
  ow_metrics_record (
    self->metrics, OW_METRIC_TASK, ow_task_state_to_string (ow_task_get_state (task)),
    failed && ow_metrics_stream_dropped_since (self->metrics, ow_task_get_token_id (task),
                                               ow_task_get_created_at (task)));
}

/* Each restart once: the state can stay "restarting" across several attempts. */
static void
on_runtime_restarts (OwRuntimeSupervisor *runtime, GParamSpec *pspec, OwHost *self)
{
  guint restarts = ow_runtime_supervisor_get_restarts (runtime);

  for (; self->recorded_restarts < restarts; self->recorded_restarts++)
    ow_metrics_record (self->metrics, OW_METRIC_RUNTIME_RESTART, NULL, 0);
}

/* The services clients reach: identity, tokens, approvals and the gateway in front. */
static gboolean
start_gateway (OwHost *self, GError **error)
{
  g_autofree char *identity_dir =
    g_build_filename (ow_paths_get_data_dir (self->paths), "identity", NULL);
  g_autofree char *tokens_path =
    g_build_filename (ow_paths_get_data_dir (self->paths), "tokens.db", NULL);
  g_autofree char *devices_path =
    g_build_filename (ow_paths_get_data_dir (self->paths), "devices.db", NULL);
  g_autofree char *audit_path =
    g_build_filename (ow_paths_get_data_dir (self->paths), "audit.log", NULL);
  g_autofree char *metrics_path =
    g_build_filename (ow_paths_get_data_dir (self->paths), "metrics.db", NULL);

  self->identity = ow_identity_load_or_create (identity_dir, error);
  if (self->identity == NULL)
    return FALSE;

  self->tokens = ow_token_store_open (tokens_path, error);
  if (self->tokens == NULL)
    return FALSE;

  self->devices = ow_device_registry_open (devices_path, self->tokens, error);
  if (self->devices == NULL)
    return FALSE;

  self->metrics = ow_metrics_open (metrics_path, self->metrics_enabled, error);
  if (self->metrics == NULL)
    return FALSE;

  self->approvals = ow_approvals_new ();
  self->pairing = ow_pairing_new (self->devices, ow_identity_get_fingerprint (self->identity),
                                  self->name, &self->pairing_options);
  self->hub = ow_event_hub_new (self->supervisor, &self->hub_limits);
  self->tasks = ow_tasks_new (self->hub, self->supervisor);
  self->permissions = ow_permissions_new (self->hub, self->supervisor, audit_path);
  g_signal_connect_object (self->pairing, "attempt", G_CALLBACK (on_pairing_attempt), self, 0);
  g_signal_connect_object (self->tasks, "changed", G_CALLBACK (on_task_changed), self, 0);
  g_signal_connect_object (self->supervisor, "notify::restarts", G_CALLBACK (on_runtime_restarts),
                           self, 0);
  self->gateway = ow_gateway_new (
    &(OwGatewayContext){
      .identity = self->identity,
      .tokens = self->tokens,
      .runtime = self->supervisor,
      .hub = self->hub,
      .approvals = self->approvals,
      .pairing = self->pairing,
      .devices = self->devices,
      .tasks = self->tasks,
      .permissions = self->permissions,
      .metrics = self->metrics,
      .workspaces = self->workspaces,
    },
    &self->gateway_options);
  if (!ow_gateway_listen (self->gateway, error))
    return FALSE;
  return ow_openwork_app_start (self->openwork_app, self->gateway, error);
}

gboolean
ow_host_start (OwHost *self, GError **error)
{
  g_return_val_if_fail (OW_IS_HOST (self), FALSE);
  g_return_val_if_fail (self->supervisor == NULL, FALSE);

  if (!ow_paths_ensure (self->paths, error))
    return FALSE;

  self->control = ow_control_server_new (ow_paths_get_control_socket (self->paths));
  ow_host_control_add_routes (self->control, self);
  /* First, so that a second host on the same data folder stops before touching anything. */
  if (!ow_control_server_listen (self->control, error))
    {
      g_clear_object (&self->control);
      return FALSE;
    }

  self->runtime_log = ow_rotating_log_new (ow_paths_get_runtime_log (self->paths),
                                           RUNTIME_LOG_MAX_BYTES, RUNTIME_LOG_KEEP, error);
  if (self->runtime_log == NULL)
    {
      g_clear_object (&self->control);
      return FALSE;
    }

  self->started_us = g_get_monotonic_time ();
  self->supervisor = ow_runtime_supervisor_new (
    self->runtime_binary, ((OwWorkspace *) g_ptr_array_index (self->workspaces, 0))->path,
    self->runtime_log);

  if (!start_gateway (self, error))
    {
      g_clear_object (&self->gateway);
      g_clear_object (&self->control);
      return FALSE;
    }

  ow_runtime_supervisor_start (self->supervisor);

  self->discovery = ow_discovery_new (self->name, ow_gateway_get_port (self->gateway),
                                      ow_identity_get_fingerprint (self->identity));
  if (self->discovery_enabled)
    ow_discovery_start (self->discovery);

  g_message ("OpenWork Host %s started: gateway https://0.0.0.0:%u, fingerprint %s, data "
             "folder %s",
             PACKAGE_VERSION, ow_gateway_get_port (self->gateway),
             ow_identity_get_fingerprint (self->identity), ow_paths_get_data_dir (self->paths));
  return TRUE;
}

static void
on_runtime_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  OwHost *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;

  if (!ow_runtime_supervisor_stop_finish (OW_RUNTIME_SUPERVISOR (source), result, &error))
    g_message ("The runtime did not stop cleanly: %s", error->message);

  g_clear_object (&self->control);
  g_task_return_boolean (task, TRUE);
}

void
ow_host_stop_async (OwHost *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (OW_IS_HOST (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ow_host_stop_async);

  /* Clients first, so that nothing new arrives while the runtime stops; the announcement
   * goes with them. */
  if (self->discovery)
    ow_discovery_stop (self->discovery);
  g_clear_object (&self->gateway);
  if (self->metrics)
    ow_metrics_close_period (self->metrics);

  if (self->supervisor == NULL)
    {
      g_clear_object (&self->control);
      g_task_return_boolean (task, TRUE);
      return;
    }

  ow_runtime_supervisor_stop_async (self->supervisor, NULL, on_runtime_stopped,
                                    g_steal_pointer (&task));
}

gboolean
ow_host_stop_finish (OwHost *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

OwPaths *
ow_host_get_paths (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->paths;
}

OwRuntimeSupervisor *
ow_host_get_supervisor (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->supervisor;
}

GPtrArray *
ow_host_get_workspaces (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->workspaces;
}

guint64
ow_host_get_uptime_ms (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), 0);

  if (self->started_us == 0)
    return 0;
  return (guint64) (g_get_monotonic_time () - self->started_us) / 1000;
}

/* `host`: this process, its folders and its identity */
static void
add_host_status (OwHost *self, JsonBuilder *builder)
{
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "version", PACKAGE_VERSION);
  ow_json_add_int (builder, "pid", getpid ());
  ow_json_add_int (builder, "uptimeMs", (gint64) ow_host_get_uptime_ms (self));
  ow_json_add_string (builder, "dataDir", ow_paths_get_data_dir (self->paths));
  ow_json_add_string (builder, "logDir", ow_paths_get_log_dir (self->paths));
  ow_json_add_boolean (builder, "paused", self->paused);
  ow_json_add_string (builder, "fingerprint",
                      self->identity ? ow_identity_get_fingerprint (self->identity) : NULL);
  json_builder_set_member_name (builder, "workspaces");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->workspaces->len; i++)
    json_builder_add_string_value (builder,
                                   ((OwWorkspace *) g_ptr_array_index (self->workspaces, i))->path);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/* `discovery`: whether the host is announced on the network, and as what */
static void
add_discovery_status (OwHost *self, JsonBuilder *builder)
{
  OwDiscovery *discovery = self->discovery;

  json_builder_begin_object (builder);
  ow_json_add_string (builder, "state",
                      ow_discovery_state_to_string (discovery ? ow_discovery_get_state (discovery)
                                                              : OW_DISCOVERY_OFF));
  ow_json_add_string (builder, "name", discovery ? ow_discovery_get_name (discovery) : self->name);
  ow_json_add_string (builder, "reason", discovery ? ow_discovery_get_reason (discovery) : NULL);
  json_builder_end_object (builder);
}

/* `gateway`: its ports, connections and streams, discovery and OpenWork app access */
static void
add_gateway_status (OwHost *self, JsonBuilder *builder)
{
  OwGateway *gateway = self->gateway;
  guint http_port = gateway ? ow_gateway_get_http_port (gateway) : 0;

  json_builder_begin_object (builder);
  ow_json_add_int (builder, "port", gateway ? ow_gateway_get_port (gateway) : 0);
  json_builder_set_member_name (builder, "httpPort");
  if (http_port > 0)
    json_builder_add_int_value (builder, http_port);
  else
    json_builder_add_null_value (builder);
  ow_json_add_string (builder, "certificate",
                      self->identity ? ow_identity_get_certificate_path (self->identity) : NULL);
  ow_json_add_int (builder, "connections", gateway ? ow_gateway_count_connections (gateway) : 0);
  ow_json_add_int (builder, "streams", gateway ? ow_gateway_count_streams (gateway) : 0);
  json_builder_set_member_name (builder, "discovery");
  add_discovery_status (self, builder);
  json_builder_set_member_name (builder, "openworkApp");
  ow_host_describe_openwork_app (self, builder);
  json_builder_set_member_name (builder, "warnings");
  json_builder_begin_array (builder);
  if (http_port > 0)
    json_builder_add_string_value (builder, "Plain HTTP is on: tokens and tasks cross the network "
                                            "unencrypted.");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

/* `runtime`: the runtime the host supervises; requests wait until its events are heard */
static void
add_runtime_status (OwHost *self, JsonBuilder *builder)
{
  OwRuntimeSupervisor *runtime = self->supervisor;

  json_builder_begin_object (builder);
  ow_json_add_string (builder, "state",
                      ow_runtime_state_to_string (runtime
                                                    ? ow_runtime_supervisor_get_state (runtime)
                                                    : OW_RUNTIME_STATE_STOPPED));
  ow_json_add_string (builder, "version",
                      runtime ? ow_runtime_supervisor_get_version (runtime) : NULL);
  ow_json_add_string (builder, "pinnedVersion", OW_OPENCODE_VERSION);
  ow_json_add_string (builder, "binary", self->runtime_binary);
  ow_json_add_int (builder, "pid", runtime ? ow_runtime_supervisor_get_pid (runtime) : 0);
  ow_json_add_int (builder, "port", runtime ? ow_runtime_supervisor_get_port (runtime) : 0);
  ow_json_add_int (builder, "restarts", runtime ? ow_runtime_supervisor_get_restarts (runtime) : 0);
  ow_json_add_string (builder, "lastError",
                      runtime ? ow_runtime_supervisor_get_last_error (runtime) : NULL);
  ow_json_add_boolean (builder, "eventsLive", self->hub && ow_event_hub_is_live (self->hub));
  json_builder_end_object (builder);
}

JsonNode *
ow_host_build_status (OwHost *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (OW_IS_HOST (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "host");
  add_host_status (self, builder);
  json_builder_set_member_name (builder, "gateway");
  add_gateway_status (self, builder);
  json_builder_set_member_name (builder, "metrics");
  if (self->metrics)
    json_builder_add_value (builder, ow_metrics_report (self->metrics, 7));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "runtime");
  add_runtime_status (self, builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* What the desktop face shows and does: the core objects, and the owner's actions. */

OwPairing *
ow_host_get_pairing (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->pairing;
}

OwPermissions *
ow_host_get_permissions (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->permissions;
}

OwTasks *
ow_host_get_tasks (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->tasks;
}

OwGateway *
ow_host_get_gateway (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->gateway;
}

OwDeviceRegistry *
ow_host_get_devices (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->devices;
}

OwDiscovery *
ow_host_get_discovery (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->discovery;
}

OwMetrics *
ow_host_get_metrics (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->metrics;
}

const char *
ow_host_get_fingerprint (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->identity ? ow_identity_get_fingerprint (self->identity) : NULL;
}

const char *
ow_host_get_runtime_binary (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->runtime_binary;
}

guint
ow_host_get_port (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), 0);
  return self->gateway ? ow_gateway_get_port (self->gateway) : 0;
}

guint
ow_host_count_clients (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), 0);
  return self->gateway ? ow_gateway_count_streams (self->gateway) : 0;
}

char *
ow_host_dup_offer_uri (OwHost *self, const OwPairingOffer *offer)
{
  g_auto (GStrv) addresses = NULL;

  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  g_return_val_if_fail (offer != NULL, NULL);

  addresses = ow_net_usable_addresses ();
  return ow_pair_uri_build (self->name, (const char *const *) addresses, ow_host_get_port (self),
                            ow_identity_get_fingerprint (self->identity), offer->secret);
}

gboolean
ow_host_get_paused (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), FALSE);
  return self->paused;
}

void
ow_host_set_paused (OwHost *self, gboolean paused)
{
  g_return_if_fail (OW_IS_HOST (self));

  paused = !!paused;
  if (self->paused == paused || self->gateway == NULL)
    return;
  self->paused = paused;
  ow_gateway_set_paused (self->gateway, paused);
  /* A paused host is not announced: devices would find it and be refused. */
  if (self->discovery_enabled && paused)
    ow_discovery_stop (self->discovery);
  else if (self->discovery_enabled)
    ow_discovery_start (self->discovery);
  g_message (paused ? "Hosting paused by the owner: clients are refused until it resumes."
                    : "Hosting resumed.");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

void
ow_host_restart_runtime (OwHost *self)
{
  g_return_if_fail (OW_IS_HOST (self));
  g_return_if_fail (self->supervisor != NULL);

  g_message ("Restarting the runtime, as the owner asked.");
  /* A start while the run is stopping starts it again once it is gone; a runtime that
   * had given up starts afresh. */
  ow_runtime_supervisor_stop_async (self->supervisor, NULL, NULL, NULL);
  ow_runtime_supervisor_start (self->supervisor);
}

void
ow_host_announce_again (OwHost *self)
{
  g_return_if_fail (OW_IS_HOST (self));

  if (self->discovery == NULL || !self->discovery_enabled || self->paused)
    return;
  ow_discovery_stop (self->discovery);
  ow_discovery_start (self->discovery);
}

gboolean
ow_host_add_workspace (OwHost *self, const char *path, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *config_path =
    g_build_filename (ow_paths_get_config_dir (self->paths), "host.conf", NULL);
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  g_return_val_if_fail (OW_IS_HOST (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  for (guint i = 0; i < self->workspaces->len; i++)
    {
      OwWorkspace *workspace = g_ptr_array_index (self->workspaces, i);

      g_hash_table_add (seen, g_strdup (workspace->path));
    }
  if (!ow_host_config_add_workspace (self->workspaces, seen, path, error))
    return FALSE;

  /* Kept for the next start: every folder now shared, in order. */
  for (guint i = 0; i < self->workspaces->len; i++)
    g_ptr_array_add (paths, ((OwWorkspace *) g_ptr_array_index (self->workspaces, i))->path);
  g_key_file_set_string_list (self->config, "host", "workspaces",
                              (const char *const *) paths->pdata, paths->len);
  return g_key_file_save_to_file (self->config, config_path, error);
}

gboolean
ow_host_set_openwork_app_access (OwHost *self, gboolean enabled, GError **error)
{
  g_return_val_if_fail (OW_IS_HOST (self), FALSE);
  return ow_openwork_app_set_enabled (self->openwork_app, enabled, error);
}

guint
ow_host_get_openwork_app_port (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), 0);
  return ow_openwork_app_get_port (self->openwork_app);
}

const char *
ow_host_get_openwork_app_error (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return ow_openwork_app_get_error (self->openwork_app);
}

char *
ow_host_dup_openwork_app_url (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return ow_openwork_app_dup_url (self->openwork_app);
}

char *
ow_host_invite_openwork_app (
  OwHost *self, OwScope scope, const char *const *workspaces, gint64 *expires_ms, GError **error)
{
  const OwPairingInvite *invite;
  char *link;

  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  g_return_val_if_fail (self->gateway != NULL, NULL);

  link = ow_gateway_invite_openwork_app (self->gateway, scope, workspaces, &invite, NULL, error);
  if (link != NULL && expires_ms != NULL)
    *expires_ms = invite->expires_ms;
  return link;
}

static void
ow_host_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OwHost *self = OW_HOST (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_OPENWORK_APP_PORT:
      g_value_set_uint (value, ow_host_get_openwork_app_port (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_host_dispose (GObject *object)
{
  OwHost *self = OW_HOST (object);

  g_clear_object (&self->discovery);
  g_clear_object (&self->gateway);
  g_clear_object (&self->openwork_app);
  g_clear_object (&self->control);
  g_clear_object (&self->supervisor);
  g_clear_object (&self->approvals);
  g_clear_object (&self->pairing);
  g_clear_object (&self->devices);
  g_clear_object (&self->tasks);
  g_clear_object (&self->permissions);
  g_clear_object (&self->metrics);
  g_clear_object (&self->hub);
  g_clear_object (&self->tokens);
  g_clear_object (&self->identity);
  g_clear_object (&self->runtime_log);
  g_clear_pointer (&self->workspaces, g_ptr_array_unref);
  g_clear_object (&self->paths);

  G_OBJECT_CLASS (ow_host_parent_class)->dispose (object);
}

static void
ow_host_finalize (GObject *object)
{
  OwHost *self = OW_HOST (object);

  g_strfreev (self->cors_origins);
  g_free (self->runtime_binary);
  g_free (self->name);
  g_strfreev (self->sensitive_tools);
  g_clear_pointer (&self->config, g_key_file_unref);

  G_OBJECT_CLASS (ow_host_parent_class)->finalize (object);
}

static void
ow_host_class_init (OwHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_host_dispose;
  object_class->finalize = ow_host_finalize;
  object_class->get_property = ow_host_get_property;

  /* Whether the owner paused hosting (ow_host_set_paused()). */
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* OpenWork app access's plain-HTTP port while it is on, else 0. */
  properties[PROP_OPENWORK_APP_PORT] = g_param_spec_uint (
    "openwork-app-port", NULL, NULL, 0, 65535, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_host_init (OwHost *self)
{
}
