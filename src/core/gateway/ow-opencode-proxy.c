#include "config.h"

#include "ow-opencode-proxy.h"
#include "ow-chunked-decoder.h"
#include "ow-connection-watch.h"
#include "ow-http.h"
#include "ow-runtime-pool.h"
#include "ow-secrets.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* The runtime's answer is read in pieces of this size; a slow client holds at most a few. */
#define READ_SIZE (64 * 1024)
#define MAX_UNWRITTEN (256 * 1024)
/* Reads of what the runtime has sent already, at once, before waiting for more. */
#define MAX_READS_PER_WAKE 4
/* A request body streams on; the client waits while this much is not yet sent. */
#define MAX_UNSENT (64 * 1024)
#define MAX_ANSWER_HEAD (64 * 1024)
/* An answer checked for secrets is held whole; larger ones are refused. The runtime's
 * provider list alone is about 7 MB. */
#define MAX_REDACTED_ANSWER (32 * 1024 * 1024)
/* Idle keep-alive connections kept for later requests. */
#define MAX_IDLE_CONNECTIONS 64
#define FORWARD_KEY "ow-forward"

struct _OwOpencodeProxy
{
  GObject parent_instance;

  OwRuntimeSupervisor *runtime;
  OwEventHub *hub;
  OwRuntimePool *pool;
  gsize max_body_bytes;
  guint answer_timeout_s;
  GHashTable *forwards; /* Forward: every request on its way through */
};

G_DEFINE_FINAL_TYPE (OwOpencodeProxy, ow_opencode_proxy, G_TYPE_OBJECT)

typedef enum
{
  ANSWER_HEAD, /* waiting for the runtime's status line and headers */
  ANSWER_BODY,
  ANSWER_DONE, /* relayed whole, broken off, or replaced by the gateway's own error */
} AnswerState;

typedef enum
{
  FRAMING_NONE,
  FRAMING_LENGTH,
  FRAMING_CHUNKED,
  FRAMING_UNTIL_CLOSE,
} Framing;

/* One client request on its way through: an HTTP/1.1 exchange with the runtime on one of
 * the pool's connections, driven by that connection's readiness. */
typedef struct
{
  OwOpencodeProxy *proxy;     /* NULL once the proxy is gone */
  SoupServerMessage *message; /* owned */
  OwRuntimeConnection *connection;
  gboolean connecting;
  gboolean retried;     /* on a fresh connection, after a kept one turned out closed */
  gboolean keep_answer; /* OW_PROXY_FORWARD_KEEP_ANSWER */
  gboolean redact;      /* OW_PROXY_FORWARD_REDACT_SECRETS */
  gboolean is_head;
  gboolean finished; /* the client's exchange is over: touch the message no more */
  guint busy;        /* in a callback that may see "finished": free the forward after */

  /* The request as sent: head and body. A request read whole stays whole here, so that it
   * can go again on another connection; a streaming body is let go as it leaves. */
  GString *out;
  gsize out_offset;
  gboolean streaming; /* OW_PROXY_FORWARD_BODY_FOLLOWS */
  gboolean chunked_upload;
  gboolean body_done; /* all of the request is in out */
  gboolean discard;   /* the runtime no longer reads the body: drop the rest */
  gsize received;
  gsize max_body_bytes;

  /* The answer. */
  AnswerState answer;
  GByteArray *head; /* the answer so far, until its head is complete */
  Framing framing;
  guint64 remaining; /* FRAMING_LENGTH */
  OwChunkedDecoder *decoder;
  gboolean reusable; /* the connection can carry the next request after this one */
  gboolean answered; /* any byte of the answer came */
  gsize unwritten;   /* appended to the client's body but not yet written */
  GByteArray *held;  /* the answer's body, while it is held to be redacted */
  guint held_status;
  char *held_reason;
  SoupMessageHeaders *held_headers;

  guint answer_timeout_id; /* from the request sent in full until the answer's head */

  /* Why the client's message is paused; it is paused while either holds. */
  gboolean wait_for_upload;
  gboolean wait_for_answer;
  gboolean paused;
} Forward;

