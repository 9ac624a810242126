#include "config.h"

#include "ow-event-hub.h"
#include "ow-http.h"
#include "ow-sse-parser.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#define READ_SIZE (16 * 1024)
#define MAX_EVENT_BYTES (4 * 1024 * 1024)
#define RESUBSCRIBE_MS 500
#define MAX_DRAIN_READS 16

struct _OwEventHub
{
  GObject parent_instance;

  OwRuntimeSupervisor *runtime;
  SoupSession *session;
  OwEventHubLimits limits;

  /* The ring buffer: events[(head + i) % capacity] is seq first_seq + i. */
  OwHubEvent **events;
  guint capacity;
  guint head;
  guint count;
  gsize bytes;
  guint64 first_seq;
  guint64 next_seq;

  /* The subscription: one at a time, cancelled when the runtime goes away. */
  GCancellable *cancellable;
  GInputStream *stream;
  OwSseParser *parser;
  gboolean live;
  guint resubscribe_id;
};

G_DEFINE_FINAL_TYPE (OwEventHub, ow_event_hub, G_TYPE_OBJECT)

enum
{
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void subscribe (OwEventHub *self);

static void
hub_event_free (OwHubEvent *event)
{
  g_free (event->directory);
  g_free (event->data);
  g_free (event->payload);
  g_free (event);
}

/* The buffer */

static void
drop_oldest (OwEventHub *self)
{
  OwHubEvent *oldest = self->events[self->head];

  self->bytes -= oldest->size;
  hub_event_free (oldest);
  self->events[self->head] = NULL;
  self->head = (self->head + 1) % self->capacity;
  self->count--;
  self->first_seq++;
}

static void
store (OwEventHub *self, const char *directory, const char *data, const char *payload)
{
  OwHubEvent *event = g_new0 (OwHubEvent, 1);

  event->seq = self->next_seq++;
  event->directory = g_strdup (directory);
  event->data = g_strdup (data);
  event->payload = g_strdup (payload);
  event->size = strlen (data) + strlen (payload) + strlen (directory) + sizeof *event;

  while (self->count > 0 &&
         (self->count == self->capacity || self->bytes + event->size > self->limits.max_bytes))
    drop_oldest (self);

  self->events[(self->head + self->count) % self->capacity] = event;
  self->count++;
  self->bytes += event->size;

  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
}

const OwHubEvent *
ow_event_hub_get (OwEventHub *self, guint64 seq)
{
  g_return_val_if_fail (OW_IS_EVENT_HUB (self), NULL);

  if (seq < self->first_seq || seq >= self->first_seq + self->count)
    return NULL;
  return self->events[(self->head + (seq - self->first_seq)) % self->capacity];
}

guint64
ow_event_hub_get_last_seq (OwEventHub *self)
{
  g_return_val_if_fail (OW_IS_EVENT_HUB (self), 0);
  return self->next_seq - 1;
}

guint64
ow_event_hub_get_first_seq (OwEventHub *self)
{
  g_return_val_if_fail (OW_IS_EVENT_HUB (self), 0);
  return self->first_seq;
}

gboolean
ow_event_hub_is_live (OwEventHub *self)
{
  g_return_val_if_fail (OW_IS_EVENT_HUB (self), FALSE);
  return self->live;
}

/* The subscription */

void
ow_event_hub_publish (OwEventHub *self,
                      const char *directory,
                      const char *type,
                      JsonObject *properties)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) payload = NULL;
  g_autoptr (JsonNode) data = NULL;
  g_autofree char *payload_json = NULL;
  g_autofree char *data_json = NULL;

  g_return_if_fail (OW_IS_EVENT_HUB (self));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "properties");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), properties));
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);

  json_builder_reset (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "directory");
  json_builder_add_string_value (builder, directory);
  json_builder_set_member_name (builder, "payload");
  json_builder_add_value (builder, json_node_copy (payload));
  json_builder_end_object (builder);
  data = json_builder_get_root (builder);

  payload_json = json_to_string (payload, FALSE);
  data_json = json_to_string (data, FALSE);
  store (self, directory, data_json, payload_json);
}

