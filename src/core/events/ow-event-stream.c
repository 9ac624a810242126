#include "config.h"

#include "ow-event-stream.h"
#include "ow-http.h"

#include <json-glib/json-glib.h>

#include <string.h>
#include <sys/socket.h>

/* An SSE client may have this much written but not yet taken by its socket; the rest of
 * its backlog waits in the hub's buffer, not in memory of its own. */
#define MAX_UNWRITTEN (256 * 1024)
/* … and the kernel may hold this much more for it: without a bound, the send buffer grows
 * to megabytes per client and a client that has stopped reading is never noticed. */
#define SOCKET_SEND_BUFFER (64 * 1024)
/* A WebSocket whose socket could take more is sent up to this many events before its
 * socket is asked again: so a burst costs one check, and libsoup's queue for a client that
 * stalls holds at most this many frames. */
#define WEBSOCKET_SENDS_PER_CHECK 64

struct _OwEventStream
{
  GObject parent_instance;

  OwEventHub *hub;
  char *token_id;
  gboolean global;
  char *directory;
  gboolean inside;

  SoupServerMessage *message;          /* SSE */
  SoupWebsocketConnection *connection; /* or WebSocket … */
  GSocket *socket;                     /* … over this socket, for pacing */
  GSource *writable;
  guint pump_id;   /* the hub has new events: pumped once the current burst is published */
  guint linger_id; /* closed by the host: the rest has this long to go out */
  GString *frames; /* SSE frames of one pump, written as one chunk */

  guint64 cursor; /* the last sequence number dealt with */
  gsize unwritten;
  gint64 progress_us; /* when the client last took something, or had nothing waiting */
  guint stall_s;
  guint websocket_sends; /* still allowed before the socket is checked again */
  gboolean closed;
  gboolean dropped; /* by the client: its connection went away */
};

G_DEFINE_FINAL_TYPE (OwEventStream, ow_event_stream, G_TYPE_OBJECT)

enum
{
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void pump (OwEventStream *self);

static gboolean
matches (OwEventStream *self, const OwHubEvent *event)
{
  gsize length;

  if (self->global)
    return TRUE;
  if (g_str_equal (event->directory, self->directory))
    return TRUE;
  if (!self->inside)
    return FALSE;
  length = strlen (self->directory);
  return strncmp (event->directory, self->directory, length) == 0 &&
         event->directory[length] == '/';
}

/* Writing */

/* Adds an SSE frame to the chunk being put together; flush_sse() writes it. One chunk
 * for all the events of a pump is one write and one TLS record, not one per event. */
static void
write_sse (OwEventStream *self, const guint64 *seq, const char *data)
{
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  gsize before;

  if (self->frames == NULL)
    self->frames = g_string_new (NULL);
  before = self->frames->len;
  if (seq)
    g_string_append_printf (self->frames, "id: %" G_GUINT64_FORMAT "\n", *seq);
  for (guint i = 0; lines[i]; i++)
    g_string_append_printf (self->frames, "data: %s\n", lines[i]);
  g_string_append_c (self->frames, '\n');
  self->unwritten += self->frames->len - before;
}

static void
flush_sse (OwEventStream *self)
{
  gsize length;

  if (self->frames == NULL || self->message == NULL)
    return;
  length = self->frames->len;
  soup_message_body_append (soup_server_message_get_response_body (self->message), SOUP_MEMORY_TAKE,
                            g_string_free (g_steal_pointer (&self->frames), FALSE), length);
  soup_server_message_unpause (self->message);
}

static void
write_event (OwEventStream *self, const OwHubEvent *event)
{
  if (self->message)
    {
      write_sse (self, &event->seq, self->global ? event->data : event->payload);
    }
  else
    {
      /* {seq, …the runtime's fields…}; stored data is always a non-empty object. */
      g_autofree char *text =
        g_strdup_printf ("{\"seq\":%" G_GUINT64_FORMAT ",%s", event->seq, event->data + 1);
      soup_websocket_connection_send_text (self->connection, text);
    }
}

static void
write_notice (OwEventStream *self, const char *type, const char *properties)
{
  g_autofree char *text = NULL;

  if (self->message)
    {
      text = g_strdup_printf ("{\"type\":\"%s\",\"properties\":%s}", type, properties);
      write_sse (self, NULL, text);
      flush_sse (self);
    }
  else
    {
      text = g_strdup_printf ("{\"type\":\"%s\",\"properties\":%s}", type, properties);
      soup_websocket_connection_send_text (self->connection, text);
    }
}

static void
write_gap (OwEventStream *self, guint64 from, guint64 to)
{
  g_autofree char *properties = g_strdup_printf (
    "{\"from\":%" G_GUINT64_FORMAT ",\"to\":%" G_GUINT64_FORMAT ",\"reason\":\"These events are "
    "no longer in the host's buffer.\"}",
    from, to);

  write_notice (self, "stream.gap", properties);
}

/* Pumping */

static gboolean
on_socket_writable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  OwEventStream *self = user_data;