static void
on_connection_ready (OwRuntimeConnection *connection, GIOCondition condition, gpointer user_data);

static void
forward_free (Forward *forward)
{
  if (forward->proxy)
    g_hash_table_remove (forward->proxy->forwards, forward);
  if (forward->connection)
    ow_runtime_connection_release (forward->connection, FALSE);
  if (forward->streaming)
    g_object_set_data (G_OBJECT (forward->message), FORWARD_KEY, NULL);
  g_clear_handle_id (&forward->answer_timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (forward->message, forward);
  g_clear_object (&forward->message);
  g_string_free (forward->out, TRUE);
  if (forward->head)
    g_byte_array_unref (forward->head);
  g_clear_pointer (&forward->decoder, ow_chunked_decoder_free);
  g_clear_pointer (&forward->held, g_byte_array_unref);
  g_clear_pointer (&forward->held_headers, soup_message_headers_unref);
  g_free (forward->held_reason);
  g_free (forward);
}

/* Ends a callback of the forward's; frees it if its exchange finished meanwhile. Returns
 * whether the forward is still there. */
static gboolean
forward_leave (Forward *forward)
{
  if (--forward->busy == 0 && forward->finished)
    {
      forward_free (forward);
      return FALSE;
    }
  return TRUE;
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
      /* Compared as the runtime reads it: "%64irectory" is "directory". A name that does
       * not decode is dropped too. */
      g_autofree char *name = g_uri_unescape_segment (parts[i], parts[i] + name_length, NULL);

      if (name == NULL || *name == '\0' || g_ascii_strcasecmp (name, "auth_token") == 0 ||
          g_ascii_strcasecmp (name, "directory") == 0)
        continue;
      g_strv_builder_add (kept, parts[i]);
    }

  result = g_strv_builder_end (kept);
  return result[0] ? g_strjoinv ("&", result) : NULL;
}

static void
update_pause (Forward *forward)
{
  gboolean wanted = forward->wait_for_upload || forward->wait_for_answer;

  if (forward->finished || wanted == forward->paused)
    return;
  forward->paused = wanted;
  /* The client is not slow while its body waits for the runtime. */
  ow_connection_watch_hold (forward->message, wanted);
  if (wanted)
    soup_server_message_pause (forward->message);
  else
    soup_server_message_unpause (forward->message);
}

static gsize
unsent (Forward *forward)
{
  return forward->out->len - forward->out_offset;
}

/* What the connection is watched for: sending while anything is unsent (or the connect is
 * under way), reading while the answer goes on and the client keeps up with it. */
static void
update_watch (Forward *forward)
{
  GIOCondition condition = 0;

  if (forward->connection == NULL)
    return;
  if (forward->connecting || (unsent (forward) > 0 && !forward->discard))
    condition |= G_IO_OUT;
  if (!forward->connecting && forward->answer != ANSWER_DONE && forward->unwritten < MAX_UNWRITTEN)
    condition |= G_IO_IN;
  ow_runtime_connection_watch (forward->connection, condition, on_connection_ready, forward);
}

/* The connection is done with: kept for the next request if this exchange ended cleanly on
 * both sides. */
static void
let_connection_go (Forward *forward)
{
  gboolean clean = forward->answer == ANSWER_DONE && forward->reusable && forward->body_done &&
                   !forward->discard && unsent (forward) == 0;

  if (forward->connection == NULL)
    return;
  ow_runtime_connection_release (forward->connection, clean);
  forward->connection = NULL;
}

/* The runtime could not be reached or sent no answer: the gateway answers instead. */
static void
fail (Forward *forward, const GError *error)
{
  gboolean too_large = forward->received > forward->max_body_bytes;
  gboolean timed_out = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  g_debug ("No answer from the runtime: %s", error ? error->message : "too large");
  g_clear_handle_id (&forward->answer_timeout_id, g_source_remove);
  forward->answer = ANSWER_DONE;
  forward->discard = TRUE; /* whatever of the body is still to come */
  let_connection_go (forward);
  if (forward->finished)
    return;
  if (too_large)
    {
      ow_http_reply_error (forward->message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                           "The request body is larger than the host allows.");
    }
  else if (timed_out)
    {
      ow_http_reply_error (forward->message, SOUP_STATUS_GATEWAY_TIMEOUT, "runtime_timeout",
                           error->message);
    }
  else
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (forward->message),
                                    "Retry-After", "2");
      ow_http_reply_error (forward->message, SOUP_STATUS_BAD_GATEWAY, "runtime_unreachable",
                           "The OpenCode runtime could not be reached; it may be restarting. "
                           "Try again in a few seconds.");
    }
  forward->wait_for_upload = FALSE;
  forward->wait_for_answer = FALSE;
  update_pause (forward);
}

