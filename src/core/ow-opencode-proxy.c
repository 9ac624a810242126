#include "config.h"

#include "ow-opencode-proxy.h"
#include "ow-http.h"

#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <string.h>

/* One read from the runtime's answer; a slow client holds at most a few of these. */
#define READ_SIZE (64 * 1024)
#define MAX_UNWRITTEN (256 * 1024)
/* Reads of what the runtime has sent already, at once, before waiting for more. */
#define MAX_READY_READS 4
#define READY_READ_SIZE (16 * 1024)
#define FORWARD_KEY "ow-forward"

struct _OwOpencodeProxy
{
  GObject parent_instance;

  OwRuntimeSupervisor *runtime;
  OwEventHub *hub;
  SoupSession *session;
  gsize max_body_bytes;
  GHashTable *forwards; /* Forward: every request on its way through */
};

G_DEFINE_FINAL_TYPE (OwOpencodeProxy, ow_opencode_proxy, G_TYPE_OBJECT)

/* One client request on its way through. */
typedef struct
{
  OwOpencodeProxy *proxy;     /* NULL once the proxy is gone */
  SoupServerMessage *message; /* owned */
  SoupMessage *upstream;
  GInputStream *body;
  GCancellable *cancellable;
  gsize unwritten; /* appended to the client's body but not yet written */
  gboolean reading;
  gboolean sending;
  gboolean relaying;    /* the client's reply is the runtime's answer, read from body */
  gboolean keep_answer; /* OW_PROXY_FORWARD_KEEP_ANSWER */
  gboolean finished;    /* the client's exchange is over: touch the message no more */
  gboolean eof;

  /* A request body that streams to the runtime as it arrives, through a pipe. */
  GOutputStream *sink;
  GQueue pending;       /* GBytes not yet written to the pipe */
  gsize pending_offset; /* of the first one */
  GSource *writable;
  gsize received;
  gsize max_body_bytes;
  gboolean body_done;
  gboolean discard; /* the runtime no longer reads the body: drop the rest */

  /* Why the client's message is paused; it is paused while either holds. */
  gboolean wait_for_pipe;
  gboolean wait_for_answer;
  gboolean paused;
} Forward;

static void read_more (Forward *forward);

static void
forward_free (Forward *forward)
{
  if (forward->proxy)
    g_hash_table_remove (forward->proxy->forwards, forward);
  if (forward->writable)
    {
      g_source_destroy (forward->writable);
      g_source_unref (forward->writable);
    }
  g_queue_clear_full (&forward->pending, (GDestroyNotify) g_bytes_unref);
  g_clear_object (&forward->sink);
  g_object_set_data (G_OBJECT (forward->message), FORWARD_KEY, NULL);
  g_signal_handlers_disconnect_by_data (forward->message, forward);
  g_clear_object (&forward->message);
  g_clear_object (&forward->upstream);
  g_clear_object (&forward->body);
  g_clear_object (&forward->cancellable);
  g_free (forward);
}

