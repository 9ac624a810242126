#pragma once

#include <json-glib/json-glib.h>

#include "ow-runtime-supervisor.h"

G_BEGIN_DECLS

/* One event of the runtime, numbered by the host. */
typedef struct
{
  guint64 seq;
  char *directory; /* the instance it belongs to, or "global" */
  char *data;      /* as the runtime's /global/event sent it: {directory, project, payload} */
  char *payload;   /* as its per-instance /event sends it: {type, properties} */
  gsize size;
} OwHubEvent;

typedef struct
{
  guint max_events; /* the ring buffer keeps at most this many events … */
  gsize max_bytes;  /* … and at most this many bytes of them */
} OwEventHubLimits;

#define OW_EVENT_HUB_DEFAULT_MAX_EVENTS 10000
#define OW_EVENT_HUB_DEFAULT_MAX_BYTES (32 * 1024 * 1024)

#define OW_TYPE_EVENT_HUB (ow_event_hub_get_type ())
G_DECLARE_FINAL_TYPE (OwEventHub, ow_event_hub, OW, EVENT_HUB, GObject)

/**
 * ow_event_hub_new:
 *
 * Holds one subscription to the runtime's `/global/event`, made again whenever the
 * runtime (re)starts, and numbers every event with a host sequence number that only
 * grows, across runtime restarts and host restarts alike. The last events are kept in a
 * ring buffer so that clients can resume; #OwEventHub::event announces each new one.
 */
OwEventHub *ow_event_hub_new (OwRuntimeSupervisor *runtime, const OwEventHubLimits *limits);

/* Whether the subscription to the current runtime is up: events are not being missed. */
gboolean ow_event_hub_is_live (OwEventHub *self);

/* The sequence number of the newest event, or of the point before the first one. */
guint64 ow_event_hub_get_last_seq (OwEventHub *self);

/* The oldest sequence number still in the buffer (last + 1 when it is empty). */
guint64 ow_event_hub_get_first_seq (OwEventHub *self);

/* Returns: (transfer none) (nullable): the event @seq, if it is still in the buffer. Valid
 * until the main loop runs again. */
const OwHubEvent *ow_event_hub_get (OwEventHub *self, guint64 seq);

/**
 * ow_event_hub_publish:
 * @directory: the folder the event belongs to (streams of other folders do not get it)
 * @type: the event's type, "openwork.…" for the host's own
 * @properties: (transfer none): its properties
 *
 * Adds an event of the host's own to the history, numbered like the runtime's, so that
 * clients get it in their streams and on resume. Not to be called while #OwEventHub::event
 * is being emitted.
 */
void ow_event_hub_publish (OwEventHub *self,
                           const char *directory,
                           const char *type,
                           JsonObject *properties);

G_END_DECLS
