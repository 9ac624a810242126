/*
 * The gateway as a device meets it: a whole host (gateway, pairing, tokens, tasks, the
 * runtime proxy in front of tests/fixtures' fake runtime) runs in this process, and each
 * input becomes one HTTP request on a fresh loopback connection to its plain-HTTP
 * listener. libsoup parses the request line and headers; what the fuzzer reaches is ours:
 * routing of request paths, token checks, query parameters, Last-Event-ID and since, and
 * every JSON body.
 *
 * Two targets share this file:
 *
 * fuzz-gateway-request (the default): an input is
 *     <token> <METHOD> <path>\n
 *     <Header: value>\n ...      (optional)
 *     \n
 *     <body>
 *   where <token> is a digit: 0 none, 1 viewer, 2 collaborator, 3 owner.
 *
 * fuzz-pair-messages (OW_FUZZ_PAIR=1): the pairing messages of docs/pairing-protocol.md. The
 *   first byte picks the step, the rest is its JSON body: 0 POST /pair/start, 1 POST
 *   /pair/{id}/confirm, 2 POST /pair/grant, 3 GET /pair/{id} with "Pair <rest>"; {id} is
 *   the id of the last run the host started, so confirmations reach a real run.
 *
 * The host runs with a fake runtime (OW_FAKE_RUNTIME names it; meson test sets it) in a
 * temporary data folder that is removed at exit. Criticals abort: a g_return_if_fail
 * reached from the network is a bug.
 */
#include "ow-fuzz.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ow-host.h"
#include "ow-http.h"
#include "ow-token-store.h"

#ifndef OW_FUZZ_PAIR
#define OW_FUZZ_PAIR 0
#endif

#define STREAM_QUIET_MS 20  /* an open stream counts as answered after this much silence */
#define REPLY_LIMIT_MS 1000 /* long polls and streams are cut here */

static struct
{
  char *root;
  OwHost *host;
  guint16 port;
  char *tokens[4]; /* none, viewer, collaborator, owner */
  char *last_pair_id;
} fuzz;

static void
remove_root (void)
{
  g_autofree char *command = NULL;

  if (fuzz.root == NULL)
    return;
  /* The host's files: tokens.db, logs, the identity. Never outside the temporary folder. */
  command = g_strdup_printf ("rm -rf '%s'", fuzz.root);
  if (system (command) != 0)
    fprintf (stderr, "Could not remove %s\n", fuzz.root);
}

static void
write_host_conf (const char *data_dir)
{
  g_autofree char *config_dir = g_build_filename (data_dir, "config", NULL);
  g_autofree char *path = g_build_filename (config_dir, "host.conf", NULL);
  const char *conf = "[host]\nname=Fuzz\n"
                     "[pairing]\n"
                     "attempts-per-minute=100000\n"
                     "code-lifetime=86400\n"
                     "max-pending=32\n";

  if (g_mkdir_with_parents (config_dir, 0700) != 0 || !g_file_set_contents (path, conf, -1, NULL))
    ow_fuzz_fail ("cannot write host.conf", path);
}

