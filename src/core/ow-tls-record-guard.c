#include "config.h"

#include "ow-tls-record-guard.h"

/* TLS record content types (RFC 8446 §5.1). */
#define RECORD_CHANGE_CIPHER_SPEC 20
#define RECORD_HANDSHAKE 22
#define RECORD_HEADER_LENGTH 5

/* The guard's input: the base input stream, with each record header read as it passes. */

#define OW_TYPE_TLS_RECORD_GUARD_INPUT (ow_tls_record_guard_input_get_type ())
G_DECLARE_FINAL_TYPE (
  OwTlsRecordGuardInput, ow_tls_record_guard_input, OW, TLS_RECORD_GUARD_INPUT, GInputStream)

struct _OwTlsRecordGuardInput
{
  GInputStream parent_instance;

  GInputStream *base;
  GSocket *socket; /* under base, when it is a socket's */
  guint8 header[RECORD_HEADER_LENGTH];
  guint header_length; /* bytes of the current header seen so far */
  gsize body_left;     /* bytes of the current record still to pass */
  gboolean seen_change_cipher_spec;
  guint handshakes_after_change;
  gboolean refused;
};

static void ow_tls_record_guard_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OwTlsRecordGuardInput,
                               ow_tls_record_guard_input,
                               G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ow_tls_record_guard_input_pollable_init))

/* Takes in one record header; FALSE when it starts a renegotiation. */
static gboolean
record_allowed (OwTlsRecordGuardInput *self)
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
scan (OwTlsRecordGuardInput *self, const guint8 *data, gsize length, GError **error)
{
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
      /* On a connection that has served a request, libsoup ends a failed read as a 500 and
       * keeps the connection. Shut down, it sees the end of both ways instead (and so does
       * the hang-up watch); the descriptor stays its to close. Safe from any thread. */
      if (self->refused && self->socket != NULL)
        g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
    }

  if (self->refused)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "The client asked to renegotiate TLS, which this host refuses");
      return FALSE;
    }
  return TRUE;
}

/* What a read of the base stream that got @read bytes into @buffer gives on to TLS. */
static gssize
pass_on (OwTlsRecordGuardInput *self, gssize read, const void *buffer, GError **error)
{
  if (read > 0 && !scan (self, buffer, (gsize) read, error))
    return -1;
  return read;
}

static gssize
ow_tls_record_guard_input_read (
  GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  OwTlsRecordGuardInput *self = OW_TLS_RECORD_GUARD_INPUT (stream);

  if (self->refused)
    return scan (self, NULL, 0, error) ? 0 : -1;
  return pass_on (self, g_input_stream_read (self->base, buffer, count, cancellable, error), buffer,
                  error);
}

static gboolean
ow_tls_record_guard_input_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  /* The base stream closes with the guard's GIOStream. */
  return TRUE;
}

static gboolean
ow_tls_record_guard_input_can_poll (GPollableInputStream *stream)
{
  OwTlsRecordGuardInput *self = OW_TLS_RECORD_GUARD_INPUT (stream);

  return G_IS_POLLABLE_INPUT_STREAM (self->base) &&
         g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->base));
}

static gboolean
ow_tls_record_guard_input_is_readable (GPollableInputStream *stream)
{
  OwTlsRecordGuardInput *self = OW_TLS_RECORD_GUARD_INPUT (stream);

  return self->refused ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
ow_tls_record_guard_input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  OwTlsRecordGuardInput *self = OW_TLS_RECORD_GUARD_INPUT (stream);
  g_autoptr (GSource) base_source =
    g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), cancellable);
  GSource *source = g_pollable_source_new (G_OBJECT (stream));

  g_source_set_dummy_callback (base_source);
  g_source_add_child_source (source, base_source);
  return source;
}

static gssize
ow_tls_record_guard_input_read_nonblocking (GPollableInputStream *stream,
                                            void *buffer,
                                            gsize count,
                                            GError **error)
{
  OwTlsRecordGuardInput *self = OW_TLS_RECORD_GUARD_INPUT (stream);

  if (self->refused)
    return scan (self, NULL, 0, error) ? 0 : -1;
  return pass_on (self,
                  g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                            buffer, count, NULL, error),
                  buffer, error);
}

static void
ow_tls_record_guard_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ow_tls_record_guard_input_can_poll;
  iface->is_readable = ow_tls_record_guard_input_is_readable;
  iface->create_source = ow_tls_record_guard_input_create_source;
  iface->read_nonblocking = ow_tls_record_guard_input_read_nonblocking;
}

static void
ow_tls_record_guard_input_finalize (GObject *object)
{
  OwTlsRecordGuardInput *self = OW_TLS_RECORD_GUARD_INPUT (object);

  g_clear_object (&self->base);
  g_clear_object (&self->socket);

  G_OBJECT_CLASS (ow_tls_record_guard_input_parent_class)->finalize (object);
}

static void
ow_tls_record_guard_input_class_init (OwTlsRecordGuardInputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ow_tls_record_guard_input_finalize;
  input_class->read_fn = ow_tls_record_guard_input_read;
  input_class->close_fn = ow_tls_record_guard_input_close;
}

static void
ow_tls_record_guard_input_init (OwTlsRecordGuardInput *self)
{
}

/* The guard */

struct _OwTlsRecordGuard
{
  GIOStream parent_instance;

  GIOStream *base;
  OwTlsRecordGuardInput *input;
};

G_DEFINE_FINAL_TYPE (OwTlsRecordGuard, ow_tls_record_guard, G_TYPE_IO_STREAM)

static GInputStream *
ow_tls_record_guard_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (OW_TLS_RECORD_GUARD (stream)->input);
}

static GOutputStream *
ow_tls_record_guard_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (OW_TLS_RECORD_GUARD (stream)->base);
}

static gboolean
ow_tls_record_guard_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  return g_io_stream_close (OW_TLS_RECORD_GUARD (stream)->base, cancellable, error);
}

static void
ow_tls_record_guard_finalize (GObject *object)
{
  OwTlsRecordGuard *self = OW_TLS_RECORD_GUARD (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (ow_tls_record_guard_parent_class)->finalize (object);
}

static void
ow_tls_record_guard_class_init (OwTlsRecordGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = ow_tls_record_guard_finalize;
  stream_class->get_input_stream = ow_tls_record_guard_get_input_stream;
  stream_class->get_output_stream = ow_tls_record_guard_get_output_stream;
  stream_class->close_fn = ow_tls_record_guard_close;
}

static void
ow_tls_record_guard_init (OwTlsRecordGuard *self)
{
}

GIOStream *
ow_tls_record_guard_new (GIOStream *base)
{
  OwTlsRecordGuard *self;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  self = g_object_new (OW_TYPE_TLS_RECORD_GUARD, NULL);
  self->base = g_object_ref (base);
  self->input = g_object_new (OW_TYPE_TLS_RECORD_GUARD_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  if (G_IS_SOCKET_CONNECTION (base))
    self->input->socket =
      g_object_ref (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)));
  return G_IO_STREAM (self);
}

gboolean
ow_tls_record_guard_get_refused (OwTlsRecordGuard *self)
{
  g_return_val_if_fail (OW_IS_TLS_RECORD_GUARD (self), FALSE);
  return self->input->refused;
}
