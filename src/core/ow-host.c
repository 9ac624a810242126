#include "config.h"

#include "ow-host.h"
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
  gboolean openwork_app;           /* OpenWork app access wanted */
  int openwork_app_port;           /* its port (0: a free one) */
  gboolean openwork_app_for_a_run; /* given on the command line: it must open */
  char *openwork_app_error;        /* why it is off although wanted */
  char *public_url;                /* [openwork-app] public-url */

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

static gboolean
add_workspace (GPtrArray *workspaces, GHashTable *seen, const char *path, GError **error)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);

  if (!g_file_test (absolute, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                   "The workspace %s is not a folder. Give an existing folder with --workspace "
                   "or in the workspaces list of host.conf.",
                   absolute);
      return FALSE;
    }
  if (g_hash_table_add (seen, g_strdup (absolute)))
    g_ptr_array_add (workspaces, ow_workspace_new (absolute));
  return TRUE;
}

/* host.conf in the config folder: settings that have no command-line option. A missing
 * file is an empty one. Its comments are kept: the host writes back to it (a folder
 * shared, OpenWork app access switched) and a person's notes must survive that. */
static GKeyFile *
load_config (OwPaths *paths, GError **error)
{
  g_autoptr (GKeyFile) config = g_key_file_new ();
  g_autofree char *config_path =
    g_build_filename (ow_paths_get_config_dir (paths), "host.conf", NULL);
  g_autoptr (GError) config_error = NULL;

  if (!g_key_file_load_from_file (config, config_path,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &config_error) &&
      !g_error_matches (config_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The configuration file %s cannot be read: %s. Fix or remove it.", config_path,
                   config_error->message);
      return NULL;
    }
  return g_steal_pointer (&config);
}

/* A whole number from host.conf within [@min, @max]; 0 (the default) when absent. */
static gboolean
config_uint (
  GKeyFile *config, const char *group, const char *key, guint max, guint *value, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gint64 number;

  *value = 0;
  if (!g_key_file_has_key (config, group, key, NULL))
    return TRUE;
  number = g_key_file_get_int64 (config, group, key, &local_error);
  if (local_error || number < 1 || number > (gint64) max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "In host.conf, [%s] %s must be a whole number from 1 to %u.", group, key, max);
      return FALSE;
    }
  *value = (guint) number;
  return TRUE;
}

/* The workspaces: those given on the command line, then those in the config file
 * (`[host] workspaces=…;…` in host.conf), each once; the current folder when there are
 * none. */
static GPtrArray *
resolve_workspaces (GKeyFile *config, const char *const *requested, GError **error)
{
  g_autoptr (GPtrArray) workspaces =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ow_workspace_free);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) configured = NULL;

  for (guint i = 0; requested && requested[i]; i++)
    if (!add_workspace (workspaces, seen, requested[i], error))
      return NULL;

  configured = g_key_file_get_string_list (config, "host", "workspaces", NULL, NULL);
  for (guint i = 0; configured && configured[i]; i++)
    if (*configured[i] && !add_workspace (workspaces, seen, configured[i], error))
      return NULL;

  if (workspaces->len == 0)
    {
      g_autofree char *current = g_get_current_dir ();
      g_ptr_array_add (workspaces, ow_workspace_new (current));
    }
  return g_steal_pointer (&workspaces);
}

/* OpenWork app access: the command line for this run, else host.conf's [openwork-app]
 * (access, port, public-url), else the desktop's settings. */
static gboolean
resolve_openwork_app (OwHost *self, const OwHostOptions *options, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  guint port = 0;

  if (!config_uint (self->config, "openwork-app", "port", 65535, &port, error))
    return FALSE;
  if (options->http_port != OW_HOST_PORT_UNSET)
    {
      self->openwork_app = options->http_port >= 0;
      self->openwork_app_port = MAX (options->http_port, 0);
      self->openwork_app_for_a_run = TRUE;
    }
  else
    {
      self->openwork_app_port = (int) (port                         ? port
                                       : options->openwork_app_port ? options->openwork_app_port
                                                                    : OW_DEFAULT_OPENWORK_APP_PORT);
      self->openwork_app = options->openwork_app;
      if (g_key_file_has_key (self->config, "openwork-app", "access", NULL))
        {
          self->openwork_app =
            g_key_file_get_boolean (self->config, "openwork-app", "access", &local_error);
          if (local_error != NULL)
            {
              g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                   "In host.conf, [openwork-app] access must be true or false.");
              return FALSE;
            }
        }
    }

  self->public_url = g_key_file_get_string (self->config, "openwork-app", "public-url", NULL);
  if (self->public_url != NULL)
    {
      g_autoptr (GUri) uri = g_uri_parse (self->public_url, G_URI_FLAGS_NONE, NULL);

      if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
          g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
          g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
          g_uri_get_fragment (uri) != NULL ||
          (*g_uri_get_path (uri) != '\0' && g_strcmp0 (g_uri_get_path (uri), "/") != 0))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "In host.conf, [openwork-app] public-url must be an https:// address "
                       "with no path, such as https://desk.example.ts.net; it is “%s”.",
                       self->public_url);
          return FALSE;
        }
      /* Links join paths to it. */
      if (g_str_has_suffix (self->public_url, "/"))
        self->public_url[strlen (self->public_url) - 1] = '\0';
    }
  return TRUE;
}