  g_clear_pointer (&self->writable, g_source_unref);
  self->progress_us = g_get_monotonic_time ();
  pump (self);
  return G_SOURCE_REMOVE;
}

/* Whether the client takes what is sent. SSE counts what its body has not written yet;
 * libsoup queues WebSocket frames without telling how many, so a WebSocket sends only
 * while its socket can take more, and otherwise waits for it to. */
static gboolean
client_keeps_up (OwEventStream *self)
{
  if (self->message)
    return self->unwritten < MAX_UNWRITTEN;

  /* Closing (by the client, or by libsoup after an error) before "closed" comes: sending
   * now would be a critical in libsoup. */
  if (soup_websocket_connection_get_state (self->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  if (self->websocket_sends > 0)
    {
      self->websocket_sends--;
      return TRUE;
    }
  if (self->socket == NULL || g_socket_condition_check (self->socket, G_IO_OUT) & G_IO_OUT)
    {
      self->websocket_sends = WEBSOCKET_SENDS_PER_CHECK - 1;
      return TRUE;
    }
  if (self->writable == NULL)
    {
      self->writable = g_socket_create_source (self->socket, G_IO_OUT, NULL);
      g_source_set_callback (self->writable, (GSourceFunc) (void (*) (void)) on_socket_writable,
                             self, NULL);
      g_source_attach (self->writable, NULL);
    }
  return FALSE;
}

#define TOO_SLOW                                                                                   \
  "Too slow for the host's event buffer; reconnect from your last event id to resume."

static void
pump (OwEventStream *self)
{
  guint64 last = ow_event_hub_get_last_seq (self->hub);
  gboolean sent = FALSE;

  while (!self->closed && self->cursor < last && client_keeps_up (self))
    {
      const OwHubEvent *event = ow_event_hub_get (self->hub, self->cursor + 1);

      if (event == NULL)
        {
          /* What it had not read yet left the buffer: it cannot keep up. */
          ow_event_stream_close (self, TOO_SLOW);
          return;
        }

      self->cursor++;
      if (matches (self, event))
        write_event (self, event);
      sent = TRUE;
    }
  /* A WebSocket is sent events only while its socket takes them. */
  if (sent && self->connection)
    self->progress_us = g_get_monotonic_time ();
  /* The next pump asks the socket afresh. */
  self->websocket_sends = 0;
  flush_sse (self);
}

static gboolean
on_pump (gpointer user_data)
{
  OwEventStream *self = user_data;

  self->pump_id = 0;
  pump (self);
  return G_SOURCE_REMOVE;
}

/* The runtime's events come in bursts (one read of its stream holds several); they are
 * sent on together once the burst is published. */
static void
schedule_pump (OwEventStream *self)
{
  if (self->pump_id == 0)
    self->pump_id = g_idle_add_full (G_PRIORITY_DEFAULT, on_pump, self, NULL);
}

static void
on_hub_event (OwEventHub *hub, const OwHubEvent *event, OwEventStream *self)
{
  schedule_pump (self);
}

/* A chunk went out: room for more. Pumping right here would send what has come of a burst
 * so far as a chunk of its own; the pump sends it with the rest. */
static void
on_wrote_body_data (SoupServerMessage *message, guint chunk_size, OwEventStream *self)
{
  self->unwritten = chunk_size > self->unwritten ? 0 : self->unwritten - chunk_size;
  self->progress_us = g_get_monotonic_time ();
  if (self->cursor < ow_event_hub_get_last_seq (self->hub))
    schedule_pump (self);
}

/* Ends on the client's side: it went away, or took the rest after a close. */
static void
on_finished (OwEventStream *self)
{
  /* The lingering timer may hold the last reference. */
  G_GNUC_UNUSED g_autoptr (OwEventStream) keep = g_object_ref (self);

  g_clear_handle_id (&self->linger_id, g_source_remove);
  if (!self->closed)
    self->dropped = TRUE;
  if (self->message)
    {
      g_signal_handlers_disconnect_by_data (self->message, self);
      g_clear_object (&self->message);
    }
  ow_event_stream_close (self, NULL);
}

static void
limit_send_buffer (GSocket *socket)
{
  if (socket)
    g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SOCKET_SEND_BUFFER, NULL);
}

/* Where to start: after the client's resume point, or now. */
static void
start (OwEventStream *self, const guint64 *resume_after)
{
  guint64 last = ow_event_hub_get_last_seq (self->hub);
  guint64 first = ow_event_hub_get_first_seq (self->hub);

  self->progress_us = g_get_monotonic_time ();
  if (resume_after == NULL || *resume_after >= last)
    {
      self->cursor = last;
    }
  else if (*resume_after + 1 < first)
    {
      write_gap (self, *resume_after + 1, first - 1);
      self->cursor = first - 1;
    }
  else
    {
      self->cursor = *resume_after;
    }

  g_signal_connect_object (self->hub, "event", G_CALLBACK (on_hub_event), self, 0);
  pump (self);
}

OwEventStream *
ow_event_stream_new_sse (OwEventHub *hub,
                         SoupServerMessage *message,
                         const char *token_id,
                         const OwEventFilter *filter,
                         const guint64 *resume_after)
{
  OwEventStream *self = g_object_new (OW_TYPE_EVENT_STREAM, NULL);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  self->hub = g_object_ref (hub);
  self->token_id = g_strdup (token_id);
  self->global = filter->global;
  self->directory = g_strdup (filter->directory);
  self->inside = filter->inside;
  self->message = g_object_ref (message);
  self->socket = ow_http_message_get_socket (message)
                   ? g_object_ref (ow_http_message_get_socket (message))
                   : NULL;

  limit_send_buffer (self->socket);

  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (message), FALSE);
  g_signal_connect_swapped (message, "finished", G_CALLBACK (on_finished), self);
  g_signal_connect (message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), self);

  /* As the runtime does, the first event says the stream is up; it has no id. */
  write_notice (self, "server.connected", "{}");
  start (self, resume_after);
  return self;
}

