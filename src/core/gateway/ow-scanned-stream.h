#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * OwStreamScanFunc:
 * @scanner: the scanner's state
 * @data: bytes the client sent, in order, as they are read
 * @length: how many
 *
 * Follows a client's input as it passes; never changes it.
 *
 * Returns: FALSE with @error set to refuse the client from here on
 */
typedef gboolean (*OwStreamScanFunc) (gpointer scanner,
                                      const guint8 *data,
                                      gsize length,
                                      GError **error);

#define OW_TYPE_SCANNED_STREAM (ow_scanned_stream_get_type ())
G_DECLARE_FINAL_TYPE (OwScannedStream, ow_scanned_stream, OW, SCANNED_STREAM, GIOStream)

/**
 * ow_scanned_stream_new:
 * @base: a client's connection
 * @socket: (nullable): the socket under @base, shut down when the client is refused
 * @scan: reads what the client sends
 * @scanner: (transfer full): its state, freed with @free_scanner
 *
 * Wraps @base: the output is @base's, and what is read passes @scan first. Once @scan
 * refuses, the read that carried the refused bytes fails, and so does every read after it
 * with the same error; nothing of them is handed on. The socket is shut down then: on a
 * connection that has served a request libsoup would answer a failed read with a 500 and
 * keep the connection, while a shut-down socket ends it (the descriptor stays its owner's
 * to close). Reads may come from any one thread at a time, such as a TLS handshake's.
 *
 * Returns: (transfer full): the wrapped stream
 */
GIOStream *ow_scanned_stream_new (GIOStream *base,
                                  GSocket *socket,
                                  OwStreamScanFunc scan,
                                  gpointer scanner,
                                  GDestroyNotify free_scanner);

/* Whether the scanner refused the client. */
gboolean ow_scanned_stream_get_refused (OwScannedStream *self);

G_END_DECLS
