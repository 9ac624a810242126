#include "config.h"

#include "ow-opencode-proxy.h"
#include "ow-connection-watch.h"
#include "ow-http.h"
#include "ow-secrets.h"

#include <string.h>

/* A slow client holds at most this much of the runtime's answer. */
#define MAX_UNWRITTEN (256 * 1024)
/* A request body streams on; the client waits while this much is not yet sent. */
#define MAX_UNSENT (64 * 1024)
/* An answer checked for secrets is held whole; larger ones are refused. The runtime's
 * provider list alone is about 7 MB. */
#define MAX_REDACTED_ANSWER (32 * 1024 * 1024)
/* The runtime accepts a connection at once, unless it is stuck. */
#define CONNECT_TIMEOUT_S 10
#define FORWARD_KEY "ow-forward"

struct _OwOpencodeProxy
{
  GObject parent_instance;

  OwRuntimeSupervisor *runtime;
  OwRuntimeClient *client;
  OwEventHub *hub;
  gsize max_body_bytes;
  guint answer_timeout_s;
  GHashTable *forwards; /* Forward: every request on its way through */
};

G_DEFINE_FINAL_TYPE (OwOpencodeProxy, ow_opencode_proxy, G_TYPE_OBJECT)

/* One client request on its way through: the client's side of it. The runtime's side is
 * an OwRuntimeExchange, whose answer is passed on as it comes. */
typedef struct
{
  OwOpencodeProxy *proxy;     /* NULL once the proxy is gone */
  SoupServerMessage *message; /* owned */
  OwRuntimeExchange *exchange;
  gboolean keep_answer; /* OW_PROXY_FORWARD_KEEP_ANSWER */
  gboolean redact;      /* OW_PROXY_FORWARD_REDACT_SECRETS */
  gboolean streaming;   /* OW_PROXY_FORWARD_BODY_FOLLOWS */
  gboolean is_head;
  gboolean answered; /* the runtime's answer has begun */
  gboolean ended;    /* the exchange with the runtime is over */
  gboolean finished; /* the client's exchange is over: touch the message no more */
  guint busy;        /* in a callback that may see "finished": free the forward after */
  gsize received;
  gsize max_body_bytes;

  gsize unwritten;  /* appended to the client's body but not yet written */
  GByteArray *held; /* the answer's body, while it is held to be redacted */
  gboolean held_too_large;
  guint held_status;
  char *held_reason;
  SoupMessageHeaders *held_headers;

  /* Why the client's message is paused; it is paused while either holds. */
  gboolean wait_for_upload;
  gboolean wait_for_answer;
  gboolean paused;
} Forward;

