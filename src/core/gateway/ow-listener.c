#include "config.h"

#include "ow-listener.h"
#include "ow-connection-watch.h"
#include "ow-http.h"
#include "ow-http-framing-guard.h"
#include "ow-net.h"
#include "ow-tls-record-guard.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connections taken from the queue per wake-up, so that a flood of them does not hold the
 * main loop. */
#define ACCEPTS_PER_WAKEUP 32
/* How long accepting pauses when it fails: the process has no descriptor left, say. */
#define NO_DESCRIPTORS_PAUSE_MS 1000
/* Handshakes under way at once. Each blocks a thread of glib-networking's pool on its
 * client until done, so one address that sends a byte and stalls holds a few threads, not
 * all of them. A handshake takes about a millisecond, so the rest hardly wait, unless
 * clients from 16 addresses stall together: those the global bound leaves waiting behind
 * them. */
#define MAX_HANDSHAKES 64
#define MAX_HANDSHAKES_PER_ADDRESS 4

typedef enum
{
  STATE_SILENT,      /* TLS: the client has sent nothing yet */
  STATE_WAITING,     /* TLS: it has, and waits for its turn to handshake */
  STATE_HANDSHAKING, /* TLS: in a thread of glib-networking's */
  STATE_SERVED,      /* handed to the server */
} State;

struct _OwListener
{
  GObject parent_instance;

  SoupServer *server;
  GTlsCertificate *certificate;
  guint max_connections;
  guint max_per_address;
  GPtrArray *listening;     /* Listening */
  GQueue connections;       /* Connection, the oldest first */
  guint resume_id;          /* accepting again after running out of descriptors */
  GSocket *keep_alive_peer; /* see anchor_keep_alive() */
};

G_DEFINE_FINAL_TYPE (OwListener, ow_listener, G_TYPE_OBJECT)

enum
{
  HANDSHAKE_FAILED,
  REFUSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  OwListener *self;
  GSocket *socket;
  GSource *source;
  gboolean tls;
} Listening;

typedef struct
{
  OwListener *self; /* not owned; owned by a handshake under way, which may outlive a stop */
  GList link;       /* in self->connections, while listed */
  gboolean listed;
  GSocket *socket;
  gboolean tls;      /* accepted on a socket whose clients speak TLS */
  GIOStream *stream; /* TLS over the guard, until handed over */
  char *address;     /* as limits count it */
  State state;
  gboolean evicted;           /* served, and shut down to make room: no longer counted */
  gboolean handshake_pending; /* the handshake's callback has yet to run */
  gboolean timed_out;         /* cancelled for taking too long */
  GSource *first_bytes;       /* until the client has sent something */
  GCancellable *cancellable;
  guint timeout_id;
} Connection;

static void start_waiting (OwListener *self);

static void
connection_free (Connection *connection)
{
  g_clear_handle_id (&connection->timeout_id, g_source_remove);
  if (connection->first_bytes != NULL)
    {
      g_source_destroy (connection->first_bytes);
      g_source_unref (connection->first_bytes);
    }
  g_clear_object (&connection->cancellable);
  g_clear_object (&connection->stream);
  g_clear_object (&connection->socket);
  g_free (connection->address);
  g_free (connection);
}

/* Takes @connection off the list; freed unless its handshake has yet to come back. */
static void
forget (Connection *connection)
{
  if (connection->listed)
    {
      g_queue_unlink (&connection->self->connections, &connection->link);
      connection->listed = FALSE;
    }
  if (!connection->handshake_pending)
    connection_free (connection);
}

/* Ends a connection that was never handed over, and has no handshake under way. */
static void
end_unserved (Connection *connection)
{
  g_io_stream_close (connection->stream, NULL, NULL);
  forget (connection);
}

/* Ends a connection whose handshake failed, then says so: ended first, so that a handler
 * may even stop the listener. */
static void
end_failed (Connection *connection, GError *error)
{
  OwListener *self = connection->self;

  g_debug ("A TLS handshake failed: %s", error->message);
  end_unserved (connection);
  g_signal_emit (self, signals[HANDSHAKE_FAILED], 0, error);
}

static gboolean
is_idle (Connection *connection)
{
  if (connection->evicted)
    return FALSE;
  return connection->state == STATE_SILENT ||
         (connection->state == STATE_SERVED && ow_connection_watch_is_idle (connection->socket));
}