static gboolean
start_exchange (Forward *forward, gboolean fresh)
{
  g_autoptr (GError) error = NULL;
  guint port = ow_runtime_supervisor_get_port (forward->proxy->runtime);

  forward->connection = ow_runtime_pool_take (forward->proxy->pool, port, fresh, &error);
  if (forward->connection == NULL)
    {
      fail (forward, error);
      return FALSE;
    }
  forward->connecting = !ow_runtime_connection_is_reused (forward->connection);
  forward->out_offset = 0;
  forward->answer = ANSWER_HEAD;
  forward->answered = FALSE;
  return TRUE;
}

/* A kept connection that the runtime closed before this request reached it: the request
 * goes again on a fresh one, if it is still whole. */
static gboolean
retry (Forward *forward)
{
  if (forward->retried || forward->streaming || forward->answered || forward->connection == NULL ||
      !ow_runtime_connection_is_reused (forward->connection))
    return FALSE;
  forward->retried = TRUE;
  ow_runtime_connection_release (forward->connection, FALSE);
  forward->connection = NULL;
  if (start_exchange (forward, TRUE))
    update_watch (forward);
  return TRUE;
}

static gboolean
on_answer_timeout (gpointer user_data)
{
  Forward *forward = user_data;
  g_autoptr (GError) error = NULL;

  forward->answer_timeout_id = 0;
  error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "The OpenCode runtime did not answer within %u s. The host owner can "
                       "set a longer time ([gateway] answer-timeout in host.conf).",
                       forward->proxy ? forward->proxy->answer_timeout_s : 0);
  /* The connection is dropped, not reused: its answer may still come. */
  fail (forward, error);
  return G_SOURCE_REMOVE;
}

/* Once the request is out in full, the runtime has so long to start its answer. */
static void
expect_answer (Forward *forward)
{
  if (forward->answer_timeout_id != 0 || forward->answer != ANSWER_HEAD || !forward->body_done ||
      unsent (forward) > 0 || forward->proxy == NULL || forward->proxy->answer_timeout_s == 0)
    return;
  forward->answer_timeout_id =
    g_timeout_add_seconds (forward->proxy->answer_timeout_s, on_answer_timeout, forward);
}

/* Sends what is unsent without blocking. Returns %FALSE when the connection broke. */
static gboolean
send_out (Forward *forward)
{
  int fd = ow_runtime_connection_get_fd (forward->connection);

  while (unsent (forward) > 0 && !forward->discard)
    {
      gssize sent =
        send (fd, forward->out->str + forward->out_offset, unsent (forward), MSG_NOSIGNAL);

      if (sent < 0 && errno == EINTR)
        continue;
      /* Once the runtime answers, a full or closed socket means it stopped reading the
       * body: waiting for it would pause the client, and with it the answer. */
      if (sent < 0 && forward->answer != ANSWER_HEAD)
        {
          forward->discard = TRUE;
          break;
        }
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (sent < 0)
        {
          int saved = errno;

          if (!retry (forward))
            {
              g_autoptr (GError) error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved),
                                                      "Sending failed: %s", g_strerror (saved));
              fail (forward, error);
            }
          return FALSE;
        }
      forward->out_offset += (gsize) sent;
    }

  if (forward->streaming)
    {
      /* What left is let go; the client waits while much is still to go. */
      if (forward->out_offset == forward->out->len || forward->discard)
        {
          g_string_truncate (forward->out, 0);
          forward->out_offset = 0;
        }
      else if (forward->out_offset >= MAX_UNSENT)
        {
          g_string_erase (forward->out, 0, (gssize) forward->out_offset);
          forward->out_offset = 0;
        }
      forward->wait_for_upload = unsent (forward) >= MAX_UNSENT;
      update_pause (forward);
    }
  expect_answer (forward);
  return TRUE;
}

