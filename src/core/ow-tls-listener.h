#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define OW_TYPE_TLS_LISTENER (ow_tls_listener_get_type ())
G_DECLARE_FINAL_TYPE (OwTlsListener, ow_tls_listener, OW, TLS_LISTENER, GObject)

/**
 * ow_tls_listener_new:
 * @server: the server each connection is handed to once its handshake is done
 * @certificate: the host's certificate and key
 *
 * Accepts HTTPS connections for @server itself rather than through libsoup, so that the
 * TLS under each one is the host's to bound: a client's input passes an
 * #OwTlsRecordGuard (no renegotiation); the handshake starts only once the client has sent
 * something, so a silent connection holds no thread; and a connection whose handshake is
 * not done %OW_TLS_HANDSHAKE_TIMEOUT_S seconds after it was accepted is dropped.
 *
 * Emits #OwTlsListener::handshake-failed for each connection whose handshake fails.
 *
 * Returns: (transfer full): the listener, accepting nothing until given a socket
 */
OwTlsListener *ow_tls_listener_new (SoupServer *server, GTlsCertificate *certificate);

#define OW_TLS_HANDSHAKE_TIMEOUT_S 10

/**
 * ow_tls_listener_add_socket:
 * @socket: a bound, listening TCP socket
 *
 * Starts accepting connections on @socket.
 */
void ow_tls_listener_add_socket (OwTlsListener *self, GSocket *socket);

/**
 * ow_tls_listener_stop:
 *
 * Stops accepting, closes the listening sockets and drops the handshakes under way.
 * Connections already handed to the server are the server's. Sockets added after this
 * are accepted on again.
 */
void ow_tls_listener_stop (OwTlsListener *self);

G_END_DECLS
