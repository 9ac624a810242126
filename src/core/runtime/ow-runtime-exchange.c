#include "config.h"

#include "ow-runtime-exchange.h"
#include "ow-chunked-decoder.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* The answer is read in pieces of this size, a few at once before waiting for more. */
#define READ_SIZE (64 * 1024)
#define MAX_READS_PER_WAKE 4
/* A streaming body is let go once this much of it has left. */
#define MAX_KEPT_SENT (64 * 1024)
#define MAX_ANSWER_HEAD (64 * 1024)

typedef enum
{
  ANSWER_HEAD, /* waiting for the status line and headers */
  ANSWER_BODY,
  ANSWER_DONE, /* read whole, broken off, or given up */
} AnswerState;

typedef enum
{
  FRAMING_NONE,
  FRAMING_LENGTH,
  FRAMING_CHUNKED,
  FRAMING_UNTIL_CLOSE,
} Framing;

struct _OwRuntimeExchange
{
  guint ref_count;
  OwRuntimePool *pool;
  guint port;
  OwRuntimeTimeouts timeouts;
  const OwRuntimeExchangeHandler *handler;
  gpointer user_data;
  GSource *cancel_source;

  OwRuntimeConnection *connection;
  gboolean started;
  gboolean connecting;
  gboolean retried; /* on a fresh connection, after a kept one turned out closed */
  gboolean done;    /* finished() was called, or the exchange was cancelled */
  gboolean is_head;
  gboolean needs_length; /* not GET or HEAD: a missing body is said to be empty */

  /* The request as sent: head and body. A body given whole stays here, so that the
   * request can go again on another connection; a streaming body is let go as it leaves. */
  GString *out;
  gsize out_offset;
  gboolean head_closed;
  gboolean streaming;
  gboolean chunked_upload;
  gboolean body_done; /* all of the request is in out */
  gboolean discard;   /* the runtime no longer reads the body: drop the rest */
  gboolean expecting; /* the answer's timeout runs */

  /* The answer. */
  AnswerState answer;
  GByteArray *head; /* the answer so far, until its head is complete */
  Framing framing;
  guint64 remaining; /* FRAMING_LENGTH */
  OwChunkedDecoder *decoder;
  gboolean reusable;     /* the connection can carry the next request after this one */
  gboolean answered;     /* any byte of the answer came */
  gboolean reading;      /* the receiver takes more */
  gboolean event_stream; /* an answer that may be quiet for long: no idle timeout */
};

static void
on_connection_ready (OwRuntimeConnection *connection, GIOCondition condition, gpointer user_data);

OwRuntimeExchange *
ow_runtime_exchange_new (OwRuntimePool *pool,
                         guint port,
                         const char *authorization,
                         const char *method,
                         const char *target,
                         const OwRuntimeTimeouts *timeouts)
{
  OwRuntimeExchange *exchange;

  g_return_val_if_fail (pool != NULL, NULL);
  g_return_val_if_fail (authorization != NULL && method != NULL && target != NULL, NULL);

  exchange = g_new0 (OwRuntimeExchange, 1);
  exchange->ref_count = 1;
  exchange->pool = ow_runtime_pool_ref (pool);
  exchange->port = port;
  if (timeouts)
    exchange->timeouts = *timeouts;
  exchange->is_head = g_str_equal (method, "HEAD");
  exchange->needs_length = !exchange->is_head && !g_str_equal (method, "GET");
  exchange->reading = TRUE;
  exchange->out = g_string_sized_new (1024);
  g_string_append_printf (exchange->out,
                          "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: %s\r\n", method,
                          target, port, authorization);
  return exchange;
}

OwRuntimeExchange *
ow_runtime_exchange_ref (OwRuntimeExchange *exchange)
{
  exchange->ref_count++;
  return exchange;
}

static void
give_up_connection (OwRuntimeExchange *exchange)
{
  if (exchange->connection == NULL)
    return;
  ow_runtime_connection_release (exchange->connection, FALSE);
  exchange->connection = NULL;
}

