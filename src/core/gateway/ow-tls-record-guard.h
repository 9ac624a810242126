#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * ow_tls_record_guard_new:
 * @base: a client's connection, before TLS
 *
 * Wraps @base for a TLS server: its output is @base's, and its input reads the client's
 * TLS records as they pass and fails with %G_IO_ERROR_PERMISSION_DENIED instead of handing
 * on a renegotiation.
 *
 * glib-networking has no way to refuse a client that asks to handshake again on an
 * established TLS 1.2 connection, and each such handshake costs the host the work of a
 * new one. A TLS 1.2 client sends ChangeCipherSpec and then one handshake record (its
 * encrypted Finished); any handshake record after that is a renegotiation. A TLS 1.3 client
 * sends no handshake record after ChangeCipherSpec except, after a HelloRetryRequest, its
 * second ClientHello; 1.3 has no renegotiation at all.
 *
 * Returns: (transfer full): the guarded stream, an #OwScannedStream
 */
GIOStream *ow_tls_record_guard_new (GIOStream *base);

G_END_DECLS