/* Hop-by-hop and credential headers never cross the proxy. */
static gboolean
is_request_header_dropped (const char *name)
{
  static const char *const dropped[] = {
    "Authorization",
    "Cookie",
    "Host",
    "Connection",
    "Keep-Alive",
    "Proxy-Authorization",
    "Proxy-Connection",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "Content-Length",
    "Accept-Encoding",
    "x-opencode-directory",
    "Expect",
  };

  for (guint i = 0; i < G_N_ELEMENTS (dropped); i++)
    if (g_ascii_strcasecmp (name, dropped[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_response_header_dropped (const char *name)
{
  static const char *const dropped[] = {
    "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length",
    "Server",     "Date",       "Set-Cookie",        "WWW-Authenticate",
  };

  for (guint i = 0; i < G_N_ELEMENTS (dropped); i++)
    if (g_ascii_strcasecmp (name, dropped[i]) == 0)
      return TRUE;
  return FALSE;
}

char *
ow_opencode_proxy_strip_query (const char *query)
{
  g_auto (GStrv) parts = NULL;
  g_autoptr (GStrvBuilder) kept = g_strv_builder_new ();
  g_auto (GStrv) result = NULL;

  if (query == NULL || *query == '\0')
    return NULL;

  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i]; i++)
    {
      const char *equals = strchr (parts[i], '=');
      gsize name_length = equals ? (gsize) (equals - parts[i]) : strlen (parts[i]);

      if (name_length == 0 || (name_length == 10 && strncmp (parts[i], "auth_token", 10) == 0) ||
          (name_length == 9 && strncmp (parts[i], "directory", 9) == 0))
        continue;
      g_strv_builder_add (kept, parts[i]);
    }

  result = g_strv_builder_end (kept);
  return result[0] ? g_strjoinv ("&", result) : NULL;
}

static void
update_pause (Forward *forward)
{
  gboolean wanted = forward->wait_for_pipe || forward->wait_for_answer;

  if (forward->finished || wanted == forward->paused)
    return;
  forward->paused = wanted;
  if (wanted)
    soup_server_message_pause (forward->message);
  else
    soup_server_message_unpause (forward->message);
}

/* Request bodies */

static void flush_pending (Forward *forward);

static gboolean
on_sink_writable (GObject *stream, gpointer user_data)
{
  Forward *forward = user_data;

  g_clear_pointer (&forward->writable, g_source_unref);
  flush_pending (forward);
  return G_SOURCE_REMOVE;
}

static void
close_sink (Forward *forward)
{
  if (forward->sink)
    g_output_stream_close (forward->sink, NULL, NULL);
  g_clear_object (&forward->sink);
}

/* Writes what is pending into the pipe without blocking. When the pipe is full, the client
 * is paused until it drains: the body is never held in memory beyond a chunk. */
static void
flush_pending (Forward *forward)
{
  while (!g_queue_is_empty (&forward->pending) && forward->sink && !forward->discard)
    {
      GBytes *chunk = g_queue_peek_head (&forward->pending);
      gsize size;
      const guint8 *data = g_bytes_get_data (chunk, &size);
      g_autoptr (GError) error = NULL;
      gssize written = g_pollable_output_stream_write_nonblocking (
        G_POLLABLE_OUTPUT_STREAM (forward->sink), data + forward->pending_offset,
        size - forward->pending_offset, NULL, &error);

      if (written < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* Once the runtime has answered, a full pipe means it stopped reading. */
          if (forward->upstream && soup_message_get_status (forward->upstream) != 0 &&
              !forward->sending)
            {
              forward->discard = TRUE;
              break;
            }
          if (forward->writable == NULL)
            {
              forward->writable = g_pollable_output_stream_create_source (
                G_POLLABLE_OUTPUT_STREAM (forward->sink), NULL);
              g_source_set_callback (
                forward->writable, (GSourceFunc) (void (*) (void)) on_sink_writable, forward, NULL);
              g_source_attach (forward->writable, NULL);
            }
          forward->wait_for_pipe = TRUE;
          update_pause (forward);
          return;
        }
      if (written < 0)
        {
          forward->discard = TRUE; /* the runtime closed the body: nothing more to send */
          break;
        }

      forward->pending_offset += (gsize) written;
      if (forward->pending_offset == size)
        {
          g_bytes_unref (g_queue_pop_head (&forward->pending));
          forward->pending_offset = 0;
        }
    }

  if (forward->discard)
    {
      g_queue_clear_full (&forward->pending, (GDestroyNotify) g_bytes_unref);
      forward->pending_offset = 0;
    }
  if (forward->body_done || forward->discard)
    close_sink (forward);
  forward->wait_for_pipe = FALSE;
  update_pause (forward);
}

static void
on_request_chunk (SoupServerMessage *message, GBytes *chunk, Forward *forward)
{
  forward->received += g_bytes_get_size (chunk);
  if (forward->received > forward->max_body_bytes)
    {
      /* Only a body of unknown length gets here; a declared one was checked upfront. */
      forward->discard = TRUE;
      g_cancellable_cancel (forward->cancellable);
      return;
    }
  if (!forward->discard)
    g_queue_push_tail (&forward->pending, g_bytes_ref (chunk));
  flush_pending (forward);
}

static void
on_request_body (SoupServerMessage *message, Forward *forward)
{
  forward->body_done = TRUE;
  flush_pending (forward);
}

gboolean
ow_opencode_proxy_resume (OwOpencodeProxy *self, SoupServerMessage *message)
{
  Forward *forward = g_object_get_data (G_OBJECT (message), FORWARD_KEY);

  if (forward == NULL)
    return FALSE;

  /* The body is in; the client waits for the runtime's answer, if it is not there yet. */
  forward->wait_for_answer = forward->sending;
  update_pause (forward);
  return TRUE;
}

static void
on_message_finished (SoupServerMessage *message, Forward *forward)
{
  forward->finished = TRUE;
  g_cancellable_cancel (forward->cancellable);
  /* A callback still under way frees the forward when it sees the cancellation. */
  if (!forward->reading && !forward->sending)
    forward_free (forward);
}

static void
on_wrote_body_data (SoupServerMessage *message, guint chunk_size, Forward *forward)
{
  forward->unwritten = chunk_size > forward->unwritten ? 0 : forward->unwritten - chunk_size;
  if (forward->relaying && !forward->reading && !forward->eof && forward->unwritten < MAX_UNWRITTEN)
    read_more (forward);
}

/* Passes a read of the runtime's answer on to the client: @size bytes, or its end (0, or
 * -1 when it broke off with @error). Returns whether to read on. */
static gboolean
relay (Forward *forward, const void *data, gssize size, const GError *error)
{
  SoupMessageBody *body = soup_server_message_get_response_body (forward->message);

  if (size <= 0)
    {
      /* The runtime's answer ended (or broke off; the client sees a short body). */
      if (error)
        g_debug ("The runtime's answer broke off: %s", error->message);
      forward->eof = TRUE;
      soup_message_body_complete (body);
      return FALSE; /* "finished" frees the forward */
    }

  forward->unwritten += (gsize) size;
  soup_message_body_append (body, SOUP_MEMORY_COPY, data, (gsize) size);
  return forward->unwritten < MAX_UNWRITTEN;
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Forward *forward = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes =
    g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  gboolean more;

  forward->reading = FALSE;
  if (forward->finished)
    {
      forward_free (forward);
      return;
    }

  more = relay (forward, bytes ? g_bytes_get_data (bytes, NULL) : NULL,
                bytes ? (gssize) g_bytes_get_size (bytes) : -1, error);
  soup_server_message_unpause (forward->message);
  if (more)
    read_more (forward);
}

/* Relays what the runtime has sent already, without a round through the main loop for each
 * read: a small answer and its end go on in one go. Returns whether to read on. */
static gboolean
relay_ready (Forward *forward)
{
  guint8 buffer[READY_READ_SIZE];
  gboolean more = TRUE;
  gboolean relayed = FALSE;

  for (guint i = 0; more && i < MAX_READY_READS; i++)
    {
      g_autoptr (GError) error = NULL;
      gssize got =
        ow_read_ready (forward->body, buffer, sizeof buffer, forward->cancellable, &error);

      if (got == OW_READ_WOULD_BLOCK)
        break;
      more = relay (forward, buffer, got, error);
      relayed = TRUE;
    }
  if (relayed)
    soup_server_message_unpause (forward->message);
  return more;
}

static void
read_more (Forward *forward)
{
  /* A cancelled read of libsoup 3.2's body stream may never complete; the forward ends
   * with its message instead. */
  if (g_cancellable_is_cancelled (forward->cancellable) || !relay_ready (forward))
    return;
  forward->reading = TRUE;
  g_input_stream_read_bytes_async (forward->body, READ_SIZE, G_PRIORITY_DEFAULT,
                                   forward->cancellable, on_read, forward);
}

static void
copy_response_headers (SoupMessage *upstream, SoupServerMessage *message)
{
  SoupMessageHeaders *from = soup_message_get_response_headers (upstream);
  SoupMessageHeaders *to = soup_server_message_get_response_headers (message);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, from);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (!is_response_header_dropped (name))
      soup_message_headers_append (to, name, value);

  if (soup_message_headers_get_encoding (from) == SOUP_ENCODING_CONTENT_LENGTH)
    soup_message_headers_set_content_length (to, soup_message_headers_get_content_length (from));
  else
    soup_message_headers_set_encoding (to, SOUP_ENCODING_CHUNKED);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Forward *forward = user_data;
  g_autoptr (GError) error = NULL;

  forward->sending = FALSE;
  forward->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (forward->finished)
    {
      forward_free (forward);
      return;
    }

  /* The request body outgrew the limit while the runtime was already answering: the
   * answer is dropped, and never read with the cancelled cancellable (libsoup 3.2 then
   * drops the read without completing it). */
  if (forward->body && g_cancellable_is_cancelled (forward->cancellable))
    g_clear_object (&forward->body);

  if (forward->body == NULL)
    {
      gboolean too_large = forward->received > forward->max_body_bytes;

      forward->discard = TRUE; /* whatever of the body is still to come */
      flush_pending (forward);
      if (too_large)
        {
          ow_http_reply_error (forward->message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                               "The request body is larger than the host allows.");
        }
      else
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (forward->message),
                                        "Retry-After", "2");
          ow_http_reply_error (forward->message, SOUP_STATUS_BAD_GATEWAY, "runtime_unreachable",
                               "The OpenCode runtime could not be reached; it may be restarting. "
                               "Try again in a few seconds.");
        }
      forward->wait_for_answer = FALSE;
      update_pause (forward);
      return; /* "finished" frees the forward */
    }

  soup_server_message_set_status (forward->message, soup_message_get_status (forward->upstream),
                                  soup_message_get_reason_phrase (forward->upstream));
  copy_response_headers (forward->upstream, forward->message);
  /* What went out is let go: an answer streams through without being kept whole. */
  if (!forward->keep_answer)
    soup_message_body_set_accumulate (soup_server_message_get_response_body (forward->message),
                                      FALSE);
  forward->wait_for_answer = FALSE;
  update_pause (forward);
  forward->relaying = TRUE;
  read_more (forward);
}