/* The name devices see: `[host] name=` in host.conf, else the machine's name. */
static char *
resolve_name (GKeyFile *config, GError **error)
{
  g_autofree char *name = g_key_file_get_string (config, "host", "name", NULL);

  if (name == NULL)
    {
      const char *host_name = g_get_host_name ();

      return g_utf8_make_valid (host_name, MIN (strlen (host_name), OW_PAIR_NAME_MAX_BYTES));
    }
  if (!ow_pair_name_is_valid (name, OW_PAIR_NAME_MAX_BYTES))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "In host.conf, [host] name must be plain text of at most %d bytes.",
                   OW_PAIR_NAME_MAX_BYTES);
      return NULL;
    }
  return g_steal_pointer (&name);
}

OwHost *
ow_host_new (const OwHostOptions *options, GError **error)
{
  g_autoptr (OwHost) self = g_object_new (OW_TYPE_HOST, NULL);

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

  self->config = load_config (self->paths, error);
  if (self->config == NULL)
    return NULL;
  self->workspaces = resolve_workspaces (self->config, options->workspaces, error);
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

  if (!resolve_openwork_app (self, options, error))
    return NULL;
  self->gateway_options.public_url = self->public_url;

  self->name = resolve_name (self->config, error);
  if (self->name == NULL ||
      !config_uint (self->config, "pairing", "code-lifetime", 24 * 3600,
                    &self->pairing_options.code_lifetime_s, error) ||
      !config_uint (self->config, "pairing", "attempts-per-minute", 100000,
                    &self->pairing_options.attempts_per_minute, error) ||
      !config_uint (self->config, "pairing", "max-pending", 1000,
                    &self->pairing_options.max_pending, error) ||
      !config_uint (self->config, "gateway", "answer-timeout", 7 * 24 * 3600,
                    &self->gateway_options.answer_timeout_s, error) ||
      !config_uint (self->config, "gateway", "request-timeout", 3600,
                    &self->gateway_options.request_timeout_s, error) ||
      !config_uint (self->config, "gateway", "idle-timeout", 3600,
                    &self->gateway_options.idle_timeout_s, error) ||
      !config_uint (self->config, "gateway", "max-connections", 1000000,
                    &self->gateway_options.max_connections, error) ||
      !config_uint (self->config, "gateway", "max-connections-per-address", 1000000,
                    &self->gateway_options.max_connections_per_address, error) ||
      !config_uint (self->config, "gateway", "max-streams", 1000000,
                    &self->gateway_options.max_streams, error) ||
      !config_uint (self->config, "gateway", "max-streams-per-token", 1000000,
                    &self->gateway_options.max_streams_per_token, error) ||
      !config_uint (self->config, "gateway", "stream-stall-timeout", 3600,
                    &self->gateway_options.stream_stall_s, error))
    return NULL;

  self->runtime_binary = ow_runtime_locate (options->opencode, NULL, error);
  if (self->runtime_binary == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

static void
on_status_request (SoupServer *server,
                   SoupServerMessage *message,
                   const char *path,
                   GHashTable *query,
                   gpointer user_data)
{
  OwHost *self = user_data;
  g_autoptr (JsonNode) status = NULL;

  if (g_strcmp0 (soup_server_message_get_method (message), "GET") != 0)
    {
      ow_http_reply_error (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                           "Use GET for the host status.");
      return;
    }

  status = ow_host_build_status (self);
  ow_http_reply_json (message, SOUP_STATUS_OK, status);
}

static void
on_routes_request (SoupServer *server,
                   SoupServerMessage *message,
                   const char *path,
                   GHashTable *query,
                   gpointer user_data)
{
  OwHost *self = user_data;
  g_autoptr (JsonNode) routes = ow_gateway_describe_routes (self->gateway);

  ow_http_reply_json (message, SOUP_STATUS_OK, routes);
}

/* OpenWork app access, as `status` and /v1/openwork-app give it: `{enabled, port, url,
 * publicUrl, error}`. */
static void
add_openwork_app (OwHost *self, JsonBuilder *builder)
{
  g_autofree char *url = ow_host_dup_openwork_app_url (self);
  guint port = ow_host_get_openwork_app_port (self);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, port != 0);
  json_builder_set_member_name (builder, "port");
  if (port != 0)
    json_builder_add_int_value (builder, port);
  else
    json_builder_add_null_value (builder);
  ow_json_add_string (builder, "url", url);
  ow_json_add_string (builder, "publicUrl", self->public_url);
  ow_json_add_string (builder, "error", self->openwork_app_error);
  json_builder_end_object (builder);
}

/* GET /v1/openwork-app: whether OpenWork app access is on; PUT {enabled}: switches it. */
static void
on_openwork_app_request (SoupServer *server,
                         SoupServerMessage *message,
                         const char *path,
                         GHashTable *query,
                         gpointer user_data)
{
  OwHost *self = user_data;
  const char *method = soup_server_message_get_method (message);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) answer = NULL;

  if (g_str_equal (method, "PUT"))
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) body = ow_http_parse_request_object (message, &error);
      gboolean enabled = FALSE;

      if (body == NULL ||
          !ow_json_get_boolean (body, "enabled", OW_JSON_REQUIRED, &enabled, &error))
        {
          ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
          return;
        }
      if (!ow_host_set_openwork_app_access (self, enabled, &error))
        {
          ow_http_reply_error (message, SOUP_STATUS_CONFLICT, "openwork_app_unavailable",
                               error->message);
          return;
        }
    }
  else if (!g_str_equal (method, "GET"))
    {
      ow_http_reply_error (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                           "Use GET to read OpenWork app access, PUT to switch it.");
      return;
    }

  add_openwork_app (self, builder);
  answer = json_builder_get_root (builder);
  ow_http_reply_json (message, SOUP_STATUS_OK, answer);
}

