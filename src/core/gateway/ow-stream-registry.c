#include "config.h"

#include "ow-stream-registry.h"
#include "ow-http.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#define HEARTBEAT_SECONDS 10

struct _OwStreamRegistry
{
  GObject parent_instance;

  OwTokenStore *tokens;
  OwMetrics *metrics;
  GPtrArray *streams; /* OwEventStream, the oldest first */
  guint max;
  guint max_per_token;
  guint stall_s;
  guint heartbeat_id;
  guint check_id;
  guint trim_id;       /* handing freed memory back once streams have gone */
  gboolean trim_again; /* a stream closed while that was pending */
};

G_DEFINE_FINAL_TYPE (OwStreamRegistry, ow_stream_registry, G_TYPE_OBJECT)

/* What many streams held (up to a few hundred KiB each, for clients that read slowly)
 * is freed when they go, but glibc keeps freed memory for reuse: handed back here, once
 * a closed stream has had its time to deliver the rest. At most once per that time, so
 * a steady trickle of closes neither trims all the time nor puts trimming off for good;
 * a close while a trim is pending earns one more round. */
static gboolean
on_trim_memory (gpointer user_data)
{
  OwStreamRegistry *self = user_data;

#ifdef __GLIBC__
  malloc_trim (0);
#endif
  if (self->trim_again)
    {
      self->trim_again = FALSE;
      return G_SOURCE_CONTINUE;
    }
  self->trim_id = 0;
  return G_SOURCE_REMOVE;
}

static void
on_stream_closed (OwEventStream *stream, OwStreamRegistry *self)
{
  if (self->trim_id == 0)
    self->trim_id = g_timeout_add_seconds (self->stall_s + 1, on_trim_memory, self);
  else
    self->trim_again = TRUE;
  if (ow_event_stream_was_dropped (stream))
    ow_metrics_note_stream_dropped (self->metrics, ow_event_stream_get_token_id (stream));
  /* In order: the oldest first, for ow_stream_registry_make_room(). */
  g_ptr_array_remove (self->streams, stream);
  if (self->streams->len == 0)
    {
      g_clear_handle_id (&self->heartbeat_id, g_source_remove);
      g_clear_handle_id (&self->check_id, g_source_remove);
    }
}

/* The streams open now, each with a reference: those closed meanwhile leave
 * self->streams. With @token_id, only that token's. */
static GPtrArray *
list_streams (OwStreamRegistry *self, const char *token_id)
{
  GPtrArray *found = g_ptr_array_new_full (self->streams->len, g_object_unref);

  for (guint i = 0; i < self->streams->len; i++)
    {
      OwEventStream *stream = g_ptr_array_index (self->streams, i);

      if (token_id == NULL || g_strcmp0 (ow_event_stream_get_token_id (stream), token_id) == 0)
        g_ptr_array_add (found, g_object_ref (stream));
    }
  return found;
}

/* Calls @func on every stream open now. */
static void
for_each_stream (OwStreamRegistry *self, void (*func) (OwEventStream *stream))
{
  g_autoptr (GPtrArray) streams = list_streams (self, NULL);

  for (guint i = 0; i < streams->len; i++)
    func (g_ptr_array_index (streams, i));
}

static gboolean
on_heartbeat (gpointer user_data)
{
  for_each_stream (user_data, ow_event_stream_heartbeat);
  return G_SOURCE_CONTINUE;
}

/* A client that stops reading is noticed here, not only when the host next writes to it:
 * a stream waits for its socket without a write under way. */
static gboolean
on_check_streams (gpointer user_data)
{
  for_each_stream (user_data, ow_event_stream_check);
  return G_SOURCE_CONTINUE;
}

static void
on_token_revoked (OwTokenStore *tokens, const char *id, OwStreamRegistry *self)
{
  g_autoptr (GPtrArray) closing = list_streams (self, id);

  for (guint i = 0; i < closing->len; i++)
    ow_event_stream_close (g_ptr_array_index (closing, i), "The token of this stream was revoked.");
}