static gboolean
runtime_is_ready (OwOpencodeProxy *self, SoupServerMessage *message)
{
  OwRuntimeState state = ow_runtime_supervisor_get_state (self->runtime);
  g_autofree char *text = NULL;

  if (state == OW_RUNTIME_STATE_RUNNING && ow_runtime_supervisor_get_port (self->runtime) > 0 &&
      ow_event_hub_is_live (self->hub))
    return TRUE;

  if (state == OW_RUNTIME_STATE_FAILED)
    text = g_strdup ("The OpenCode runtime has failed and is not restarted; the host owner can "
                     "see why with \"openwork-host status\".");
  else
    text = g_strdup_printf ("The OpenCode runtime is %s. Try again in a few seconds.",
                            state == OW_RUNTIME_STATE_RUNNING ? "getting ready"
                                                              : ow_runtime_state_to_string (state));

  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Retry-After",
                                state == OW_RUNTIME_STATE_FAILED ? "60" : "2");
  ow_http_reply_error (message, SOUP_STATUS_SERVICE_UNAVAILABLE, "runtime_unavailable", text);
  return FALSE;
}

void
ow_opencode_proxy_forward (OwOpencodeProxy *self,
                           SoupServerMessage *message,
                           const char *path,
                           const char *directory,
                           OwProxyForwardFlags flags)
{
  gboolean body_follows = (flags & OW_PROXY_FORWARD_BODY_FOLLOWS) != 0;
  GUri *client_uri = soup_server_message_get_uri (message);
  g_autofree char *query = ow_opencode_proxy_strip_query (g_uri_get_query (client_uri));
  g_autofree char *target = NULL;
  SoupMessageHeaders *from, *to;
  SoupMessageHeadersIter iter;
  const char *name, *value;
  SoupMessageBody *request_body;
  Forward *forward;

  g_return_if_fail (OW_IS_OPENCODE_PROXY (self));

  if (!runtime_is_ready (self, message))
    return;

  target =
    g_strdup_printf ("%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "");
  forward = g_new0 (Forward, 1);
  forward->proxy = self;
  g_hash_table_add (self->forwards, forward);
  forward->max_body_bytes = self->max_body_bytes;
  forward->keep_answer = (flags & OW_PROXY_FORWARD_KEEP_ANSWER) != 0;
  g_queue_init (&forward->pending);
  forward->message = g_object_ref (message);
  forward->cancellable = g_cancellable_new ();
  forward->upstream = ow_runtime_supervisor_new_request (
    self->runtime, soup_server_message_get_method (message), target);
  if (forward->upstream == NULL)
    {
      ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "bad_path",
                           "This path cannot be forwarded to the runtime.");
      forward_free (forward);
      return;
    }

  from = soup_server_message_get_request_headers (message);
  to = soup_message_get_request_headers (forward->upstream);
  soup_message_headers_iter_init (&iter, from);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (!is_request_header_dropped (name))
      soup_message_headers_append (to, name, value);

  /* The runtime decodes this header once, so it reads back exactly the checked folder. */
  {
    g_autofree char *encoded_directory = g_uri_escape_string (directory, "/", FALSE);
    soup_message_headers_replace (to, "x-opencode-directory", encoded_directory);
  }

  request_body = soup_server_message_get_request_body (message);
  if (body_follows)
    {
      int fds[2];
      g_autoptr (GError) error = NULL;
      g_autoptr (GInputStream) source = NULL;
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
      goffset length = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
                         ? soup_message_headers_get_content_length (headers)
                         : -1;

      if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error) ||
          !g_unix_set_fd_nonblocking (fds[1], TRUE, &error))
        {
          ow_http_reply_error (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                               error->message);
          forward_free (forward);
          return;
        }
      source = g_unix_input_stream_new (fds[0], TRUE);
      forward->sink = g_unix_output_stream_new (fds[1], TRUE);
      soup_message_set_request_body (
        forward->upstream, soup_message_headers_get_content_type (from, NULL), source, length);
      soup_message_body_set_accumulate (request_body, FALSE);
      g_signal_connect (message, "got-chunk", G_CALLBACK (on_request_chunk), forward);
      g_signal_connect (message, "got-body", G_CALLBACK (on_request_body), forward);
      g_object_set_data (G_OBJECT (message), FORWARD_KEY, forward);
    }
  else if (request_body->length > 0)
    {
      g_autoptr (GBytes) bytes = soup_message_body_flatten (request_body);
      soup_message_set_request_body_from_bytes (
        forward->upstream, soup_message_headers_get_content_type (from, NULL), bytes);
    }

  g_signal_connect (message, "finished", G_CALLBACK (on_message_finished), forward);
  g_signal_connect (message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), forward);
  forward->sending = TRUE;
  /* Without a body to read, the client now only waits for the runtime's answer. */
  forward->wait_for_answer = !body_follows;
  update_pause (forward);
  soup_session_send_async (self->session, forward->upstream, G_PRIORITY_DEFAULT,
                           forward->cancellable, on_sent, forward);
}