/* The runtime's answer */

/* Passes @size bytes of the answer's body on to the client. */
static void
relay (Forward *forward, const guint8 *data, gsize size)
{
  if (size == 0 || forward->finished)
    return;
  if (forward->held)
    {
      if (forward->held->len + size > MAX_REDACTED_ANSWER)
        {
          g_byte_array_set_size (forward->held, 0);
          forward->reusable = FALSE;
          forward->held_status = SOUP_STATUS_NONE; /* too large: refused at the end */
          return;
        }
      g_byte_array_append (forward->held, data, (guint) size);
      return;
    }
  forward->unwritten += size;
  soup_message_body_append (soup_server_message_get_response_body (forward->message),
                            SOUP_MEMORY_COPY, data, size);
}

/* Sends the held answer with its secrets replaced; one that cannot be checked is not
 * sent at all. */
static void
send_redacted (Forward *forward, gboolean whole)
{
  SoupServerMessage *message = forward->message;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  if (forward->finished)
    return;
  if (whole && forward->held_status != SOUP_STATUS_NONE)
    root = ow_json_parse ((const char *) forward->held->data, (gssize) forward->held->len, &error);
  if (root == NULL)
    {
      ow_http_reply_error (message, SOUP_STATUS_BAD_GATEWAY, "runtime_answer_unchecked",
                           "The runtime's answer could not be checked for secrets, so it is not "
                           "passed on. The host owner can read it.");
    }
  else
    {
      SoupMessageHeaders *to = soup_server_message_get_response_headers (message);
      SoupMessageHeadersIter iter;
      const char *name, *value;
      gsize length;

      ow_secrets_redact (root);
      text = json_to_string (root, FALSE);
      length = strlen (text);
      soup_server_message_set_status (message, forward->held_status, forward->held_reason);
      soup_message_headers_iter_init (&iter, forward->held_headers);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        if (!is_response_header_dropped (name) && g_ascii_strcasecmp (name, "Content-Type") != 0)
          soup_message_headers_append (to, name, value);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_TAKE,
                                        g_steal_pointer (&text), length);
    }
  forward->wait_for_answer = FALSE;
  update_pause (forward);
}

static void
end_answer (Forward *forward, gboolean whole)
{
  if (!whole)
    {
      /* The client sees a short body; the connection is not reused. */
      g_debug ("The runtime's answer broke off");
      forward->reusable = FALSE;
    }
  forward->answer = ANSWER_DONE;
  if (forward->held)
    send_redacted (forward, whole);
  else if (!forward->finished)
    soup_message_body_complete (soup_server_message_get_response_body (forward->message));
  /* An answer that came before the whole body was sent ends the body too. */
  if (!forward->body_done || unsent (forward) > 0)
    {
      forward->discard = TRUE;
      forward->wait_for_upload = FALSE;
      update_pause (forward);
    }
  let_connection_go (forward);
}