gboolean
ow_stream_registry_make_room (OwStreamRegistry *self,
                              const char *token_id,
                              SoupServerMessage *message)
{
  g_autoptr (GPtrArray) of_token = NULL;

  g_return_val_if_fail (OW_IS_STREAM_REGISTRY (self), FALSE);
  g_return_val_if_fail (token_id != NULL, FALSE);

  of_token = list_streams (self, token_id);
  if (of_token->len > 0 && of_token->len >= self->max_per_token)
    ow_event_stream_close (g_ptr_array_index (of_token, 0),
                           "Replaced by a newer stream of the same token.");

  if (self->streams->len >= self->max)
    {
      g_autofree char *text = g_strdup_printf (
        "The host serves %u event streams, as many as it takes ([gateway] max-streams in "
        "host.conf). Try again later.",
        self->streams->len);

      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Retry-After", "10");
      ow_http_reply_error (message, SOUP_STATUS_SERVICE_UNAVAILABLE, "too_many_streams", text);
      return FALSE;
    }
  return TRUE;
}

void
ow_stream_registry_add (OwStreamRegistry *self, OwEventStream *stream)
{
  g_return_if_fail (OW_IS_STREAM_REGISTRY (self));
  g_return_if_fail (OW_IS_EVENT_STREAM (stream));

  g_ptr_array_add (self->streams, stream);
  ow_event_stream_set_stall_timeout (stream, self->stall_s);
  g_signal_connect_object (stream, "closed", G_CALLBACK (on_stream_closed), self, 0);
  if (self->heartbeat_id == 0)
    self->heartbeat_id = g_timeout_add_seconds (HEARTBEAT_SECONDS, on_heartbeat, self);
  if (self->check_id == 0)
    self->check_id = g_timeout_add_seconds (1, on_check_streams, self);
}

void
ow_stream_registry_close_all (OwStreamRegistry *self)
{
  g_return_if_fail (OW_IS_STREAM_REGISTRY (self));

  while (self->streams->len > 0)
    ow_event_stream_close (g_ptr_array_index (self->streams, 0), NULL);
}

guint
ow_stream_registry_count (OwStreamRegistry *self)
{
  g_return_val_if_fail (OW_IS_STREAM_REGISTRY (self), 0);
  return self->streams->len;
}

static void
ow_stream_registry_dispose (GObject *object)
{
  OwStreamRegistry *self = OW_STREAM_REGISTRY (object);

  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  g_clear_handle_id (&self->check_id, g_source_remove);
  if (self->tokens)
    g_signal_handlers_disconnect_by_data (self->tokens, self);
  if (self->streams)
    ow_stream_registry_close_all (self);
  g_clear_pointer (&self->streams, g_ptr_array_unref);
  g_clear_handle_id (&self->trim_id, g_source_remove);
  g_clear_object (&self->tokens);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (ow_stream_registry_parent_class)->dispose (object);
}

static void
ow_stream_registry_class_init (OwStreamRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ow_stream_registry_dispose;
}

static void
ow_stream_registry_init (OwStreamRegistry *self)
{
  self->streams = g_ptr_array_new_with_free_func (g_object_unref);
}

OwStreamRegistry *
ow_stream_registry_new (
  OwTokenStore *tokens, OwMetrics *metrics, guint max, guint max_per_token, guint stall_s)
{
  OwStreamRegistry *self;

  g_return_val_if_fail (OW_IS_TOKEN_STORE (tokens), NULL);
  g_return_val_if_fail (OW_IS_METRICS (metrics), NULL);

  self = g_object_new (OW_TYPE_STREAM_REGISTRY, NULL);
  self->tokens = g_object_ref (tokens);
  self->metrics = g_object_ref (metrics);
  self->max = max ? max : OW_STREAM_REGISTRY_DEFAULT_MAX;
  self->max_per_token = max_per_token ? max_per_token : OW_STREAM_REGISTRY_DEFAULT_MAX_PER_TOKEN;
  self->stall_s = stall_s ? stall_s : OW_EVENT_STREAM_DEFAULT_STALL_S;
  g_signal_connect (tokens, "token-revoked", G_CALLBACK (on_token_revoked), self);
  return self;
}