static void
ow_opencode_proxy_dispose (GObject *object)
{
  OwOpencodeProxy *self = OW_OPENCODE_PROXY (object);
  GHashTableIter iter;
  Forward *forward;

  /* Requests under way end first, each through its own callback: aborting the session
   * with a read still pending would drop that read without ever completing it. */
  g_hash_table_iter_init (&iter, self->forwards);
  while (g_hash_table_iter_next (&iter, (gpointer *) &forward, NULL))
    {
      g_hash_table_iter_remove (&iter);
      forward->proxy = NULL;
      forward->finished = TRUE;
      g_cancellable_cancel (forward->cancellable);
      if (!forward->reading && !forward->sending)
        forward_free (forward);
    }

  if (self->session)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->runtime);
  g_clear_object (&self->hub);

  G_OBJECT_CLASS (ow_opencode_proxy_parent_class)->dispose (object);
}

static void
ow_opencode_proxy_finalize (GObject *object)
{
  OwOpencodeProxy *self = OW_OPENCODE_PROXY (object);

  g_hash_table_unref (self->forwards);

  G_OBJECT_CLASS (ow_opencode_proxy_parent_class)->finalize (object);
}

static void
ow_opencode_proxy_class_init (OwOpencodeProxyClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ow_opencode_proxy_dispose;
  G_OBJECT_CLASS (klass)->finalize = ow_opencode_proxy_finalize;
}

static void
ow_opencode_proxy_init (OwOpencodeProxy *self)
{
  self->forwards = g_hash_table_new (NULL, NULL);
  /* Event streams hold a connection each for as long as a client listens, so the
   * per-host limit must not be libsoup's small default. No timeout: streams are long. */
  self->session = soup_session_new_with_options ("max-conns", 4096, "max-conns-per-host", 4096,
                                                 "timeout", 0, "idle-timeout", 60, NULL);
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_DECODER);
}

OwOpencodeProxy *
ow_opencode_proxy_new (OwRuntimeSupervisor *runtime, OwEventHub *hub, gsize max_body_bytes)
{
  OwOpencodeProxy *self = g_object_new (OW_TYPE_OPENCODE_PROXY, NULL);

  self->max_body_bytes = max_body_bytes;
  self->runtime = g_object_ref (runtime);
  self->hub = g_object_ref (hub);
  return self;
}