static void
stop (OwRuntimeExchange *exchange)
{
  exchange->done = TRUE;
  if (exchange->cancel_source)
    {
      g_source_destroy (exchange->cancel_source);
      g_clear_pointer (&exchange->cancel_source, g_source_unref);
    }
}

void
ow_runtime_exchange_unref (OwRuntimeExchange *exchange)
{
  if (--exchange->ref_count > 0)
    return;
  stop (exchange);
  give_up_connection (exchange);
  g_string_free (exchange->out, TRUE);
  g_clear_pointer (&exchange->head, g_byte_array_unref);
  g_clear_pointer (&exchange->decoder, ow_chunked_decoder_free);
  ow_runtime_pool_unref (exchange->pool);
  g_free (exchange);
}

gboolean
ow_runtime_exchange_is_sendable_target (const char *target)
{
  if (target == NULL || target[0] != '/')
    return FALSE;
  for (const char *p = target; *p; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f)
      return FALSE;
  return TRUE;
}

/* The request */

void
ow_runtime_exchange_add_header (OwRuntimeExchange *exchange, const char *name, const char *value)
{
  g_return_if_fail (!exchange->head_closed);

  if (*name == '\0' || strpbrk (name, "\r\n:") != NULL || strpbrk (value, "\r\n") != NULL)
    return;
  g_string_append_printf (exchange->out, "%s: %s\r\n", name, value);
}

static void
close_head (OwRuntimeExchange *exchange)
{
  g_string_append (exchange->out, "\r\n");
  exchange->head_closed = TRUE;
}

void
ow_runtime_exchange_set_body (OwRuntimeExchange *exchange, gconstpointer data, gsize size)
{
  g_return_if_fail (!exchange->head_closed);

  if (size > 0 || exchange->needs_length)
    g_string_append_printf (exchange->out, "Content-Length: %" G_GSIZE_FORMAT "\r\n", size);
  close_head (exchange);
  g_string_append_len (exchange->out, data, (gssize) size);
  exchange->body_done = TRUE;
}

void
ow_runtime_exchange_stream_body (OwRuntimeExchange *exchange, goffset length)
{
  g_return_if_fail (!exchange->head_closed);

  if (length < 0)
    {
      exchange->chunked_upload = TRUE;
      g_string_append (exchange->out, "Transfer-Encoding: chunked\r\n");
    }
  else if (length > 0 || exchange->needs_length)
    {
      g_string_append_printf (exchange->out, "Content-Length: %" G_GOFFSET_FORMAT "\r\n", length);
    }
  close_head (exchange);
  exchange->streaming = TRUE;
}

gsize
ow_runtime_exchange_get_unsent (OwRuntimeExchange *exchange)
{
  return exchange->discard ? 0 : exchange->out->len - exchange->out_offset;
}

/* Deadlines */

static void
expect_within (OwRuntimeExchange *exchange, guint seconds)
{
  if (exchange->connection)
    ow_runtime_connection_set_deadline (
      exchange->connection,
      seconds ? g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC : 0);
}

static GError *
new_timeout_error (OwRuntimeExchange *exchange)
{
  if (exchange->connecting)
    return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "The OpenCode runtime did not accept a connection within %u s.",
                        exchange->timeouts.connect_s);
  if (exchange->answer == ANSWER_HEAD)
    return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        "The OpenCode runtime did not answer within %u s.",
                        exchange->timeouts.answer_s);
  return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                      "The OpenCode runtime sent nothing for %u s in the middle of its answer.",
                      exchange->timeouts.idle_s);
}

/* Ending */

static void
finish (OwRuntimeExchange *exchange, const GError *error)
{
  if (exchange->done)
    return;
  stop (exchange);
  exchange->handler->finished (exchange, error, exchange->user_data);
}

/* The connection is done with: kept for the next request if this exchange ended cleanly on
 * both sides. */
