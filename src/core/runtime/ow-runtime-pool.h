#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Keep-alive connections to the runtime's loopback port, for OwRuntimeExchange: plain sockets,
 * each with one main-loop source for its whole life, so that a proxied request costs no
 * source set-up and no connection set-up. */
typedef struct _OwRuntimePool OwRuntimePool;
typedef struct _OwRuntimeConnection OwRuntimeConnection;

/* @condition is what the socket is ready for (G_IO_HUP and G_IO_ERR included), or 0 when
 * the connection's deadline has passed. */
typedef void (*OwRuntimeConnectionFunc) (OwRuntimeConnection *connection,
                                         GIOCondition condition,
                                         gpointer user_data);

/* @max_idle: how many idle connections are kept for later requests */
OwRuntimePool *ow_runtime_pool_new (guint max_idle);
OwRuntimePool *ow_runtime_pool_ref (OwRuntimePool *pool);
/* The last reference closes the idle connections; whoever takes a connection holds a
 * reference until it is released. */
void ow_runtime_pool_unref (OwRuntimePool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwRuntimePool, ow_runtime_pool_unref)

/**
 * ow_runtime_pool_take:
 * @port: the runtime's port on 127.0.0.1; idle connections to another port (a runtime
 *   that has since restarted) are closed
 * @fresh: %TRUE for a new connection even when an idle one is there
 *
 * Returns an idle connection, or a new one whose connect may still be under way: it is
 * done once the socket is writable, see ow_runtime_connection_check_connected().
 *
 * Returns: (transfer full): the connection, or %NULL with @error set when no socket can
 *   be made
 */
OwRuntimeConnection *
ow_runtime_pool_take (OwRuntimePool *pool, guint port, gboolean fresh, GError **error);

/**
 * ow_runtime_connection_release:
 * @reusable: whether the last exchange ended cleanly, so that the next can follow
 *
 * Gives @connection back: kept for the next request when @reusable (and the pool has
 * room), closed otherwise. An idle connection that the runtime closes, or that receives
 * anything, is closed.
 */
void ow_runtime_connection_release (OwRuntimeConnection *connection, gboolean reusable);

/* Whether @connection served an earlier request: the runtime may have closed it since. */
gboolean ow_runtime_connection_is_reused (OwRuntimeConnection *connection);

/* The socket, non-blocking; for send() and recv(). */
int ow_runtime_connection_get_fd (OwRuntimeConnection *connection);

/**
 * ow_runtime_connection_check_connected:
 *
 * Returns: %TRUE when the connect is done (always for a reused connection); %FALSE with
 *   @error set when it failed
 */
gboolean ow_runtime_connection_check_connected (OwRuntimeConnection *connection, GError **error);

/* Calls @func whenever the socket is ready for @condition (G_IO_IN and/or G_IO_OUT); 0
 * stops watching. */
void ow_runtime_connection_watch (OwRuntimeConnection *connection,
                                  GIOCondition condition,
                                  OwRuntimeConnectionFunc func,
                                  gpointer user_data);

/**
 * ow_runtime_connection_set_deadline:
 * @deadline: a g_get_monotonic_time() by which the connection's watcher wants something
 *   to happen, or 0 for none
 *
 * Once @deadline has passed, the watch function is called with condition 0, at most a
 * quarter of a second late, and the deadline is cleared. Setting it is cheap: a busy
 * exchange may move it on with every read. Released connections have none.
 */
void ow_runtime_connection_set_deadline (OwRuntimeConnection *connection, gint64 deadline);

G_END_DECLS
