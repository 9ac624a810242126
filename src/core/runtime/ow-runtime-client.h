#pragma once

#include <gio/gio.h>

#include "ow-runtime-exchange.h"

G_BEGIN_DECLS

/*
 * The host's one way to the runtime: keep-alive connections to the current run's
 * loopback port, with its credentials. The proxy streams through it
 * (ow_runtime_client_new_exchange()), the event hub subscribes with it, and the
 * supervisor's health checks and the host's own calls (permission answers, session rules)
 * are ow_runtime_client_call_async(). The supervisor says where the run listens.
 */
#define OW_TYPE_RUNTIME_CLIENT (ow_runtime_client_get_type ())
G_DECLARE_FINAL_TYPE (OwRuntimeClient, ow_runtime_client, OW, RUNTIME_CLIENT, GObject)

OwRuntimeClient *ow_runtime_client_new (void);

/**
 * ow_runtime_client_set_endpoint:
 * @port: where the current run listens on 127.0.0.1, or 0 when none does
 * @authorization: (nullable): its Authorization header; %NULL with port 0
 *
 * Connections kept for an earlier run are closed.
 */
void ow_runtime_client_set_endpoint (OwRuntimeClient *self, guint port, const char *authorization);
/* The current run's port, or 0 when no runtime listens. */
guint ow_runtime_client_get_port (OwRuntimeClient *self);

/**
 * ow_runtime_client_new_exchange:
 * @target: the path and query; see ow_runtime_exchange_is_sendable_target()
 * @timeouts: (nullable): %NULL for none
 *
 * Returns: (transfer full) (nullable): an exchange with the current run, not started, or
 *   %NULL with G_IO_ERROR_NOT_CONNECTED when no runtime listens (G_IO_ERROR_INVALID_ARGUMENT
 *   for a target that cannot be sent)
 */
OwRuntimeExchange *ow_runtime_client_new_exchange (OwRuntimeClient *self,
                                                   const char *method,
                                                   const char *target,
                                                   const OwRuntimeTimeouts *timeouts,
                                                   GError **error);

/* The limits of a call unless it sets its own. */
#define OW_RUNTIME_CALL_TIMEOUTS                                                                   \
  ((OwRuntimeTimeouts){ .connect_s = 5, .answer_s = 30, .idle_s = 30 })
/* The largest answer a call reads. */
#define OW_RUNTIME_CALL_MAX_ANSWER (4 * 1024 * 1024)

typedef struct
{
  const char *method;
  const char *target;                /* the path and query, e.g. "/global/health" */
  const char *directory;             /* (nullable): the folder it works in, as a path */
  GBytes *body;                      /* (nullable): JSON */
  const OwRuntimeTimeouts *timeouts; /* (nullable): %OW_RUNTIME_CALL_TIMEOUTS */
} OwRuntimeCall;

/* Sends @call and reads its answer whole: for the host's own calls, never for what
 * clients stream. */
void ow_runtime_client_call_async (OwRuntimeClient *self,
                                   const OwRuntimeCall *call,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);

/**
 * ow_runtime_client_call_finish:
 * @status: (out): the answer's status
 *
 * Returns: (transfer full) (nullable): the answer's body, whatever its status; %NULL with
 *   @error when no answer came whole (G_IO_ERROR_TIMED_OUT, G_IO_ERROR_NOT_CONNECTED, …)
 */
GBytes *ow_runtime_client_call_finish (OwRuntimeClient *self,
                                       GAsyncResult *result,
                                       guint *status,
                                       GError **error);

G_END_DECLS
