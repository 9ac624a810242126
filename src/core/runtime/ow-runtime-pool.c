#include "config.h"

#include "ow-runtime-pool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Deadlines are checked this often: a timeout fires up to this much late. One timer for
 * all connections, running only while one has a deadline, costs a busy proxy nothing per
 * request, where a timer per request would wake the loop up twice. */
#define SWEEP_MS 250

struct _OwRuntimePool
{
  guint ref_count;
  guint max_idle;
  guint port;   /* of the idle connections */
  GQueue idle;  /* OwRuntimeConnection */
  GQueue timed; /* OwRuntimeConnection with a deadline */
  guint sweep_id;
};

typedef struct
{
  GSource source;
  OwRuntimeConnection *connection;
} ConnectionSource;

struct _OwRuntimeConnection
{
  OwRuntimePool *pool;
  int fd;
  guint port;
  GSource *source;
  gpointer tag;        /* the fd in the source, NULL while it is not watched */
  GIOCondition events; /* watched for */
  OwRuntimeConnectionFunc func;
  gpointer user_data;
  GList idle_link;  /* in pool->idle */
  GList timed_link; /* in pool->timed */
  gint64 deadline;  /* monotonic µs, 0 for none */
  gboolean connected;
  gboolean reused;
};

static gboolean
dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  OwRuntimeConnection *connection = ((ConnectionSource *) source)->connection;
  GIOCondition ready;

  if (connection->tag == NULL || connection->func == NULL)
    return G_SOURCE_CONTINUE;
  ready = g_source_query_unix_fd (source, connection->tag);
  /* The callback may release or close the connection: nothing of it is used after. */
  connection->func (connection, ready, connection->user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs connection_source_funcs = {
  .dispatch = dispatch,
};

static void
clear_deadline (OwRuntimeConnection *connection)
{
  OwRuntimePool *pool = connection->pool;

  if (connection->deadline == 0)
    return;
  connection->deadline = 0;
  g_queue_unlink (&pool->timed, &connection->timed_link);
  if (pool->timed.length == 0)
    g_clear_handle_id (&pool->sweep_id, g_source_remove);
}

static void
connection_close (OwRuntimeConnection *connection)
{
  clear_deadline (connection);
  g_source_destroy (connection->source);
  g_source_unref (connection->source);
  close (connection->fd);
  g_free (connection);
}

void
ow_runtime_connection_watch (OwRuntimeConnection *connection,
                             GIOCondition condition,
                             OwRuntimeConnectionFunc func,
                             gpointer user_data)
{
  connection->func = func;
  connection->user_data = user_data;
  if (condition == connection->events)
    return;
  connection->events = condition;
  /* Changing what a source polls for wakes GLib's loop up; a request that only waits for
   * its answer keeps the same G_IO_IN as the idle connection and changes nothing. An fd
   * not watched at all is taken out, or the poll would report its hang-up over and over. */
  if (condition == 0)
    {
      g_source_remove_unix_fd (connection->source, connection->tag);
      connection->tag = NULL;
    }
  else if (connection->tag == NULL)
    connection->tag = g_source_add_unix_fd (connection->source, connection->fd, condition);
  else
    g_source_modify_unix_fd (connection->source, connection->tag, condition);
}

static gboolean
sweep (gpointer user_data)
{
  OwRuntimePool *pool = ow_runtime_pool_ref (user_data); /* a callback may drop the last */
  gint64 now = g_get_monotonic_time ();
  GList *link = pool->timed.head;
  gboolean again;

  while (link)
    {
      OwRuntimeConnection *connection = link->data;

      if (connection->deadline > now || connection->func == NULL)
        {
          link = link->next;
          continue;
        }
      clear_deadline (connection);
      /* The callback may close connections, this one or others: start again from the
       * head, where nothing that has fired is left. */
      connection->func (connection, 0, connection->user_data);
      link = pool->timed.head;
    }
  again = pool->sweep_id != 0;
  ow_runtime_pool_unref (pool);
  return again ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void
ow_runtime_connection_set_deadline (OwRuntimeConnection *connection, gint64 deadline)
{
  OwRuntimePool *pool = connection->pool;

  if (deadline == 0)
    {
      clear_deadline (connection);
      return;
    }
  if (connection->deadline == 0)
    g_queue_push_tail_link (&pool->timed, &connection->timed_link);
  connection->deadline = deadline;
  if (pool->sweep_id == 0)
    {
      g_autoptr (GSource) source = g_timeout_source_new (SWEEP_MS);

      g_source_set_callback (source, sweep, pool, NULL);
      g_source_set_static_name (source, "OwRuntimePool deadlines");
      pool->sweep_id = g_source_attach (source, NULL);
    }
}

static void
on_idle_ready (OwRuntimeConnection *connection, GIOCondition condition, gpointer user_data)
{
  OwRuntimePool *pool = user_data;

  /* An idle connection has nothing to say: this is the runtime closing it. */
  g_queue_unlink (&pool->idle, &connection->idle_link);
  connection_close (connection);
}

static void
drop_idle (OwRuntimePool *pool)
{
  GList *link;

  while ((link = g_queue_pop_head_link (&pool->idle)))
    connection_close (link->data);
}

OwRuntimePool *
ow_runtime_pool_new (guint max_idle)
{
  OwRuntimePool *pool = g_new0 (OwRuntimePool, 1);

  pool->ref_count = 1;
  pool->max_idle = max_idle;
  g_queue_init (&pool->idle);
  return pool;
}

OwRuntimePool *
ow_runtime_pool_ref (OwRuntimePool *pool)
{
  pool->ref_count++;
  return pool;
}

void
ow_runtime_pool_unref (OwRuntimePool *pool)
{
  if (--pool->ref_count > 0)
    return;
  drop_idle (pool);
  g_warn_if_fail (pool->timed.length == 0);
  g_clear_handle_id (&pool->sweep_id, g_source_remove);
  g_free (pool);
}

static OwRuntimeConnection *
connect_new (OwRuntimePool *pool, guint port, GError **error)
{
  struct sockaddr_in address = {
    .sin_family = AF_INET,
    .sin_port = htons ((guint16) port),
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
  };
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  OwRuntimeConnection *connection;

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not make a socket for the runtime: %s", g_strerror (saved));
      return NULL;
    }
  /* The proxy writes whole requests, or body pieces that should leave at once. */
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  connection = g_new0 (OwRuntimeConnection, 1);
  connection->pool = pool;
  connection->fd = fd;
  connection->port = port;
  connection->idle_link.data = connection;
  connection->timed_link.data = connection;
  connection->source = g_source_new (&connection_source_funcs, sizeof (ConnectionSource));
  ((ConnectionSource *) connection->source)->connection = connection;
  g_source_set_static_name (connection->source, "OwRuntimeConnection");
  g_source_attach (connection->source, NULL);

  if (connect (fd, (struct sockaddr *) &address, sizeof address) == 0)
    connection->connected = TRUE;
  else if (errno != EINPROGRESS)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not connect to the runtime on port %u: %s", port, g_strerror (saved));
      connection_close (connection);
      return NULL;
    }
  return connection;
}