/* Tokens for each scope, stored before the host opens the store. */
static void
create_tokens (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, "tokens.db", NULL);
  g_autoptr (OwTokenStore) store = NULL;
  g_autoptr (GError) error = NULL;
  const OwScope scopes[] = { OW_SCOPE_VIEWER, OW_SCOPE_COLLABORATOR, OW_SCOPE_OWNER };

  store = ow_token_store_open (path, &error);
  if (store == NULL)
    ow_fuzz_fail ("cannot open the token store", error->message);
  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    {
      fuzz.tokens[i + 1] = ow_token_store_create (store, scopes[i], "fuzz", NULL, &error);
      if (fuzz.tokens[i + 1] == NULL)
        ow_fuzz_fail ("cannot create a token", error->message);
    }
}

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
iterate_until (gboolean (*done) (void), guint limit_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (limit_ms, on_deadline, &expired);

  while (!done () && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
}

static gboolean
runtime_is_running (void)
{
  return ow_runtime_supervisor_get_state (ow_host_get_supervisor (fuzz.host)) ==
         OW_RUNTIME_STATE_RUNNING;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *fake_runtime = g_getenv ("OW_FAKE_RUNTIME");
  g_autofree char *data_dir = NULL;
  g_autofree char *workspace = NULL;
  g_autofree char *home = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) status = NULL;
  const char *workspaces[2] = { NULL, NULL };
  OwHostOptions options = {
    .port = 0,
    .http_port = 0,
    .permission_answers = OW_SCOPE_COLLABORATOR,
    .discovery = FALSE,
  };

  g_assert_cmpint (sodium_init (), >=, 0);

  ow_fuzz_install_log_writer ();
  if (fake_runtime == NULL)
    ow_fuzz_fail ("set OW_FAKE_RUNTIME to tests/fixtures' ow-fake-runtime", NULL);

  fuzz.root = g_dir_make_tmp ("ow-fuzz-gateway-XXXXXX", &error);
  if (fuzz.root == NULL)
    ow_fuzz_fail ("cannot make a temporary folder", error->message);
  atexit (remove_root);

  /* Nothing of the user's: every XDG folder inside the temporary one. */
  home = g_build_filename (fuzz.root, "home", NULL);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_STATE_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", fuzz.root, TRUE);
  g_setenv ("OW_FAKE_RUNTIME_MODE", "ok", TRUE);

  data_dir = g_build_filename (fuzz.root, "host", NULL);
  workspace = g_build_filename (fuzz.root, "workspace", NULL);
  g_mkdir_with_parents (workspace, 0700);
  workspaces[0] = workspace;
  write_host_conf (data_dir); /* makes data_dir too */
  create_tokens (data_dir);

  options.data_dir = data_dir;
  options.workspaces = workspaces;
  options.opencode = fake_runtime;
  fuzz.host = ow_host_new (&options, &error);
  if (fuzz.host == NULL || !ow_host_start (fuzz.host, &error))
    ow_fuzz_fail ("the host does not start", error->message);
  iterate_until (runtime_is_running, 20000);
  if (!runtime_is_running ())
    ow_fuzz_fail ("the fake runtime did not come up", NULL);

  status = ow_host_build_status (fuzz.host);
  fuzz.port = (guint16) json_object_get_int_member (
    json_object_get_object_member (json_node_get_object (status), "gateway"), "httpPort");
  if (fuzz.port == 0)
    ow_fuzz_fail ("the plain-HTTP listener is not up", NULL);

  /* A code on screen, so that pairing messages meet a live offer. */
  ow_pairing_renew_offer (ow_host_get_pairing (fuzz.host));
  return 0;
}

/* One exchange */

typedef struct
{
  GString *reply;
  gboolean closed;
  gint64 last_data_us;
} Exchange;

static Exchange exchange;

static gboolean
on_readable (int fd, GIOCondition condition, gpointer user_data)
{
  char buffer[16384];
  ssize_t n = recv (fd, buffer, sizeof buffer, 0);

  if (n > 0)
    {
      /* Keep the head of the reply; a stream's tail is not needed. */
      if (exchange.reply->len < 65536)
        g_string_append_len (exchange.reply, buffer, n);
      exchange.last_data_us = g_get_monotonic_time ();
      return G_SOURCE_CONTINUE;
    }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  exchange.closed = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
reply_is_done (void)
{
  const char *head_end;

  if (exchange.closed)
    return TRUE;
  head_end = strstr (exchange.reply->str, "\r\n\r\n");
  if (head_end == NULL)
    return FALSE;
  /* Every reply but a stream ends with the connection ("Connection: close"). */
  return g_get_monotonic_time () - exchange.last_data_us > STREAM_QUIET_MS * 1000 &&
         (strstr (exchange.reply->str, "text/event-stream") != NULL ||
          strstr (exchange.reply->str, "chunked") != NULL);
}

static gboolean
on_quiet_check (gpointer user_data)
{
  return G_SOURCE_CONTINUE; /* only wakes the loop so that reply_is_done() looks again */
}

/* Connects @fd; a connect that a signal interrupts (libFuzzer's timers) goes on by
 * itself, so it is waited for, not retried. */
static gboolean
connect_loopback (int fd, const struct sockaddr_in *address)
{
  struct pollfd poll_fd = { .fd = fd, .events = POLLOUT };
  int error = 0;
  socklen_t length = sizeof error;

  if (connect (fd, (const struct sockaddr *) address, sizeof *address) == 0)
    return TRUE;
  if (errno != EINTR)
    return FALSE;
  while (poll (&poll_fd, 1, 10000) < 0 && errno == EINTR)
    ;
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0)
    {
      errno = error ? error : errno;
      return FALSE;
    }
  return TRUE;
}