/* Closes an idle connection to make room for a new one. */
static void
evict (Connection *connection)
{
  g_debug ("Closing an idle connection from %s to make room", connection->address);
  if (connection->state == STATE_SILENT)
    {
      end_unserved (connection);
      return;
    }
  /* The server's now: shut down, its hang-up watch or libsoup closes it. */
  connection->evicted = TRUE;
  g_socket_shutdown (connection->socket, TRUE, TRUE, NULL);
}

/* Forgets the served connections that have ended. */
static void
prune (OwListener *self)
{
  GList *next;

  for (GList *link = self->connections.head; link != NULL; link = next)
    {
      Connection *connection = link->data;

      next = link->next;
      if (connection->state == STATE_SERVED && g_socket_is_closed (connection->socket))
        forget (connection);
    }
}

/* Counts the live connections, from @address only if given, and finds the oldest idle. */
static guint
count (OwListener *self, const char *address, Connection **oldest_idle)
{
  guint n = 0;

  *oldest_idle = NULL;
  for (GList *link = self->connections.head; link != NULL; link = link->next)
    {
      Connection *connection = link->data;

      if (connection->evicted || (address != NULL && !g_str_equal (connection->address, address)))
        continue;
      n++;
      if (*oldest_idle == NULL && is_idle (connection))
        *oldest_idle = connection;
    }
  return n;
}

/* Whether one more connection (from @address, or in all if %NULL) stays within @limit,
 * after closing the oldest idle connection within it if need be. */
static gboolean
fits (OwListener *self, const char *address, guint limit)
{
  Connection *oldest_idle;

  if (count (self, address, &oldest_idle) < limit)
    return TRUE;
  if (oldest_idle == NULL)
    return FALSE;
  evict (oldest_idle);
  return TRUE;
}

/* Whether a connection from @address fits, after closing the oldest idle one of each
 * limit it would pass. */
static gboolean
make_room (OwListener *self, const char *address)
{
  prune (self);
  return fits (self, address, self->max_per_address) && fits (self, NULL, self->max_connections);
}

static void
hand_over (Connection *connection)
{
  OwListener *self = connection->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GIOStream) stream = g_steal_pointer (&connection->stream);
  g_autoptr (GIOStream) guarded = NULL;

  if ((local = g_socket_get_local_address (connection->socket, &error)) == NULL ||
      (remote = g_socket_get_remote_address (connection->socket, &error)) == NULL)
    {
      /* Gone already. */
      g_debug ("Could not take a connection: %s", error->message);
      g_io_stream_close (stream, NULL, NULL);
      forget (connection);
      return;
    }
  connection->state = STATE_SERVED;
  ow_http_connection_set_socket (remote, connection->socket, G_IS_TLS_CONNECTION (stream));
  guarded = ow_http_framing_guard_new (stream, connection->socket);
  soup_server_accept_iostream (self->server, guarded, local, remote, NULL);
}

static void
on_handshake_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connection *connection = user_data;
  g_autoptr (OwListener) self = connection->self; /* the handshake's reference */
  g_autoptr (GError) error = NULL;
  gboolean done = g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error);

  connection->handshake_pending = FALSE;
  g_clear_handle_id (&connection->timeout_id, g_source_remove);
  if (!connection->listed)
    {
      /* Dropped by ow_listener_stop(). Closed here, in the main loop: the thread is over. */
      end_unserved (connection);
      return;
    }

  if (done)
    {
      hand_over (connection);
    }
  else
    {
      if (connection->timed_out)
        {
          g_clear_error (&error);
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "The TLS handshake took longer than %d s", OW_TLS_HANDSHAKE_TIMEOUT_S);
        }
      end_failed (connection, error);
    }
  start_waiting (self);
}

static void
start_handshake (Connection *connection)
{
  connection->state = STATE_HANDSHAKING;
  connection->handshake_pending = TRUE;
  g_object_ref (connection->self);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (connection->stream), G_PRIORITY_DEFAULT,
                                    connection->cancellable, on_handshake_done, connection);
}