static void
on_websocket_closed (SoupWebsocketConnection *connection, OwEventStream *self)
{
  if (!self->closed)
    self->dropped = TRUE;
  ow_event_stream_close (self, NULL);
}

OwEventStream *
ow_event_stream_new_websocket (OwEventHub *hub,
                               SoupWebsocketConnection *connection,
                               GSocket *socket,
                               const char *token_id,
                               const guint64 *resume_after)
{
  OwEventStream *self = g_object_new (OW_TYPE_EVENT_STREAM, NULL);

  self->hub = g_object_ref (hub);
  self->token_id = g_strdup (token_id);
  self->global = TRUE;
  self->connection = g_object_ref (connection);
  self->socket = socket ? g_object_ref (socket) : NULL;
  limit_send_buffer (socket);

  /* Pings keep middleboxes from dropping an idle connection and notice a dead peer. */
  soup_websocket_connection_set_keepalive_interval (connection, 10);
  g_signal_connect (connection, "closed", G_CALLBACK (on_websocket_closed), self);

  write_notice (self, "server.connected", "{}");
  start (self, resume_after);
  return self;
}

void
ow_event_stream_set_stall_timeout (OwEventStream *self, guint seconds)
{
  g_return_if_fail (OW_IS_EVENT_STREAM (self));
  self->stall_s = seconds ? seconds : OW_EVENT_STREAM_DEFAULT_STALL_S;
}

