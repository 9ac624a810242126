#include "config.h"

#include "ow-approvals.h"
#include "ow-gateway-routes.h"

static void
on_replied (OwApprovals *approvals, const char *id, gboolean allow, gpointer user_data)
{
  GString *heard = user_data;

  g_string_append_printf (heard, "%s=%s;", id, allow ? "allow" : "deny");
}

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  g_string_append_printf (data, "%u-%u+%u;", position, removed, added);
}

/* The requests wait in the model, oldest first, each answered once; the API's items have
 * upstream's shape. */
static void
test_requests_wait_in_order_and_are_answered_once (void)
{
  g_autoptr (OwApprovals) approvals = ow_approvals_new ();
  g_autoptr (GString) heard = g_string_new (NULL);
  g_autoptr (GString) changes = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (OwApproval) item = NULL;
  const char *paths[] = { "/home/ana/site/.opencode/skills/foo/SKILL.md", NULL };
  const OwApprovalActor actor = { "remote", NULL, "3b1f", "collaborator" };
  g_autofree char *expected = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *hash = NULL;
  g_auto (GStrv) listed_paths = NULL;
  JsonObject *object;
  gint64 before = g_get_real_time () / 1000;

  g_signal_connect (approvals, "items-changed", G_CALLBACK (on_items_changed), changes);
  first = g_strdup (ow_approval_get_id (
    ow_approvals_add (approvals, "ws_1", "skills.upsert", "Upsert skill foo", paths, &actor)));
  second = g_strdup (ow_approval_get_id (
    ow_approvals_add (approvals, "ws_2", "config.patch", "Patch opencode.json", NULL, &actor)));
  g_assert_cmpstr (first, !=, second);
  g_signal_connect (approvals, "replied", G_CALLBACK (on_replied), heard);

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (approvals)) == OW_TYPE_APPROVAL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (approvals)), ==, 2);
  item = g_list_model_get_item (G_LIST_MODEL (approvals), 0);
  g_assert_true (ow_approvals_lookup (approvals, first) == item);
  g_object_get (item, "paths", &listed_paths, "actor-token-hash", &hash, NULL);
  g_assert_cmpstr (listed_paths[0], ==, paths[0]);
  g_assert_cmpstr (hash, ==, "3b1f");
  g_assert_cmpint (ow_approval_get_created_at (item), >=, before);

  ow_openwork_routes_add_approval (builder, item);
  node = json_builder_get_root (builder);
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (object), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, first);
  g_assert_cmpstr (json_object_get_string_member (object, "workspaceId"), ==, "ws_1");
  g_assert_cmpstr (json_object_get_string_member (object, "action"), ==, "skills.upsert");
  g_assert_cmpstr (json_object_get_string_member (object, "summary"), ==, "Upsert skill foo");
  g_assert_cmpstr (
    json_array_get_string_element (json_object_get_array_member (object, "paths"), 0), ==,
    paths[0]);
  g_assert_cmpint (json_object_get_int_member (object, "createdAt"), >=, before);
  object = json_object_get_object_member (object, "actor");
  g_assert_cmpuint (json_object_get_size (object), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (object, "scope"), ==, "collaborator");
  g_clear_object (&item);
  item = g_list_model_get_item (G_LIST_MODEL (approvals), 1);
  g_assert_cmpstr (ow_approval_get_id (item), ==, second);
  g_assert_null (ow_approval_get_paths (item)[0]);

  g_assert_true (ow_approvals_reply (approvals, first, TRUE, &error));
  g_assert_no_error (error);
  g_assert_null (ow_approvals_lookup (approvals, first));
  g_assert_false (ow_approvals_reply (approvals, first, FALSE, &error));
  g_assert_error (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_ALREADY_ANSWERED);
  g_clear_error (&error);
  g_assert_false (ow_approvals_reply (approvals, "apr_404", TRUE, &error));
  g_assert_error (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (ow_approvals_reply (approvals, second, FALSE, NULL));
  expected = g_strdup_printf ("%s=allow;%s=deny;", first, second);
  g_assert_cmpstr (heard->str, ==, expected);
  g_assert_cmpstr (changes->str, ==, "0-0+1;1-0+1;0-1+0;0-1+0;");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (approvals)), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/approvals/wait-in-order-answered-once",
                   test_requests_wait_in_order_and_are_answered_once);
  return g_test_run ();
}
