#include "config.h"

#include "ow-tls-listener.h"
#include "ow-http.h"
#include "ow-tls-record-guard.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* Connections taken from the queue per wake-up, so that a flood of them does not hold the
 * main loop. */
#define ACCEPTS_PER_WAKEUP 32
/* How long accepting pauses when it fails: the process has no descriptor left, say. */
#define NO_DESCRIPTORS_PAUSE_MS 1000

struct _OwTlsListener
{
  GObject parent_instance;

  SoupServer *server;
  GTlsCertificate *certificate;
  GPtrArray *listening;   /* Listening */
  GHashTable *handshakes; /* Handshake, the set of those under way */
  guint resume_id;        /* accepting again after running out of descriptors */
};

G_DEFINE_FINAL_TYPE (OwTlsListener, ow_tls_listener, G_TYPE_OBJECT)

enum
{
  HANDSHAKE_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  OwTlsListener *self;
  GSocket *socket;
  GSource *source;
} Listening;

typedef struct
{
  OwTlsListener *self; /* owned: the handshake finishes even after a stop */
  GSocket *socket;
  GIOStream *tls;
  GSource *first_bytes; /* until the client has sent something */
  GCancellable *cancellable;
  guint timeout_id;
  gboolean dropped;   /* by ow_tls_listener_stop() */
  gboolean timed_out; /* cancelled for taking too long */
} Handshake;

static void
handshake_free (Handshake *handshake)
{
  g_clear_handle_id (&handshake->timeout_id, g_source_remove);
  if (handshake->first_bytes != NULL)
    {
      g_source_destroy (handshake->first_bytes);
      g_source_unref (handshake->first_bytes);
    }
  g_clear_object (&handshake->cancellable);
  g_clear_object (&handshake->tls);
  g_clear_object (&handshake->socket);
  g_clear_object (&handshake->self);
  g_free (handshake);
}

/* Ends a handshake that never started: the client has sent nothing. */
static void
drop_silent (Handshake *handshake)
{
  g_hash_table_remove (handshake->self->handshakes, handshake);
  g_io_stream_close (handshake->tls, NULL, NULL);
  handshake_free (handshake);
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  Handshake *handshake = user_data;
  g_autoptr (GError) error = NULL;

  handshake->timeout_id = 0;
  if (handshake->first_bytes == NULL)
    {
      handshake->timed_out = TRUE;
      g_cancellable_cancel (handshake->cancellable);
      return G_SOURCE_REMOVE;
    }
  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "The client sent nothing in %d s",
               OW_TLS_HANDSHAKE_TIMEOUT_S);
  g_signal_emit (handshake->self, signals[HANDSHAKE_FAILED], 0, error);
  drop_silent (handshake);
  return G_SOURCE_REMOVE;
}

static void
on_handshake_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Handshake *handshake = user_data;
  OwTlsListener *self = handshake->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;

  g_hash_table_remove (self->handshakes, handshake);

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error) ||
      handshake->dropped ||
      (local = g_socket_get_local_address (handshake->socket, &error)) == NULL ||
      (remote = g_socket_get_remote_address (handshake->socket, &error)) == NULL)
    {
      if (handshake->timed_out)
        {
          g_clear_error (&error);
          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "The TLS handshake took longer than %d s", OW_TLS_HANDSHAKE_TIMEOUT_S);
        }
      if (error != NULL && !handshake->dropped)
        {
          g_debug ("A TLS handshake failed: %s", error->message);
          g_signal_emit (self, signals[HANDSHAKE_FAILED], 0, error);
        }
      /* Closed here, in the main loop: the handshake's thread is over. */
      g_io_stream_close (handshake->tls, NULL, NULL);
      handshake_free (handshake);
      return;
    }

  ow_http_connection_set_socket (remote, handshake->socket);
  soup_server_accept_iostream (self->server, handshake->tls, local, remote, NULL);
  handshake_free (handshake);
}

/* glib-networking runs each handshake in a thread of a shared pool, blocked on the
 * client until it is done. Started only once the client has sent something, a connection
 * that never does (a probe, or a hundred of them) holds a timer and no thread, and the
 * handshakes of everyone else are not queued behind it. */
static gboolean
on_first_bytes (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Handshake *handshake = user_data;
  char byte;

  /* Gone without a word (a port scan, a TCP health check): no thread for that either. */
  if ((condition & (G_IO_HUP | G_IO_ERR)) ||
      recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
    {
      g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                      "The client left before the handshake");

      g_signal_emit (handshake->self, signals[HANDSHAKE_FAILED], 0, error);
      drop_silent (handshake);
      return G_SOURCE_REMOVE;
    }
  g_clear_pointer (&handshake->first_bytes, g_source_unref);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (handshake->tls), G_PRIORITY_DEFAULT,
                                    handshake->cancellable, on_handshake_done, handshake);
  return G_SOURCE_REMOVE;
}

