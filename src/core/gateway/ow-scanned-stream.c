#include "config.h"

#include "ow-scanned-stream.h"

/* The input: the base input stream, each read passed through the scanner. */

#define OW_TYPE_SCANNED_INPUT (ow_scanned_input_get_type ())
G_DECLARE_FINAL_TYPE (OwScannedInput, ow_scanned_input, OW, SCANNED_INPUT, GInputStream)

struct _OwScannedInput
{
  GInputStream parent_instance;

  GInputStream *base;
  GSocket *socket; /* nullable */
  OwStreamScanFunc scan;
  gpointer scanner;
  GDestroyNotify free_scanner;
  GError *refusal; /* once refused */
};

static void ow_scanned_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OwScannedInput,
                               ow_scanned_input,
                               G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      ow_scanned_input_pollable_init))

static gssize
refuse (OwScannedInput *self, GError **error)
{
  g_propagate_error (error, g_error_copy (self->refusal));
  return -1;
}

/* What a read of the base stream that got @read bytes into @buffer gives on. */
static gssize
pass_on (OwScannedInput *self, gssize read, const void *buffer, GError **error)
{
  if (read <= 0 || self->scan (self->scanner, buffer, (gsize) read, &self->refusal))
    return read;
  g_assert (self->refusal != NULL);
  if (self->socket != NULL)
    g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
  return refuse (self, error);
}

static gssize
ow_scanned_input_read (
  GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  OwScannedInput *self = OW_SCANNED_INPUT (stream);

  if (self->refusal)
    return refuse (self, error);
  return pass_on (self, g_input_stream_read (self->base, buffer, count, cancellable, error), buffer,
                  error);
}

static gboolean
ow_scanned_input_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  /* The base stream closes with the GIOStream. */
  return TRUE;
}

static gboolean
ow_scanned_input_can_poll (GPollableInputStream *stream)
{
  OwScannedInput *self = OW_SCANNED_INPUT (stream);

  return G_IS_POLLABLE_INPUT_STREAM (self->base) &&
         g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (self->base));
}

static gboolean
ow_scanned_input_is_readable (GPollableInputStream *stream)
{
  OwScannedInput *self = OW_SCANNED_INPUT (stream);

  return self->refusal != NULL ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
ow_scanned_input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  OwScannedInput *self = OW_SCANNED_INPUT (stream);
  g_autoptr (GSource) base_source =
    g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), cancellable);
  GSource *source = g_pollable_source_new (G_OBJECT (stream));

  g_source_set_dummy_callback (base_source);
  g_source_add_child_source (source, base_source);
  return source;
}

static gssize
ow_scanned_input_read_nonblocking (GPollableInputStream *stream,
                                   void *buffer,
                                   gsize count,
                                   GError **error)
{
  OwScannedInput *self = OW_SCANNED_INPUT (stream);

  if (self->refusal)
    return refuse (self, error);
  return pass_on (self,
                  g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                            buffer, count, NULL, error),
                  buffer, error);
}

static void
ow_scanned_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = ow_scanned_input_can_poll;
  iface->is_readable = ow_scanned_input_is_readable;
  iface->create_source = ow_scanned_input_create_source;
  iface->read_nonblocking = ow_scanned_input_read_nonblocking;
}

static void
ow_scanned_input_finalize (GObject *object)
{
  OwScannedInput *self = OW_SCANNED_INPUT (object);

  if (self->free_scanner)
    self->free_scanner (self->scanner);
  g_clear_error (&self->refusal);
  g_clear_object (&self->base);
  g_clear_object (&self->socket);

  G_OBJECT_CLASS (ow_scanned_input_parent_class)->finalize (object);
}

static void
ow_scanned_input_class_init (OwScannedInputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = ow_scanned_input_finalize;
  input_class->read_fn = ow_scanned_input_read;
  input_class->close_fn = ow_scanned_input_close;
}

static void
ow_scanned_input_init (OwScannedInput *self)
{
}

/* The stream */

struct _OwScannedStream
{
  GIOStream parent_instance;

  GIOStream *base;
  OwScannedInput *input;
};

G_DEFINE_FINAL_TYPE (OwScannedStream, ow_scanned_stream, G_TYPE_IO_STREAM)

static GInputStream *
ow_scanned_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (OW_SCANNED_STREAM (stream)->input);
}

static GOutputStream *
ow_scanned_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (OW_SCANNED_STREAM (stream)->base);
}

static gboolean
ow_scanned_stream_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  return g_io_stream_close (OW_SCANNED_STREAM (stream)->base, cancellable, error);
}

static void
ow_scanned_stream_finalize (GObject *object)
{
  OwScannedStream *self = OW_SCANNED_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (ow_scanned_stream_parent_class)->finalize (object);
}

static void
ow_scanned_stream_class_init (OwScannedStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = ow_scanned_stream_finalize;
  stream_class->get_input_stream = ow_scanned_stream_get_input_stream;
  stream_class->get_output_stream = ow_scanned_stream_get_output_stream;
  stream_class->close_fn = ow_scanned_stream_close;
}

static void
ow_scanned_stream_init (OwScannedStream *self)
{
}

GIOStream *
ow_scanned_stream_new (GIOStream *base,
                       GSocket *socket,
                       OwStreamScanFunc scan,
                       gpointer scanner,
                       GDestroyNotify free_scanner)
{
  OwScannedStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (socket == NULL || G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (scan != NULL, NULL);

  self = g_object_new (OW_TYPE_SCANNED_STREAM, NULL);
  self->base = g_object_ref (base);
  self->input = g_object_new (OW_TYPE_SCANNED_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  self->input->socket = socket ? g_object_ref (socket) : NULL;
  self->input->scan = scan;
  self->input->scanner = scanner;
  self->input->free_scanner = free_scanner;
  return G_IO_STREAM (self);
}

gboolean
ow_scanned_stream_get_refused (OwScannedStream *self)
{
  g_return_val_if_fail (OW_IS_SCANNED_STREAM (self), FALSE);
  return self->input->refusal != NULL;
}
