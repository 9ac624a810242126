#include "config.h"

#include "ow-sse-parser.h"

#include <string.h>

/* Collects events as "id|event|data" strings, NULL fields as "-". */
static void
collect (const OwSseEvent *event, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup_printf ("%s|%s|%s", event->id ? event->id : "-",
                                               event->event ? event->event : "-", event->data));
}

static GPtrArray *
parse_in_pieces (const char *stream, gsize piece, gsize max_bytes, guint *dropped)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (OwSseParser) parser = ow_sse_parser_new (max_bytes, collect, events);
  gsize length = strlen (stream);

  for (gsize offset = 0; offset < length; offset += piece)
    ow_sse_parser_feed (parser, stream + offset, MIN (piece, length - offset));
  if (dropped)
    *dropped = ow_sse_parser_get_dropped (parser);
  return events;
}

static void
assert_events (GPtrArray *events, const char *const *expected)
{
  guint i;

  for (i = 0; expected[i]; i++)
    {
      g_assert_cmpuint (i, <, events->len);
      g_assert_cmpstr (g_ptr_array_index (events, i), ==, expected[i]);
    }
  g_assert_cmpuint (events->len, ==, i);
}

static void
test_format (void)
{
  const char *stream = ": a comment\n"
                       "data: {\"type\":\"server.connected\"}\n\n"
                       "id: 7\nevent: update\ndata: line one\ndata: line two\n\n"
                       "data:no space\r\n\r\n"
                       "data:  two spaces\r\r"
                       "data\n\n"
                       "id: 9\n\n"
                       "retry: 100\nunknown: x\ndata: last\n\n"
                       "data: never finished";
  const char *const expected[] = {
    "-|-|{\"type\":\"server.connected\"}",
    "7|update|line one\nline two",
    "-|-|no space",
    "-|-| two spaces",
    "-|-|",
    "-|-|last",
    NULL,
  };

  /* Whole, and split at every possible place: the same events. */
  for (gsize piece = 1; piece <= strlen (stream); piece++)
    {
      g_autoptr (GPtrArray) events = parse_in_pieces (stream, piece, 4096, NULL);
      assert_events (events, expected);
    }
}

static void
test_oversized_events_are_dropped (void)
{
  g_autofree char *big = g_strnfill (5000, 'x');
  g_autofree char *stream = g_strdup_printf ("data: small\n\n"
                                             "data: %s\n\n"
                                             "data: 1\ndata: %s\ndata: 2\n\n"
                                             "data: after\n\n",
                                             big, big);
  const char *const expected[] = { "-|-|small", "-|-|after", NULL };
  guint dropped = 0;
  g_autoptr (GPtrArray) events = parse_in_pieces (stream, 333, 1024, &dropped);

  assert_events (events, expected);
  g_assert_cmpuint (dropped, ==, 2);
}

static void
test_many_small_data_lines_are_capped (void)
{
  GString *stream = g_string_new (NULL);
  guint dropped = 0;
  g_autoptr (GPtrArray) events = NULL;

  for (guint i = 0; i < 2000; i++)
    g_string_append (stream, "data: 0123456789\n");
  g_string_append (stream, "\ndata: ok\n\n");
  events = parse_in_pieces (stream->str, 4096, 8192, &dropped);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, "-|-|ok");
  g_assert_cmpuint (dropped, ==, 1);
  g_string_free (stream, TRUE);
}

static void
test_event_ids (void)
{
  const struct
  {
    const char *text;
    gboolean ok;
    guint64 seq;
  } cases[] = {
    { "0", TRUE, 0 },
    { "42", TRUE, 42 },
    { "18446744073709551615", TRUE, G_MAXUINT64 },
    { "18446744073709551616", FALSE, 0 },
    { "99999999999999999999", FALSE, 0 },
    { "-1", FALSE, 0 },
    { "1a", FALSE, 0 },
    { " 1", FALSE, 0 },
    { "1 ", FALSE, 0 },
    { "0x10", FALSE, 0 },
    { "", FALSE, 0 },
    { NULL, FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 seq = 12345;

      g_assert_cmpint (ow_sse_parse_event_id (cases[i].text, &seq), ==, cases[i].ok);
      if (cases[i].ok)
        g_assert_cmpuint (seq, ==, cases[i].seq);
      else
        g_assert_cmpuint (seq, ==, 12345);
    }
}

/* Bursts: a feed stops right after its last event, and the rest parses as if never cut,
 * even between the "\r" and "\n" of a line end. */
static void
test_feed_some_stops_after_max_events (void)
{
  const char *stream = "data: a\r\n\r\ndata: b\n\nid: 3\ndata: c\r\n\r\ndata: d\n\ndata: e";
  const char *const expected[] = { "-|-|a", "-|-|b", "3|-|c", "-|-|d", NULL };
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (OwSseParser) parser = ow_sse_parser_new (1024, collect, events);
  gsize length = strlen (stream);
  gsize offset = 0;
  guint feeds = 0;

  while (offset < length)
    {
      guint before = events->len;
      gsize parsed = ow_sse_parser_feed_some (parser, stream + offset, length - offset, 2);

      g_assert_cmpuint (parsed, >, 0);
      offset += parsed;
      feeds++;
      /* Never more than two at once; a cut feed ended on its second event. */
      if (offset < length)
        g_assert_cmpuint (events->len - before, ==, 2);
    }
  g_assert_cmpuint (feeds, ==, 3);
  assert_events (events, expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sse-parser/format", test_format);
  g_test_add_func ("/sse-parser/oversized-events-are-dropped", test_oversized_events_are_dropped);
  g_test_add_func ("/sse-parser/many-small-data-lines-are-capped",
                   test_many_small_data_lines_are_capped);
  g_test_add_func ("/sse-parser/event-ids", test_event_ids);
  g_test_add_func ("/sse-parser/feed-some-stops-after-max-events",
                   test_feed_some_stops_after_max_events);
  return g_test_run ();
}