/* Starts the handshakes that wait, oldest first, as far as the limits allow. */
static void
start_waiting (OwListener *self)
{
  g_autoptr (GHashTable) per_address = g_hash_table_new (g_str_hash, g_str_equal);
  guint under_way = 0;

  for (GList *link = self->connections.head; link != NULL; link = link->next)
    {
      Connection *connection = link->data;

      if (connection->state == STATE_HANDSHAKING)
        {
          under_way++;
          g_hash_table_insert (
            per_address, connection->address,
            GUINT_TO_POINTER (
              GPOINTER_TO_UINT (g_hash_table_lookup (per_address, connection->address)) + 1));
        }
    }
  for (GList *link = self->connections.head; link != NULL && under_way < MAX_HANDSHAKES;
       link = link->next)
    {
      Connection *connection = link->data;
      guint from_address;

      if (connection->state != STATE_WAITING)
        continue;
      from_address = GPOINTER_TO_UINT (g_hash_table_lookup (per_address, connection->address));
      if (from_address >= MAX_HANDSHAKES_PER_ADDRESS)
        continue;
      g_hash_table_insert (per_address, connection->address, GUINT_TO_POINTER (from_address + 1));
      under_way++;
      start_handshake (connection);
    }
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  Connection *connection = user_data;
  g_autoptr (GError) error = NULL;

  connection->timeout_id = 0;
  if (connection->state == STATE_HANDSHAKING)
    {
      connection->timed_out = TRUE;
      g_cancellable_cancel (connection->cancellable);
      return G_SOURCE_REMOVE;
    }
  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               connection->state == STATE_SILENT ? "The client sent nothing in %d s"
                                                 : "The handshake did not get its turn in %d s",
               OW_TLS_HANDSHAKE_TIMEOUT_S);
  end_failed (connection, error);
  return G_SOURCE_REMOVE;
}

/* glib-networking runs each handshake in a thread of a shared pool, blocked on the
 * client until it is done. Started only once the client has sent something, a connection
 * that never does (a probe, or a hundred of them) holds a timer and no thread, and the
 * handshakes of everyone else are not queued behind it. */
static gboolean
on_first_bytes (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Connection *connection = user_data;
  char byte;

  g_clear_pointer (&connection->first_bytes, g_source_unref);
  /* Gone without a word (a port scan, a TCP health check): no thread for that either. */
  if ((condition & (G_IO_HUP | G_IO_ERR)) ||
      recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
    {
      g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                      "The client left before the handshake");

      end_failed (connection, error);
      return G_SOURCE_REMOVE;
    }
  connection->state = STATE_WAITING;
  start_waiting (connection->self);
  return G_SOURCE_REMOVE;
}

static GIOStream *
start_tls (OwListener *self, GSocketConnection *base)
{
  static const char *const protocols[] = { "http/1.1", "http/1.0", NULL };
  g_autoptr (GIOStream) guard = ow_tls_record_guard_new (G_IO_STREAM (base));
  g_autoptr (GError) error = NULL;
  GIOStream *tls;

  /* No database, as libsoup does: the default one loads the system's trusted authorities,
   * some 4 MiB, into each connection, and clients here present no certificate. */
  tls =
    g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()), NULL,
                    &error, "base-io-stream", guard, "certificate", self->certificate, "database",
                    NULL, "require-close-notify", FALSE, "advertised-protocols", protocols, NULL);
  if (tls == NULL)
    g_warning ("Could not start TLS on a new connection: %s", error->message);
  return tls;
}

