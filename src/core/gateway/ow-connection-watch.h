#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define OW_DEFAULT_REQUEST_TIMEOUT_S 60
#define OW_DEFAULT_IDLE_TIMEOUT_S 60

/**
 * ow_connection_watch_attach:
 * @request_s: how long a client may take over a request's head, and between two pieces of
 *   its body; 0 for %OW_DEFAULT_REQUEST_TIMEOUT_S
 * @idle_s: how long a kept connection may wait for its next request; 0 for
 *   %OW_DEFAULT_IDLE_TIMEOUT_S
 *
 * Ends the connections of @server that libsoup would keep for good:
 *
 * - a client that hung up. While a request is under way (the host waits on the runtime,
 *   a held poll), libsoup reads nothing from the connection and does not notice; and
 *   libsoup before 3.3.0 (Debian 12 has 3.2) never notices that a client closed a kept
 *   connection between two requests either: the socket stays in CLOSE_WAIT and its
 *   descriptor is never freed. The connection is watched for the client's FIN
 *   (POLLRDHUP), and its socket is closed then; a client that hangs up does not read a
 *   response (HTTP clients do not half-close), so a request under way ends with it.
 *   Between requests, later versions of libsoup do this themselves, and are not watched.
 * - a client that takes too long: half a head, a body that stops, or a kept connection
 *   never used again. The socket is shut down, not closed (its descriptor stays libsoup's
 *   to close), and the hang-up watch or libsoup ends it. Nothing is timed while the host
 *   itself works on an answer (an event stream, a held poll). No version of libsoup has
 *   these timeouts.
 */
void ow_connection_watch_attach (SoupServer *server, guint request_s, guint idle_s);

/**
 * ow_connection_watch_hold:
 * @held: whether the host has stopped reading @message's body (paused it), or reads again
 *
 * A body the host does not read (the runtime takes it slowly) is not the client's delay:
 * its connection is not timed meanwhile.
 */
void ow_connection_watch_hold (SoupServerMessage *message, gboolean held);

/**
 * ow_connection_watch_forget:
 *
 * Stops watching @socket: for a connection that becomes a WebSocket, which notices the
 * client's hang-up itself, keeps itself alive, and closes the socket from
 * glib-networking's threads, where a close from here could land on a reused descriptor.
 */
void ow_connection_watch_forget (GSocket *socket);

/**
 * ow_connection_watch_is_idle:
 *
 * Returns: whether @socket's connection has been answered and waits, kept open, for its
 *   client's next request: what may be closed first when there are too many
 */
gboolean ow_connection_watch_is_idle (GSocket *socket);

G_END_DECLS