static void
let_connection_go (OwRuntimeExchange *exchange)
{
  gboolean clean = exchange->answer == ANSWER_DONE && exchange->reusable && exchange->body_done &&
                   !exchange->discard && exchange->out_offset == exchange->out->len;

  if (exchange->connection == NULL)
    return;
  ow_runtime_connection_release (exchange->connection, clean);
  exchange->connection = NULL;
}

static void
fail (OwRuntimeExchange *exchange, const GError *error)
{
  exchange->answer = ANSWER_DONE;
  exchange->discard = TRUE;
  give_up_connection (exchange);
  finish (exchange, error);
}

static void
end_answer (OwRuntimeExchange *exchange, gboolean whole)
{
  g_autoptr (GError) error = NULL;

  if (!whole)
    {
      exchange->reusable = FALSE;
      error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                                   "The runtime's answer broke off.");
    }
  exchange->answer = ANSWER_DONE;
  /* An answer that came before the whole body was sent ends the body too. */
  if (!exchange->body_done || ow_runtime_exchange_get_unsent (exchange) > 0)
    exchange->discard = TRUE;
  let_connection_go (exchange);
  finish (exchange, error);
}

static gboolean
take_connection (OwRuntimeExchange *exchange, gboolean fresh)
{
  g_autoptr (GError) error = NULL;

  exchange->connection = ow_runtime_pool_take (exchange->pool, exchange->port, fresh, &error);
  if (exchange->connection == NULL)
    {
      fail (exchange, error);
      return FALSE;
    }
  exchange->connecting = !ow_runtime_connection_is_reused (exchange->connection);
  exchange->out_offset = 0;
  exchange->answer = ANSWER_HEAD;
  exchange->answered = FALSE;
  exchange->expecting = FALSE;
  if (exchange->connecting)
    expect_within (exchange, exchange->timeouts.connect_s);
  return TRUE;
}

/* What the connection is watched for: sending while anything is unsent (or the connect is
 * under way), reading while the answer goes on and the receiver takes it. */
static void
update_watch (OwRuntimeExchange *exchange)
{
  GIOCondition condition = 0;

  if (exchange->connection == NULL || exchange->done)
    return;
  if (exchange->connecting || ow_runtime_exchange_get_unsent (exchange) > 0)
    condition |= G_IO_OUT;
  if (!exchange->connecting && exchange->answer != ANSWER_DONE && exchange->reading)
    condition |= G_IO_IN;
  ow_runtime_connection_watch (exchange->connection, condition, on_connection_ready, exchange);
}

/* A kept connection that the runtime closed before this request reached it: the request
 * goes again on a fresh one, if it is still whole. */
static gboolean
retry (OwRuntimeExchange *exchange)
{
  if (exchange->retried || exchange->streaming || exchange->answered ||
      exchange->connection == NULL || !ow_runtime_connection_is_reused (exchange->connection))
    return FALSE;
  exchange->retried = TRUE;
  give_up_connection (exchange);
  if (take_connection (exchange, TRUE))
    update_watch (exchange);
  return TRUE;
}

/* Sending */