/* The remote address of @socket as limits count it; one key for all of a Unix socket. */
static char *
address_of (GSocket *socket)
{
  g_autoptr (GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autofree char *text = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return g_strdup ("local");
  text =
    g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  return ow_net_address_key (text);
}

static void
accept_connection (OwListener *self, GSocket *socket, gboolean tls)
{
  g_autoptr (GSocketConnection) base = NULL;
  g_autofree char *address = address_of (socket);
  Connection *connection;

  if (!make_room (self, address))
    {
      g_debug ("Refusing a connection from %s: too many open", address);
      g_socket_close (socket, NULL);
      g_signal_emit (self, signals[REFUSED], 0, address);
      return;
    }

  base = g_socket_connection_factory_create_connection (socket);
  connection = g_new0 (Connection, 1);
  connection->self = self;
  connection->link.data = connection;
  connection->socket = g_object_ref (socket);
  connection->tls = tls;
  connection->address = g_steal_pointer (&address);
  g_queue_push_tail_link (&self->connections, &connection->link);
  connection->listed = TRUE;

  /* As libsoup's own listener does: an answer's head and body are separate writes. */
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  if (!tls)
    {
      connection->stream = G_IO_STREAM (g_steal_pointer (&base));
      hand_over (connection);
      return;
    }

  connection->stream = start_tls (self, base);
  if (connection->stream == NULL)
    {
      g_socket_close (socket, NULL);
      forget (connection);
      return;
    }
  connection->state = STATE_SILENT;
  connection->cancellable = g_cancellable_new ();
  connection->timeout_id =
    g_timeout_add_seconds (OW_TLS_HANDSHAKE_TIMEOUT_S, on_handshake_timeout, connection);
  connection->first_bytes = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (connection->first_bytes, G_SOURCE_FUNC (on_first_bytes), connection, NULL);
  g_source_attach (connection->first_bytes, NULL);
}

static void watch_listening (Listening *listening);

static gboolean
on_resume (gpointer user_data)
{
  OwListener *self = user_data;

  self->resume_id = 0;
  for (guint i = 0; i < self->listening->len; i++)
    watch_listening (g_ptr_array_index (self->listening, i));
  return G_SOURCE_REMOVE;
}

/* Stops accepting for a while: the connections wait in the kernel's queue meanwhile. */
static void
pause_accepting (OwListener *self)
{
  if (self->resume_id != 0)
    return;
  for (guint i = 0; i < self->listening->len; i++)
    {
      Listening *listening = g_ptr_array_index (self->listening, i);

      if (listening->source != NULL)
        {
          g_source_destroy (listening->source);
          g_clear_pointer (&listening->source, g_source_unref);
        }
    }
  self->resume_id = g_timeout_add (NO_DESCRIPTORS_PAUSE_MS, on_resume, self);
}

static gboolean
on_incoming (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Listening *listening = user_data;
  OwListener *self = listening->self;

  guint failures = 0;

  for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) accepted = g_socket_accept (socket, NULL, &error);

      if (accepted != NULL)
        {
          accept_connection (self, accepted, listening->tls);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      /* A connection reset before it was taken, say: the next one may do. Unless none does:
       * GLib tells no lasting error (ENOBUFS) from those, so a wakeup of failures pauses. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE) &&
          ++failures < ACCEPTS_PER_WAKEUP)
        {
          g_debug ("Could not accept a connection: %s", error->message);
          continue;
        }
      /* Out of descriptors or of memory, the queue stays readable: pause rather than spin.
       * This removes this very source: nothing of @listening is used after. */
      g_warning ("The host could not accept a connection (%s); it accepts again in %d ms. "
                 "Raise the limit of open files (ulimit -n) if this goes on.",
                 error->message, NO_DESCRIPTORS_PAUSE_MS);
      pause_accepting (self);
      return G_SOURCE_CONTINUE;
    }
  return G_SOURCE_CONTINUE;
}

static void
watch_listening (Listening *listening)
{
  if (listening->source != NULL)
    return;
  listening->source = g_socket_create_source (listening->socket, G_IO_IN, NULL);
  g_source_set_callback (listening->source, G_SOURCE_FUNC (on_incoming), listening, NULL);
  g_source_attach (listening->source, NULL);
}

static void
listening_free (Listening *listening)
{
  if (listening->source != NULL)
    {
      g_source_destroy (listening->source);
      g_source_unref (listening->source);
    }
  g_socket_close (listening->socket, NULL);
  g_object_unref (listening->socket);
  g_free (listening);
}

/* libsoup 3.2 keeps a connection open after a response only while its server has a
 * listener of its own (request_finished() in soup-server.c): the connections handed to it
 * would each close after one request. This listener, on one end of a socket pair whose
 * other end is kept and never written, hears nothing, ever. */
static gboolean
anchor_keep_alive (OwListener *self, GError **error)
{
  g_autoptr (GSocket) end = NULL;
  int ends[2];

  if (self->keep_alive_peer != NULL)
    return TRUE;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create a socket pair: %s", g_strerror (saved_errno));
      return FALSE;
    }
  end = g_socket_new_from_fd (ends[0], error);
  if (end == NULL)
    {
      close (ends[0]);
      close (ends[1]);
      return FALSE;
    }
  self->keep_alive_peer = g_socket_new_from_fd (ends[1], error);
  if (self->keep_alive_peer == NULL)
    {
      close (ends[1]);
      return FALSE;
    }
  return soup_server_listen_socket (self->server, end, 0, error);
}

