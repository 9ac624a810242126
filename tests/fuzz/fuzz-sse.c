/*
 * Server-sent events from the runtime, and the resume points clients send
 * (Last-Event-ID, ?since=).
 *
 * The first byte picks how the rest is cut into pieces; the events must not depend on the
 * cuts (a stream may be split anywhere, even inside "\r\n"). Every line of the input also
 * goes through ow_sse_parse_event_id(), which must accept exactly plain decimal numbers
 * of at most 20 digits that fit 64 bits, and give back the number they spell.
 */
#include "ow-fuzz.h"

#include <glib.h>
#include <string.h>

#include "ow-sse-parser.h"

#define MAX_EVENT_BYTES 4096

static void
collect (const OwSseEvent *event, gpointer user_data)
{
  GString *out = user_data;

  if (event->data == NULL)
    ow_fuzz_fail ("an event without data", NULL);
  g_string_append_printf (out, "[%s|%s|%s]", event->id ? event->id : "(none)",
                          event->event ? event->event : "(none)", event->data);
}

/* Feeds @text in pieces of 1 .. @cut bytes, in turn; @cut 0 feeds it whole. */
static char *
parse_in_pieces (const char *text, gsize length, guint cut, guint *dropped)
{
  GString *out = g_string_new (NULL);
  g_autoptr (OwSseParser) parser = ow_sse_parser_new (MAX_EVENT_BYTES, collect, out);
  gsize offset = 0;
  guint step = 0;

  while (offset < length)
    {
      gsize piece = cut == 0 ? length : (gsize) (step % cut) + 1;

      piece = MIN (piece, length - offset);
      step++;

      ow_sse_parser_feed (parser, text + offset, piece);
      offset += piece;
    }
  *dropped = ow_sse_parser_get_dropped (parser);
  return g_string_free (out, FALSE);
}

static gboolean
is_plain_decimal (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static void
check_event_id (const char *text)
{
  guint64 seq = 0;
  gboolean parsed = ow_sse_parse_event_id (text, &seq);
  guint64 expected = 0;
  gboolean fits = is_plain_decimal (text) && strlen (text) <= 20 &&
                  g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &expected, NULL);

  if (parsed != fits)
    ow_fuzz_fail (parsed ? "accepted an event id that is not a plain number"
                         : "refused a plain number as event id",
                  text);
  if (parsed && seq != expected)
    ow_fuzz_fail ("an event id parsed to another number", text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text;
  g_autofree char *whole = NULL;
  g_autofree char *cut = NULL;
  g_autofree char *copy = NULL;
  g_auto (GStrv) lines = NULL;
  guint dropped_whole, dropped_cut;
  guint64 seq;

  if (size == 0)
    return 0;
  text = (const char *) data + 1;
  size--;

  whole = parse_in_pieces (text, size, 0, &dropped_whole);
  cut = parse_in_pieces (text, size, data[0] % 8 + 1, &dropped_cut);
  if (g_strcmp0 (whole, cut) != 0 || dropped_whole != dropped_cut)
    ow_fuzz_fail ("the events depend on where the stream was cut", NULL);

  copy = g_strndup (text, size); /* stops at the first NUL, as a header would */
  lines = g_strsplit_set (copy, "\r\n", -1);
  for (guint i = 0; lines[i]; i++)
    check_event_id (lines[i]);
  if (ow_sse_parse_event_id (NULL, &seq))
    ow_fuzz_fail ("accepted a missing event id", NULL);
  return 0;
}
