#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The largest message a client may send on an event stream's WebSocket, across all its
 * fragments: it sends none that the host reads, so a small cap loses nothing. */
#define OW_WEBSOCKET_MAX_MESSAGE (64 * 1024)
/* Pings a client may send in OW_WEBSOCKET_PING_WINDOW_S seconds; each costs the host a
 * pong. A keep-alive needs one every few seconds at most. */
#define OW_WEBSOCKET_MAX_PINGS 20
#define OW_WEBSOCKET_PING_WINDOW_S 10

/**
 * ow_websocket_guard_new:
 * @base: a client's connection, once it speaks WebSocket (after TLS, if any)
 * @socket: (nullable): the socket under it, shut down when the client is refused
 *
 * Wraps @base for a WebSocket server: its input reads the client's frame headers as they
 * pass, and fails with %G_IO_ERROR_MESSAGE_TOO_LARGE once a message, counted across its
 * fragments, passes %OW_WEBSOCKET_MAX_MESSAGE bytes, or with %G_IO_ERROR_BUSY once the
 * client pings more often than %OW_WEBSOCKET_MAX_PINGS times in
 * %OW_WEBSOCKET_PING_WINDOW_S seconds.
 *
 * libsoup 3.2 checks its maximum payload per frame only, so a message sent in many small
 * fragments is kept whole in memory, however large; and it answers every ping at once.
 *
 * Returns: (transfer full): the guarded stream, an #OwScannedStream
 */
GIOStream *ow_websocket_guard_new (GIOStream *base, GSocket *socket);

G_END_DECLS