/* Passes on the body bytes of @data (writable: a chunked body is decoded in place). */
static void
take_body (Forward *forward, guint8 *data, gsize size)
{
  switch (forward->framing)
    {
    case FRAMING_LENGTH:
      {
        gsize span = (gsize) MIN ((guint64) size, forward->remaining);

        relay (forward, data, span);
        forward->remaining -= span;
        if (span < size)
          forward->reusable = FALSE; /* more than the answer: the connection is confused */
        if (forward->remaining == 0)
          end_answer (forward, TRUE);
      }
      break;

    case FRAMING_CHUNKED:
      {
        g_autoptr (GError) error = NULL;
        gsize decoded, consumed;

        if (!ow_chunked_decoder_feed (forward->decoder, data, size, &decoded, &consumed, &error))
          {
            g_debug ("The runtime's answer cannot be read: %s", error->message);
            end_answer (forward, FALSE);
            return;
          }
        relay (forward, data, decoded);
        if (consumed < size)
          forward->reusable = FALSE;
        if (ow_chunked_decoder_is_done (forward->decoder))
          end_answer (forward, TRUE);
      }
      break;

    case FRAMING_UNTIL_CLOSE:
      relay (forward, data, size);
      break;

    case FRAMING_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
copy_response_headers (SoupMessageHeaders *from, guint status, SoupServerMessage *message)
{
  SoupMessageHeaders *to = soup_server_message_get_response_headers (message);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, from);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (!is_response_header_dropped (name))
      soup_message_headers_append (to, name, value);

  if (soup_message_headers_get_encoding (from) == SOUP_ENCODING_CONTENT_LENGTH)
    soup_message_headers_set_content_length (to, soup_message_headers_get_content_length (from));
  else if (status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    soup_message_headers_set_encoding (to, SOUP_ENCODING_NONE); /* no body, no framing */
  else
    soup_message_headers_set_encoding (to, SOUP_ENCODING_CHUNKED);
}

/* Finds the end of an answer's head: the offset just past its empty line, or 0. */
static gsize
find_head_end (const guint8 *data, gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (data[i] == '\n' &&
        ((i >= 1 && data[i - 1] == '\n') || (i >= 2 && data[i - 1] == '\r' && data[i - 2] == '\n')))
      return i + 1;
  return 0;
}

/* How the answer's body is framed, and whether its connection can be used again. */
static void
read_framing (Forward *forward, SoupMessageHeaders *headers, SoupHTTPVersion version, guint status)
{
  forward->reusable = version == SOUP_HTTP_1_1 &&
                      !soup_message_headers_header_contains (headers, "Connection", "close");
  if (forward->is_head || status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    {
      forward->framing = FRAMING_NONE;
      return;
    }
  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CHUNKED:
      forward->framing = FRAMING_CHUNKED;
      forward->decoder = ow_chunked_decoder_new ();
      break;
    case SOUP_ENCODING_CONTENT_LENGTH:
      forward->framing = FRAMING_LENGTH;
      forward->remaining = (guint64) soup_message_headers_get_content_length (headers);
      break;
    default:
      forward->framing = FRAMING_UNTIL_CLOSE;
      forward->reusable = FALSE;
      break;
    }
}

/* The status and headers go to the client now, or, for an answer to be redacted, are held
 * with it until it is whole and checked. */
static void
pass_head_on (Forward *forward, SoupMessageHeaders *headers, guint status, const char *reason)
{
  if (forward->redact && forward->framing != FRAMING_NONE && !forward->finished)
    {
      forward->held = g_byte_array_new ();
      forward->held_status = status;
      forward->held_reason = g_strdup (reason);
      forward->held_headers = soup_message_headers_ref (headers);
    }
  else if (!forward->finished)
    {
      soup_server_message_set_status (forward->message, status, reason);
      copy_response_headers (headers, status, forward->message);
      /* What went out is let go: an answer streams through without being kept whole. */
      if (!forward->keep_answer)
        soup_message_body_set_accumulate (soup_server_message_get_response_body (forward->message),
                                          FALSE);
      forward->wait_for_answer = FALSE;
      update_pause (forward);
    }
}

/* Parses the answer's head once it is whole and passes status and headers on; then what
 * came after it, the start of the body. */
static void
take_head (Forward *forward, const guint8 *data, gsize size)
{
  g_autoptr (SoupMessageHeaders) headers = NULL;
  g_autofree char *reason = NULL;
  SoupHTTPVersion version;
  guint status;
  gsize head_length;
  GByteArray *head;

  g_byte_array_append (forward->head, data, (guint) size);
  head = forward->head;
  head_length = find_head_end (head->data, head->len);
  if (head_length == 0)
    {
      if (head->len > MAX_ANSWER_HEAD)
        {
          g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                          "The answer's head is too long");
          fail (forward, error);
        }
      return;
    }

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (!soup_headers_parse_response ((const char *) head->data, (int) head_length, headers, &version,
                                    &status, &reason))
    {
      g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                                      "The answer's head cannot be read");
      fail (forward, error);
      return;
    }
  if (SOUP_STATUS_IS_INFORMATIONAL (status))
    {
      /* An interim answer (100 Continue): the real one follows. */
      g_byte_array_remove_range (head, 0, (guint) head_length);
      if (head->len > 0)
        {
          g_autoptr (GByteArray) rest =
            g_byte_array_new_take (g_memdup2 (head->data, head->len), head->len);
          g_byte_array_set_size (head, 0);
          take_head (forward, rest->data, rest->len);
        }
      return;
    }

  g_clear_handle_id (&forward->answer_timeout_id, g_source_remove);
  forward->answer = ANSWER_BODY;
  read_framing (forward, headers, version, status);
  pass_head_on (forward, headers, status, reason);

  if (forward->framing == FRAMING_NONE ||
      (forward->framing == FRAMING_LENGTH && forward->remaining == 0))
    {
      if (head->len > head_length)
        forward->reusable = FALSE;
      end_answer (forward, TRUE);
    }
  else if (head->len > head_length)
    take_body (forward, head->data + head_length, head->len - head_length);
  g_clear_pointer (&forward->head, g_byte_array_unref);
}