static void
accept_connection (OwTlsListener *self, GSocket *socket)
{
  static const char *const protocols[] = { "http/1.1", "http/1.0", NULL };
  g_autoptr (GSocketConnection) connection = g_socket_connection_factory_create_connection (socket);
  g_autoptr (GIOStream) guard = ow_tls_record_guard_new (G_IO_STREAM (connection));
  g_autoptr (GError) error = NULL;
  Handshake *handshake;
  GIOStream *tls;

  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  /* No database, as libsoup does: the default one loads the system's trusted authorities,
   * some 4 MiB, into each connection, and clients here present no certificate. */
  tls =
    g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()), NULL,
                    &error, "base-io-stream", guard, "certificate", self->certificate, "database",
                    NULL, "require-close-notify", FALSE, "advertised-protocols", protocols, NULL);
  if (tls == NULL)
    {
      g_warning ("Could not start TLS on a new connection: %s", error->message);
      return;
    }

  handshake = g_new0 (Handshake, 1);
  handshake->self = g_object_ref (self);
  handshake->socket = g_object_ref (socket);
  handshake->tls = tls;
  handshake->cancellable = g_cancellable_new ();
  handshake->timeout_id =
    g_timeout_add_seconds (OW_TLS_HANDSHAKE_TIMEOUT_S, on_handshake_timeout, handshake);
  g_hash_table_add (self->handshakes, handshake);
  handshake->first_bytes = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (handshake->first_bytes, G_SOURCE_FUNC (on_first_bytes), handshake, NULL);
  g_source_attach (handshake->first_bytes, NULL);
}

static void watch_listening (Listening *listening);

static gboolean
on_resume (gpointer user_data)
{
  OwTlsListener *self = user_data;

  self->resume_id = 0;
  for (guint i = 0; i < self->listening->len; i++)
    watch_listening (g_ptr_array_index (self->listening, i));
  return G_SOURCE_REMOVE;
}

/* Stops accepting for a while: the connections wait in the kernel's queue meanwhile. */
static void
pause_accepting (OwTlsListener *self)
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
  OwTlsListener *self = listening->self;

  guint failures = 0;

  for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) accepted = g_socket_accept (socket, NULL, &error);

      if (accepted != NULL)
        {
          accept_connection (self, accepted);
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
      g_warning ("The gateway could not accept a connection (%s); it accepts again in %d ms. "
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

void
ow_tls_listener_add_socket (OwTlsListener *self, GSocket *socket)
{
  Listening *listening;

  g_return_if_fail (OW_IS_TLS_LISTENER (self));
  g_return_if_fail (G_IS_SOCKET (socket));

  g_socket_set_blocking (socket, FALSE);
  listening = g_new0 (Listening, 1);
  listening->self = self;
  listening->socket = g_object_ref (socket);
  g_ptr_array_add (self->listening, listening);
  if (self->resume_id == 0)
    watch_listening (listening);
}

void
ow_tls_listener_stop (OwTlsListener *self)
{
  GList *handshakes;

  g_return_if_fail (OW_IS_TLS_LISTENER (self));

  g_clear_handle_id (&self->resume_id, g_source_remove);
  g_ptr_array_set_size (self->listening, 0);
  handshakes = g_hash_table_get_keys (self->handshakes);
  for (GList *link = handshakes; link != NULL; link = link->next)
    {
      Handshake *handshake = link->data;

      handshake->dropped = TRUE;
      if (handshake->first_bytes != NULL)
        drop_silent (handshake);
      else
        g_cancellable_cancel (handshake->cancellable);
    }
  g_list_free (handshakes);
}

static void
ow_tls_listener_dispose (GObject *object)
{
  OwTlsListener *self = OW_TLS_LISTENER (object);

  if (self->listening)
    ow_tls_listener_stop (self);
  g_clear_object (&self->server);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (ow_tls_listener_parent_class)->dispose (object);
}

static void
ow_tls_listener_finalize (GObject *object)
{
  OwTlsListener *self = OW_TLS_LISTENER (object);

  g_ptr_array_unref (self->listening);
  g_hash_table_unref (self->handshakes);

  G_OBJECT_CLASS (ow_tls_listener_parent_class)->finalize (object);
}

static void
ow_tls_listener_class_init (OwTlsListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_tls_listener_dispose;
  object_class->finalize = ow_tls_listener_finalize;

  /**
   * OwTlsListener::handshake-failed:
   * @error: why
   *
   * A connection's TLS handshake failed, timed out or was refused: a client that does
   * not trust the certificate or does not speak TLS, or a probe.
   */
  signals[HANDSHAKE_FAILED] =
    g_signal_new ("handshake-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ow_tls_listener_init (OwTlsListener *self)
{
  self->listening = g_ptr_array_new_with_free_func ((GDestroyNotify) listening_free);
  self->handshakes = g_hash_table_new (NULL, NULL);
}

OwTlsListener *
ow_tls_listener_new (SoupServer *server, GTlsCertificate *certificate)
{
  OwTlsListener *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  self = g_object_new (OW_TYPE_TLS_LISTENER, NULL);
  self->server = g_object_ref (server);
  self->certificate = g_object_ref (certificate);
  return self;
}
