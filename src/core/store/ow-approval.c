#include "config.h"

#include "ow-approval.h"

struct _OwApproval
{
  GObject parent_instance;

  char *id;
  char *workspace_id;
  char *action;
  char *summary;
  GStrv paths;
  gint64 created_ms;
  char *actor_type;
  char *actor_client_id;
  char *actor_token_hash;
  char *actor_scope;
  OwApprovalActor actor; /* pointing at the four above */
};

G_DEFINE_FINAL_TYPE (OwApproval, ow_approval, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_WORKSPACE_ID,
  PROP_ACTION,
  PROP_SUMMARY,
  PROP_PATHS,
  PROP_CREATED_AT,
  PROP_ACTOR_TYPE,
  PROP_ACTOR_CLIENT_ID,
  PROP_ACTOR_TOKEN_HASH,
  PROP_ACTOR_SCOPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

OwApproval *
ow_approval_new (const char *id,
                 const char *workspace_id,
                 const char *action,
                 const char *summary,
                 const char *const *paths,
                 const OwApprovalActor *actor)
{
  const char *const no_paths[] = { NULL };

  g_return_val_if_fail (id != NULL && workspace_id != NULL, NULL);
  g_return_val_if_fail (action != NULL && summary != NULL, NULL);
  g_return_val_if_fail (actor != NULL && actor->type != NULL, NULL);

  return g_object_new (OW_TYPE_APPROVAL, "id", id, "workspace-id", workspace_id, "action", action,
                       "summary", summary, "paths", paths ? paths : no_paths, "actor-type",
                       actor->type, "actor-client-id", actor->client_id, "actor-token-hash",
                       actor->token_hash, "actor-scope", actor->scope, NULL);
}

const char *
ow_approval_get_id (OwApproval *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL (self), NULL);
  return self->id;
}

const char *
ow_approval_get_workspace_id (OwApproval *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL (self), NULL);
  return self->workspace_id;
}

const char *
ow_approval_get_action (OwApproval *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL (self), NULL);
  return self->action;
}

const char *
ow_approval_get_summary (OwApproval *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL (self), NULL);
  return self->summary;
}

const char *const *
ow_approval_get_paths (OwApproval *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL (self), NULL);
  return (const char *const *) self->paths;
}

gint64
ow_approval_get_created_at (OwApproval *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL (self), 0);
  return self->created_ms;
}

const OwApprovalActor *
ow_approval_get_actor (OwApproval *self)
{
  g_return_val_if_fail (OW_IS_APPROVAL (self), NULL);
  return &self->actor;
}

static void
ow_approval_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OwApproval *self = OW_APPROVAL (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_WORKSPACE_ID:
      g_value_set_string (value, self->workspace_id);
      break;
    case PROP_ACTION:
      g_value_set_string (value, self->action);
      break;
    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
      break;
    case PROP_PATHS:
      g_value_set_boxed (value, self->paths);
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_ms);
      break;
    case PROP_ACTOR_TYPE:
      g_value_set_string (value, self->actor_type);
      break;
    case PROP_ACTOR_CLIENT_ID:
      g_value_set_string (value, self->actor_client_id);
      break;
    case PROP_ACTOR_TOKEN_HASH:
      g_value_set_string (value, self->actor_token_hash);
      break;
    case PROP_ACTOR_SCOPE:
      g_value_set_string (value, self->actor_scope);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_approval_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  OwApproval *self = OW_APPROVAL (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_WORKSPACE_ID:
      self->workspace_id = g_value_dup_string (value);
      break;
    case PROP_ACTION:
      self->action = g_value_dup_string (value);
      break;
    case PROP_SUMMARY:
      self->summary = g_value_dup_string (value);
      break;
    case PROP_PATHS:
      self->paths = g_value_dup_boxed (value);
      break;
    case PROP_ACTOR_TYPE:
      self->actor_type = g_value_dup_string (value);
      break;
    case PROP_ACTOR_CLIENT_ID:
      self->actor_client_id = g_value_dup_string (value);
      break;
    case PROP_ACTOR_TOKEN_HASH:
      self->actor_token_hash = g_value_dup_string (value);
      break;
    case PROP_ACTOR_SCOPE:
      self->actor_scope = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ow_approval_constructed (GObject *object)
{
  OwApproval *self = OW_APPROVAL (object);

  G_OBJECT_CLASS (ow_approval_parent_class)->constructed (object);

  if (self->paths == NULL)
    self->paths = g_new0 (char *, 1);
  self->actor.type = self->actor_type;
  self->actor.client_id = self->actor_client_id;
  self->actor.token_hash = self->actor_token_hash;
  self->actor.scope = self->actor_scope;
}

static void
ow_approval_finalize (GObject *object)
{
  OwApproval *self = OW_APPROVAL (object);

  g_free (self->id);
  g_free (self->workspace_id);
  g_free (self->action);
  g_free (self->summary);
  g_strfreev (self->paths);
  g_free (self->actor_type);
  g_free (self->actor_client_id);
  g_free (self->actor_token_hash);
  g_free (self->actor_scope);

  G_OBJECT_CLASS (ow_approval_parent_class)->finalize (object);
}

static GParamSpec *
construct_string (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
}

static void
ow_approval_class_init (OwApprovalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ow_approval_get_property;
  object_class->set_property = ow_approval_set_property;
  object_class->constructed = ow_approval_constructed;
  object_class->finalize = ow_approval_finalize;

  properties[PROP_ID] = construct_string ("id");
  properties[PROP_WORKSPACE_ID] = construct_string ("workspace-id");
  properties[PROP_ACTION] = construct_string ("action");
  properties[PROP_SUMMARY] = construct_string ("summary");
  properties[PROP_PATHS] =
    g_param_spec_boxed ("paths", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATED_AT] = g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTOR_TYPE] = construct_string ("actor-type");
  properties[PROP_ACTOR_CLIENT_ID] = construct_string ("actor-client-id");
  properties[PROP_ACTOR_TOKEN_HASH] = construct_string ("actor-token-hash");
  properties[PROP_ACTOR_SCOPE] = construct_string ("actor-scope");
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ow_approval_init (OwApproval *self)
{
  self->created_ms = g_get_real_time () / 1000;
}