gboolean
ow_listener_add_socket (OwListener *self, GSocket *socket, gboolean tls, GError **error)
{
  Listening *listening;

  g_return_val_if_fail (OW_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (!tls || self->certificate != NULL, FALSE);

  if (!anchor_keep_alive (self, error))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  listening = g_new0 (Listening, 1);
  listening->self = self;
  listening->socket = g_object_ref (socket);
  listening->tls = tls;
  g_ptr_array_add (self->listening, listening);
  if (self->resume_id == 0)
    watch_listening (listening);
  return TRUE;
}

void
ow_listener_set_limits (OwListener *self, guint max_connections, guint max_per_address)
{
  g_return_if_fail (OW_IS_LISTENER (self));

  self->max_connections = max_connections ? max_connections : OW_LISTENER_DEFAULT_MAX_CONNECTIONS;
  self->max_per_address = max_per_address ? max_per_address : OW_LISTENER_DEFAULT_MAX_PER_ADDRESS;
}

guint
ow_listener_count_connections (OwListener *self)
{
  Connection *oldest_idle;

  g_return_val_if_fail (OW_IS_LISTENER (self), 0);

  prune (self);
  return count (self, NULL, &oldest_idle);
}

guint
ow_listener_close_plain (OwListener *self)
{
  guint closed = 0;

  g_return_val_if_fail (OW_IS_LISTENER (self), 0);

  for (guint i = self->listening->len; i-- > 0;)
    if (!((Listening *) g_ptr_array_index (self->listening, i))->tls)
      g_ptr_array_remove_index (self->listening, i);

  prune (self);
  for (GList *link = self->connections.head; link != NULL; link = link->next)
    {
      Connection *connection = link->data;

      /* Plain connections are the server's from their first byte: shut down, libsoup
       * closes them, and their requests and streams end. */
      if (connection->tls || connection->evicted)
        continue;
      connection->evicted = TRUE;
      g_socket_shutdown (connection->socket, TRUE, TRUE, NULL);
      closed++;
    }
  return closed;
}

void
ow_listener_stop (OwListener *self)
{
  g_return_if_fail (OW_IS_LISTENER (self));

  g_clear_handle_id (&self->resume_id, g_source_remove);
  g_ptr_array_set_size (self->listening, 0);
  while (self->connections.head != NULL)
    {
      Connection *connection = self->connections.head->data;

      switch (connection->state)
        {
        case STATE_SILENT:
        case STATE_WAITING:
          end_unserved (connection);
          break;
        case STATE_HANDSHAKING:
          /* Its callback, which holds the listener, ends it. */
          g_cancellable_cancel (connection->cancellable);
          forget (connection);
          break;
        case STATE_SERVED:
          forget (connection);
          break;
        }
    }
  if (self->keep_alive_peer != NULL)
    g_socket_close (self->keep_alive_peer, NULL);
  g_clear_object (&self->keep_alive_peer);
}

static void
ow_listener_dispose (GObject *object)
{
  OwListener *self = OW_LISTENER (object);

  if (self->listening)
    ow_listener_stop (self);
  g_clear_object (&self->server);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (ow_listener_parent_class)->dispose (object);
}

static void
ow_listener_finalize (GObject *object)
{
  OwListener *self = OW_LISTENER (object);

  g_ptr_array_unref (self->listening);

  G_OBJECT_CLASS (ow_listener_parent_class)->finalize (object);
}

static void
ow_listener_class_init (OwListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_listener_dispose;
  object_class->finalize = ow_listener_finalize;

  /**
   * OwListener::handshake-failed:
   * @error: why
   *
   * A connection's TLS handshake failed, timed out or was refused: a client that does
   * not trust the certificate or does not speak TLS, or a probe.
   */
  signals[HANDSHAKE_FAILED] =
    g_signal_new ("handshake-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  /**
   * OwListener::refused:
   * @address: the client's address, as limits count it
   *
   * A new connection was closed at once: one more would pass a limit, and none within it
   * was idle.
   */
  signals[REFUSED] = g_signal_new ("refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ow_listener_init (OwListener *self)
{
  self->listening = g_ptr_array_new_with_free_func ((GDestroyNotify) listening_free);
  g_queue_init (&self->connections);
  self->max_connections = OW_LISTENER_DEFAULT_MAX_CONNECTIONS;
  self->max_per_address = OW_LISTENER_DEFAULT_MAX_PER_ADDRESS;
}

OwListener *
ow_listener_new (SoupServer *server, GTlsCertificate *certificate)
{
  OwListener *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), NULL);

  self = g_object_new (OW_TYPE_LISTENER, NULL);
  self->server = g_object_ref (server);
  self->certificate = certificate ? g_object_ref (certificate) : NULL;
  return self;
}