/* Sends what is unsent without blocking. Returns %FALSE when the connection broke. */
static gboolean
send_out (OwRuntimeExchange *exchange)
{
  int fd = ow_runtime_connection_get_fd (exchange->connection);
  gboolean sent_any = FALSE;

  while (ow_runtime_exchange_get_unsent (exchange) > 0)
    {
      gssize sent = send (fd, exchange->out->str + exchange->out_offset,
                          exchange->out->len - exchange->out_offset, MSG_NOSIGNAL);

      if (sent < 0 && errno == EINTR)
        continue;
      /* Once the runtime answers, a full or closed socket means it stopped reading the
       * body: waiting for it would hold the answer up. */
      if (sent < 0 && exchange->answer != ANSWER_HEAD)
        {
          exchange->discard = TRUE;
          break;
        }
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (sent < 0)
        {
          int saved = errno;

          if (!retry (exchange))
            {
              g_autoptr (GError) error =
                g_error_new (G_IO_ERROR, g_io_error_from_errno (saved),
                             "Could not send the request to the runtime: %s", g_strerror (saved));
              fail (exchange, error);
            }
          return FALSE;
        }
      exchange->out_offset += (gsize) sent;
      sent_any = TRUE;
    }

  if (exchange->streaming)
    {
      /* What left is let go. */
      if (exchange->out_offset == exchange->out->len || exchange->discard)
        {
          g_string_truncate (exchange->out, 0);
          exchange->out_offset = 0;
        }
      else if (exchange->out_offset >= MAX_KEPT_SENT)
        {
          g_string_erase (exchange->out, 0, (gssize) exchange->out_offset);
          exchange->out_offset = 0;
        }
      if (sent_any && exchange->handler->wrote_body)
        exchange->handler->wrote_body (exchange, exchange->user_data);
    }
  /* Once the request is out in full, the runtime has so long to start its answer. */
  if (exchange->answer == ANSWER_HEAD && exchange->body_done && !exchange->expecting &&
      !exchange->done && ow_runtime_exchange_get_unsent (exchange) == 0)
    {
      exchange->expecting = TRUE;
      expect_within (exchange, exchange->timeouts.answer_s);
    }
  return !exchange->done;
}

void
ow_runtime_exchange_write_body (OwRuntimeExchange *exchange, gconstpointer data, gsize size)
{
  g_return_if_fail (exchange->streaming && !exchange->body_done);

  if (exchange->discard || exchange->done || size == 0)
    return;
  if (exchange->chunked_upload)
    g_string_append_printf (exchange->out, "%" G_GSIZE_MODIFIER "x\r\n", size);
  g_string_append_len (exchange->out, data, (gssize) size);
  if (exchange->chunked_upload)
    g_string_append (exchange->out, "\r\n");
  if (exchange->connection && !exchange->connecting)
    send_out (exchange);
  update_watch (exchange);
}

void
ow_runtime_exchange_end_body (OwRuntimeExchange *exchange)
{
  g_return_if_fail (exchange->streaming);

  if (exchange->body_done)
    return;
  exchange->body_done = TRUE;
  if (exchange->discard || exchange->done)
    return;
  if (exchange->chunked_upload)
    g_string_append (exchange->out, "0\r\n\r\n");
  if (exchange->connection && !exchange->connecting)
    send_out (exchange);
  update_watch (exchange);
}

void
ow_runtime_exchange_abandon_body (OwRuntimeExchange *exchange)
{
  exchange->discard = TRUE;
  update_watch (exchange);
}

/* The answer */

static void
take_body (OwRuntimeExchange *exchange, guint8 *data, gsize size)
{
  switch (exchange->framing)
    {
    case FRAMING_LENGTH:
      {
        gsize span = (gsize) MIN ((guint64) size, exchange->remaining);

        exchange->remaining -= span;
        if (span < size)
          exchange->reusable = FALSE; /* more than the answer: the connection is confused */
        if (span > 0)
          exchange->handler->got_body (exchange, data, span, exchange->user_data);
        if (exchange->remaining == 0 && !exchange->done)
          end_answer (exchange, TRUE);
      }
      break;

    case FRAMING_CHUNKED:
      {
        g_autoptr (GError) error = NULL;
        gsize decoded, consumed;

        if (!ow_chunked_decoder_feed (exchange->decoder, data, size, &decoded, &consumed, &error))
          {
            g_debug ("The runtime's answer cannot be read: %s", error->message);
            end_answer (exchange, FALSE);
            return;
          }
        if (consumed < size)
          exchange->reusable = FALSE;
        if (decoded > 0)
          exchange->handler->got_body (exchange, data, decoded, exchange->user_data);
        if (ow_chunked_decoder_is_done (exchange->decoder) && !exchange->done)
          end_answer (exchange, TRUE);
      }
      break;

    case FRAMING_UNTIL_CLOSE:
      exchange->handler->got_body (exchange, data, size, exchange->user_data);
      break;

    case FRAMING_NONE:
    default:
      g_assert_not_reached ();
    }
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
read_framing (OwRuntimeExchange *exchange,
              SoupMessageHeaders *headers,
              SoupHTTPVersion version,
              guint status)
{
  exchange->reusable = version == SOUP_HTTP_1_1 &&
                       !soup_message_headers_header_contains (headers, "Connection", "close");
  if (exchange->is_head || status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    {
      exchange->framing = FRAMING_NONE;
      return;
    }
  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CHUNKED:
      exchange->framing = FRAMING_CHUNKED;
      exchange->decoder = ow_chunked_decoder_new ();
      break;
    case SOUP_ENCODING_CONTENT_LENGTH:
      exchange->framing = FRAMING_LENGTH;
      exchange->remaining = (guint64) soup_message_headers_get_content_length (headers);
      break;
    default:
      exchange->framing = FRAMING_UNTIL_CLOSE;
      exchange->reusable = FALSE;
      break;
    }
  exchange->event_stream =
    g_strcmp0 (soup_message_headers_get_content_type (headers, NULL), "text/event-stream") == 0;
}

static void
fail_literal (OwRuntimeExchange *exchange, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);

  fail (exchange, error);
}

