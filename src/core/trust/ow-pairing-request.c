#include "config.h"

#include "ow-pairing-request.h"

struct _OwPairingRequest
{
  GObject parent_instance;

  char *id;
  char *name;
  char *platform;
  char *method;
  char *address;
  gint64 requested_ms;
};

G_DEFINE_FINAL_TYPE (OwPairingRequest, ow_pairing_request, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_PLATFORM,
  PROP_METHOD,
  PROP_ADDRESS,
  PROP_REQUESTED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

OwPairingRequest *
ow_pairing_request_new (const char *id,
                        const char *name,
                        const char *platform,
                        const char *method,
                        const char *address,
                        gint64 requested_at)
{
  g_return_val_if_fail (id != NULL, NULL);

  return g_object_new (OW_TYPE_PAIRING_REQUEST, "id", id, "name", name, "platform", platform,
                       "method", method, "address", address, "requested-at", requested_at, NULL);
}

const char *
ow_pairing_request_get_id (OwPairingRequest *self)
{
  g_return_val_if_fail (OW_IS_PAIRING_REQUEST (self), NULL);
  return self->id;
}

const char *
ow_pairing_request_get_name (OwPairingRequest *self)
{
  g_return_val_if_fail (OW_IS_PAIRING_REQUEST (self), NULL);
  return self->name;
}

const char *
ow_pairing_request_get_platform (OwPairingRequest *self)
{
  g_return_val_if_fail (OW_IS_PAIRING_REQUEST (self), NULL);
  return self->platform;
}

const char *
ow_pairing_request_get_method (OwPairingRequest *self)
{
  g_return_val_if_fail (OW_IS_PAIRING_REQUEST (self), NULL);
  return self->method;
}

const char *
ow_pairing_request_get_address (OwPairingRequest *self)
{
  g_return_val_if_fail (OW_IS_PAIRING_REQUEST (self), NULL);
  return self->address;
}

gint64
ow_pairing_request_get_requested_at (OwPairingRequest *self)
{
  g_return_val_if_fail (OW_IS_PAIRING_REQUEST (self), 0);
  return self->requested_ms;
}

static void
ow_pairing_request_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OwPairingRequest *self = OW_PAIRING_REQUEST (object);

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
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_REQUESTED_AT:
      g_value_set_int64 (value, self->requested_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_pairing_request_set_property (GObject *object,
                                 guint prop_id,
                                 const GValue *value,
                                 GParamSpec *pspec)
{
  OwPairingRequest *self = OW_PAIRING_REQUEST (object);

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
    case PROP_ADDRESS:
      self->address = g_value_dup_string (value);
      break;
    case PROP_REQUESTED_AT:
      self->requested_ms = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_pairing_request_finalize (GObject *object)
{
  OwPairingRequest *self = OW_PAIRING_REQUEST (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->platform);
  g_free (self->method);
  g_free (self->address);

  G_OBJECT_CLASS (ow_pairing_request_parent_class)->finalize (object);
}

static void
ow_pairing_request_class_init (OwPairingRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags made = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = ow_pairing_request_get_property;
  object_class->set_property = ow_pairing_request_set_property;
  object_class->finalize = ow_pairing_request_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, made);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, made);
  properties[PROP_PLATFORM] = g_param_spec_string ("platform", NULL, NULL, NULL, made);
  properties[PROP_METHOD] = g_param_spec_string ("method", NULL, NULL, NULL, made);
  properties[PROP_ADDRESS] = g_param_spec_string ("address", NULL, NULL, NULL, made);
  properties[PROP_REQUESTED_AT] =
    g_param_spec_int64 ("requested-at", NULL, NULL, 0, G_MAXINT64, 0, made);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_pairing_request_init (OwPairingRequest *self)
{
}