/* /api/… on the control socket is the gateway's API with owner rights. */
static void
on_api_request (SoupServer *server,
                SoupServerMessage *message,
                const char *path,
                GHashTable *query,
                gpointer user_data)
{
  OwHost *self = user_data;

  ow_gateway_dispatch_as_owner (self->gateway, message, path + strlen ("/api"), query);
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

static gboolean start_openwork_app (OwHost *self, GError **error);

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
  return start_openwork_app (self, error);
}

/* OpenWork app access as wanted. A port asked for on the command line must open; one
 * from host.conf or the settings may be taken without keeping the host from starting:
 * the status and the Health window say why it is off. */
static gboolean
start_openwork_app (OwHost *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!self->openwork_app ||
      ow_gateway_set_http_port (self->gateway, self->openwork_app_port, &local_error))
    return TRUE;
  if (self->openwork_app_for_a_run)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_warning ("OpenWork app access stays off: %s", local_error->message);
  self->openwork_app_error = g_strdup (local_error->message);
  return TRUE;
}

gboolean
ow_host_start (OwHost *self, GError **error)
{
  g_return_val_if_fail (OW_IS_HOST (self), FALSE);
  g_return_val_if_fail (self->supervisor == NULL, FALSE);

  if (!ow_paths_ensure (self->paths, error))
    return FALSE;

  self->control = ow_control_server_new (ow_paths_get_control_socket (self->paths));
  ow_control_server_add_handler (self->control, "/v1/status", on_status_request, self, NULL);
  ow_control_server_add_handler (self->control, "/v1/routes", on_routes_request, self, NULL);
  ow_control_server_add_handler (self->control, "/v1/openwork-app", on_openwork_app_request, self,
                                 NULL);
  ow_control_server_add_handler (self->control, "/api", on_api_request, self, NULL);
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

JsonNode *
ow_host_build_status (OwHost *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  OwRuntimeSupervisor *runtime;

  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  runtime = self->supervisor;

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "host");
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "version", PACKAGE_VERSION);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  json_builder_set_member_name (builder, "uptimeMs");
  json_builder_add_int_value (builder, (gint64) ow_host_get_uptime_ms (self));
  ow_json_add_string (builder, "dataDir", ow_paths_get_data_dir (self->paths));
  ow_json_add_string (builder, "logDir", ow_paths_get_log_dir (self->paths));
  json_builder_set_member_name (builder, "paused");
  json_builder_add_boolean_value (builder, self->paused);
  ow_json_add_string (builder, "fingerprint",
                      self->identity ? ow_identity_get_fingerprint (self->identity) : NULL);
  json_builder_set_member_name (builder, "workspaces");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->workspaces->len; i++)
    json_builder_add_string_value (builder,
                                   ((OwWorkspace *) g_ptr_array_index (self->workspaces, i))->path);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "gateway");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, self->gateway ? ow_gateway_get_port (self->gateway) : 0);
  json_builder_set_member_name (builder, "httpPort");
  if (self->gateway && ow_gateway_get_http_port (self->gateway) > 0)
    json_builder_add_int_value (builder, ow_gateway_get_http_port (self->gateway));
  else
    json_builder_add_null_value (builder);
  ow_json_add_string (builder, "certificate",
                      self->identity ? ow_identity_get_certificate_path (self->identity) : NULL);
  json_builder_set_member_name (builder, "connections");
  json_builder_add_int_value (builder,
                              self->gateway ? ow_gateway_count_connections (self->gateway) : 0);
  json_builder_set_member_name (builder, "streams");
  json_builder_add_int_value (builder,
                              self->gateway ? ow_gateway_count_streams (self->gateway) : 0);
  json_builder_set_member_name (builder, "discovery");
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "state",
                      ow_discovery_state_to_string (self->discovery
                                                      ? ow_discovery_get_state (self->discovery)
                                                      : OW_DISCOVERY_OFF));
  ow_json_add_string (builder, "name",
                      self->discovery ? ow_discovery_get_name (self->discovery) : self->name);
  ow_json_add_string (builder, "reason",
                      self->discovery ? ow_discovery_get_reason (self->discovery) : NULL);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "openworkApp");
  add_openwork_app (self, builder);
  json_builder_set_member_name (builder, "warnings");
  json_builder_begin_array (builder);
  if (self->gateway && ow_gateway_get_http_port (self->gateway) > 0)
    json_builder_add_string_value (builder, "Plain HTTP is on: tokens and tasks cross the network "
                                            "unencrypted.");
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "metrics");
  if (self->metrics)
    json_builder_add_value (builder, ow_metrics_report (self->metrics, 7));
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "runtime");
  json_builder_begin_object (builder);
  ow_json_add_string (builder, "state",
                      ow_runtime_state_to_string (runtime
                                                    ? ow_runtime_supervisor_get_state (runtime)
                                                    : OW_RUNTIME_STATE_STOPPED));
  ow_json_add_string (builder, "version",
                      runtime ? ow_runtime_supervisor_get_version (runtime) : NULL);
  ow_json_add_string (builder, "pinnedVersion", OW_OPENCODE_VERSION);
  ow_json_add_string (builder, "binary", self->runtime_binary);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, runtime ? ow_runtime_supervisor_get_pid (runtime) : 0);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, runtime ? ow_runtime_supervisor_get_port (runtime) : 0);
  json_builder_set_member_name (builder, "restarts");
  json_builder_add_int_value (builder, runtime ? ow_runtime_supervisor_get_restarts (runtime) : 0);
  ow_json_add_string (builder, "lastError",
                      runtime ? ow_runtime_supervisor_get_last_error (runtime) : NULL);
  json_builder_end_object (builder);

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
  if (!add_workspace (self->workspaces, seen, path, error))
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
  g_autofree char *config_path = NULL;
  g_autoptr (GError) save_error = NULL;
  guint before;

  g_return_val_if_fail (OW_IS_HOST (self), FALSE);
  g_return_val_if_fail (self->gateway != NULL, FALSE);

  before = ow_host_get_openwork_app_port (self);
  if (!ow_gateway_set_http_port (self->gateway, enabled ? self->openwork_app_port : -1, error))
    return FALSE;
  self->openwork_app = !!enabled;
  g_clear_pointer (&self->openwork_app_error, g_free);
  g_message (enabled ? "OpenWork app access turned on by the owner."
                     : "OpenWork app access turned off by the owner.");

  /* Kept for the next start; the switch itself has happened either way. */
  config_path = g_build_filename (ow_paths_get_config_dir (self->paths), "host.conf", NULL);
  g_key_file_set_boolean (self->config, "openwork-app", "access", self->openwork_app);
  if (!g_key_file_save_to_file (self->config, config_path, &save_error))
    g_warning ("OpenWork app access is %s, but host.conf could not keep it for the next start: "
               "%s",
               enabled ? "on" : "off", save_error->message);

  if (ow_host_get_openwork_app_port (self) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPENWORK_APP_PORT]);
  return TRUE;
}

guint
ow_host_get_openwork_app_port (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), 0);
  return self->gateway ? ow_gateway_get_http_port (self->gateway) : 0;
}

const char *
ow_host_get_openwork_app_error (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->openwork_app_error;
}

char *
ow_host_dup_openwork_app_url (OwHost *self)
{
  g_return_val_if_fail (OW_IS_HOST (self), NULL);
  return self->gateway ? ow_gateway_dup_openwork_app_url (self->gateway) : NULL;
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
  g_free (self->openwork_app_error);
  g_free (self->public_url);
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