/* Reads what the runtime has sent, a few reads at most before the others get their turn. */
static void
read_answer (Forward *forward)
{
  int fd = ow_runtime_connection_get_fd (forward->connection);
  guint8 buffer[READ_SIZE];
  gboolean relayed = FALSE;

  for (guint i = 0; i < MAX_READS_PER_WAKE && forward->answer != ANSWER_DONE &&
                    forward->unwritten < MAX_UNWRITTEN;
       i++)
    {
      gssize got = recv (fd, buffer, sizeof buffer, 0);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (got <= 0)
        {
          int saved = got < 0 ? errno : 0;

          if (forward->answer == ANSWER_HEAD)
            {
              g_autoptr (GError) error = NULL;

              if (retry (forward))
                return;
              error = g_error_new (
                G_IO_ERROR, saved ? g_io_error_from_errno (saved) : G_IO_ERROR_CLOSED,
                "The runtime closed the connection: %s", saved ? g_strerror (saved) : "no answer");
              fail (forward, error);
              return;
            }
          end_answer (forward, forward->framing == FRAMING_UNTIL_CLOSE && got == 0);
          relayed = TRUE;
          break;
        }

      forward->answered = TRUE;
      if (forward->answer == ANSWER_HEAD)
        take_head (forward, buffer, (gsize) got);
      else
        take_body (forward, buffer, (gsize) got);
      relayed = TRUE;
    }

  /* A held answer is sent once it is whole (send_redacted()). */
  if (relayed && !forward->finished && forward->answer != ANSWER_HEAD && forward->held == NULL)
    soup_server_message_unpause (forward->message);
}

static void
on_connection_ready (OwRuntimeConnection *connection, GIOCondition condition, gpointer user_data)
{
  Forward *forward = user_data;

  forward->busy++;
  if (forward->connecting)
    {
      g_autoptr (GError) error = NULL;

      if (!ow_runtime_connection_check_connected (connection, &error))
        {
          fail (forward, error);
          goto out;
        }
      forward->connecting = FALSE;
    }
  if (!send_out (forward) || forward->connection != connection)
    goto out;
  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    read_answer (forward);

out:
  if (forward_leave (forward))
    update_watch (forward);
}

/* Request bodies */

static void
queue_body (Forward *forward, const char *data, gsize size)
{
  if (forward->chunked_upload)
    g_string_append_printf (forward->out, "%" G_GSIZE_MODIFIER "x\r\n", size);
  g_string_append_len (forward->out, data, (gssize) size);
  if (forward->chunked_upload)
    g_string_append (forward->out, "\r\n");
}

static void
on_request_chunk (SoupServerMessage *message, GBytes *chunk, Forward *forward)
{
  gsize size;
  const char *data = g_bytes_get_data (chunk, &size);

  forward->received += size;
  if (forward->received > forward->max_body_bytes)
    {
      /* Only a body of unknown length gets here; a declared one was checked upfront. */
      forward->discard = TRUE;
      if (forward->answer == ANSWER_HEAD)
        fail (forward, NULL);
      return;
    }
  if (forward->discard || size == 0)
    return;
  queue_body (forward, data, size);
  if (forward->connection && !forward->connecting)
    send_out (forward);
  forward->wait_for_upload = unsent (forward) >= MAX_UNSENT;
  update_pause (forward);
  update_watch (forward);
}