static void
forward_free (Forward *forward)
{
  if (forward->proxy)
    g_hash_table_remove (forward->proxy->forwards, forward);
  if (forward->exchange)
    {
      ow_runtime_exchange_cancel (forward->exchange);
      ow_runtime_exchange_unref (forward->exchange);
    }
  if (forward->streaming)
    g_object_set_data (G_OBJECT (forward->message), FORWARD_KEY, NULL);
  g_signal_handlers_disconnect_by_data (forward->message, forward);
  g_clear_object (&forward->message);
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

/* The runtime could not be reached or sent no answer: the gateway answers instead. */
static void
fail (Forward *forward, const GError *error)
{
  gboolean too_large = forward->received > forward->max_body_bytes;

  g_debug ("No answer from the runtime: %s", error ? error->message : "too large");
  if (forward->finished)
    return;
  if (too_large)
    {
      ow_http_reply_error (forward->message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                           "The request body is larger than the host allows.");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_autofree char *text = g_strdup_printf (
        "%s The host owner can set a longer time ([gateway] answer-timeout in host.conf).",
        error->message);
      ow_http_reply_error (forward->message, SOUP_STATUS_GATEWAY_TIMEOUT, "runtime_timeout", text);
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

/* The runtime's answer */

/* Passes @size bytes of the answer's body on to the client. */
static void
relay (Forward *forward, const guint8 *data, gsize size)
{
  if (forward->finished)
    return;
  if (forward->held)
    {
      if (forward->held_too_large || forward->held->len + size > MAX_REDACTED_ANSWER)
        {
          /* Read to the end and refused then. */
          g_byte_array_set_size (forward->held, 0);
          forward->held_too_large = TRUE;
          return;
        }
      g_byte_array_append (forward->held, data, (guint) size);
      return;
    }
  forward->unwritten += size;
  soup_message_body_append (soup_server_message_get_response_body (forward->message),
                            SOUP_MEMORY_COPY, data, size);
  if (forward->unwritten >= MAX_UNWRITTEN)
    ow_runtime_exchange_set_reading (forward->exchange, FALSE);
  soup_server_message_unpause (forward->message);
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

  if (whole && !forward->held_too_large)
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

/* The status and headers go to the client now, or, for an answer to be redacted, are held
 * with it until it is whole and checked. */
static void
on_runtime_head (OwRuntimeExchange *exchange,
                 guint status,
                 const char *reason,
                 SoupMessageHeaders *headers,
                 gpointer user_data)
{
  Forward *forward = user_data;
  gboolean has_body =
    !forward->is_head && status != SOUP_STATUS_NO_CONTENT && status != SOUP_STATUS_NOT_MODIFIED;

  forward->answered = TRUE;
  if (forward->finished)
    return;
  if (forward->redact && has_body)
    {
      forward->held = g_byte_array_new ();
      forward->held_status = status;
      forward->held_reason = g_strdup (reason);
      forward->held_headers = soup_message_headers_ref (headers);
      return;
    }
  soup_server_message_set_status (forward->message, status, reason);
  copy_response_headers (headers, status, forward->message);
  /* What went out is let go: an answer streams through without being kept whole. */
  if (!forward->keep_answer)
    soup_message_body_set_accumulate (soup_server_message_get_response_body (forward->message),
                                      FALSE);
  forward->wait_for_answer = FALSE;
  update_pause (forward);
}

static void
on_runtime_body (OwRuntimeExchange *exchange, const guint8 *data, gsize size, gpointer user_data)
{
  relay (user_data, data, size);
}

/* Some of the body left: the client may send more. */
static void
on_runtime_wrote_body (OwRuntimeExchange *exchange, gpointer user_data)
{
  Forward *forward = user_data;

  forward->wait_for_upload = ow_runtime_exchange_get_unsent (exchange) >= MAX_UNSENT;
  update_pause (forward);
}

static void
on_runtime_finished (OwRuntimeExchange *exchange, const GError *error, gpointer user_data)
{
  Forward *forward = user_data;

  forward->ended = TRUE;
  forward->busy++;
  if (!forward->answered)
    {
      fail (forward, error);
    }
  else if (!forward->finished)
    {
      /* Broken off: the client sees a short body. */
      if (error)
        g_debug ("The runtime's answer broke off: %s", error->message);
      if (forward->held)
        send_redacted (forward, error == NULL);
      else
        {
          soup_message_body_complete (soup_server_message_get_response_body (forward->message));
          soup_server_message_unpause (forward->message);
        }
      /* An answer that came before the whole body was sent ends the body too. */
      forward->wait_for_upload = FALSE;
      update_pause (forward);
    }
  forward_leave (forward);
}

static const OwRuntimeExchangeHandler forward_handler = {
  .got_head = on_runtime_head,
  .got_body = on_runtime_body,
  .wrote_body = on_runtime_wrote_body,
  .finished = on_runtime_finished,
};

/* Request bodies */

static void
on_request_chunk (SoupServerMessage *message, GBytes *chunk, Forward *forward)
{
  gsize size;
  const char *data = g_bytes_get_data (chunk, &size);

  forward->received += size;
  if (forward->received > forward->max_body_bytes)
    {
      /* Only a body of unknown length gets here; a declared one was checked upfront. */
      if (!forward->answered && !forward->ended)
        {
          forward->ended = TRUE;
          ow_runtime_exchange_cancel (forward->exchange);
          fail (forward, NULL);
        }
      else
        {
          ow_runtime_exchange_abandon_body (forward->exchange);
        }
      return;
    }
  forward->busy++;
  ow_runtime_exchange_write_body (forward->exchange, data, size);
  if (forward_leave (forward))
    on_runtime_wrote_body (forward->exchange, forward);
}

static void
on_request_body (SoupServerMessage *message, Forward *forward)
{
  forward->busy++;
  ow_runtime_exchange_end_body (forward->exchange);
  forward_leave (forward);
}

gboolean
ow_opencode_proxy_resume (OwOpencodeProxy *self, SoupServerMessage *message)
{
  Forward *forward = g_object_get_data (G_OBJECT (message), FORWARD_KEY);

  if (forward == NULL)
    return FALSE;

  /* The body is in; the client waits for the runtime's answer, if it is not there yet. */
  forward->wait_for_answer = !forward->answered && !forward->ended;
  update_pause (forward);
  return TRUE;
}

static void
on_message_finished (SoupServerMessage *message, Forward *forward)
{
  forward->finished = TRUE;
  /* The runtime's answer is of no use any more. */
  ow_runtime_exchange_cancel (forward->exchange);
  if (forward->busy == 0)
    forward_free (forward);
}

static void
on_wrote_body_data (SoupServerMessage *message, guint chunk_size, Forward *forward)
{
  forward->unwritten = chunk_size > forward->unwritten ? 0 : forward->unwritten - chunk_size;
  if (forward->unwritten < MAX_UNWRITTEN)
    ow_runtime_exchange_set_reading (forward->exchange, TRUE);
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

/* Adds the client's headers less the dropped ones, and the checked folder. */
static void
add_request_headers (OwRuntimeExchange *exchange, SoupServerMessage *message, const char *directory)
{
  SoupMessageHeaders *from = soup_server_message_get_request_headers (message);
  g_autofree char *encoded_directory = g_uri_escape_string (directory, "/", FALSE);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, from);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    if (!is_request_header_dropped (name))
      ow_runtime_exchange_add_header (exchange, name, value);
  /* The runtime decodes this header once, so it reads back exactly the checked folder. */
  ow_runtime_exchange_add_header (exchange, "x-opencode-directory", encoded_directory);
}

/* The request's body: whole, or streaming as the client sends it. */
static void
add_request_body (Forward *forward)
{
  SoupServerMessage *message = forward->message;
  SoupMessageBody *request_body = soup_server_message_get_request_body (message);

  if (forward->streaming)
    {
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);

      ow_runtime_exchange_stream_body (forward->exchange,
                                       soup_message_headers_get_encoding (headers) ==
                                           SOUP_ENCODING_CONTENT_LENGTH
                                         ? soup_message_headers_get_content_length (headers)
                                         : -1);
      soup_message_body_set_accumulate (request_body, FALSE);
      g_signal_connect (message, "got-chunk", G_CALLBACK (on_request_chunk), forward);
      g_signal_connect (message, "got-body", G_CALLBACK (on_request_body), forward);
      g_object_set_data (G_OBJECT (message), FORWARD_KEY, forward);
    }
  else if (request_body->length > 0)
    {
      g_autoptr (GBytes) bytes = soup_message_body_flatten (request_body);
      gsize size;
      gconstpointer data = g_bytes_get_data (bytes, &size);

      ow_runtime_exchange_set_body (forward->exchange, data, size);
    }
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
  g_autoptr (GError) error = NULL;
  OwRuntimeTimeouts timeouts = {
    .connect_s = CONNECT_TIMEOUT_S,
    .answer_s = self->answer_timeout_s,
    .idle_s = self->answer_timeout_s,
  };
  OwRuntimeExchange *exchange;
  Forward *forward;

  g_return_if_fail (OW_IS_OPENCODE_PROXY (self));

  if (!runtime_is_ready (self, message))
    return;

  target =
    g_strdup_printf ("%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "");
  if (!ow_runtime_exchange_is_sendable_target (target))
    {
      ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "bad_path",
                           "This path cannot be forwarded to the runtime.");
      return;
    }
  exchange = ow_runtime_client_new_exchange (self->client, soup_server_message_get_method (message),
                                             target, &timeouts, &error);
  if (exchange == NULL)
    {
      ow_http_reply_error (message, SOUP_STATUS_SERVICE_UNAVAILABLE, "runtime_unavailable",
                           error->message);
      return;
    }

  forward = g_new0 (Forward, 1);
  forward->proxy = self;
  g_hash_table_add (self->forwards, forward);
  forward->exchange = exchange;
  forward->max_body_bytes = self->max_body_bytes;
  forward->keep_answer = (flags & OW_PROXY_FORWARD_KEEP_ANSWER) != 0;
  forward->redact = (flags & OW_PROXY_FORWARD_REDACT_SECRETS) != 0;
  forward->streaming = (flags & OW_PROXY_FORWARD_BODY_FOLLOWS) != 0;
  forward->is_head = g_str_equal (soup_server_message_get_method (message), "HEAD");
  forward->message = g_object_ref (message);

  add_request_headers (exchange, message, directory);
  add_request_body (forward);
  g_signal_connect (message, "finished", G_CALLBACK (on_message_finished), forward);
  g_signal_connect (message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), forward);
  /* Without a body to read, the client now only waits for the runtime's answer. */
  forward->wait_for_answer = !forward->streaming;
  update_pause (forward);

  forward->busy++;
  ow_runtime_exchange_start (exchange, &forward_handler, forward, NULL);
  forward_leave (forward);
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

  g_clear_object (&self->client);
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
}

OwOpencodeProxy *
ow_opencode_proxy_new (OwRuntimeSupervisor *runtime, OwEventHub *hub, gsize max_body_bytes)
{
  OwOpencodeProxy *self = g_object_new (OW_TYPE_OPENCODE_PROXY, NULL);

  self->max_body_bytes = max_body_bytes;
  self->answer_timeout_s = OW_PROXY_DEFAULT_ANSWER_TIMEOUT_S;
  self->runtime = g_object_ref (runtime);
  self->client = g_object_ref (ow_runtime_supervisor_get_client (runtime));
  self->hub = g_object_ref (hub);
  return self;
}

void
ow_opencode_proxy_set_answer_timeout (OwOpencodeProxy *self, guint seconds)
{
  g_return_if_fail (OW_IS_OPENCODE_PROXY (self));
  self->answer_timeout_s = seconds ? seconds : OW_PROXY_DEFAULT_ANSWER_TIMEOUT_S;
}
