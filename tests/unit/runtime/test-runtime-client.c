#include "config.h"

#include "ow-runtime-client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * The runtime client against a scripted runtime: a thread with a blocking loopback
 * socket that answers each request as its test says (or does not).
 */

typedef enum
{
  ANSWER_LENGTH,     /* 200 with Content-Length, the connection kept */
  ANSWER_CHUNKED,    /* 200 chunked, in pieces cut mid-chunk */
  ANSWER_THEN_CLOSE, /* the first request on a connection answered, the next one not:
                      * the connection closes under it */
  ANSWER_NEVER,      /* reads the request, says nothing */
  ANSWER_STALLS,     /* a head and part of the body, then nothing */
  ANSWER_TOO_LARGE,  /* more than a call reads */
} Script;

typedef struct
{
  int listener;
  guint port;
  Script script;
  guint connections; /* accepted */
  guint requests;    /* read */
  GThread *thread;
  int wake[2]; /* written to when the test is done: the thread ends */
  char *last_request;
} Runtime;

static gboolean
write_all (int fd, const void *data, gsize size)
{
  const char *p = data;

  while (size > 0)
    {
      gssize sent = send (fd, p, size, MSG_NOSIGNAL);

      if (sent < 0 && errno == EINTR)
        continue;
      if (sent <= 0)
        return FALSE;
      p += sent;
      size -= (gsize) sent;
    }
  return TRUE;
}

/* Reads one request head (these requests have small bodies, read along). */
static gboolean
read_request (Runtime *runtime, int fd)
{
  GString *request = g_string_new (NULL);
  char buffer[4096];

  while (strstr (request->str, "\r\n\r\n") == NULL)
    {
      gssize got = recv (fd, buffer, sizeof buffer, 0);

      if (got <= 0)
        {
          g_string_free (request, TRUE);
          return FALSE;
        }
      g_string_append_len (request, buffer, got);
    }
  g_free (runtime->last_request);
  runtime->last_request = g_string_free (request, FALSE);
  runtime->requests++;
  return TRUE;
}

/* Waits until the test is done with this connection: it closes it, or ends. */
static void
hold (Runtime *runtime, int fd)
{
  char byte;

  while (recv (fd, &byte, 1, MSG_DONTWAIT) != 0)
    {
      fd_set set;
      FD_ZERO (&set);
      FD_SET (fd, &set);
      FD_SET (runtime->wake[0], &set);
      if (select (MAX (fd, runtime->wake[0]) + 1, &set, NULL, NULL, NULL) < 0 ||
          FD_ISSET (runtime->wake[0], &set))
        return;
    }
}

static void
answer (Runtime *runtime, int fd)
{
  static const char body[] = "{\"healthy\":true}";
  guint on_this_connection = 0;

  while (read_request (runtime, fd))
    switch (on_this_connection++, runtime->script)
      {
      case ANSWER_LENGTH:
      case ANSWER_THEN_CLOSE:
        {
          g_autofree char *text = g_strdup_printf (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
            strlen (body), body);
          if (runtime->script == ANSWER_THEN_CLOSE && on_this_connection > 1)
            return;
          write_all (fd, text, strlen (text));
        }
        break;

      case ANSWER_CHUNKED:
        {
          const char *pieces[] = {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"hea", "\r\n",
            "b\r\nlthy\":true}\r", "\n0\r\n\r\n"
          };
          for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
            {
              write_all (fd, pieces[i], strlen (pieces[i]));
              g_usleep (2000);
            }
        }
        break;

      case ANSWER_NEVER:
        hold (runtime, fd);
        return;

      case ANSWER_STALLS:
        {
          const char *text = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"he";
          write_all (fd, text, strlen (text));
          hold (runtime, fd);
          return;
        }

      case ANSWER_TOO_LARGE:
        {
          gsize size = OW_RUNTIME_CALL_MAX_ANSWER + 1;
          g_autofree char *head =
            g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", size);
          g_autofree char *filler = g_malloc0 (size);
          write_all (fd, head, strlen (head));
          write_all (fd, filler, size); /* fails once the client gives up */
          return;
        }
      }
}

static gpointer
serve (gpointer user_data)
{
  Runtime *runtime = user_data;

  for (;;)
    {
      fd_set set;
      int fd;

      FD_ZERO (&set);
      FD_SET (runtime->listener, &set);
      FD_SET (runtime->wake[0], &set);
      if (select (MAX (runtime->listener, runtime->wake[0]) + 1, &set, NULL, NULL, NULL) < 0 ||
          FD_ISSET (runtime->wake[0], &set))
        return NULL;
      fd = accept (runtime->listener, NULL, NULL);
      if (fd < 0)
        continue;
      runtime->connections++;
      answer (runtime, fd);
      close (fd);
    }
}

