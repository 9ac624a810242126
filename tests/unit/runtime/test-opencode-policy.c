/* What a device may reach in the runtime: the path the runtime will act on, classified,
 * and the query without what the gateway decides itself. */
#include "config.h"

#include "ow-opencode-policy.h"
#include "ow-opencode-proxy.h"

static void
assert_route (const char *method, const char *path, const char *canonical, OwOpencodeAction action)
{
  g_auto (OwOpencodeRoute) route = { 0 };
  g_autoptr (GError) error = NULL;

  g_test_message ("%s %s", method, path);
  g_assert_true (ow_opencode_route_parse (method, path, &route, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (route.path, ==, canonical);
  g_assert_cmpint (route.action, ==, action);
}

static void
test_spellings_of_one_route_are_one_route (void)
{
  const char *const sessions[] = { "/session",   "/session/",     "//session",  "/SESSION",
                                   "/se%73sion", "/x/../session", "/./session", "/session//" };

  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    assert_route ("POST", sessions[i], "/session", OW_OPENCODE_SESSION_CREATE);
  assert_route ("PATCH", "/Session//ses_1/", "/session/ses_1", OW_OPENCODE_SESSION_UPDATE);
  assert_route ("POST", "/session/ses_1/prompt_async", "/session/ses_1/prompt_async",
                OW_OPENCODE_PROMPT);
  assert_route ("GET", "/config/", "/config", OW_OPENCODE_READ_SECRETS);
  assert_route ("HEAD", "/session", "/session", OW_OPENCODE_READ);
  assert_route ("GET", "", "/", OW_OPENCODE_OWNER);
  /* A name with a space or a non-ASCII letter is sent encoded. */
  assert_route ("GET", "/session/a b\xc3\xa9", "/session/a%20b%C3%A9", OW_OPENCODE_READ);
}

static void
test_what_runs_outside_the_permission_system_is_the_owners (void)
{
  g_auto (OwOpencodeRoute) unknown = { 0 };

  assert_route ("POST", "/pty", "/pty", OW_OPENCODE_OWNER);
  assert_route ("POST", "//PTY/", "/pty", OW_OPENCODE_OWNER);
  assert_route ("POST", "/session/s/shell", "/session/s/shell", OW_OPENCODE_OWNER);
  assert_route ("POST", "/session/s/command", "/session/s/command", OW_OPENCODE_OWNER);
  assert_route ("POST", "/session/s/fork", "/session/s/fork", OW_OPENCODE_OWNER);
  assert_route ("PATCH", "/config", "/config", OW_OPENCODE_OWNER);
  g_assert_true (ow_opencode_route_parse ("POST", "/added/later", &unknown, NULL));
  g_assert_false (unknown.classified);
  g_assert_cmpint (unknown.action, ==, OW_OPENCODE_OWNER);
}

static void
test_paths_that_read_two_ways_are_refused (void)
{
  const char *const bad[] = { "/session%2F", "/session%00", "/session%5C",   "/a\\b", "/..",
                              "/x/../..",    "/%E0%A4%A",   "/session%2500", "/a%01b" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto (OwOpencodeRoute) route = { 0 };
      g_autoptr (GError) error = NULL;

      g_test_message ("%s", bad[i]);
      g_assert_false (ow_opencode_route_parse ("POST", bad[i], &route, &error));
      g_assert_error (error, OW_OPENCODE_POLICY_ERROR, OW_OPENCODE_POLICY_ERROR_BAD_PATH);
    }
}

static void
test_the_query_loses_what_the_gateway_decides (void)
{
  const struct
  {
    const char *query;
    const char *kept;
  } cases[] = {
    { "directory=/etc", NULL },      { "%64irectory=/etc&limit=5", "limit=5" },
    { "DIRECTORY=/etc&x=1", "x=1" }, { "auth_token=owt_x&a=%2F", "a=%2F" },
    { "auth%5Ftoken=owt_x", NULL },  { "%zz=1&b=2", "b=2" },
    { "a&b=&=c", "a&b=" },           { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *kept = ow_opencode_proxy_strip_query (cases[i].query);

      g_test_message ("%s", cases[i].query);
      g_assert_cmpstr (kept, ==, cases[i].kept);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/opencode-policy/spellings", test_spellings_of_one_route_are_one_route);
  g_test_add_func ("/opencode-policy/owner-only",
                   test_what_runs_outside_the_permission_system_is_the_owners);
  g_test_add_func ("/opencode-policy/two-ways", test_paths_that_read_two_ways_are_refused);
  g_test_add_func ("/opencode-policy/query", test_the_query_loses_what_the_gateway_decides);
  return g_test_run ();
}
