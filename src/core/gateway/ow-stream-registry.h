#pragma once

#include <libsoup/soup.h>

#include "ow-event-stream.h"
#include "ow-metrics.h"
#include "ow-token-store.h"

G_BEGIN_DECLS

#define OW_STREAM_REGISTRY_DEFAULT_MAX 1024
#define OW_STREAM_REGISTRY_DEFAULT_MAX_PER_TOKEN 32

#define OW_TYPE_STREAM_REGISTRY (ow_stream_registry_get_type ())
G_DECLARE_FINAL_TYPE (OwStreamRegistry, ow_stream_registry, OW, STREAM_REGISTRY, GObject)

/**
 * ow_stream_registry_new:
 * @max: streams open at once; 0 for %OW_STREAM_REGISTRY_DEFAULT_MAX
 * @max_per_token: … for one token; 0 for %OW_STREAM_REGISTRY_DEFAULT_MAX_PER_TOKEN
 * @stall_s: how long a stream's client may take nothing; 0 for
 *   %OW_EVENT_STREAM_DEFAULT_STALL_S
 *
 * Every event stream the gateway serves (SSE and WebSocket) is held here: it keeps them
 * alive with heartbeats, notices clients that stop reading, caps how many there are,
 * closes a token's streams when it is revoked, and hands memory back once they go.
 */
OwStreamRegistry *ow_stream_registry_new (
  OwTokenStore *tokens, OwMetrics *metrics, guint max, guint max_per_token, guint stall_s);

/* Whether a stream for the token @token_id fits. A token's oldest stream makes room for
 * its newest: a device that reconnects (after a network change, say) may do so before the
 * host has seen its old connection go. Past the cap in all, %FALSE after replying 503 to
 * @message. */
gboolean ow_stream_registry_make_room (OwStreamRegistry *self,
                                       const char *token_id,
                                       SoupServerMessage *message);

/* Holds @stream (taking it) until it closes. */
void ow_stream_registry_add (OwStreamRegistry *self, OwEventStream *stream);

/* Closes every stream; their clients resume, without loss, when they come back. */
void ow_stream_registry_close_all (OwStreamRegistry *self);

/* The streams open now. */
guint ow_stream_registry_count (OwStreamRegistry *self);

G_END_DECLS