static int
listen_on_loopback (int backlog, guint *port)
{
  struct sockaddr_in address = { .sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t length = sizeof address;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (listen (fd, backlog), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &length), ==, 0);
  *port = ntohs (address.sin_port);
  return fd;
}

static Runtime *
runtime_start (Script script)
{
  Runtime *runtime = g_new0 (Runtime, 1);

  runtime->script = script;
  runtime->listener = listen_on_loopback (16, &runtime->port);
  g_assert_cmpint (pipe (runtime->wake), ==, 0);
  runtime->thread = g_thread_new ("runtime", serve, runtime);
  return runtime;
}

static void
runtime_stop (Runtime *runtime)
{
  g_assert_cmpint (write (runtime->wake[1], "x", 1), ==, 1);
  g_thread_join (runtime->thread);
  close (runtime->listener);
  close (runtime->wake[0]);
  close (runtime->wake[1]);
  g_free (runtime->last_request);
  g_free (runtime);
}

/* Calls */

typedef struct
{
  GBytes *body;
  guint status;
  GError *error;
  gboolean done;
} Result;

static void
on_called (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *call = user_data;

  call->body =
    ow_runtime_client_call_finish (OW_RUNTIME_CLIENT (source), result, &call->status, &call->error);
  call->done = TRUE;
}

static void
call (OwRuntimeClient *client,
      const OwRuntimeTimeouts *timeouts,
      GCancellable *cancellable,
      Result *result)
{
  g_autoptr (GBytes) body = g_bytes_new_static ("{}", 2);
  OwRuntimeCall request = { .method = "POST",
                            .target = "/permission/x/reply",
                            .directory = "/home/me/a b",
                            .body = body,
                            .timeouts = timeouts };

  memset (result, 0, sizeof *result);
  ow_runtime_client_call_async (client, &request, cancellable, on_called, result);
  while (!result->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->body, g_bytes_unref);
  g_clear_error (&result->error);
}

static OwRuntimeClient *
client_for (Runtime *runtime)
{
  OwRuntimeClient *client = ow_runtime_client_new ();

  ow_runtime_client_set_endpoint (client, runtime->port, "Basic b3BlbmNvZGU6eA==");
  return client;
}

static void
assert_healthy_answer (Result *result)
{
  g_assert_no_error (result->error);
  g_assert_cmpuint (result->status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (result->body, NULL), g_bytes_get_size (result->body),
                   "{\"healthy\":true}", 16);
}

/* Both framings read whole; the second call goes over the connection the first opened,
 * with the run's credentials and the folder encoded. */
static void
test_calls_read_answers_whole_over_one_connection (void)
{
  Script scripts[] = { ANSWER_LENGTH, ANSWER_CHUNKED };

  for (guint i = 0; i < G_N_ELEMENTS (scripts); i++)
    {
      Runtime *runtime = runtime_start (scripts[i]);
      g_autoptr (OwRuntimeClient) client = client_for (runtime);
      Result result;

      for (guint n = 0; n < 2; n++)
        {
          call (client, NULL, NULL, &result);
          assert_healthy_answer (&result);
          result_clear (&result);
        }
      g_assert_cmpuint (runtime->requests, ==, 2);
      g_assert_cmpuint (runtime->connections, ==, 1);
      g_assert_true (
        g_str_has_prefix (runtime->last_request, "POST /permission/x/reply HTTP/1.1\r\n"));
      g_assert_nonnull (
        strstr (runtime->last_request, "\r\nAuthorization: Basic b3BlbmNvZGU6eA==\r\n"));
      g_assert_nonnull (
        strstr (runtime->last_request, "\r\nx-opencode-directory: /home/me/a%20b\r\n"));
      g_assert_nonnull (strstr (runtime->last_request, "\r\nContent-Length: 2\r\n"));
      g_clear_object (&client);
      runtime_stop (runtime);
    }
}

/* A kept connection the runtime closed meanwhile: the call goes again on a fresh one. */
static void
test_a_closed_kept_connection_is_retried (void)
{
  Runtime *runtime = runtime_start (ANSWER_THEN_CLOSE);
  g_autoptr (OwRuntimeClient) client = client_for (runtime);
  Result result;

  for (guint n = 0; n < 3; n++)
    {
      call (client, NULL, NULL, &result);
      assert_healthy_answer (&result);
      result_clear (&result);
    }
  /* Each call after the first reached a connection that then closed, and went again. */
  g_assert_cmpuint (runtime->requests, ==, 5);
  g_assert_cmpuint (runtime->connections, ==, 3);
  g_clear_object (&client);
  runtime_stop (runtime);
}

static void
assert_timed_out (OwRuntimeClient *client, const OwRuntimeTimeouts *timeouts, const char *says)
{
  Result result;

  call (client, timeouts, NULL, &result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (result.error->message, says));
  g_assert_null (result.body);
  result_clear (&result);
}

