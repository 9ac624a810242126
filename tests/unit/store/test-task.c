#include "config.h"

#include "ow-task.h"

static void
count_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  GString *heard = user_data;

  g_string_append_printf (heard, "%s;", pspec->name);
}

/* Each of state, reason and updated-at notified once, in any order (frozen notifications
 * come out in no promised order). */
static void
assert_state_notified (GString *heard)
{
  g_auto (GStrv) names = g_strsplit (heard->str, ";", -1);

  g_assert_cmpuint (g_strv_length (names), ==, 4); /* the last piece is empty */
  g_assert_true (g_strv_contains ((const char *const *) names, "state"));
  g_assert_true (g_strv_contains ((const char *const *) names, "reason"));
  g_assert_true (g_strv_contains ((const char *const *) names, "updated-at"));
}

/* What a task is made with stays; state, reason and updated-at change together, notified
 * once each, and only when something changed. */
static void
test_state_changes_are_notified (void)
{
  g_autoptr (OwTask) task = ow_task_new ("ses_1", "tok_1", "Ana's phone", "ws_1", "/home/ana");
  g_autoptr (GString) heard = g_string_new (NULL);
  g_autofree char *device = NULL;
  OwTaskState state;

  g_assert_cmpstr (ow_task_get_id (task), ==, "ses_1");
  g_assert_cmpstr (ow_task_get_token_id (task), ==, "tok_1");
  g_assert_cmpstr (ow_task_get_workspace_id (task), ==, "ws_1");
  g_assert_cmpstr (ow_task_get_directory (task), ==, "/home/ana");
  g_object_get (task, "device", &device, "state", &state, NULL);
  g_assert_cmpstr (device, ==, "Ana's phone");
  g_assert_cmpint (state, ==, OW_TASK_CREATED);
  g_assert_false (ow_task_is_active (task));
  g_assert_false (ow_task_is_over (task));
  g_assert_cmpint (ow_task_get_created_at (task), >, 0);

  g_signal_connect (task, "notify", G_CALLBACK (count_notify), heard);
  g_assert_true (ow_task_set_state (task, OW_TASK_WAITING, "Waiting for permission to use bash."));
  assert_state_notified (heard);
  g_assert_true (ow_task_is_active (task));
  g_string_truncate (heard, 0);
  g_assert_false (ow_task_set_state (task, OW_TASK_WAITING, "Waiting for permission to use bash."));
  g_assert_cmpstr (heard->str, ==, "");

  g_string_truncate (heard, 0);
  g_assert_true (ow_task_set_state (task, OW_TASK_SUCCEEDED, NULL));
  assert_state_notified (heard);
  g_assert_null (ow_task_get_reason (task));
  g_assert_true (ow_task_is_over (task));
  g_assert_cmpint (ow_task_get_updated_at (task), >=, ow_task_get_created_at (task));
}

static void
test_state_names_are_the_api_words (void)
{
  g_autoptr (GEnumClass) states = g_type_class_ref (OW_TYPE_TASK_STATE);

  for (OwTaskState state = OW_TASK_CREATED; state <= OW_TASK_INTERRUPTED; state++)
    g_assert_cmpstr (ow_task_state_to_string (state), ==,
                     g_enum_get_value (states, state)->value_nick);
  g_assert_cmpstr (ow_task_state_to_string (OW_TASK_INTERRUPTED), ==, "interrupted");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/task/state-changes-are-notified", test_state_changes_are_notified);
  g_test_add_func ("/task/state-names", test_state_names_are_the_api_words);
  return g_test_run ();
}
