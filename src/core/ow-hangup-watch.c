#include "config.h"

#include "ow-hangup-watch.h"
#include "ow-http.h"

#include <glib-unix.h>
#include <poll.h>

#define WATCH_KEY "ow-hangup-watch"

typedef struct
{
  GSocket *socket; /* not owned: the watch lives in the socket's data */
  guint source_id;
} Watch;

static void
watch_free (gpointer data)
{
  Watch *watch = data;

  g_clear_handle_id (&watch->source_id, g_source_remove);
  g_free (watch);
}

static gboolean
on_hangup (int fd, GIOCondition condition, gpointer user_data)
{
  Watch *watch = user_data;
  GSocket *socket = watch->socket;

  watch->source_id = 0;
  /* libsoup sees the closed socket at its next read or write and ends the connection,
   * and with it any response still under way: nobody is left to read it. G_IO_NVAL: libsoup
   * closed it already. */
  if (!g_socket_is_closed (socket) && !(condition & G_IO_NVAL))
    g_socket_close (socket, NULL);
  /* Freed now, not with the socket: libsoup 3.2 never frees accepted sockets. */
  g_object_set_data (G_OBJECT (socket), WATCH_KEY, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_request_read (SoupServer *server, SoupServerMessage *message, gpointer user_data)
{
  GSocket *socket = ow_http_message_get_socket (message);
  Watch *watch;

  if (socket == NULL || g_object_get_data (G_OBJECT (socket), WATCH_KEY))
    return;

  watch = g_new0 (Watch, 1);
  watch->socket = socket;
  /* GLib hands the condition to poll() as it is, so POLLRDHUP (the peer's FIN, even with
   * unread bytes before it) can be asked for. */
  watch->source_id = g_unix_fd_add (
    g_socket_get_fd (socket), (GIOCondition) (POLLRDHUP | G_IO_HUP | G_IO_ERR), on_hangup, watch);
  g_object_set_data_full (G_OBJECT (socket), WATCH_KEY, watch, watch_free);
}

void
ow_hangup_watch_attach (SoupServer *server)
{
  g_return_if_fail (SOUP_IS_SERVER (server));

  /* Not at "request-started": libsoup emits it as it accepts a connection, before the TLS
   * handshake, which glib-networking runs in a thread of its own on this descriptor.
   * Closing the socket under that thread frees the number; the next connection accepted
   * gets it, and the thread reads the first bytes of that connection's request as TLS
   * (seen: a control socket request answered 400 after a TLS client hung up mid-handshake).
   * Once a request has been read the handshake is over, and libsoup itself ends a
   * connection whose client hangs up before that. */
  g_signal_connect (server, "request-read", G_CALLBACK (on_request_read), NULL);
}

void
ow_hangup_watch_forget (GSocket *socket)
{
  g_return_if_fail (G_IS_SOCKET (socket));

  g_object_set_data (G_OBJECT (socket), WATCH_KEY, NULL);
}
