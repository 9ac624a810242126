#include "config.h"

#include "ow-connection-watch.h"
#include "ow-http.h"

#include <glib-unix.h>
#include <poll.h>

#define WATCH_KEY "ow-connection-watch"

typedef struct
{
  guint request_s;
  guint idle_s;
  gboolean watch_idle; /* libsoup does not notice a kept connection's hang-up itself */
} Limits;

typedef struct
{
  GSocket *socket; /* not owned: the watch lives in the socket's data */
  const Limits *limits;
  guint hangup_id;
  guint timer_id;
  gboolean reading; /* a request is being read */
  gboolean held;    /* the host stopped reading it (ow_connection_watch_hold()) */
  gboolean idle;    /* kept open after an answer, waiting for the next request */
} Watch;

static void
watch_free (gpointer data)
{
  Watch *watch = data;

  g_clear_handle_id (&watch->hangup_id, g_source_remove);
  g_clear_handle_id (&watch->timer_id, g_source_remove);
  g_free (watch);
}

/* The watch of @message's connection, made if @limits are given; NULL once it is closed. */
static Watch *
get_watch (SoupServerMessage *message, const Limits *limits)
{
  GSocket *socket = ow_http_message_get_socket (message);
  Watch *watch;

  if (socket == NULL || g_socket_is_closed (socket))
    return NULL;
  watch = g_object_get_data (G_OBJECT (socket), WATCH_KEY);
  if (watch == NULL && limits != NULL)
    {
      watch = g_new0 (Watch, 1);
      watch->socket = socket;
      watch->limits = limits;
      g_object_set_data_full (G_OBJECT (socket), WATCH_KEY, watch, watch_free);
    }
  return watch;
}

static gboolean
on_hangup (int fd, GIOCondition condition, gpointer user_data)
{
  Watch *watch = user_data;
  GSocket *socket = watch->socket;

  watch->hangup_id = 0;
  /* libsoup sees the closed socket at its next read or write and ends the connection,
   * and with it any response still under way: nobody is left to read it. G_IO_NVAL: libsoup
   * closed it already. */
  if (!g_socket_is_closed (socket) && !(condition & G_IO_NVAL))
    g_socket_close (socket, NULL);
  /* Freed now, not with the socket: libsoup 3.2 never frees accepted sockets. */
  g_object_set_data (G_OBJECT (socket), WATCH_KEY, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer user_data)
{
  Watch *watch = user_data;

  watch->timer_id = 0;
  if (!g_socket_is_closed (watch->socket))
    {
      g_debug ("Ending a connection whose client took too long");
      /* libsoup sees the end of both ways and ends the connection, or, for a kept one,
       * the hang-up watch does. */
      g_socket_shutdown (watch->socket, TRUE, TRUE, NULL);
    }
  return G_SOURCE_REMOVE;
}

/* (Re)starts @watch's timer for @seconds; 0 stops it. */
static void
set_timer (Watch *watch, guint seconds)
{
  g_clear_handle_id (&watch->timer_id, g_source_remove);
  if (seconds > 0)
    watch->timer_id = g_timeout_add_seconds (seconds, on_timeout, watch);
}

static void
on_request_chunk (SoupServerMessage *message, GBytes *chunk, gpointer user_data)
{
  Watch *watch = get_watch (message, NULL);

  if (watch != NULL && watch->reading && !watch->held)
    set_timer (watch, watch->limits->request_s);
}

static void
on_request_started (SoupServer *server, SoupServerMessage *message, const Limits *limits)
{
  Watch *watch = get_watch (message, limits);

  if (watch == NULL)
    return;
  watch->reading = TRUE;
  watch->held = FALSE;
  watch->idle = FALSE;
  set_timer (watch, limits->request_s);
  g_signal_connect (message, "got-chunk", G_CALLBACK (on_request_chunk), NULL);
}

static void
on_request_read (SoupServer *server, SoupServerMessage *message, const Limits *limits)
{
  Watch *watch = get_watch (message, limits);

  if (watch == NULL)
    return;
  watch->reading = FALSE;
  set_timer (watch, 0);
  /* The hang-up watch starts here, not with the request: for an HTTPS connection of
   * libsoup's own, the first request starts as it is accepted, before the TLS handshake
   * that glib-networking runs in a thread of its own on this descriptor. Closing the
   * socket under that thread frees the number; the next connection accepted gets it, and
   * the thread reads the first bytes of that connection's request as TLS (seen: a control
   * socket request answered 400 after a TLS client hung up mid-handshake). Once a request
   * has been read the handshake is over, and libsoup itself ends a connection whose client
   * hangs up before that. */
  if (watch->hangup_id == 0)
    /* GLib hands the condition to poll() as it is, so POLLRDHUP (the peer's FIN, even with
     * unread bytes before it) can be asked for. */
    watch->hangup_id =
      g_unix_fd_add (g_socket_get_fd (watch->socket),
                     (GIOCondition) (POLLRDHUP | G_IO_HUP | G_IO_ERR), on_hangup, watch);
}

static void
on_request_done (SoupServer *server, SoupServerMessage *message, const Limits *limits)
{
  Watch *watch = get_watch (message, NULL);

  if (watch == NULL)
    return;
  watch->reading = FALSE;
  /* A WebSocket's handshake answer: the connection is the WebSocket's now. */
  watch->idle = soup_server_message_get_status (message) != SOUP_STATUS_SWITCHING_PROTOCOLS;
  set_timer (watch, watch->idle ? limits->idle_s : 0);
  /* Between requests, a libsoup that notices hang-ups itself is left to do so. */
  if (watch->idle && !limits->watch_idle)
    g_clear_handle_id (&watch->hangup_id, g_source_remove);
}

void
ow_connection_watch_hold (SoupServerMessage *message, gboolean held)
{
  Watch *watch;

  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (message));

  watch = get_watch (message, NULL);
  if (watch == NULL || !watch->reading || watch->held == held)
    return;
  watch->held = held;
  set_timer (watch, held ? 0 : watch->limits->request_s);
}

void
ow_connection_watch_attach (SoupServer *server, guint request_s, guint idle_s)
{
  Limits *limits;

  g_return_if_fail (SOUP_IS_SERVER (server));

  limits = g_new0 (Limits, 1);
  limits->request_s = request_s ? request_s : OW_DEFAULT_REQUEST_TIMEOUT_S;
  limits->idle_s = idle_s ? idle_s : OW_DEFAULT_IDLE_TIMEOUT_S;
  /* Fixed in libsoup 3.3.0 ("server: do not leak idle connections closed by the client"). */
  limits->watch_idle = !soup_check_version (3, 3, 0);
  g_object_set_data_full (G_OBJECT (server), WATCH_KEY, limits, g_free);
  g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), (gpointer) limits);
  g_signal_connect (server, "request-read", G_CALLBACK (on_request_read), limits);
  g_signal_connect (server, "request-finished", G_CALLBACK (on_request_done), limits);
  g_signal_connect (server, "request-aborted", G_CALLBACK (on_request_done), limits);
}

void
ow_connection_watch_forget (GSocket *socket)
{
  g_return_if_fail (G_IS_SOCKET (socket));

  g_object_set_data (G_OBJECT (socket), WATCH_KEY, NULL);
}

gboolean
ow_connection_watch_is_idle (GSocket *socket)
{
  Watch *watch;

  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);

  watch = g_object_get_data (G_OBJECT (socket), WATCH_KEY);
  return watch != NULL && watch->idle;
}
