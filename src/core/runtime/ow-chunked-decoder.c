#include "config.h"

#include "ow-chunked-decoder.h"

#include <gio/gio.h>
#include <string.h>

/* 15 hex digits: no real chunk is that large, and the size cannot overflow. */
#define MAX_SIZE_DIGITS 15

typedef enum
{
  STATE_SIZE,      /* the chunk's size, in hex */
  STATE_EXTENSION, /* after the size: extensions or spaces, up to the end of the line */
  STATE_DATA,      /* the chunk's data */
  STATE_DATA_END,  /* the line end after the data */
  STATE_DATA_LF,   /* its "\n", after a "\r" */
  STATE_TRAILER,   /* at the start of a trailer line, or of the final empty line */
  STATE_TRAILER_LINE,
  STATE_FINAL_LF, /* the final "\n", after a "\r" */
  STATE_DONE,
  STATE_BROKEN,
} State;

struct _OwChunkedDecoder
{
  State state;
  guint64 remaining; /* of the chunk being read, or its size being parsed */
  guint digits;
};

OwChunkedDecoder *
ow_chunked_decoder_new (void)
{
  return g_new0 (OwChunkedDecoder, 1);
}

void
ow_chunked_decoder_free (OwChunkedDecoder *decoder)
{
  g_free (decoder);
}

gboolean
ow_chunked_decoder_is_done (OwChunkedDecoder *decoder)
{
  return decoder->state == STATE_DONE;
}

static gboolean
broken (OwChunkedDecoder *decoder, const char *why, GError **error)
{
  decoder->state = STATE_BROKEN;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Malformed chunked body: %s", why);
  return FALSE;
}

/* Takes @byte of the framing around the chunks' data: sizes, line ends, trailers. A size
 * ends at the first byte that is not a hex digit, which is then the extension's: *@used
 * says whether @byte was used up. */
static gboolean
take_framing (OwChunkedDecoder *decoder, guint8 byte, gboolean *used, GError **error)
{
  *used = TRUE;
  switch (decoder->state)
    {
    case STATE_SIZE:
      if (!g_ascii_isxdigit (byte))
        {
          *used = FALSE;
          if (decoder->digits == 0)
            return broken (decoder, "a chunk has no size", error);
          decoder->state = STATE_EXTENSION;
        }
      else if (++decoder->digits > MAX_SIZE_DIGITS)
        return broken (decoder, "a chunk size is too long", error);
      else
        decoder->remaining = decoder->remaining * 16 + (guint64) g_ascii_xdigit_value (byte);
      return TRUE;

    case STATE_EXTENSION:
      if (byte == '\n')
        decoder->state = decoder->remaining > 0 ? STATE_DATA : STATE_TRAILER;
      return TRUE;

    case STATE_DATA_END:
    case STATE_DATA_LF:
      if (byte == '\r' && decoder->state == STATE_DATA_END)
        decoder->state = STATE_DATA_LF;
      else if (byte != '\n')
        return broken (decoder, "a chunk is longer than its size", error);
      else
        {
          decoder->state = STATE_SIZE;
          decoder->digits = 0;
        }
      return TRUE;

    case STATE_TRAILER:
      decoder->state = byte == '\n'   ? STATE_DONE
                       : byte == '\r' ? STATE_FINAL_LF
                                      : STATE_TRAILER_LINE;
      return TRUE;

    case STATE_TRAILER_LINE:
      if (byte == '\n')
        decoder->state = STATE_TRAILER;
      return TRUE;

    case STATE_FINAL_LF:
      if (byte != '\n')
        return broken (decoder, "the last line is not empty", error);
      decoder->state = STATE_DONE;
      return TRUE;

    case STATE_DATA:
    case STATE_DONE:
    case STATE_BROKEN:
    default:
      g_assert_not_reached ();
    }
}

gboolean
ow_chunked_decoder_feed (OwChunkedDecoder *decoder,
                         guint8 *buffer,
                         gsize length,
                         gsize *decoded,
                         gsize *consumed,
                         GError **error)
{
  gsize in = 0, out = 0;

  *decoded = 0;
  *consumed = 0;
  if (decoder->state == STATE_BROKEN)
    return broken (decoder, "it broke before", error);

  while (in < length && decoder->state != STATE_DONE)
    {
      gboolean used;

      if (decoder->state == STATE_DATA)
        {
          gsize span = (gsize) MIN (decoder->remaining, (guint64) (length - in));

          memmove (buffer + out, buffer + in, span);
          out += span;
          in += span;
          decoder->remaining -= span;
          if (decoder->remaining == 0)
            decoder->state = STATE_DATA_END;
          continue;
        }
      if (!take_framing (decoder, buffer[in], &used, error))
        return FALSE;
      if (used)
        in++;
    }

  *decoded = out;
  *consumed = in;
  return TRUE;
}
