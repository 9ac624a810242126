#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ow-runtime-pool.h"

G_BEGIN_DECLS

/*
 * One HTTP/1.1 request to the runtime and its answer, on a connection of an
 * OwRuntimePool: the only HTTP client the host has for the runtime. The answer is handed
 * on as it arrives (head, then body pieces), so the same exchange serves a proxied
 * stream, an event subscription and a small call read whole (OwRuntimeClient).
 *
 * Build the request (ow_runtime_exchange_add_header(), then a body), start it with a
 * handler, and unref it once its handler's finished() came, or cancel it before.
 */
typedef struct _OwRuntimeExchange OwRuntimeExchange;

/* How long the runtime has, in seconds; 0 for no limit. */
typedef struct
{
  guint connect_s; /* to accept the connection */
  guint answer_s;  /* from the request sent in full to the answer's head */
  guint idle_s;    /* between two reads of the answer's body; event streams have none */
} OwRuntimeTimeouts;

typedef struct
{
  /* The answer's status and headers (an interim 1xx answer is skipped). */
  void (*got_head) (OwRuntimeExchange *exchange,
                    guint status,
                    const char *reason,
                    SoupMessageHeaders *headers,
                    gpointer user_data);
  /* A piece of the answer's body, decoded from its framing. */
  void (*got_body) (OwRuntimeExchange *exchange,
                    const guint8 *data,
                    gsize size,
                    gpointer user_data);
  /* Some of a streaming request body left; see ow_runtime_exchange_get_unsent(). May be
   * %NULL. */
  void (*wrote_body) (OwRuntimeExchange *exchange, gpointer user_data);
  /* The end: @error is %NULL when the answer came whole. Before got_head() it says why no
   * answer came: G_IO_ERROR_TIMED_OUT for a timeout, anything else for a runtime that
   * could not be reached. The last callback. */
  void (*finished) (OwRuntimeExchange *exchange, const GError *error, gpointer user_data);
} OwRuntimeExchangeHandler;

/**
 * ow_runtime_exchange_new:
 * @port: the runtime's port on 127.0.0.1
 * @authorization: the Authorization header of the runtime's current run
 * @target: the path and query, sent as given: see ow_runtime_exchange_is_sendable_target()
 * @timeouts: (nullable): %NULL for none
 *
 * Returns: (transfer full): the exchange, not started
 */
OwRuntimeExchange *ow_runtime_exchange_new (OwRuntimePool *pool,
                                            guint port,
                                            const char *authorization,
                                            const char *method,
                                            const char *target,
                                            const OwRuntimeTimeouts *timeouts);
OwRuntimeExchange *ow_runtime_exchange_ref (OwRuntimeExchange *exchange);
/* The last reference cancels an exchange still under way. */
void ow_runtime_exchange_unref (OwRuntimeExchange *exchange);
/* Ends the exchange where it is, its connection closed: the handler is not called again,
 * not even its finished(). Safe from within a callback. */
void ow_runtime_exchange_cancel (OwRuntimeExchange *exchange);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwRuntimeExchange, ow_runtime_exchange_unref)

/* Whether @target can start a request line as it is: nothing that could end it. */
gboolean ow_runtime_exchange_is_sendable_target (const char *target);

/* Adds a request header; one whose name or value holds a line break is dropped. Host,
 * Authorization and the body's framing are the exchange's own. */
void
ow_runtime_exchange_add_header (OwRuntimeExchange *exchange, const char *name, const char *value);

/* The whole request body (copied). Without a body or a stream, a request other than GET
 * and HEAD says Content-Length: 0. */
void ow_runtime_exchange_set_body (OwRuntimeExchange *exchange, gconstpointer data, gsize size);

/**
 * ow_runtime_exchange_stream_body:
 * @length: the body's length, or -1 to send it chunked
 *
 * The body follows with ow_runtime_exchange_write_body() and
 * ow_runtime_exchange_end_body(), also after the start. A streaming body goes on a fresh
 * connection: it cannot be sent again on another.
 */
void ow_runtime_exchange_stream_body (OwRuntimeExchange *exchange, goffset length);
void ow_runtime_exchange_write_body (OwRuntimeExchange *exchange, gconstpointer data, gsize size);
void ow_runtime_exchange_end_body (OwRuntimeExchange *exchange);
/* Sends no more of the body: the connection is not used again. */
void ow_runtime_exchange_abandon_body (OwRuntimeExchange *exchange);
/* Bytes written but not yet sent; 0 once the runtime no longer reads the body. */
gsize ow_runtime_exchange_get_unsent (OwRuntimeExchange *exchange);

/**
 * ow_runtime_exchange_start:
 * @cancellable: (nullable): cancelling it ends the exchange with G_IO_ERROR_CANCELLED
 *
 * Sends the request. On a kept connection it leaves at once, before this returns; a
 * failure to make a connection calls finished() before this returns.
 */
void ow_runtime_exchange_start (OwRuntimeExchange *exchange,
                                const OwRuntimeExchangeHandler *handler,
                                gpointer user_data,
                                GCancellable *cancellable);

/* Reading the answer waits while @reading is %FALSE: the receiver is full. */
void ow_runtime_exchange_set_reading (OwRuntimeExchange *exchange, gboolean reading);

G_END_DECLS
