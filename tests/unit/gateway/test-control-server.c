#include "config.h"

#include "cli/ow-control-client.h"
#include "ow-control-server.h"
#include "ow-http.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

typedef struct
{
  char *dir;
  char *socket_path;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  fixture->dir = g_dir_make_tmp ("ow-control-XXXXXX", NULL);
  g_chmod (fixture->dir, 0755);
  fixture->socket_path = g_build_filename (fixture->dir, "control.sock", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_unlink (fixture->socket_path);
  g_rmdir (fixture->dir);
  g_free (fixture->socket_path);
  g_free (fixture->dir);
}

static void
on_ping (SoupServer *server,
         SoupServerMessage *message,
         const char *path,
         GHashTable *query,
         gpointer user_data)
{
  g_autoptr (JsonNode) node = json_from_string ("{\"pong\":true}", NULL);

  ow_http_reply_json (message, SOUP_STATUS_OK, node);
}

/* The client is synchronous, so it runs in a thread while the main loop serves. */
typedef struct
{
  const char *socket_path;
  JsonNode *answer;
  GError *error;
  gboolean done;
} Request;

static gpointer
request_thread (gpointer data)
{
  Request *request = data;

  request->answer = ow_control_client_get (request->socket_path, "/v1/ping", &request->error);
  g_atomic_int_set (&request->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
request_ping (Request *request)
{
  GThread *thread = g_thread_new ("client", request_thread, request);

  while (!g_atomic_int_get (&request->done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
}

static void
test_serves_owner (Fixture *fixture, gconstpointer data)
{
  g_autoptr (OwControlServer) server = ow_control_server_new (fixture->socket_path);
  g_autoptr (GError) error = NULL;
  Request request = { .socket_path = fixture->socket_path };
  GStatBuf st;

  ow_control_server_add_handler (server, "/v1/ping", on_ping, NULL, NULL);
  g_assert_true (ow_control_server_listen (server, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->socket_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  request_ping (&request);
  g_assert_no_error (request.error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (request.answer), "pong"));
  json_node_unref (request.answer);

  /* Disposing the server removes its socket. */
  g_clear_object (&server);
  g_assert_false (g_file_test (fixture->socket_path, G_FILE_TEST_EXISTS));
}

static void
test_second_host_is_refused (Fixture *fixture, gconstpointer data)
{
  g_autoptr (OwControlServer) first = ow_control_server_new (fixture->socket_path);
  g_autoptr (OwControlServer) second = ow_control_server_new (fixture->socket_path);
  g_autoptr (GError) error = NULL;

  g_assert_true (ow_control_server_listen (first, NULL));
  g_assert_false (ow_control_server_listen (second, &error));
  g_assert_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_ALREADY_RUNNING);
  g_assert_nonnull (strstr (error->message, "already running"));
}

static void
test_stale_socket_is_replaced (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GSocket) dead = NULL;
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (fixture->socket_path);
  g_autoptr (OwControlServer) server = ow_control_server_new (fixture->socket_path);
  g_autoptr (GError) error = NULL;
  Request request = { .socket_path = fixture->socket_path };

  /* A socket file that nobody listens on, as a killed host leaves it. */
  dead = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_assert_true (g_socket_bind (dead, address, FALSE, NULL));
  g_clear_object (&dead);
  g_assert_true (g_file_test (fixture->socket_path, G_FILE_TEST_EXISTS));

  ow_control_server_add_handler (server, "/v1/ping", on_ping, NULL, NULL);
  g_assert_true (ow_control_server_listen (server, &error));
  g_assert_no_error (error);

  request_ping (&request);
  g_assert_no_error (request.error);
  json_node_unref (request.answer);
}

static void
test_no_host_is_not_running (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = ow_control_client_get (fixture->socket_path, "/v1/ping", &error);

  g_assert_null (answer);
  g_assert_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_NOT_RUNNING);
}

static void
test_too_long_path (void)
{
  g_autofree char *long_path = g_strnfill (200, 'x');
  g_autoptr (OwControlServer) server = ow_control_server_new (long_path);
  g_autoptr (GError) error = NULL;

  g_assert_false (ow_control_server_listen (server, &error));
  g_assert_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_PATH_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "--data-dir"));
}

static void
test_other_user_is_refused (Fixture *fixture, gconstpointer data)
{
  g_autoptr (OwControlServer) server = ow_control_server_new (fixture->socket_path);
  Request request = { .socket_path = fixture->socket_path };
  int status;
  pid_t child;

  if (getuid () != 0)
    {
      g_test_skip ("Needs root to connect as another user");
      return;
    }

  ow_control_server_add_handler (server, "/v1/ping", on_ping, NULL, NULL);
  g_assert_true (ow_control_server_listen (server, NULL));
  /* Open the socket's mode so that only the uid check stands in the way. */
  g_chmod (fixture->socket_path, 0666);

  child = fork ();
  if (child == 0)
    {
      /* Only async-signal-safe calls after fork() in a threaded process. */
      struct sockaddr_un address = { .sun_family = AF_UNIX };
      const char *get = "GET /v1/ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
      char answer[256] = { 0 };
      int fd;

      strncpy (address.sun_path, fixture->socket_path, sizeof address.sun_path - 1);
      if (setgid (65534) != 0 || setuid (65534) != 0)
        _exit (10);
      fd = socket (AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
        _exit (11);
      if (write (fd, get, strlen (get)) < 0 || read (fd, answer, sizeof answer - 1) <= 0)
        _exit (12);
      _exit (strncmp (answer, "HTTP/1.1 403", 12) == 0 ? 0 : 13);
    }

  while (waitpid (child, &status, WNOHANG) == 0)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  /* The owner still gets through. */
  request_ping (&request);
  g_assert_no_error (request.error);
  json_node_unref (request.answer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add ("/control/serves-owner", Fixture, NULL, fixture_set_up, test_serves_owner,
              fixture_tear_down);
  g_test_add ("/control/second-host-is-refused", Fixture, NULL, fixture_set_up,
              test_second_host_is_refused, fixture_tear_down);
  g_test_add ("/control/stale-socket-is-replaced", Fixture, NULL, fixture_set_up,
              test_stale_socket_is_replaced, fixture_tear_down);
  g_test_add ("/control/no-host-is-not-running", Fixture, NULL, fixture_set_up,
              test_no_host_is_not_running, fixture_tear_down);
  g_test_add_func ("/control/too-long-path", test_too_long_path);
  g_test_add ("/control/other-user-is-refused", Fixture, NULL, fixture_set_up,
              test_other_user_is_refused, fixture_tear_down);
  return g_test_run ();
}
