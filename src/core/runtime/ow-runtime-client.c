#include "config.h"

#include "ow-runtime-client.h"

/* Idle keep-alive connections kept for later requests. */
#define MAX_IDLE_CONNECTIONS 64

struct _OwRuntimeClient
{
  GObject parent_instance;

  OwRuntimePool *pool;
  guint port;
  char *authorization;
};

G_DEFINE_FINAL_TYPE (OwRuntimeClient, ow_runtime_client, G_TYPE_OBJECT)

void
ow_runtime_client_set_endpoint (OwRuntimeClient *self, guint port, const char *authorization)
{
  g_return_if_fail (OW_IS_RUNTIME_CLIENT (self));
  g_return_if_fail ((port == 0) == (authorization == NULL));

  self->port = port;
  g_free (self->authorization);
  self->authorization = g_strdup (authorization);
}

guint
ow_runtime_client_get_port (OwRuntimeClient *self)
{
  g_return_val_if_fail (OW_IS_RUNTIME_CLIENT (self), 0);
  return self->port;
}

OwRuntimeExchange *
ow_runtime_client_new_exchange (OwRuntimeClient *self,
                                const char *method,
                                const char *target,
                                const OwRuntimeTimeouts *timeouts,
                                GError **error)
{
  g_return_val_if_fail (OW_IS_RUNTIME_CLIENT (self), NULL);

  if (!ow_runtime_exchange_is_sendable_target (target))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "This path cannot be sent to the runtime.");
      return NULL;
    }
  if (self->port == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "The OpenCode runtime is not running.");
      return NULL;
    }
  return ow_runtime_exchange_new (self->pool, self->port, self->authorization, method, target,
                                  timeouts);
}

/* Calls */

typedef struct
{
  OwRuntimeExchange *exchange;
  guint status;
  GByteArray *body;
} Call;

static void
call_free (Call *call)
{
  g_clear_pointer (&call->exchange, ow_runtime_exchange_unref);
  g_clear_pointer (&call->body, g_byte_array_unref);
  g_free (call);
}

static void
on_call_head (OwRuntimeExchange *exchange,
              guint status,
              const char *reason,
              SoupMessageHeaders *headers,
              gpointer user_data)
{
  Call *call = g_task_get_task_data (user_data);

  call->status = status;
  call->body = g_byte_array_new ();
}

static void
on_call_body (OwRuntimeExchange *exchange, const guint8 *data, gsize size, gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  if (call->body->len + size > OW_RUNTIME_CALL_MAX_ANSWER)
    {
      ow_runtime_exchange_cancel (exchange);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               "The runtime's answer is larger than %u bytes.",
                               OW_RUNTIME_CALL_MAX_ANSWER);
      g_object_unref (task);
      return;
    }
  g_byte_array_append (call->body, data, (guint) size);
}

static void
on_call_finished (OwRuntimeExchange *exchange, const GError *error, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Call *call = g_task_get_task_data (task);

  if (error)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&call->body)),
                           (GDestroyNotify) g_bytes_unref);
}

static const OwRuntimeExchangeHandler call_handler = {
  .got_head = on_call_head,
  .got_body = on_call_body,
  .finished = on_call_finished,
};

void
ow_runtime_client_call_async (OwRuntimeClient *self,
                              const OwRuntimeCall *call,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  OwRuntimeTimeouts timeouts = call->timeouts ? *call->timeouts : OW_RUNTIME_CALL_TIMEOUTS;
  Call *data;

  g_return_if_fail (OW_IS_RUNTIME_CLIENT (self));
  g_return_if_fail (call != NULL && call->method != NULL && call->target != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ow_runtime_client_call_async);
  data = g_new0 (Call, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) call_free);
  data->exchange =
    ow_runtime_client_new_exchange (self, call->method, call->target, &timeouts, &error);
  if (data->exchange == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (call->directory)
    {
      g_autofree char *encoded = g_uri_escape_string (call->directory, "/", FALSE);

      /* The runtime decodes this header once, so it reads back exactly this folder. */
      ow_runtime_exchange_add_header (data->exchange, "x-opencode-directory", encoded);
    }
  ow_runtime_exchange_add_header (data->exchange, "Accept", "application/json");
  if (call->body)
    {
      gsize size;
      gconstpointer bytes = g_bytes_get_data (call->body, &size);

      ow_runtime_exchange_add_header (data->exchange, "Content-Type", "application/json");
      ow_runtime_exchange_set_body (data->exchange, bytes, size);
    }
  /* The task's reference goes with the exchange, until it finishes. */
  ow_runtime_exchange_start (data->exchange, &call_handler, g_object_ref (task), cancellable);
}

GBytes *
ow_runtime_client_call_finish (OwRuntimeClient *self,
                               GAsyncResult *result,
                               guint *status,
                               GError **error)
{
  GBytes *body;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  body = g_task_propagate_pointer (G_TASK (result), error);
  if (status)
    *status = body ? ((Call *) g_task_get_task_data (G_TASK (result)))->status : 0;
  return body;
}

/* GObject */

static void
ow_runtime_client_dispose (GObject *object)
{
  OwRuntimeClient *self = OW_RUNTIME_CLIENT (object);

  g_clear_pointer (&self->pool, ow_runtime_pool_unref);

  G_OBJECT_CLASS (ow_runtime_client_parent_class)->dispose (object);
}

static void
ow_runtime_client_finalize (GObject *object)
{
  OwRuntimeClient *self = OW_RUNTIME_CLIENT (object);

  g_free (self->authorization);

  G_OBJECT_CLASS (ow_runtime_client_parent_class)->finalize (object);
}

static void
ow_runtime_client_class_init (OwRuntimeClientClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ow_runtime_client_dispose;
  G_OBJECT_CLASS (klass)->finalize = ow_runtime_client_finalize;
}

static void
ow_runtime_client_init (OwRuntimeClient *self)
{
  self->pool = ow_runtime_pool_new (MAX_IDLE_CONNECTIONS);
}

OwRuntimeClient *
ow_runtime_client_new (void)
{
  return g_object_new (OW_TYPE_RUNTIME_CLIENT, NULL);
}
