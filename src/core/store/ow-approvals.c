#include "config.h"

#include "ow-approvals.h"
#include "ow-json.h"

/* clang-format off */
G_DEFINE_QUARK (ow-approvals-error-quark, ow_approvals_error)
/* clang-format on */

/* How many answered ids are remembered, to tell "already answered" from "unknown". */
#define ANSWERED_MEMORY 256

typedef struct
{
  char *id;
  char *workspace_id;
  char *action;
  char *summary;
  GStrv paths;
  JsonObject *actor;
  gint64 created_ms;
} Request;

struct _OwApprovals
{
  GObject parent_instance;

  GPtrArray *waiting; /* Request, oldest first */
  GQueue answered;    /* ids, newest last */
  guint next_id;
};

G_DEFINE_FINAL_TYPE (OwApprovals, ow_approvals, G_TYPE_OBJECT)

enum
{
  SIGNAL_REPLIED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
request_free (Request *request)
{
  g_free (request->id);
  g_free (request->workspace_id);
  g_free (request->action);
  g_free (request->summary);
  g_strfreev (request->paths);
  g_clear_pointer (&request->actor, json_object_unref);
  g_free (request);
}

OwApprovals *
ow_approvals_new (void)
{
  return g_object_new (OW_TYPE_APPROVALS, NULL);
}

char *
ow_approvals_add (OwApprovals *self,
                  const char *workspace_id,
                  const char *action,
                  const char *summary,
                  const char *const *paths,
                  JsonObject *actor)
{
  Request *request;

  g_return_val_if_fail (OW_IS_APPROVALS (self), NULL);
  g_return_val_if_fail (workspace_id != NULL && action != NULL && summary != NULL, NULL);
  g_return_val_if_fail (actor != NULL, NULL);

  request = g_new0 (Request, 1);
  request->id = g_strdup_printf ("apr_%u", ++self->next_id);
  request->workspace_id = g_strdup (workspace_id);
  request->action = g_strdup (action);
  request->summary = g_strdup (summary);
  request->paths = paths ? g_strdupv ((char **) paths) : g_new0 (char *, 1);
  request->actor = json_object_ref (actor);
  request->created_ms = g_get_real_time () / 1000;
  g_ptr_array_add (self->waiting, request);
  return g_strdup (request->id);
}

JsonNode *
ow_approvals_list (OwApprovals *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (OW_IS_APPROVALS (self), NULL);

  json_builder_begin_array (builder);
  for (guint i = 0; i < self->waiting->len; i++)
    {
      Request *request = g_ptr_array_index (self->waiting, i);
      JsonNode *actor = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (actor, request->actor);
      json_builder_begin_object (builder);
      ow_json_add_string (builder, "id", request->id);
      ow_json_add_string (builder, "workspaceId", request->workspace_id);
      ow_json_add_string (builder, "action", request->action);
      ow_json_add_string (builder, "summary", request->summary);
      json_builder_set_member_name (builder, "paths");
      json_builder_begin_array (builder);
      for (guint n = 0; request->paths[n]; n++)
        json_builder_add_string_value (builder, request->paths[n]);
      json_builder_end_array (builder);
      ow_json_add_int (builder, "createdAt", request->created_ms);
      json_builder_set_member_name (builder, "actor");
      json_builder_add_value (builder, actor);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

gboolean
ow_approvals_reply (OwApprovals *self, const char *id, gboolean allow, GError **error)
{
  g_return_val_if_fail (OW_IS_APPROVALS (self), FALSE);

  for (guint i = 0; i < self->waiting->len; i++)
    {
      Request *request = g_ptr_array_index (self->waiting, i);

      if (g_str_equal (request->id, id))
        {
          g_autofree char *answered = g_strdup (request->id);

          g_ptr_array_remove_index (self->waiting, i);
          g_queue_push_tail (&self->answered, g_strdup (answered));
          if (g_queue_get_length (&self->answered) > ANSWERED_MEMORY)
            g_free (g_queue_pop_head (&self->answered));
          g_signal_emit (self, signals[SIGNAL_REPLIED], 0, answered, allow);
          return TRUE;
        }
    }

  if (g_queue_find_custom (&self->answered, id, (GCompareFunc) g_strcmp0))
    g_set_error (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_ALREADY_ANSWERED,
                 "The request %s was already answered.", id);
  else
    g_set_error (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_NOT_FOUND,
                 "No request %s is waiting for an answer.", id);
  return FALSE;
}

static void
ow_approvals_finalize (GObject *object)
{
  OwApprovals *self = OW_APPROVALS (object);

  g_ptr_array_unref (self->waiting);
  g_queue_clear_full (&self->answered, g_free);

  G_OBJECT_CLASS (ow_approvals_parent_class)->finalize (object);
}

static void
ow_approvals_class_init (OwApprovalsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_approvals_finalize;

  /**
   * OwApprovals::replied:
   * @id: the request
   * @allow: the answer
   */
  signals[SIGNAL_REPLIED] =
    g_signal_new ("replied", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
}

static void
ow_approvals_init (OwApprovals *self)
{
  self->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  g_queue_init (&self->answered);
}