static void
on_upstream_event (const OwSseEvent *sse, gpointer user_data)
{
  OwEventHub *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = ow_json_parse_runtime_object (sse->data, -1, &error);
  g_autoptr (JsonNode) payload = NULL;
  JsonObject *payload_object = NULL;
  const char *type = "";
  const char *directory = "global";
  g_autofree char *payload_json = NULL;

  if (object == NULL ||
      !ow_json_get_object (object, "payload", OW_JSON_REQUIRED, &payload_object, &error) ||
      !ow_json_get_string (payload_object, "type", OW_JSON_OPTIONAL, &type, &error) ||
      !ow_json_get_string (object, "directory", OW_JSON_OPTIONAL, &directory, &error))
    {
      g_message ("Dropped an event the runtime sent: %s", error->message);
      return;
    }

  /* These belong to the connection, not to the history: clients get their own. */
  if (g_str_equal (type, "server.connected"))
    {
      self->live = TRUE;
      return;
    }
  if (g_str_equal (type, "server.heartbeat"))
    return;

  payload = json_node_init_object (json_node_alloc (), payload_object);
  payload_json = json_to_string (payload, FALSE);
  store (self, directory, sse->data, payload_json);
}

static void
end_subscription (OwEventHub *self)
{
  self->live = FALSE;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream);
  g_clear_pointer (&self->parser, ow_sse_parser_free);
}

static gboolean
on_resubscribe (gpointer user_data)
{
  OwEventHub *self = user_data;

  self->resubscribe_id = 0;
  subscribe (self);
  return G_SOURCE_REMOVE;
}

/* The stream ended or broke: try again while the runtime runs. */
static void
subscription_lost (OwEventHub *self, const char *why)
{
  g_debug ("The runtime's event stream ended: %s", why);
  end_subscription (self);
  if (ow_runtime_supervisor_get_state (self->runtime) == OW_RUNTIME_STATE_RUNNING &&
      self->resubscribe_id == 0)
    self->resubscribe_id = g_timeout_add (RESUBSCRIBE_MS, on_resubscribe, self);
}

/* Feeds the parser what else the runtime has sent already. libsoup hands a chunk of its
 * stream over in pieces (the first with the chunk's size line), each a callback of its
 * own: without this, the streams' pumps would run between them and send one burst of
 * events in two writes. Bounded, so that a flood cannot hold the main loop. Returns FALSE
 * when the subscription ended. */
static gboolean
drain (OwEventHub *self)
{
  guint8 buffer[READ_SIZE];

  for (guint i = 0; i < MAX_DRAIN_READS && self->stream; i++)
    {
      g_autoptr (GError) error = NULL;
      gssize got = ow_read_ready (self->stream, buffer, sizeof buffer, self->cancellable, &error);

      if (got == OW_READ_WOULD_BLOCK)
        return TRUE;
      if (got <= 0)
        {
          subscription_lost (self, error ? error->message : "end of stream");
          return FALSE;
        }
      ow_sse_parser_feed (self->parser, (const char *) buffer, (gsize) got);
    }
  return self->stream != NULL;
}

/* Callbacks hold no reference: dispose cancels the subscription, and a cancelled
 * operation always reports G_IO_ERROR_CANCELLED, so they never touch a gone hub. */
static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OwEventHub *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes =
    g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      G_INPUT_STREAM (source) != self->stream)
    return;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      subscription_lost (self, error ? error->message : "end of stream");
      return;
    }

  ow_sse_parser_feed (self->parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (self->stream && !drain (self))
    return;
  if (self->stream)
    g_input_stream_read_bytes_async (self->stream, READ_SIZE, G_PRIORITY_DEFAULT, self->cancellable,
                                     on_read, self);
}

