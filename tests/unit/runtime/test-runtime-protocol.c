#include "config.h"

#include "ow-runtime-error.h"
#include "ow-runtime-protocol.h"

#include <string.h>

static void
test_listening_line (void)
{
  const struct
  {
    const char *line;
    gboolean ok;
    guint port;
  } cases[] = {
    { "opencode server listening on http://127.0.0.1:4096", TRUE, 4096 },
    { "opencode server listening on http://127.0.0.1:65535", TRUE, 65535 },
    { "\x1b[0mopencode server listening on http://127.0.0.1:5000/", TRUE, 5000 },
    /* Never anything but loopback. */
    { "opencode server listening on http://0.0.0.0:4096", FALSE, 0 },
    { "opencode server listening on http://192.168.1.2:4096", FALSE, 0 },
    { "opencode server listening on http://localhost:4096", FALSE, 0 },
    { "opencode server listening on http://[::1]:4096", FALSE, 0 },
    { "opencode server listening on http://127.0.0.2:4096", FALSE, 0 },
    /* Malformed. */
    { "opencode server listening on https://127.0.0.1:4096", FALSE, 0 },
    { "opencode server listening on http://127.0.0.1", FALSE, 0 },
    { "opencode server listening on http://127.0.0.1:0", FALSE, 0 },
    { "opencode server listening on http://127.0.0.1:70000", FALSE, 0 },
    { "opencode server listening on ", FALSE, 0 },
    { "INFO starting server", FALSE, 0 },
    { "", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint port = 0;

      g_test_message ("line: %s", cases[i].line);
      g_assert_cmpint (ow_runtime_parse_listening_line (cases[i].line, &port), ==, cases[i].ok);
      if (cases[i].ok)
        g_assert_cmpuint (port, ==, cases[i].port);
    }
}

static void
test_health (void)
{
  const struct
  {
    const char *body;
    const char *version; /* NULL: rejected */
    int code;
  } cases[] = {
    { "{\"healthy\":true,\"version\":\"1.18.33\"}", "1.18.33", 0 },
    { "{\"version\":\"1.18.33\",\"healthy\":true,\"extra\":[1,2]}", "1.18.33", 0 },
    { "{\"healthy\":false,\"version\":\"1.18.33\"}", NULL, OW_RUNTIME_ERROR_UNHEALTHY },
    { "{\"healthy\":\"yes\",\"version\":\"1.18.33\"}", NULL, OW_RUNTIME_ERROR_BAD_OUTPUT },
    { "{\"healthy\":true}", NULL, OW_RUNTIME_ERROR_BAD_OUTPUT },
    { "{\"healthy\":true,\"version\":\"\"}", NULL, OW_RUNTIME_ERROR_BAD_OUTPUT },
    { "{\"healthy\":true,\"version\":7}", NULL, OW_RUNTIME_ERROR_BAD_OUTPUT },
    { "[true]", NULL, OW_RUNTIME_ERROR_BAD_OUTPUT },
    { "{}", NULL, OW_RUNTIME_ERROR_BAD_OUTPUT },
    { " \n", NULL, OW_RUNTIME_ERROR_BAD_OUTPUT }, /* JSON with no root at all */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *version = NULL;
      gboolean ok;

      g_test_message ("body: %s", cases[i].body);
      ok = ow_runtime_parse_health (cases[i].body, strlen (cases[i].body), &version, &error);
      if (cases[i].version)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpstr (version, ==, cases[i].version);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, OW_RUNTIME_ERROR, cases[i].code);
          g_assert_null (version);
        }
    }
}

static void
test_health_not_json (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *version = NULL;
  const char *body = "<html>502 Bad Gateway</html>";

  g_assert_false (ow_runtime_parse_health (body, strlen (body), &version, &error));
  g_assert_nonnull (error);
  g_assert_null (version);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/runtime-protocol/listening-line", test_listening_line);
  g_test_add_func ("/runtime-protocol/health", test_health);
  g_test_add_func ("/runtime-protocol/health-not-json", test_health_not_json);
  return g_test_run ();
}
