#include "config.h"

#include "ow-sse-parser.h"

#include <string.h>

struct _OwSseParser
{
  gsize max_event_bytes;
  OwSseEventFunc func;
  gpointer user_data;

  GString *line;
  gboolean skip_line; /* the current line is too long: drop it */
  gboolean after_cr;  /* the last byte was "\r": a following "\n" is no new line */
  GString *data;
  gboolean has_data;
  char *id;
  char *event;
  gboolean event_too_large; /* drop the event being built */
  guint dropped;
  guint dispatched; /* in the current feed */
};

OwSseParser *
ow_sse_parser_new (gsize max_event_bytes, OwSseEventFunc func, gpointer user_data)
{
  OwSseParser *parser = g_new0 (OwSseParser, 1);

  parser->max_event_bytes = max_event_bytes;
  parser->func = func;
  parser->user_data = user_data;
  parser->line = g_string_new (NULL);
  parser->data = g_string_new (NULL);
  return parser;
}

void
ow_sse_parser_free (OwSseParser *parser)
{
  if (parser == NULL)
    return;
  g_string_free (parser->line, TRUE);
  g_string_free (parser->data, TRUE);
  g_free (parser->id);
  g_free (parser->event);
  g_free (parser);
}

guint
ow_sse_parser_get_dropped (OwSseParser *parser)
{
  return parser->dropped;
}

static void
reset_event (OwSseParser *parser)
{
  g_string_truncate (parser->data, 0);
  parser->has_data = FALSE;
  g_clear_pointer (&parser->event, g_free);
  parser->event_too_large = FALSE;
  /* Each event reports only its own id field; remembering the last id across events, as
   * a browser does, is the reader's business. */
  g_clear_pointer (&parser->id, g_free);
}

static void
dispatch_event (OwSseParser *parser)
{
  OwSseEvent event;

  if (parser->event_too_large)
    {
      parser->dropped++;
      reset_event (parser);
      return;
    }

  if (!parser->has_data)
    {
      reset_event (parser);
      return;
    }

  event.id = parser->id;
  event.event = parser->event;
  event.data = parser->data->str;
  parser->dispatched++;
  parser->func (&event, parser->user_data);
  reset_event (parser);
}

static void
process_line (OwSseParser *parser, const char *line, gsize length)
{
  const char *colon;
  g_autofree char *field = NULL;
  const char *value;
  gsize value_length;

  if (length == 0)
    {
      dispatch_event (parser);
      return;
    }
  if (line[0] == ':')
    return;

  colon = memchr (line, ':', length);
  if (colon)
    {
      field = g_strndup (line, colon - line);
      value = colon + 1;
      value_length = length - (colon - line) - 1;
      if (value_length > 0 && value[0] == ' ')
        {
          value++;
          value_length--;
        }
    }
  else
    {
      field = g_strndup (line, length);
      value = "";
      value_length = 0;
    }

  if (g_str_equal (field, "data"))
    {
      if (parser->data->len + value_length + 1 > parser->max_event_bytes)
        {
          parser->event_too_large = TRUE;
          return;
        }
      if (parser->has_data)
        g_string_append_c (parser->data, '\n');
      g_string_append_len (parser->data, value, value_length);
      parser->has_data = TRUE;
    }
  else if (g_str_equal (field, "id"))
    {
      /* An id with a NUL is ignored, as the format says. */
      if (memchr (value, '\0', value_length) == NULL)
        {
          g_free (parser->id);
          parser->id = g_strndup (value, value_length);
        }
    }
  else if (g_str_equal (field, "event"))
    {
      g_free (parser->event);
      parser->event = g_strndup (value, value_length);
    }
}

static void
end_line (OwSseParser *parser)
{
  if (parser->skip_line)
    {
      parser->skip_line = FALSE;
      parser->event_too_large = TRUE;
    }
  else
    {
      process_line (parser, parser->line->str, parser->line->len);
    }
  g_string_truncate (parser->line, 0);
}

void
ow_sse_parser_feed (OwSseParser *parser, const char *data, gsize length)
{
  ow_sse_parser_feed_some (parser, data, length, G_MAXUINT);
}

gsize
ow_sse_parser_feed_some (OwSseParser *parser, const char *data, gsize length, guint max_events)
{
  parser->dispatched = 0;
  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (parser->after_cr)
        {
          parser->after_cr = FALSE;
          if (c == '\n')
            continue;
        }

      if (c == '\r' || c == '\n')
        {
          parser->after_cr = c == '\r';
          end_line (parser);
          if (parser->dispatched >= max_events)
            return i + 1;
          continue;
        }

      if (parser->skip_line)
        continue;
      if (parser->line->len >= parser->max_event_bytes)
        {
          parser->skip_line = TRUE;
          g_string_truncate (parser->line, 0);
          continue;
        }
      g_string_append_c (parser->line, c);
    }
  return length;
}

gboolean
ow_sse_parse_event_id (const char *text, guint64 *seq)
{
  guint64 value = 0;

  if (text == NULL || *text == '\0' || strlen (text) > 20)
    return FALSE;

  for (const char *p = text; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (value > (G_MAXUINT64 - (guint64) (*p - '0')) / 10)
        return FALSE;
      value = value * 10 + (guint64) (*p - '0');
    }

  *seq = value;
  return TRUE;
}
