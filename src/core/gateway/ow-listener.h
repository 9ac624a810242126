#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define OW_TYPE_LISTENER (ow_listener_get_type ())
G_DECLARE_FINAL_TYPE (OwListener, ow_listener, OW, LISTENER, GObject)

/* How long a client has from its connection to the end of its TLS handshake. */
#define OW_TLS_HANDSHAKE_TIMEOUT_S 10

/* Connections open at once, in all and from one address (an IPv6 /64). */
#define OW_LISTENER_DEFAULT_MAX_CONNECTIONS 2048
#define OW_LISTENER_DEFAULT_MAX_PER_ADDRESS 128

/**
 * ow_listener_new:
 * @server: the server each connection is handed to, once its TLS handshake is done
 * @certificate: (nullable): the host's certificate and key, for sockets that speak TLS
 *
 * Accepts connections for @server itself rather than through libsoup 3.2, whose
 * listener stops for good on the first failed accept (no descriptor left, say) and whose
 * TLS the host cannot bound. This one:
 *
 * - pauses for a second when accepting fails, then goes on;
 * - holds at most as many connections, in all and from one address (see
 *   ow_net_address_key()), as ow_listener_set_limits() says. When a new one
 *   would pass a limit, the oldest idle connection within it is closed (one still silent
 *   before its handshake, or one kept open between requests); with none idle, the new one
 *   is refused;
 * - for TLS, passes each client's input through ow_tls_record_guard_new() (no renegotiation);
 *   starts a handshake only once the client has sent something, so a silent connection
 *   holds no thread; runs at most a few handshakes at once from one address and in all (each
 *   holds a thread of glib-networking's), the rest waiting their turn; and drops a
 *   connection whose handshake is not done %OW_TLS_HANDSHAKE_TIMEOUT_S seconds after it
 *   was accepted.
 *
 * Emits #OwListener::handshake-failed for each connection whose handshake fails and
 * #OwListener::refused for each connection turned away.
 *
 * Returns: (transfer full): the listener, accepting nothing until given a socket
 */
OwListener *ow_listener_new (SoupServer *server, GTlsCertificate *certificate);

/**
 * ow_listener_set_limits:
 * @max_connections: connections open at once; 0 for %OW_LISTENER_DEFAULT_MAX_CONNECTIONS
 * @max_per_address: connections open at once from one address; 0 for
 *   %OW_LISTENER_DEFAULT_MAX_PER_ADDRESS, %G_MAXUINT for no limit
 */
void ow_listener_set_limits (OwListener *self, guint max_connections, guint max_per_address);

/**
 * ow_listener_add_socket:
 * @socket: a bound, listening socket (TCP, or a Unix socket without @tls)
 * @tls: whether clients on @socket speak TLS
 *
 * Starts accepting connections on @socket.
 *
 * Returns: FALSE with @error set when @server cannot be made to keep connections open
 */
gboolean ow_listener_add_socket (OwListener *self, GSocket *socket, gboolean tls, GError **error);

/**
 * ow_listener_stop:
 *
 * Stops accepting, closes the listening sockets and drops the handshakes under way.
 * Connections already handed to the server are the server's. Sockets added after this
 * are accepted on again.
 */
void ow_listener_stop (OwListener *self);

/**
 * ow_listener_close_plain:
 *
 * Stops accepting on the sockets added without TLS and closes the connections accepted
 * on them, those being served included. The TLS sockets and their connections go on.
 *
 * Returns: the connections closed
 */
guint ow_listener_close_plain (OwListener *self);

/* The connections open now (handshakes included), for tests and the status. */
guint ow_listener_count_connections (OwListener *self);

G_END_DECLS
