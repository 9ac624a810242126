#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1) as it arrives, in place: the runtime's
 * answers reach the proxy this way, and their pieces may be cut anywhere. */
typedef struct _OwChunkedDecoder OwChunkedDecoder;

OwChunkedDecoder *ow_chunked_decoder_new (void);
void ow_chunked_decoder_free (OwChunkedDecoder *decoder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwChunkedDecoder, ow_chunked_decoder_free)

/**
 * ow_chunked_decoder_feed:
 * @buffer: (inout): the next @length bytes of the body as sent; on return its start holds
 *   the data they carried, @decoded bytes of it
 * @consumed: (out): how many of the @length bytes belonged to the body; fewer than @length
 *   only once it has ended, the rest is whatever followed it
 *
 * Chunk extensions and trailers are skipped. A line may end with "\r\n" or "\n".
 *
 * Returns: %FALSE with @error set when the body is malformed (then nothing more can be
 *   decoded); %TRUE otherwise
 */
gboolean ow_chunked_decoder_feed (OwChunkedDecoder *decoder,
                                  guint8 *buffer,
                                  gsize length,
                                  gsize *decoded,
                                  gsize *consumed,
                                  GError **error);

/* Whether the last chunk and the trailers have gone by. */
gboolean ow_chunked_decoder_is_done (OwChunkedDecoder *decoder);

G_END_DECLS