/* Gathers the answer's head; once it is whole, passes it on with whatever followed it. */
static void
take_head (OwRuntimeExchange *exchange, guint8 *data, gsize size)
{
  g_autoptr (SoupMessageHeaders) headers = NULL;
  g_autofree char *reason = NULL;
  SoupHTTPVersion version;
  GByteArray *head;
  gsize head_length;
  guint status;

  if (exchange->head == NULL)
    exchange->head = g_byte_array_new ();
  head = exchange->head;
  g_byte_array_append (head, data, (guint) size);
  head_length = find_head_end (head->data, head->len);
  if (head_length == 0)
    {
      if (head->len > MAX_ANSWER_HEAD)
        fail_literal (exchange, "The runtime's answer has a head too long to read.");
      return;
    }

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (!soup_headers_parse_response ((const char *) head->data, (int) head_length, headers, &version,
                                    &status, &reason))
    {
      fail_literal (exchange, "The runtime's answer has a head that cannot be read.");
      return;
    }
  if (SOUP_STATUS_IS_INFORMATIONAL (status))
    {
      /* An interim answer (100 Continue): the real one follows. */
      g_autoptr (GByteArray) rest = NULL;

      g_byte_array_remove_range (head, 0, (guint) head_length);
      rest = g_steal_pointer (&exchange->head);
      if (rest->len > 0)
        take_head (exchange, rest->data, rest->len);
      return;
    }

  exchange->answer = ANSWER_BODY;
  read_framing (exchange, headers, version, status);
  expect_within (exchange, exchange->event_stream ? 0 : exchange->timeouts.idle_s);
  exchange->handler->got_head (exchange, status, reason, headers, exchange->user_data);
  if (exchange->done)
    return;

  if (exchange->framing == FRAMING_NONE ||
      (exchange->framing == FRAMING_LENGTH && exchange->remaining == 0))
    {
      if (head->len > head_length)
        exchange->reusable = FALSE;
      end_answer (exchange, TRUE);
    }
  else if (head->len > head_length)
    {
      take_body (exchange, head->data + head_length, head->len - head_length);
    }
  g_clear_pointer (&exchange->head, g_byte_array_unref);
}

/* The runtime closed the connection, or it broke. */
static void
take_end (OwRuntimeExchange *exchange, int saved)
{
  g_autoptr (GError) error = NULL;

  if (exchange->answer != ANSWER_HEAD)
    {
      end_answer (exchange, exchange->framing == FRAMING_UNTIL_CLOSE && saved == 0);
      return;
    }
  if (retry (exchange))
    return;
  error =
    g_error_new (G_IO_ERROR, saved ? g_io_error_from_errno (saved) : G_IO_ERROR_CLOSED,
                 "The runtime closed the connection: %s", saved ? g_strerror (saved) : "no answer");
  fail (exchange, error);
}