/* Sends @request to the gateway and returns its reply (the head, at least). */
static char *
exchange_request (const GString *request)
{
  struct sockaddr_in address = { .sin_family = AF_INET,
                                 .sin_port = htons (fuzz.port),
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gsize sent = 0;
  guint watch, quiet;

  if (fd < 0 || !connect_loopback (fd, &address))
    ow_fuzz_fail ("cannot connect to the gateway", g_strerror (errno));
  /* Requests are small (libFuzzer's -max_len); loopback buffers take them whole. */
  while (sent < request->len)
    {
      ssize_t n = send (fd, request->str + sent, request->len - sent, MSG_NOSIGNAL);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break; /* the gateway may close early, on a body too large, say */
        }
      sent += (gsize) n;
    }
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);

  exchange.reply = g_string_new (NULL);
  exchange.closed = FALSE;
  exchange.last_data_us = g_get_monotonic_time ();
  watch = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, NULL);
  quiet = g_timeout_add (STREAM_QUIET_MS, on_quiet_check, NULL);
  iterate_until (reply_is_done, REPLY_LIMIT_MS);
  g_source_remove (quiet);
  if (!exchange.closed)
    g_source_remove (watch);
  close (fd);

  /* Let the gateway see the connection go and clean up before the next input. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  /* To see what the corpus reaches: OW_FUZZ_VERBOSE=1 prints each status line. */
  if (g_getenv ("OW_FUZZ_VERBOSE"))
    {
      fprintf (stderr, "%.*s\n", (int) strcspn (request->str, "\r"), request->str);
      fprintf (stderr, "  -> %.*s\n", (int) strcspn (exchange.reply->str, "\r"),
               exchange.reply->str);
    }
  return g_string_free (g_steal_pointer (&exchange.reply), FALSE);
}

static void
append_head (GString *request, const char *method, const char *path, const char *token)
{
  g_string_append_printf (request, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
                          method, path);
  if (token)
    g_string_append_printf (request, "Authorization: Bearer %s\r\n", token);
}

static void
append_body (GString *request, const char *body, gsize length)
{
  g_string_append_printf (request, "Content-Length: %" G_GSIZE_FORMAT "\r\n", length);
  if (length)
    g_string_append (request, "Content-Type: application/json\r\n");
  g_string_append (request, "\r\n");
  g_string_append_len (request, body, length);
}

/* Bytes that cannot stand in a request line travel percent-encoded, so that the path the
 * gateway routes is still the fuzzer's. */
static char *
encode_path (const char *path, gsize length)
{
  GString *out = g_string_new (length && path[0] == '/' ? "" : "/");

  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) path[i];

      if (c <= 0x20 || c >= 0x7f)
        g_string_append_printf (out, "%%%02X", c);
      else
        g_string_append_c (out, (char) c);
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_method_char (char c)
{
  return g_ascii_isalpha (c) || c == '-' || c == '_';
}

/* Headers the exchange itself sets, or that would change how the bytes are framed. */
static gboolean
is_framing_header (const char *line)
{
  static const char *const names[] = { "host:",       "content-length:", "transfer-encoding:",
                                       "connection:", "expect:",         "upgrade:" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strncasecmp (line, names[i], strlen (names[i])) == 0)
      return TRUE;
  return FALSE;
}