OwRuntimeConnection *
ow_runtime_pool_take (OwRuntimePool *pool, guint port, gboolean fresh, GError **error)
{
  OwRuntimeConnection *connection;
  GList *link;

  if (port != pool->port)
    {
      drop_idle (pool);
      pool->port = port;
    }
  if (fresh || (link = g_queue_pop_tail_link (&pool->idle)) == NULL)
    return connect_new (pool, port, error);

  /* The most recently used one: the least likely to have been closed meanwhile. */
  connection = link->data;
  connection->reused = TRUE;
  connection->func = NULL;
  return connection;
}

void
ow_runtime_connection_release (OwRuntimeConnection *connection, gboolean reusable)
{
  OwRuntimePool *pool = connection->pool;

  clear_deadline (connection);
  if (!reusable || !connection->connected || connection->port != pool->port ||
      pool->idle.length >= pool->max_idle)
    {
      connection_close (connection);
      return;
    }
  ow_runtime_connection_watch (connection, G_IO_IN, on_idle_ready, pool);
  g_queue_push_tail_link (&pool->idle, &connection->idle_link);
}

gboolean
ow_runtime_connection_is_reused (OwRuntimeConnection *connection)
{
  return connection->reused;
}

int
ow_runtime_connection_get_fd (OwRuntimeConnection *connection)
{
  return connection->fd;
}

gboolean
ow_runtime_connection_check_connected (OwRuntimeConnection *connection, GError **error)
{
  int failure = 0;
  socklen_t length = sizeof failure;

  if (connection->connected)
    return TRUE;
  if (getsockopt (connection->fd, SOL_SOCKET, SO_ERROR, &failure, &length) < 0)
    failure = errno;
  if (failure != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (failure),
                   "Could not connect to the runtime on port %u: %s", connection->port,
                   g_strerror (failure));
      return FALSE;
    }
  connection->connected = TRUE;
  return TRUE;
}
