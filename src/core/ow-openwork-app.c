#include "config.h"

#include "ow-openwork-app.h"
#include "ow-host-config.h"
#include "ow-json.h"

struct _OwOpenworkApp
{
  GObject parent_instance;

  GKeyFile *config;
  char *config_path;
  OwGateway *gateway; /* once started; the host owns it (a weak pointer) */
  gboolean wanted;
  int port;           /* its port (0: a free one) */
  gboolean for_a_run; /* given on the command line: it must open */
  char *error;        /* why it is off although wanted */
  char *public_url;   /* [openwork-app] public-url */
};

G_DEFINE_FINAL_TYPE (OwOpenworkApp, ow_openwork_app, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What is wanted, when the command line did not say: host.conf, else the settings. */
static gboolean
read_config (OwOpenworkApp *self, gboolean enabled, guint port, guint configured, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  self->port = (int) (configured ? configured : port ? port : OW_DEFAULT_OPENWORK_APP_PORT);
  self->wanted = enabled;
  if (!g_key_file_has_key (self->config, "openwork-app", "access", NULL))
    return TRUE;
  self->wanted = g_key_file_get_boolean (self->config, "openwork-app", "access", &local_error);
  if (local_error == NULL)
    return TRUE;
  g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "In host.conf, [openwork-app] access must be true or false.");
  return FALSE;
}

OwOpenworkApp *
ow_openwork_app_new (GKeyFile *config,
                     const char *config_path,
                     int run_port,
                     gboolean enabled,
                     guint port,
                     GError **error)
{
  g_autoptr (OwOpenworkApp) self = g_object_new (OW_TYPE_OPENWORK_APP, NULL);
  g_autoptr (GError) local_error = NULL;
  guint configured = 0;

  g_return_val_if_fail (config != NULL && config_path != NULL, NULL);

  /* Checked even when the command line decides this run: the file is wrong either way. */
  if (!ow_host_config_get_uint (config, "openwork-app", "port", 65535, &configured, error))
    return NULL;
  self->config = g_key_file_ref (config);
  self->config_path = g_strdup (config_path);
  if (run_port != OW_HOST_PORT_UNSET)
    {
      self->wanted = run_port >= 0;
      self->port = MAX (run_port, 0);
      self->for_a_run = TRUE;
    }
  else if (!read_config (self, enabled, port, configured, error))
    {
      return NULL;
    }
  self->public_url = ow_host_config_get_public_url (config, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *
ow_openwork_app_get_public_url (OwOpenworkApp *self)
{
  g_return_val_if_fail (OW_IS_OPENWORK_APP (self), NULL);
  return self->public_url;
}

gboolean
ow_openwork_app_start (OwOpenworkApp *self, OwGateway *gateway, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (OW_IS_OPENWORK_APP (self), FALSE);
  g_return_val_if_fail (OW_IS_GATEWAY (gateway), FALSE);

  g_set_weak_pointer (&self->gateway, gateway);
  if (!self->wanted || ow_gateway_set_http_port (gateway, self->port, &local_error))
    {
      if (self->wanted)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
      return TRUE;
    }
  if (self->for_a_run)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_warning ("OpenWork app access stays off: %s", local_error->message);
  self->error = g_strdup (local_error->message);
  return TRUE;
}

gboolean
ow_openwork_app_set_enabled (OwOpenworkApp *self, gboolean enabled, GError **error)
{
  g_autoptr (GError) save_error = NULL;
  guint before;

  g_return_val_if_fail (OW_IS_OPENWORK_APP (self), FALSE);
  g_return_val_if_fail (self->gateway != NULL, FALSE);

  before = ow_openwork_app_get_port (self);
  if (!ow_gateway_set_http_port (self->gateway, enabled ? self->port : -1, error))
    return FALSE;
  self->wanted = !!enabled;
  g_clear_pointer (&self->error, g_free);
  g_message (enabled ? "OpenWork app access turned on by the owner."
                     : "OpenWork app access turned off by the owner.");

  /* Kept for the next start; the switch itself has happened either way. */
  g_key_file_set_boolean (self->config, "openwork-app", "access", self->wanted);
  if (!g_key_file_save_to_file (self->config, self->config_path, &save_error))
    g_warning ("OpenWork app access is %s, but host.conf could not keep it for the next start: "
               "%s",
               enabled ? "on" : "off", save_error->message);

  if (ow_openwork_app_get_port (self) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  return TRUE;
}

guint
ow_openwork_app_get_port (OwOpenworkApp *self)
{
  g_return_val_if_fail (OW_IS_OPENWORK_APP (self), 0);
  return self->gateway ? ow_gateway_get_http_port (self->gateway) : 0;
}

const char *
ow_openwork_app_get_error (OwOpenworkApp *self)
{
  g_return_val_if_fail (OW_IS_OPENWORK_APP (self), NULL);
  return self->error;
}

char *
ow_openwork_app_dup_url (OwOpenworkApp *self)
{
  g_return_val_if_fail (OW_IS_OPENWORK_APP (self), NULL);
  return self->gateway ? ow_gateway_dup_openwork_app_url (self->gateway) : NULL;
}

void
ow_openwork_app_describe (OwOpenworkApp *self, JsonBuilder *builder)
{
  g_autofree char *url = ow_openwork_app_dup_url (self);
  guint port = ow_openwork_app_get_port (self);

  json_builder_begin_object (builder);
  ow_json_add_boolean (builder, "enabled", port != 0);
  json_builder_set_member_name (builder, "port");
  if (port != 0)
    json_builder_add_int_value (builder, port);
  else
    json_builder_add_null_value (builder);
  ow_json_add_string (builder, "url", url);
  ow_json_add_string (builder, "publicUrl", self->public_url);
  ow_json_add_string (builder, "error", self->error);
  json_builder_end_object (builder);
}

static void
ow_openwork_app_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PORT:
      g_value_set_uint (value, ow_openwork_app_get_port (OW_OPENWORK_APP (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_openwork_app_dispose (GObject *object)
{
  OwOpenworkApp *self = OW_OPENWORK_APP (object);

  g_clear_weak_pointer (&self->gateway);

  G_OBJECT_CLASS (ow_openwork_app_parent_class)->dispose (object);
}

static void
ow_openwork_app_finalize (GObject *object)
{
  OwOpenworkApp *self = OW_OPENWORK_APP (object);

  g_clear_pointer (&self->config, g_key_file_unref);
  g_free (self->config_path);
  g_free (self->error);
  g_free (self->public_url);

  G_OBJECT_CLASS (ow_openwork_app_parent_class)->finalize (object);
}

static void
ow_openwork_app_class_init (OwOpenworkAppClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ow_openwork_app_get_property;
  object_class->dispose = ow_openwork_app_dispose;
  object_class->finalize = ow_openwork_app_finalize;

  /**
   * OwOpenworkApp:port:
   *
   * The plain-HTTP port in use; 0 while access is off.
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_openwork_app_init (OwOpenworkApp *self)
{
}