static void
on_request_body (SoupServerMessage *message, Forward *forward)
{
  forward->body_done = TRUE;
  if (forward->discard)
    return;
  if (forward->chunked_upload)
    g_string_append (forward->out, "0\r\n\r\n");
  if (forward->connection && !forward->connecting)
    send_out (forward);
  update_watch (forward);
}

gboolean
ow_opencode_proxy_resume (OwOpencodeProxy *self, SoupServerMessage *message)
{
  Forward *forward = g_object_get_data (G_OBJECT (message), FORWARD_KEY);

  if (forward == NULL)
    return FALSE;

  /* The body is in; the client waits for the runtime's answer, if it is not there yet. */
  forward->wait_for_answer = forward->answer == ANSWER_HEAD;
  update_pause (forward);
  return TRUE;
}

static void
on_message_finished (SoupServerMessage *message, Forward *forward)
{
  forward->finished = TRUE;
  if (forward->busy == 0)
    forward_free (forward);
}

static void
on_wrote_body_data (SoupServerMessage *message, guint chunk_size, Forward *forward)
{
  gboolean was_full = forward->unwritten >= MAX_UNWRITTEN;

  forward->unwritten = chunk_size > forward->unwritten ? 0 : forward->unwritten - chunk_size;
  if (was_full && forward->unwritten < MAX_UNWRITTEN)
    update_watch (forward);
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

/* A request target is sent as it is: it must not be able to end the request line. */
static gboolean
is_sendable_target (const char *target)
{
  for (const char *p = target; *p; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f)
      return FALSE;
  return TRUE;
}

/* Writes the request's head: the client's headers less the dropped ones, the runtime's
 * credentials and the checked folder. */
static void
write_request_head (Forward *forward,
                    SoupServerMessage *message,
                    const char *target,
                    const char *directory,
                    goffset body_length)
{
  OwOpencodeProxy *self = forward->proxy;
  SoupMessageHeaders *from = soup_server_message_get_request_headers (message);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  g_autofree char *encoded_directory = g_uri_escape_string (directory, "/", FALSE);
  GString *out = forward->out;

  g_string_append_printf (out, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: %s\r\n",
                          soup_server_message_get_method (message), target,
                          ow_runtime_supervisor_get_port (self->runtime),
                          ow_runtime_supervisor_get_authorization (self->runtime));
  soup_message_headers_iter_init (&iter, from);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (!is_request_header_dropped (name) && strpbrk (name, "\r\n") == NULL &&
        strpbrk (value, "\r\n") == NULL)
      g_string_append_printf (out, "%s: %s\r\n", name, value);
  /* The runtime decodes this header once, so it reads back exactly the checked folder. */
  g_string_append_printf (out, "x-opencode-directory: %s\r\n", encoded_directory);
  if (forward->chunked_upload)
    g_string_append (out, "Transfer-Encoding: chunked\r\n");
  else if (body_length > 0 ||
           !(g_str_equal (soup_server_message_get_method (message), "GET") || forward->is_head))
    g_string_append_printf (out, "Content-Length: %" G_GOFFSET_FORMAT "\r\n", body_length);
  g_string_append (out, "\r\n");
}

void
ow_opencode_proxy_forward (OwOpencodeProxy *self,
                           SoupServerMessage *message,
                           const char *path,
                           const char *directory,
                           OwProxyForwardFlags flags)
{
  GUri *client_uri = soup_server_message_get_uri (message);
  g_autofree char *query = ow_opencode_proxy_strip_query (g_uri_get_query (client_uri));
  g_autofree char *target = NULL;
  SoupMessageBody *request_body = soup_server_message_get_request_body (message);
  goffset body_length = 0;
  Forward *forward;

  g_return_if_fail (OW_IS_OPENCODE_PROXY (self));

  if (!runtime_is_ready (self, message))
    return;

  target =
    g_strdup_printf ("%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "");
  if (!is_sendable_target (target))
    {
      ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "bad_path",
                           "This path cannot be forwarded to the runtime.");
      return;
    }

  forward = g_new0 (Forward, 1);
  forward->proxy = self;
  g_hash_table_add (self->forwards, forward);
  forward->max_body_bytes = self->max_body_bytes;
  forward->keep_answer = (flags & OW_PROXY_FORWARD_KEEP_ANSWER) != 0;
  forward->redact = (flags & OW_PROXY_FORWARD_REDACT_SECRETS) != 0;
  forward->streaming = (flags & OW_PROXY_FORWARD_BODY_FOLLOWS) != 0;
  forward->is_head = g_str_equal (soup_server_message_get_method (message), "HEAD");
  forward->message = g_object_ref (message);
  forward->out = g_string_sized_new (1024);
  forward->head = g_byte_array_new ();

  if (forward->streaming)
    {
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);

      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        body_length = soup_message_headers_get_content_length (headers);
      else
        forward->chunked_upload = TRUE;
      soup_message_body_set_accumulate (request_body, FALSE);
      g_signal_connect (message, "got-chunk", G_CALLBACK (on_request_chunk), forward);
      g_signal_connect (message, "got-body", G_CALLBACK (on_request_body), forward);
      g_object_set_data (G_OBJECT (message), FORWARD_KEY, forward);
    }
  else
    {
      body_length = request_body->length;
      forward->body_done = TRUE;
    }

  write_request_head (forward, message, target, directory, body_length);
  if (!forward->streaming && request_body->length > 0)
    {
      g_autoptr (GBytes) bytes = soup_message_body_flatten (request_body);
      gsize size;
      const char *data = g_bytes_get_data (bytes, &size);

      g_string_append_len (forward->out, data, (gssize) size);
    }

  g_signal_connect (message, "finished", G_CALLBACK (on_message_finished), forward);
  g_signal_connect (message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), forward);
  /* Without a body to read, the client now only waits for the runtime's answer. */
  forward->wait_for_answer = !forward->streaming;
  update_pause (forward);

  forward->busy++;
  /* A kept connection takes the request at once, without a round through the main loop. A
   * streaming body cannot go again, so it never risks a kept connection the runtime may
   * have closed meanwhile. */
  if (start_exchange (forward, forward->streaming) && !forward->connecting)
    send_out (forward);
  if (forward_leave (forward))
    update_watch (forward);
}

