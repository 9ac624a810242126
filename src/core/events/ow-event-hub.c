#include "config.h"

#include "ow-event-hub.h"
#include "ow-http.h"
#include "ow-sse-parser.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#define MAX_EVENT_BYTES (4 * 1024 * 1024)
#define RESUBSCRIBE_MS 500
/* Events published at once, before the streams send them on: a burst, bounded so that a
 * flood of them can neither hold the main loop nor push what a stream has not sent yet
 * out of a small buffer. */
#define MAX_EVENTS_PER_BURST 16

struct _OwEventHub
{
  GObject parent_instance;

  OwRuntimeSupervisor *runtime;
  OwEventHubLimits limits;

  /* The ring buffer: events[(head + i) % capacity] is seq first_seq + i. */
  OwHubEvent **events;
  guint capacity;
  guint head;
  guint count;
  gsize bytes;
  guint64 first_seq;
  guint64 next_seq;

  /* The subscription: one at a time, ended when the runtime goes away. */
  OwRuntimeExchange *exchange;
  OwSseParser *parser;
  GByteArray *unparsed; /* what the runtime sent beyond the last burst */
  guint burst_id;
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
  if (self->exchange)
    ow_runtime_exchange_cancel (self->exchange);
  g_clear_pointer (&self->exchange, ow_runtime_exchange_unref);
  g_clear_pointer (&self->parser, ow_sse_parser_free);
  g_clear_pointer (&self->unparsed, g_byte_array_unref);
  g_clear_handle_id (&self->burst_id, g_source_remove);
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

static void
on_subscribed (OwRuntimeExchange *exchange,
               guint status,
               const char *reason,
               SoupMessageHeaders *headers,
               gpointer user_data)
{
  OwEventHub *self = user_data;

  if (status != SOUP_STATUS_OK)
    {
      g_autofree char *why =
        g_strdup_printf ("the runtime refused the subscription (HTTP %u)", status);

      subscription_lost (self, why);
      return;
    }
  self->parser = ow_sse_parser_new (MAX_EVENT_BYTES, on_upstream_event, self);
  self->unparsed = g_byte_array_new ();
}

static gboolean on_next_burst (gpointer user_data);

/* Publishes the next burst of what the runtime sent; reading goes on once all of it is
 * published. */
static void
publish_burst (OwEventHub *self)
{
  gsize parsed = ow_sse_parser_feed_some (self->parser, (const char *) self->unparsed->data,
                                          self->unparsed->len, MAX_EVENTS_PER_BURST);

  /* An event's callback may have ended the subscription. */
  if (self->unparsed == NULL)
    return;
  g_byte_array_remove_range (self->unparsed, 0, (guint) parsed);
  if (self->unparsed->len > 0)
    {
      /* After the streams' pumps, which the burst has just scheduled. */
      self->burst_id = g_idle_add_full (G_PRIORITY_DEFAULT, on_next_burst, self, NULL);
      return;
    }
  ow_runtime_exchange_set_reading (self->exchange, TRUE);
}

static gboolean
on_next_burst (gpointer user_data)
{
  OwEventHub *self = user_data;

  self->burst_id = 0;
  publish_burst (self);
  return G_SOURCE_REMOVE;
}

/* What the runtime sent at once goes out to the streams together, a burst at a time. */
static void
on_upstream_data (OwRuntimeExchange *exchange, const guint8 *data, gsize size, gpointer user_data)
{
  OwEventHub *self = user_data;

  g_byte_array_append (self->unparsed, data, (guint) size);
  ow_runtime_exchange_set_reading (exchange, FALSE);
  if (self->burst_id == 0)
    publish_burst (self);
}

static void
on_subscription_end (OwRuntimeExchange *exchange, const GError *error, gpointer user_data)
{
  subscription_lost (user_data, error ? error->message : "end of stream");
}

static const OwRuntimeExchangeHandler subscription_handler = {
  .got_head = on_subscribed,
  .got_body = on_upstream_data,
  .finished = on_subscription_end,
};

static void
subscribe (OwEventHub *self)
{
  /* The stream lasts as long as the runtime: no idle timeout. */
  static const OwRuntimeTimeouts timeouts = { .connect_s = 10, .answer_s = 30 };
  OwRuntimeClient *client = ow_runtime_supervisor_get_client (self->runtime);
  g_autoptr (GError) error = NULL;

  if (self->exchange != NULL ||
      ow_runtime_supervisor_get_state (self->runtime) != OW_RUNTIME_STATE_RUNNING)
    return;

  self->exchange =
    ow_runtime_client_new_exchange (client, "GET", "/global/event", &timeouts, &error);
  if (self->exchange == NULL)
    {
      g_debug ("No subscription to the runtime's events: %s", error->message);
      return;
    }
  ow_runtime_exchange_add_header (self->exchange, "Accept", "text/event-stream");
  ow_runtime_exchange_start (self->exchange, &subscription_handler, self, NULL);
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