static void
on_subscribed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OwEventHub *self = user_data;
  g_autoptr (GError) error = NULL;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GInputStream) stream =
    soup_session_send_finish (SOUP_SESSION (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (stream == NULL || soup_message_get_status (message) != SOUP_STATUS_OK)
    {
      subscription_lost (self, error ? error->message : "the runtime refused the subscription");
      return;
    }

  self->stream = g_steal_pointer (&stream);
  self->parser = ow_sse_parser_new (MAX_EVENT_BYTES, on_upstream_event, self);
  g_input_stream_read_bytes_async (self->stream, READ_SIZE, G_PRIORITY_DEFAULT, self->cancellable,
                                   on_read, self);
}

static void
subscribe (OwEventHub *self)
{
  g_autoptr (SoupMessage) message = NULL;

  if (self->cancellable != NULL ||
      ow_runtime_supervisor_get_state (self->runtime) != OW_RUNTIME_STATE_RUNNING)
    return;

  message = ow_runtime_supervisor_new_request (self->runtime, "GET", "/global/event");
  if (message == NULL)
    return;
  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept",
                                "text/event-stream");

  self->cancellable = g_cancellable_new ();
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, self->cancellable,
                           on_subscribed, self);
}

static void
on_runtime_state (OwRuntimeSupervisor *runtime, GParamSpec *pspec, OwEventHub *self)
{
  if (ow_runtime_supervisor_get_state (runtime) == OW_RUNTIME_STATE_RUNNING)
    {
      subscribe (self);
    }
  else
    {
      /* The runtime went away; the next one is subscribed to once it runs. */
      g_clear_handle_id (&self->resubscribe_id, g_source_remove);
      end_subscription (self);
    }
}

/* GObject */

static void
ow_event_hub_dispose (GObject *object)
{
  OwEventHub *self = OW_EVENT_HUB (object);

  if (self->runtime)
    g_signal_handlers_disconnect_by_data (self->runtime, self);
  g_clear_handle_id (&self->resubscribe_id, g_source_remove);
  end_subscription (self);
  g_clear_object (&self->session);
  g_clear_object (&self->runtime);

  G_OBJECT_CLASS (ow_event_hub_parent_class)->dispose (object);
}

static void
ow_event_hub_finalize (GObject *object)
{
  OwEventHub *self = OW_EVENT_HUB (object);

  while (self->count > 0)
    drop_oldest (self);
  g_free (self->events);

  G_OBJECT_CLASS (ow_event_hub_parent_class)->finalize (object);
}

static void
ow_event_hub_class_init (OwEventHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_event_hub_dispose;
  object_class->finalize = ow_event_hub_finalize;

  /**
   * OwEventHub::event:
   * @event: (type gpointer): the new #OwHubEvent, valid during the emission
   */
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
ow_event_hub_init (OwEventHub *self)
{
  /* Streams last as long as the runtime; no timeout. */
  self->session = soup_session_new_with_options ("timeout", 0, NULL);
}

OwEventHub *
ow_event_hub_new (OwRuntimeSupervisor *runtime, const OwEventHubLimits *limits)
{
  OwEventHub *self = g_object_new (OW_TYPE_EVENT_HUB, NULL);

  self->runtime = g_object_ref (runtime);
  self->limits.max_events =
    limits && limits->max_events ? limits->max_events : OW_EVENT_HUB_DEFAULT_MAX_EVENTS;
  self->limits.max_bytes =
    limits && limits->max_bytes ? limits->max_bytes : OW_EVENT_HUB_DEFAULT_MAX_BYTES;
  self->capacity = self->limits.max_events;
  self->events = g_new0 (OwHubEvent *, self->capacity);

  /* Sequence numbers start at the host's start time in microseconds: a resume point from
   * an earlier host run is then always older than anything here, and gets a gap. */
  self->next_seq = (guint64) g_get_real_time ();
  self->first_seq = self->next_seq;

  g_signal_connect (runtime, "notify::state", G_CALLBACK (on_runtime_state), self);
  subscribe (self);
  return self;
}
