#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The largest request head a client may send, as libsoup's own limit. */
#define OW_HTTP_MAX_HEAD (64 * 1024)
/* The longest chunk-size line, its line end included: libsoup reads it into 128 bytes. */
#define OW_HTTP_MAX_CHUNK_LINE 128
/* Hex digits of a chunk size: 15 keep it below 2^60, far past any body the host takes. */
#define OW_HTTP_MAX_CHUNK_DIGITS 15

/**
 * ow_http_framing_guard_new:
 * @base: a client's connection, as it speaks HTTP/1 (after TLS, if any)
 * @socket: (nullable): the socket under it, shut down when the client is refused
 *
 * Wraps @base for an HTTP/1 server: its input follows where each request's head and body
 * begin and end as the client sends them, and refuses a request whose framing libsoup 3.2
 * would read differently from what the client meant. The client is answered a 400 (a 431
 * for a head over %OW_HTTP_MAX_HEAD bytes) with `Connection: close` on @base's output, and
 * the read fails with %G_IO_ERROR_INVALID_DATA (%G_IO_ERROR_MESSAGE_TOO_LARGE).
 *
 * libsoup before 3.7.1 reads a chunk size with strtoul(), so `FFFFFFFFFFFFFFFF` or `-1` is
 * taken for the empty last chunk and the rest of the body for the next request; it ends a
 * chunked body after the first line of trailers, and it drops NUL bytes from a head. What
 * passes here is a strict subset of HTTP/1.1 (RFC 9112) on which libsoup and the client
 * agree: lines end in LF or CRLF and hold no NUL or other CR; no empty line before a request
 * line; header names are tokens followed at once by a colon, without line folding; at
 * most one Content-Length, of up to 18 digits, or one Transfer-Encoding, `chunked`, never
 * both; chunk sizes of 1 to %OW_HTTP_MAX_CHUNK_DIGITS hex digits, each chunk followed by
 * a line end, and no trailers. After a request that asks for an Upgrade the guard steps aside.
 *
 * The guard takes every declared body as sent, so whoever answers must close the
 * connection after a request with `Upgrade` that it does not answer 101, and after one with
 * `Expect: 100-continue` that it answers before reading the body (libsoup then takes the
 * client to have sent no body).
 *
 * Returns: (transfer full): the guarded stream, an #OwScannedStream
 */
GIOStream *ow_http_framing_guard_new (GIOStream *base, GSocket *socket);

G_END_DECLS
