#pragma once

#include <libsoup/soup.h>

#include "ow-event-hub.h"

G_BEGIN_DECLS

/* Which events a stream carries, and in which shape. */
typedef struct
{
  gboolean global;       /* every event as {directory, project, payload}; otherwise one
                          * instance's events as {type, properties} */
  const char *directory; /* for an instance stream: its folder */
  gboolean inside;       /* … and every folder below it */
} OwEventFilter;

/* The default of ow_event_stream_set_stall_timeout(). */
#define OW_EVENT_STREAM_DEFAULT_STALL_S 30

#define OW_TYPE_EVENT_STREAM (ow_event_stream_get_type ())
G_DECLARE_FINAL_TYPE (OwEventStream, ow_event_stream, OW, EVENT_STREAM, GObject)

/**
 * ow_event_stream_new_sse:
 * @message: a GET request, answered here as text/event-stream
 * @token_id: whose stream this is, for revocation
 * @resume_after: (nullable): the last sequence number the client has (Last-Event-ID)
 *
 * Serves the hub's events from after @resume_after (or from now), each with `id: <seq>`.
 * What the buffer no longer holds is announced as a `stream.gap` event with the lost
 * range. The stream ends, with a reason, if the client falls behind the buffer.
 */
OwEventStream *ow_event_stream_new_sse (OwEventHub *hub,
                                        SoupServerMessage *message,
                                        const char *token_id,
                                        const OwEventFilter *filter,
                                        const guint64 *resume_after);

/**
 * ow_event_stream_new_websocket:
 *
 * The same over a WebSocket: one text message per event, `{seq, directory, project,
 * payload}`; notices (`server.connected`, `stream.gap` with `{from, to}`) come as
 * `{type, properties}`, as over SSE. @socket (nullable) is the connection's socket: events
 * are sent only while it can take more, so that a client that stops reading falls behind
 * the buffer and is closed, instead of piling frames up in memory.
 */
OwEventStream *ow_event_stream_new_websocket (OwEventHub *hub,
                                              SoupWebsocketConnection *connection,
                                              GSocket *socket,
                                              const char *token_id,
                                              const guint64 *resume_after);

const char *ow_event_stream_get_token_id (OwEventStream *self);

/* Sends a keep-alive the client can see (SSE: a `server.heartbeat` event). */
void ow_event_stream_heartbeat (OwEventStream *self);

/**
 * ow_event_stream_set_stall_timeout:
 * @seconds: how long the client may take nothing while events wait for it
 *
 * Past that, ow_event_stream_check() closes the stream; and an SSE stream the host has
 * closed has as long again to deliver what is left, its reason included, before its
 * socket is shut down: a client that reads nothing would otherwise hold the connection,
 * and what waits in it, for good.
 */
void ow_event_stream_set_stall_timeout (OwEventStream *self, guint seconds);

/**
 * ow_event_stream_check:
 *
 * Closes the stream, with a reason, when its client has fallen behind the hub's buffer
 * or has taken nothing for the stall timeout while events wait for it. For a timer: a
 * stream that waits for its client's socket writes nothing, and so notices nothing.
 */
void ow_event_stream_check (OwEventStream *self);

/* Whether the stream ended because the client went away (a dropped connection), rather
 * than being closed by the host. */
gboolean ow_event_stream_was_dropped (OwEventStream *self);

/* Ends the stream; emits #OwEventStream::closed once. */
void ow_event_stream_close (OwEventStream *self, const char *reason);

G_END_DECLS
