#include "config.h"

#include "ow-device.h"

struct _OwDevice
{
  GObject parent_instance;

  char *id;
  char *name;
  char *platform;
  char *method;
  OwScope scope;
  GStrv workspaces;
  char *token_id;
  gint64 paired_ms;
  gint64 last_seen_ms;
};

G_DEFINE_FINAL_TYPE (OwDevice, ow_device, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_PLATFORM,
  PROP_METHOD,
  PROP_SCOPE,
  PROP_WORKSPACES,
  PROP_TOKEN_ID,
  PROP_PAIRED_AT,
  PROP_LAST_SEEN_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

OwDevice *
ow_device_new (const char *id,
               const char *name,
               const char *platform,
               const char *method,
               OwScope scope,
               const char *const *workspaces,
               const char *token_id,
               gint64 paired_at,
               gint64 last_seen_at)
{
  g_return_val_if_fail (id != NULL && name != NULL && token_id != NULL, NULL);

  return g_object_new (OW_TYPE_DEVICE, "id", id, "name", name, "platform", platform, "method",
                       method, "scope", scope, "workspaces", workspaces, "token-id", token_id,
                       "paired-at", paired_at, "last-seen-at", last_seen_at, NULL);
}

const char *
ow_device_get_id (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), NULL);
  return self->id;
}

const char *
ow_device_get_name (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), NULL);
  return self->name;
}

const char *
ow_device_get_platform (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), NULL);
  return self->platform;
}

const char *
ow_device_get_method (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), NULL);
  return self->method;
}

OwScope
ow_device_get_scope (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), OW_SCOPE_VIEWER);
  return self->scope;
}

const char *const *
ow_device_get_workspaces (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), NULL);
  return (const char *const *) self->workspaces;
}

const char *
ow_device_get_token_id (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), NULL);
  return self->token_id;
}

gint64
ow_device_get_paired_at (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), 0);
  return self->paired_ms;
}

gint64
ow_device_get_last_seen_at (OwDevice *self)
{
  g_return_val_if_fail (OW_IS_DEVICE (self), 0);
  return self->last_seen_ms;
}

void
ow_device_set_last_seen_at (OwDevice *self, gint64 last_seen_at)
{
  g_return_if_fail (OW_IS_DEVICE (self));

  if (self->last_seen_ms == last_seen_at)
    return;
  self->last_seen_ms = last_seen_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEEN_AT]);
}

static void
ow_device_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OwDevice *self = OW_DEVICE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_PLATFORM:
      g_value_set_string (value, self->platform);
      break;
    case PROP_METHOD:
      g_value_set_string (value, self->method);
      break;
    case PROP_SCOPE:
      g_value_set_enum (value, self->scope);
      break;
    case PROP_WORKSPACES:
      g_value_set_boxed (value, self->workspaces);
      break;
    case PROP_TOKEN_ID:
      g_value_set_string (value, self->token_id);
      break;
    case PROP_PAIRED_AT:
      g_value_set_int64 (value, self->paired_ms);
      break;
    case PROP_LAST_SEEN_AT:
      g_value_set_int64 (value, self->last_seen_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_device_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  OwDevice *self = OW_DEVICE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_PLATFORM:
      self->platform = g_value_dup_string (value);
      break;
    case PROP_METHOD:
      self->method = g_value_dup_string (value);
      break;
    case PROP_SCOPE:
      self->scope = g_value_get_enum (value);
      break;
    case PROP_WORKSPACES:
      self->workspaces = g_value_dup_boxed (value);
      break;
    case PROP_TOKEN_ID:
      self->token_id = g_value_dup_string (value);
      break;
    case PROP_PAIRED_AT:
      self->paired_ms = g_value_get_int64 (value);
      break;
    case PROP_LAST_SEEN_AT:
      ow_device_set_last_seen_at (self, g_value_get_int64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_device_finalize (GObject *object)
{
  OwDevice *self = OW_DEVICE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->platform);
  g_free (self->method);
  g_strfreev (self->workspaces);
  g_free (self->token_id);

  G_OBJECT_CLASS (ow_device_parent_class)->finalize (object);
}

static GParamSpec *
construct_string (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
}

static void
ow_device_class_init (OwDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ow_device_get_property;
  object_class->set_property = ow_device_set_property;
  object_class->finalize = ow_device_finalize;

  properties[PROP_ID] = construct_string ("id");
  properties[PROP_NAME] = construct_string ("name");
  properties[PROP_PLATFORM] = construct_string ("platform");
  properties[PROP_METHOD] = construct_string ("method");
  properties[PROP_SCOPE] =
    g_param_spec_enum ("scope", NULL, NULL, OW_TYPE_SCOPE, OW_SCOPE_VIEWER,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WORKSPACES] =
    g_param_spec_boxed ("workspaces", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN_ID] = construct_string ("token-id");
  properties[PROP_PAIRED_AT] =
    g_param_spec_int64 ("paired-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_SEEN_AT] =
    g_param_spec_int64 ("last-seen-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_device_init (OwDevice *self)
{
}