static void
run_request (const char *data, gsize size)
{
  g_autoptr (GString) request = g_string_new (NULL);
  g_autofree char *method = NULL;
  g_autofree char *path = NULL;
  g_autofree char *reply = NULL;
  const char *line_end = memchr (data, '\n', size);
  const char *p = data + 1;
  const char *space;
  gsize line_length;

  /* The first byte is the token's; the request line follows it. */
  if (size < 2 || line_end == NULL || line_end < p)
    return;
  line_length = (gsize) (line_end - p);
  space = memchr (p, ' ', line_length);
  if (space == NULL || space == p)
    return;
  for (const char *c = p; c < space; c++)
    if (!is_method_char (*c))
      return;
  method = g_strndup (p, space - p);
  path = encode_path (space + 1, line_end - space - 1);

  append_head (request, method, path, fuzz.tokens[(guchar) data[0] % 4]);

  /* Header lines until an empty one; the rest is the body. */
  p = line_end + 1;
  while (p < data + size)
    {
      const char *end = memchr (p, '\n', data + size - p);
      g_autofree char *header = NULL;

      if (end == NULL)
        end = data + size;
      if (end == p)
        {
          p++;
          break;
        }
      header = g_strndup (p, end - p);
      g_strdelimit (header, "\r", ' ');
      if (strchr (header, ':') && !is_framing_header (header) &&
          strlen (header) == (gsize) (end - p))
        g_string_append_printf (request, "%s\r\n", header);
      p = end + 1;
    }
  if (p > data + size)
    p = data + size;
  append_body (request, p, data + size - p);

  /* Long polls (?wait=) and streams may still be open when the exchange ends; a host
   * that stops answering altogether trips libFuzzer's -timeout. */
  reply = exchange_request (request);
}

/* Pairing messages */

static void
remember_pair_id (const char *reply)
{
  const char *body = strstr (reply, "\r\n\r\n");
  g_autoptr (JsonObject) started = NULL;
  const char *id;

  if (!g_str_has_prefix (reply, "HTTP/1.1 200") || body == NULL)
    return;
  started = ow_json_parse_object (body + 4, -1, NULL);
  id = started ? json_object_get_string_member_with_default (started, "id", NULL) : NULL;
  if (id)
    {
      g_free (fuzz.last_pair_id);
      fuzz.last_pair_id = g_strdup (id);
    }
}

static void
run_pair_message (const char *data, gsize size)
{
  g_autoptr (GString) request = g_string_new (NULL);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *reply = NULL;
  guint step;

  if (size == 0)
    return;
  step = (guchar) data[0] % 4;
  data++;
  size--;
  escaped = g_uri_escape_string (fuzz.last_pair_id ? fuzz.last_pair_id : "none", NULL, FALSE);

  switch (step)
    {
    case 0:
      append_head (request, "POST", "/pair/start", NULL);
      append_body (request, data, size);
      break;
    case 1:
      path = g_strdup_printf ("/pair/%s/confirm", escaped);
      append_head (request, "POST", path, NULL);
      append_body (request, data, size);
      break;
    case 2:
      append_head (request, "POST", "/pair/grant", NULL);
      append_body (request, data, size);
      break;
    default:
      {
        g_autofree char *proof = g_strndup (data, size);

        path = g_strdup_printf ("/pair/%s?wait=0", escaped);
        append_head (request, "GET", path, NULL);
        g_strdelimit (proof, "\r\n", ' ');
        g_string_append_printf (request, "Authorization: Pair %s\r\n", proof);
        append_body (request, NULL, 0);
      }
    }

  reply = exchange_request (request);
  if (!g_str_has_prefix (reply, "HTTP/1.1 "))
    ow_fuzz_fail ("a pairing message got no reply", NULL);
  if (step == 0)
    remember_pair_id (reply);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (OW_FUZZ_PAIR)
    run_pair_message ((const char *) data, size);
  else
    run_request ((const char *) data, size);
  return 0;
}
