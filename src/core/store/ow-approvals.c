#include "config.h"

#include "ow-approvals.h"

/* clang-format off */
G_DEFINE_QUARK (ow-approvals-error-quark, ow_approvals_error)
/* clang-format on */

/* How many answered ids are remembered, to tell "already answered" from "unknown". */
#define ANSWERED_MEMORY 256

struct _OwApprovals
{
  GObject parent_instance;

  GPtrArray *waiting; /* OwApproval, oldest first */
  GQueue answered;    /* ids, newest last */
  guint next_id;
};

static void ow_approvals_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OwApprovals,
                               ow_approvals,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      ow_approvals_list_model_init))

enum
{
  SIGNAL_REPLIED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GType
ow_approvals_get_item_type (GListModel *model)
{
  return OW_TYPE_APPROVAL;
}

static guint
ow_approvals_get_n_items (GListModel *model)
{
  return OW_APPROVALS (model)->waiting->len;
}

static gpointer
ow_approvals_get_item (GListModel *model, guint position)
{
  OwApprovals *self = OW_APPROVALS (model);

  if (position >= self->waiting->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->waiting, position));
}

static void
ow_approvals_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ow_approvals_get_item_type;
  iface->get_n_items = ow_approvals_get_n_items;
  iface->get_item = ow_approvals_get_item;
}

OwApprovals *
ow_approvals_new (void)
{
  return g_object_new (OW_TYPE_APPROVALS, NULL);
}

OwApproval *
ow_approvals_add (OwApprovals *self,
                  const char *workspace_id,
                  const char *action,
                  const char *summary,
                  const char *const *paths,
                  const OwApprovalActor *actor)
{
  g_autofree char *id = NULL;
  OwApproval *approval;

  g_return_val_if_fail (OW_IS_APPROVALS (self), NULL);

  id = g_strdup_printf ("apr_%u", ++self->next_id);
  approval = ow_approval_new (id, workspace_id, action, summary, paths, actor);
  g_return_val_if_fail (approval != NULL, NULL);
  g_ptr_array_add (self->waiting, approval);
  g_list_model_items_changed (G_LIST_MODEL (self), self->waiting->len - 1, 0, 1);
  return approval;
}

OwApproval *
ow_approvals_lookup (OwApprovals *self, const char *id)
{
  g_return_val_if_fail (OW_IS_APPROVALS (self), NULL);

  for (guint i = 0; i < self->waiting->len; i++)
    if (g_strcmp0 (ow_approval_get_id (g_ptr_array_index (self->waiting, i)), id) == 0)
      return g_ptr_array_index (self->waiting, i);
  return NULL;
}

gboolean
ow_approvals_reply (OwApprovals *self, const char *id, gboolean allow, GError **error)
{
  g_return_val_if_fail (OW_IS_APPROVALS (self), FALSE);

  for (guint i = 0; i < self->waiting->len; i++)
    {
      OwApproval *approval = g_ptr_array_index (self->waiting, i);

      if (g_strcmp0 (ow_approval_get_id (approval), id) == 0)
        {
          g_autofree char *answered = g_strdup (id);

          g_ptr_array_remove_index (self->waiting, i);
          g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 0);
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
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->answered);
}
