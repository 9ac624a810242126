#include "config.h"

#include "ow-permission-request.h"
#include "ow-json.h"

struct _OwPermissionRequest
{
  GObject parent_instance;

  JsonObject *properties;
  char *directory;
  char *summary;
  gint64 asked_ms;
  OwPermissionRequestState state;
  char *answered_by;
};

G_DEFINE_FINAL_TYPE (OwPermissionRequest, ow_permission_request, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The command in full is clearer than the patterns made of it. */
static char *
make_summary (JsonObject *request)
{
  JsonObject *metadata = NULL;
  JsonArray *patterns = NULL;
  const char *command = NULL;
  g_auto (GStrv) lines = NULL;

  if (ow_json_get_object (request, "metadata", OW_JSON_OPTIONAL, &metadata, NULL) && metadata &&
      ow_json_get_string (metadata, "command", OW_JSON_OPTIONAL, &command, NULL) && command)
    return g_strdup (command);
  if (!ow_json_get_array (request, "patterns", OW_JSON_OPTIONAL, &patterns, NULL) ||
      patterns == NULL)
    return g_strdup ("");
  lines = ow_json_array_get_strings (patterns, "patterns", NULL);
  return lines ? g_strjoinv ("\n", lines) : g_strdup ("");
}

static void
ow_permission_request_get_property (GObject *object,
                                    guint prop_id,
                                    GValue *value,
                                    GParamSpec *pspec)
{
  OwPermissionRequest *self = OW_PERMISSION_REQUEST (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_permission_request_finalize (GObject *object)
{
  OwPermissionRequest *self = OW_PERMISSION_REQUEST (object);

  json_object_unref (self->properties);
  g_free (self->directory);
  g_free (self->summary);
  g_free (self->answered_by);

  G_OBJECT_CLASS (ow_permission_request_parent_class)->finalize (object);
}

static void
ow_permission_request_class_init (OwPermissionRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ow_permission_request_get_property;
  object_class->finalize = ow_permission_request_finalize;

  /**
   * OwPermissionRequest:state:
   *
   * An #OwPermissionRequestState: waiting, answering, answered or gone.
   */
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, OW_PERMISSION_REQUEST_WAITING,
                      OW_PERMISSION_REQUEST_GONE, OW_PERMISSION_REQUEST_WAITING,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_permission_request_init (OwPermissionRequest *self)
{
}

OwPermissionRequest *
ow_permission_request_new (JsonObject *request, const char *directory)
{
  OwPermissionRequest *self = g_object_new (OW_TYPE_PERMISSION_REQUEST, NULL);

  self->properties = json_object_ref (request);
  self->directory = g_strdup (directory ? directory : "");
  self->summary = make_summary (request);
  self->asked_ms = g_get_real_time () / 1000;
  return self;
}

const char *
ow_permission_request_get_id (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), NULL);
  return ow_json_string_or_null (self->properties, "id") ?: "";
}

const char *
ow_permission_request_get_session_id (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), NULL);
  return ow_json_string_or_null (self->properties, "sessionID") ?: "";
}

const char *
ow_permission_request_get_permission (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), NULL);
  return ow_json_string_or_null (self->properties, "permission") ?: "";
}

const char *
ow_permission_request_get_directory (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), NULL);
  return self->directory;
}

const char *
ow_permission_request_get_summary (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), NULL);
  return self->summary;
}

gint64
ow_permission_request_get_asked_ms (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), 0);
  return self->asked_ms;
}

OwPermissionRequestState
ow_permission_request_get_state (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), OW_PERMISSION_REQUEST_GONE);
  return self->state;
}

const char *
ow_permission_request_get_answered_by (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), NULL);
  return self->answered_by;
}

JsonObject *
ow_permission_request_get_properties (OwPermissionRequest *self)
{
  g_return_val_if_fail (OW_IS_PERMISSION_REQUEST (self), NULL);
  return self->properties;
}

void
ow_permission_request_set_state (OwPermissionRequest *self,
                                 OwPermissionRequestState state,
                                 const char *answered_by)
{
  char *answered_by_copy;

  g_return_if_fail (OW_IS_PERMISSION_REQUEST (self));

  /* @answered_by may be this request's own. */
  answered_by_copy = g_strdup (answered_by);
  g_free (self->answered_by);
  self->answered_by = answered_by_copy;
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}