static void
test_a_silent_runtime_times_out (void)
{
  static const OwRuntimeTimeouts timeouts = { .connect_s = 5, .answer_s = 1, .idle_s = 5 };
  Runtime *runtime = runtime_start (ANSWER_NEVER);
  g_autoptr (OwRuntimeClient) client = client_for (runtime);

  assert_timed_out (client, &timeouts, "did not answer within 1 s");
  g_assert_cmpuint (runtime->requests, ==, 1);
  g_clear_object (&client);
  runtime_stop (runtime);
}

static void
test_an_answer_that_stalls_times_out (void)
{
  static const OwRuntimeTimeouts timeouts = { .connect_s = 5, .answer_s = 5, .idle_s = 1 };
  Runtime *runtime = runtime_start (ANSWER_STALLS);
  g_autoptr (OwRuntimeClient) client = client_for (runtime);

  assert_timed_out (client, &timeouts, "sent nothing for 1 s in the middle of its answer");
  g_clear_object (&client);
  runtime_stop (runtime);
}

/* A listener whose queue is full takes no more connections: the connect hangs. */
static void
test_a_runtime_that_takes_no_connection_times_out (void)
{
  static const OwRuntimeTimeouts timeouts = { .connect_s = 1, .answer_s = 5, .idle_s = 5 };
  struct sockaddr_in address = { .sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  g_autoptr (OwRuntimeClient) client = ow_runtime_client_new ();
  g_autoptr (GPtrArray) fillers = g_ptr_array_new ();
  guint port;
  int listener = listen_on_loopback (0, &port);

  address.sin_port = htons ((guint16) port);
  for (guint i = 0; i < 4; i++)
    {
      int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

      connect (fd, (struct sockaddr *) &address, sizeof address);
      g_ptr_array_add (fillers, GINT_TO_POINTER (fd));
    }
  g_usleep (100000);
  ow_runtime_client_set_endpoint (client, port, "Basic eA==");
  assert_timed_out (client, &timeouts, "did not accept a connection within 1 s");

  for (guint i = 0; i < fillers->len; i++)
    close (GPOINTER_TO_INT (g_ptr_array_index (fillers, i)));
  close (listener);
}

static gboolean
cancel_soon (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_a_call_can_be_cancelled (void)
{
  Runtime *runtime = runtime_start (ANSWER_NEVER);
  g_autoptr (OwRuntimeClient) client = client_for (runtime);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Result result;

  g_timeout_add (100, cancel_soon, cancellable);
  call (client, NULL, cancellable, &result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_clear (&result);
  g_clear_object (&client);
  runtime_stop (runtime);
}

static void
test_a_call_reads_no_more_than_its_cap (void)
{
  Runtime *runtime = runtime_start (ANSWER_TOO_LARGE);
  g_autoptr (OwRuntimeClient) client = client_for (runtime);
  Result result;

  call (client, NULL, NULL, &result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  result_clear (&result);
  g_clear_object (&client);
  runtime_stop (runtime);
}

static void
test_no_runtime_no_call (void)
{
  g_autoptr (OwRuntimeClient) client = ow_runtime_client_new ();
  g_autoptr (GError) error = NULL;
  Result result;

  call (client, NULL, NULL, &result);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  result_clear (&result);
  g_assert_null (ow_runtime_client_new_exchange (client, "GET", "/", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  /* A target that could end the request line is never sent. */
  ow_runtime_client_set_endpoint (client, 9, "Basic eA==");
  g_assert_null (
    ow_runtime_client_new_exchange (client, "GET", "/a HTTP/1.1\r\nX: y", NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/runtime-client/calls-read-answers-whole-over-one-connection",
                   test_calls_read_answers_whole_over_one_connection);
  g_test_add_func ("/runtime-client/a-closed-kept-connection-is-retried",
                   test_a_closed_kept_connection_is_retried);
  g_test_add_func ("/runtime-client/a-silent-runtime-times-out", test_a_silent_runtime_times_out);
  g_test_add_func ("/runtime-client/an-answer-that-stalls-times-out",
                   test_an_answer_that_stalls_times_out);
  g_test_add_func ("/runtime-client/a-runtime-that-takes-no-connection-times-out",
                   test_a_runtime_that_takes_no_connection_times_out);
  g_test_add_func ("/runtime-client/a-call-can-be-cancelled", test_a_call_can_be_cancelled);
  g_test_add_func ("/runtime-client/a-call-reads-no-more-than-its-cap",
                   test_a_call_reads_no_more_than_its_cap);
  g_test_add_func ("/runtime-client/no-runtime-no-call", test_no_runtime_no_call);

  return g_test_run ();
}
