#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * ow_hangup_watch_attach:
 *
 * Closes the connections of @server whose client hung up while they were idle.
 *
 * libsoup 3.2 (Debian 12's) never notices that a client closed a keep-alive connection
 * between two requests: the socket stays in CLOSE_WAIT and its descriptor is never freed,
 * one per connection, until the process runs out of them. This watches each connection
 * for the client's FIN (POLLRDHUP) and closes the socket then. A client that hangs up
 * does not read a response either (HTTP clients do not half-close), so a request under
 * way ends with it. Harmless with a libsoup that does this itself.
 */
void ow_hangup_watch_attach (SoupServer *server);

/**
 * ow_hangup_watch_forget:
 *
 * Stops watching @socket: for a connection that becomes a WebSocket, which notices the
 * client's hang-up itself and closes the socket from glib-networking's threads, where a
 * close from here could land on a reused descriptor.
 */
void ow_hangup_watch_forget (GSocket *socket);

G_END_DECLS