void
ow_event_stream_check (OwEventStream *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *reason = NULL;

  g_return_if_fail (OW_IS_EVENT_STREAM (self));

  if (self->closed)
    return;
  if (self->cursor >= ow_event_hub_get_last_seq (self->hub) && self->unwritten == 0)
    {
      self->progress_us = now;
      return;
    }
  if (self->cursor + 1 < ow_event_hub_get_first_seq (self->hub))
    {
      ow_event_stream_close (self, TOO_SLOW);
      return;
    }
  if (now - self->progress_us < (gint64) self->stall_s * G_USEC_PER_SEC)
    return;
  reason = g_strdup_printf ("Took nothing for %u s; reconnect from your last event id to resume.",
                            self->stall_s);
  ow_event_stream_close (self, reason);
}

gboolean
ow_event_stream_was_dropped (OwEventStream *self)
{
  g_return_val_if_fail (OW_IS_EVENT_STREAM (self), FALSE);
  return self->dropped;
}

const char *
ow_event_stream_get_token_id (OwEventStream *self)
{
  g_return_val_if_fail (OW_IS_EVENT_STREAM (self), NULL);
  return self->token_id;
}

void
ow_event_stream_heartbeat (OwEventStream *self)
{
  g_return_if_fail (OW_IS_EVENT_STREAM (self));

  if (!self->closed && self->message)
    write_notice (self, "server.heartbeat", "{}");
}

static gboolean
on_linger (gpointer user_data)
{
  OwEventStream *self = user_data;

  self->linger_id = 0;
  g_debug ("An event stream's client took nothing of the rest in %u s", self->stall_s);
  /* libsoup's write fails, and it ends the connection. */
  if (!g_socket_is_closed (self->socket))
    g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

void
ow_event_stream_close (OwEventStream *self, const char *reason)
{
  G_GNUC_UNUSED g_autoptr (OwEventStream) keep = g_object_ref (self); /* until the end */
  g_autofree char *properties = NULL;

  g_return_if_fail (OW_IS_EVENT_STREAM (self));

  if (self->closed)
    return;
  self->closed = TRUE;
  g_clear_handle_id (&self->pump_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->hub, self);
  if (self->writable)
    {
      g_source_destroy (self->writable);
      g_clear_pointer (&self->writable, g_source_unref);
    }

  if (reason)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) node = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, reason);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      properties = json_to_string (node, FALSE);
      g_message ("Closing an event stream of token %s: %s", self->token_id, reason);
    }

  if (self->message)
    {
      if (reason)
        write_notice (self, "stream.closed", properties);
      soup_message_body_complete (soup_server_message_get_response_body (self->message));
      soup_server_message_unpause (self->message);
      if (self->socket != NULL)
        self->linger_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, self->stall_s, on_linger,
                                                      g_object_ref (self), g_object_unref);
    }
  if (self->connection)
    {
      /* A close frame carries at most 123 bytes of reason. */
      g_warn_if_fail (reason == NULL || strlen (reason) <= 123);
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                         reason);
    }

  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
ow_event_stream_dispose (GObject *object)
{
  OwEventStream *self = OW_EVENT_STREAM (object);

  if (self->message)
    g_signal_handlers_disconnect_by_data (self->message, self);
  if (self->connection)
    g_signal_handlers_disconnect_by_data (self->connection, self);
  if (self->writable)
    {
      g_source_destroy (self->writable);
      g_clear_pointer (&self->writable, g_source_unref);
    }
  g_clear_handle_id (&self->pump_id, g_source_remove);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  if (self->frames)
    g_string_free (g_steal_pointer (&self->frames), TRUE);
  g_clear_object (&self->message);
  g_clear_object (&self->connection);
  g_clear_object (&self->socket);
  g_clear_object (&self->hub);

  G_OBJECT_CLASS (ow_event_stream_parent_class)->dispose (object);
}

static void
ow_event_stream_finalize (GObject *object)
{
  OwEventStream *self = OW_EVENT_STREAM (object);

  g_free (self->token_id);
  g_free (self->directory);

  G_OBJECT_CLASS (ow_event_stream_parent_class)->finalize (object);
}

static void
ow_event_stream_class_init (OwEventStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_event_stream_dispose;
  object_class->finalize = ow_event_stream_finalize;

  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ow_event_stream_init (OwEventStream *self)
{
  self->stall_s = OW_EVENT_STREAM_DEFAULT_STALL_S;
}