static void
ow_opencode_proxy_dispose (GObject *object)
{
  OwOpencodeProxy *self = OW_OPENCODE_PROXY (object);
  GHashTableIter iter;
  Forward *forward;

  /* Requests under way end here: their connections close, their clients get no more. */
  g_hash_table_iter_init (&iter, self->forwards);
  while (g_hash_table_iter_next (&iter, (gpointer *) &forward, NULL))
    {
      g_hash_table_iter_remove (&iter);
      forward->proxy = NULL;
      forward_free (forward);
    }

  g_clear_pointer (&self->pool, ow_runtime_pool_free);
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
  self->pool = ow_runtime_pool_new (MAX_IDLE_CONNECTIONS);
}

OwOpencodeProxy *
ow_opencode_proxy_new (OwRuntimeSupervisor *runtime, OwEventHub *hub, gsize max_body_bytes)
{
  OwOpencodeProxy *self = g_object_new (OW_TYPE_OPENCODE_PROXY, NULL);

  self->max_body_bytes = max_body_bytes;
  self->answer_timeout_s = OW_PROXY_DEFAULT_ANSWER_TIMEOUT_S;
  self->runtime = g_object_ref (runtime);
  self->hub = g_object_ref (hub);
  return self;
}

void
ow_opencode_proxy_set_answer_timeout (OwOpencodeProxy *self, guint seconds)
{
  g_return_if_fail (OW_IS_OPENCODE_PROXY (self));
  self->answer_timeout_s = seconds ? seconds : OW_PROXY_DEFAULT_ANSWER_TIMEOUT_S;
}
