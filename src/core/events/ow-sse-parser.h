#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One server-sent event, as the event-stream format (WHATWG HTML §9.2) defines it. */
typedef struct
{
  const char *id;    /* nullable: this event's "id" field */
  const char *event; /* nullable: the "event" field (the type; "message" when absent) */
  const char *data;  /* the "data" lines joined with "\n" */
} OwSseEvent;

/* Called for each complete event; the strings live until the callback returns. */
typedef void (*OwSseEventFunc) (const OwSseEvent *event, gpointer user_data);

typedef struct _OwSseParser OwSseParser;

/**
 * ow_sse_parser_new:
 * @max_event_bytes: an event (or a line) larger than this is dropped whole, so that a
 *   broken or hostile stream cannot grow memory
 */
OwSseParser *ow_sse_parser_new (gsize max_event_bytes, OwSseEventFunc func, gpointer user_data);
void ow_sse_parser_free (OwSseParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwSseParser, ow_sse_parser_free)

/**
 * ow_sse_parser_feed:
 *
 * Parses the next piece of a stream; pieces may split lines, and even a "\r\n", anywhere.
 * Lines end with "\r\n", "\n" or "\r"; comments (":") and unknown fields are ignored.
 */
void ow_sse_parser_feed (OwSseParser *parser, const char *data, gsize length);

/**
 * ow_sse_parser_feed_some:
 * @max_events: how many events to dispatch at most
 *
 * As ow_sse_parser_feed(), but stops right after the @max_events-th event.
 *
 * Returns: how many of the @length bytes were parsed; the rest is for the next feed
 */
gsize
ow_sse_parser_feed_some (OwSseParser *parser, const char *data, gsize length, guint max_events);

/* How many events were dropped for being too large. */
guint ow_sse_parser_get_dropped (OwSseParser *parser);

/**
 * ow_sse_parse_event_id:
 * @text: (nullable): a Last-Event-ID header, `since` parameter or event id
 * @seq: (out): the sequence number
 *
 * Returns: %TRUE if @text is a plain decimal number of at most 20 digits that fits a
 *   guint64, nothing else
 */
gboolean ow_sse_parse_event_id (const char *text, guint64 *seq);

G_END_DECLS
