#include "config.h"

#include "ow-tls-record-guard.h"
#include "ow-scanned-stream.h"

/* TLS record content types (RFC 8446 §5.1). */
#define RECORD_CHANGE_CIPHER_SPEC 20
#define RECORD_HANDSHAKE 22
#define RECORD_HEADER_LENGTH 5

/* Where the client's input stands, record by record. */
typedef struct
{
  guint8 header[RECORD_HEADER_LENGTH];
  guint header_length; /* bytes of the current header seen so far */
  gsize body_left;     /* bytes of the current record still to pass */
  gboolean seen_change_cipher_spec;
  guint handshakes_after_change;
  gboolean refused;
} TlsRecords;

/* Takes in one record header; FALSE when it starts a renegotiation. */
static gboolean
record_allowed (TlsRecords *self)
{
  switch (self->header[0])
    {
    case RECORD_CHANGE_CIPHER_SPEC:
      self->seen_change_cipher_spec = TRUE;
      return TRUE;
    case RECORD_HANDSHAKE:
      if (!self->seen_change_cipher_spec)
        return TRUE;
      /* TLS 1.2: the encrypted Finished. TLS 1.3: a second ClientHello after the dummy
       * ChangeCipherSpec of middlebox compatibility. Never a second one. */
      return ++self->handshakes_after_change <= 1;
    default:
      return TRUE;
    }
}

/* Follows @length bytes the client sent; FALSE with @error once it asks to renegotiate. */
static gboolean
scan (gpointer scanner, const guint8 *data, gsize length, GError **error)
{
  TlsRecords *self = scanner;
  gsize at = 0;

  while (at < length && !self->refused)
    {
      if (self->body_left > 0)
        {
          gsize skip = MIN (self->body_left, length - at);

          at += skip;
          self->body_left -= skip;
          continue;
        }
      self->header[self->header_length++] = data[at++];
      if (self->header_length < RECORD_HEADER_LENGTH)
        continue;
      self->header_length = 0;
      self->body_left = ((gsize) self->header[3] << 8) | self->header[4];
      self->refused = !record_allowed (self);
    }

  if (self->refused)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "The client asked to renegotiate TLS, which this host refuses");
      return FALSE;
    }
  return TRUE;
}

GIOStream *
ow_tls_record_guard_new (GIOStream *base)
{
  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  return ow_scanned_stream_new (base,
                                G_IS_SOCKET_CONNECTION (base)
                                  ? g_socket_connection_get_socket (G_SOCKET_CONNECTION (base))
                                  : NULL,
                                scan, g_new0 (TlsRecords, 1), g_free);
}
