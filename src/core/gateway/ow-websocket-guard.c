#include "config.h"

#include "ow-websocket-guard.h"
#include "ow-scanned-stream.h"

/* RFC 6455 §5.2: FIN and the opcode, then MASK and a 7-bit length, 16 or 64 bits more of
 * length when that says 126 or 127, then the 4-byte mask a client always sends. */
#define HEADER_MAX (2 + 8 + 4)
#define OPCODE_CONTINUATION 0x0
#define OPCODE_PING 0x9
#define OPCODE_FIRST_CONTROL 0x8

/* Where the client's input stands, frame by frame. */
typedef struct
{
  guint8 header[HEADER_MAX];
  guint header_length; /* bytes of the current header seen so far */
  guint64 payload_left;
  guint64 message_bytes; /* of the message under way, its fragments so far */
  gint64 window_start_us;
  guint pings; /* since window_start_us */
} Frames;

/* How long the header that starts with @header is, once its second byte is in. */
static guint
header_size (const guint8 *header)
{
  guint length = header[1] & 0x7f;

  return 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + ((header[1] & 0x80) ? 4 : 0);
}

static guint64
payload_length (const guint8 *header)
{
  guint length = header[1] & 0x7f;
  guint64 value = 0;

  if (length < 126)
    return length;
  for (guint i = 0; i < (length == 126 ? 2u : 8u); i++)
    value = (value << 8) | header[2 + i];
  return value;
}

/* Takes in one frame header; FALSE with @error when the client has sent too much. */
static gboolean
frame_allowed (Frames *self, GError **error)
{
  guint opcode = self->header[0] & 0x0f;
  gboolean final = (self->header[0] & 0x80) != 0;
  guint64 length = payload_length (self->header);

  self->payload_left = length;
  if (opcode >= OPCODE_FIRST_CONTROL)
    {
      gint64 now = g_get_monotonic_time ();

      if (opcode != OPCODE_PING)
        return TRUE;
      if (now - self->window_start_us >= OW_WEBSOCKET_PING_WINDOW_S * G_USEC_PER_SEC)
        {
          self->window_start_us = now;
          self->pings = 0;
        }
      if (++self->pings <= OW_WEBSOCKET_MAX_PINGS)
        return TRUE;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "The client sent more than %d pings in %d s",
                   OW_WEBSOCKET_MAX_PINGS, OW_WEBSOCKET_PING_WINDOW_S);
      return FALSE;
    }

  if (opcode != OPCODE_CONTINUATION)
    self->message_bytes = 0;
  if (length > OW_WEBSOCKET_MAX_MESSAGE - self->message_bytes)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "The client sent a WebSocket message larger than %d bytes",
                   OW_WEBSOCKET_MAX_MESSAGE);
      return FALSE;
    }
  self->message_bytes = final ? 0 : self->message_bytes + length;
  return TRUE;
}

static gboolean
scan (gpointer scanner, const guint8 *data, gsize length, GError **error)
{
  Frames *self = scanner;
  gsize at = 0;

  while (at < length)
    {
      if (self->payload_left > 0)
        {
          gsize skip = (gsize) MIN (self->payload_left, (guint64) (length - at));

          at += skip;
          self->payload_left -= skip;
          continue;
        }
      self->header[self->header_length++] = data[at++];
      if (self->header_length < 2 || self->header_length < header_size (self->header))
        continue;
      self->header_length = 0;
      if (!frame_allowed (self, error))
        return FALSE;
    }
  return TRUE;
}

GIOStream *
ow_websocket_guard_new (GIOStream *base, GSocket *socket)
{
  Frames *frames;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  frames = g_new0 (Frames, 1);
  frames->window_start_us = g_get_monotonic_time ();
  return ow_scanned_stream_new (base, socket, scan, frames, g_free);
}