/* Reads what the runtime has sent, a few reads at most before the others get their turn. */
static void
read_answer (OwRuntimeExchange *exchange)
{
  OwRuntimeConnection *connection = exchange->connection;
  int fd = ow_runtime_connection_get_fd (connection);
  guint8 buffer[READ_SIZE];

  for (guint i = 0; i < MAX_READS_PER_WAKE && exchange->connection == connection &&
                    exchange->answer != ANSWER_DONE && exchange->reading && !exchange->done;
       i++)
    {
      gssize got = recv (fd, buffer, sizeof buffer, 0);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (got <= 0)
        {
          take_end (exchange, got < 0 ? errno : 0);
          break;
        }

      exchange->answered = TRUE;
      if (exchange->answer == ANSWER_HEAD)
        {
          take_head (exchange, buffer, (gsize) got);
        }
      else
        {
          if (exchange->timeouts.idle_s && !exchange->event_stream)
            expect_within (exchange, exchange->timeouts.idle_s);
          take_body (exchange, buffer, (gsize) got);
        }
    }
}

static void
on_connection_ready (OwRuntimeConnection *connection, GIOCondition condition, gpointer user_data)
{
  OwRuntimeExchange *exchange = ow_runtime_exchange_ref (user_data);

  if (condition == 0)
    {
      g_autoptr (GError) error = new_timeout_error (exchange);

      /* Dropped, not kept: the answer may still come. */
      fail (exchange, error);
      goto out;
    }
  if (exchange->connecting)
    {
      g_autoptr (GError) error = NULL;

      if (!ow_runtime_connection_check_connected (connection, &error))
        {
          fail (exchange, error);
          goto out;
        }
      exchange->connecting = FALSE;
      expect_within (exchange, 0);
    }
  if (!send_out (exchange) || exchange->connection != connection)
    goto out;
  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    read_answer (exchange);

out:
  update_watch (exchange);
  ow_runtime_exchange_unref (exchange);
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  OwRuntimeExchange *exchange = ow_runtime_exchange_ref (user_data);
  g_autoptr (GError) error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  fail (exchange, error);
  ow_runtime_exchange_unref (exchange);
  return G_SOURCE_REMOVE;
}

void
ow_runtime_exchange_start (OwRuntimeExchange *exchange,
                           const OwRuntimeExchangeHandler *handler,
                           gpointer user_data,
                           GCancellable *cancellable)
{
  g_return_if_fail (!exchange->started);
  g_return_if_fail (handler != NULL && handler->got_head && handler->got_body && handler->finished);

  exchange->started = TRUE;
  exchange->handler = handler;
  exchange->user_data = user_data;
  if (!exchange->head_closed)
    ow_runtime_exchange_set_body (exchange, NULL, 0);
  if (cancellable)
    {
      exchange->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (exchange->cancel_source, G_SOURCE_FUNC (on_cancelled), exchange, NULL);
      g_source_set_static_name (exchange->cancel_source, "OwRuntimeExchange cancelled");
      g_source_attach (exchange->cancel_source, NULL);
    }

  ow_runtime_exchange_ref (exchange);
  /* A kept connection takes the request at once, without a round through the main loop. A
   * streaming body cannot go again, so it never risks a kept connection the runtime may
   * have closed meanwhile. */
  if (take_connection (exchange, exchange->streaming) && !exchange->connecting)
    send_out (exchange);
  update_watch (exchange);
  ow_runtime_exchange_unref (exchange);
}

void
ow_runtime_exchange_cancel (OwRuntimeExchange *exchange)
{
  stop (exchange);
  give_up_connection (exchange);
}

void
ow_runtime_exchange_set_reading (OwRuntimeExchange *exchange, gboolean reading)
{
  if (exchange->reading == reading)
    return;
  exchange->reading = reading;
  update_watch (exchange);
}
