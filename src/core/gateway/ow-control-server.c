#include "config.h"

#include "ow-control-server.h"
#include "ow-connection-watch.h"
#include "ow-http.h"
#include "ow-listener.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <sys/un.h>
#include <unistd.h>

/* clang-format off */
G_DEFINE_QUARK (ow-control-error-quark, ow_control_error)
/* clang-format on */

struct _OwControlServer
{
  GObject parent_instance;

  char *socket_path;
  SoupServer *server;
  OwListener *listener; /* so that accepting survives running out of descriptors */
  gboolean bound;
};

G_DEFINE_FINAL_TYPE (OwControlServer, ow_control_server, G_TYPE_OBJECT)

typedef struct
{
  SoupServerCallback callback;
  gpointer user_data;
  GDestroyNotify destroy;
} Handler;

static void
handler_free (Handler *handler)
{
  if (handler->destroy)
    handler->destroy (handler->user_data);
  g_free (handler);
}

static gboolean
peer_is_owner (SoupServerMessage *message)
{
  GSocket *socket = ow_http_message_get_socket (message);
  g_autoptr (GCredentials) credentials = NULL;

  if (socket == NULL)
    return FALSE;

  credentials = g_socket_get_credentials (socket, NULL);
  return credentials != NULL && g_credentials_get_unix_user (credentials, NULL) == getuid ();
}

static void
dispatch (SoupServer *server,
          SoupServerMessage *message,
          const char *path,
          GHashTable *query,
          gpointer user_data)
{
  Handler *handler = user_data;

  if (!peer_is_owner (message))
    {
      ow_http_reply_error (message, SOUP_STATUS_FORBIDDEN, "forbidden",
                           "Only the user who runs the host may use its control socket.");
      return;
    }

  handler->callback (server, message, path, query, handler->user_data);
}

void
ow_control_server_add_handler (OwControlServer *self,
                               const char *path,
                               SoupServerCallback callback,
                               gpointer user_data,
                               GDestroyNotify destroy)
{
  Handler *handler;

  g_return_if_fail (OW_IS_CONTROL_SERVER (self));
  g_return_if_fail (callback != NULL);

  handler = g_new0 (Handler, 1);
  handler->callback = callback;
  handler->user_data = user_data;
  handler->destroy = destroy;
  soup_server_add_handler (self->server, path, dispatch, handler, (GDestroyNotify) handler_free);
}

static gboolean
someone_answers (GSocketAddress *address)
{
  g_autoptr (GSocket) probe =
    g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);

  return probe != NULL && g_socket_connect (probe, address, NULL, NULL);
}

gboolean
ow_control_server_listen (OwControlServer *self, GError **error)
{
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocket) socket = NULL;

  g_return_val_if_fail (OW_IS_CONTROL_SERVER (self), FALSE);

  if (strlen (self->socket_path) >= sizeof (((struct sockaddr_un *) NULL)->sun_path))
    {
      g_set_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_PATH_TOO_LONG,
                   "The control socket path %s is too long for a Unix socket (at most %zu "
                   "bytes). Choose a data folder with a shorter path using --data-dir.",
                   self->socket_path, sizeof (((struct sockaddr_un *) NULL)->sun_path) - 1);
      return FALSE;
    }

  address = g_unix_socket_address_new (self->socket_path);
  if (g_file_test (self->socket_path, G_FILE_TEST_EXISTS))
    {
      if (someone_answers (address))
        {
          g_set_error (error, OW_CONTROL_ERROR, OW_CONTROL_ERROR_ALREADY_RUNNING,
                       "Another OpenWork host is already running with this data folder (its "
                       "control socket %s answers). Stop it first, or use another --data-dir.",
                       self->socket_path);
          return FALSE;
        }
      /* Left behind by a host that did not exit cleanly. */
      g_unlink (self->socket_path);
    }

  socket =
    g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error))
    return FALSE;
  self->bound = TRUE;

  /* The data folder is 0700 already; this keeps the socket private if it is not. */
  if (g_chmod (self->socket_path, 0600) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "Could not make the control socket %s private", self->socket_path);
      return FALSE;
    }

  if (!g_socket_listen (socket, error))
    return FALSE;

  return ow_listener_add_socket (self->listener, socket, FALSE, error);
}

const char *
ow_control_server_get_socket_path (OwControlServer *self)
{
  g_return_val_if_fail (OW_IS_CONTROL_SERVER (self), NULL);
  return self->socket_path;
}

static void
ow_control_server_dispose (GObject *object)
{
  OwControlServer *self = OW_CONTROL_SERVER (object);

  if (self->listener)
    ow_listener_stop (self->listener);
  g_clear_object (&self->listener);
  if (self->server)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  if (self->bound)
    g_unlink (self->socket_path);
  self->bound = FALSE;

  G_OBJECT_CLASS (ow_control_server_parent_class)->dispose (object);
}

static void
ow_control_server_finalize (GObject *object)
{
  OwControlServer *self = OW_CONTROL_SERVER (object);

  g_free (self->socket_path);

  G_OBJECT_CLASS (ow_control_server_parent_class)->finalize (object);
}

static void
ow_control_server_class_init (OwControlServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_control_server_dispose;
  object_class->finalize = ow_control_server_finalize;
}

static void
ow_control_server_init (OwControlServer *self)
{
  self->server = soup_server_new ("server-header", "openwork-host", NULL);
  ow_connection_watch_attach (self->server, 0, 0);
  self->listener = ow_listener_new (self->server, NULL);
  /* Every client is the host's own user: no limit per address. */
  ow_listener_set_limits (self->listener, 0, G_MAXUINT);
}

OwControlServer *
ow_control_server_new (const char *socket_path)
{
  OwControlServer *self;

  g_return_val_if_fail (socket_path != NULL, NULL);

  self = g_object_new (OW_TYPE_CONTROL_SERVER, NULL);
  self->socket_path = g_strdup (socket_path);
  return self;
}
