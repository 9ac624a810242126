#include "config.h"

#include "ow-approvals.h"

static void
on_replied (OwApprovals *approvals, const char *id, gboolean allow, gpointer user_data)
{
  GString *heard = user_data;

  g_string_append_printf (heard, "%s=%s;", id, allow ? "allow" : "deny");
}

/* The items are upstream's `/approvals` items, oldest first, and each is answered once. */
static void
test_items_have_upstream_shape_and_are_answered_once (void)
{
  g_autoptr (OwApprovals) approvals = ow_approvals_new ();
  g_autoptr (JsonObject) actor = json_object_new ();
  g_autoptr (GString) heard = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  const char *paths[] = { "/home/ana/site/.opencode/skills/foo/SKILL.md", NULL };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (JsonNode) list = NULL;
  JsonArray *items;
  JsonObject *item;
  gint64 before = g_get_real_time () / 1000;

  json_object_set_string_member (actor, "type", "remote");
  json_object_set_string_member (actor, "tokenHash", "3b1f");
  json_object_set_string_member (actor, "scope", "collaborator");
  first = ow_approvals_add (approvals, "ws_1", "skills.upsert", "Upsert skill foo", paths, actor);
  second = ow_approvals_add (approvals, "ws_2", "config.patch", "Patch opencode.json", NULL, actor);
  g_assert_cmpstr (first, !=, second);
  g_signal_connect (approvals, "replied", G_CALLBACK (on_replied), heard);

  list = ow_approvals_list (approvals);
  items = json_node_get_array (list);
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  item = json_array_get_object_element (items, 0);
  g_assert_cmpuint (json_object_get_size (item), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (item, "id"), ==, first);
  g_assert_cmpstr (json_object_get_string_member (item, "workspaceId"), ==, "ws_1");
  g_assert_cmpstr (json_object_get_string_member (item, "action"), ==, "skills.upsert");
  g_assert_cmpstr (json_object_get_string_member (item, "summary"), ==, "Upsert skill foo");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (item, "paths"), 0),
                   ==, paths[0]);
  g_assert_cmpint (json_object_get_int_member (item, "createdAt"), >=, before);
  g_assert_cmpstr (
    json_object_get_string_member (json_object_get_object_member (item, "actor"), "scope"), ==,
    "collaborator");
  item = json_array_get_object_element (items, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (item, "paths")), ==, 0);

  g_assert_true (ow_approvals_reply (approvals, first, TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (ow_approvals_reply (approvals, first, FALSE, &error));
  g_assert_error (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_ALREADY_ANSWERED);
  g_clear_error (&error);
  g_assert_false (ow_approvals_reply (approvals, "apr_404", TRUE, &error));
  g_assert_error (error, OW_APPROVALS_ERROR, OW_APPROVALS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (ow_approvals_reply (approvals, second, FALSE, NULL));
  expected = g_strdup_printf ("%s=allow;%s=deny;", first, second);
  g_assert_cmpstr (heard->str, ==, expected);

  g_clear_pointer (&list, json_node_unref);
  list = ow_approvals_list (approvals);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/approvals/upstream-shape",
                   test_items_have_upstream_shape_and_are_answered_once);
  return g_test_run ();
}
