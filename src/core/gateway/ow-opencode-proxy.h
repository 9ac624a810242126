#pragma once

#include <libsoup/soup.h>

#include "ow-event-hub.h"
#include "ow-runtime-supervisor.h"

G_BEGIN_DECLS

#define OW_TYPE_OPENCODE_PROXY (ow_opencode_proxy_get_type ())
G_DECLARE_FINAL_TYPE (OwOpencodeProxy, ow_opencode_proxy, OW, OPENCODE_PROXY, GObject)

/* Forwards client requests to the private runtime, streaming both ways. Requests wait
 * (503) until @hub listens to the runtime, so that no event of theirs is missed. */
OwOpencodeProxy *
ow_opencode_proxy_new (OwRuntimeSupervisor *runtime, OwEventHub *hub, gsize max_body_bytes);

/* An hour: the runtime answers a synchronous prompt only once the agent is done. */
#define OW_PROXY_DEFAULT_ANSWER_TIMEOUT_S 3600

/**
 * ow_opencode_proxy_set_answer_timeout:
 * @seconds: 0 for the default, %OW_PROXY_DEFAULT_ANSWER_TIMEOUT_S
 *
 * How long the runtime has, once a request is sent in full, to start its answer; then the
 * client gets 504 `runtime_timeout` and the connection to the runtime is dropped.
 */
void ow_opencode_proxy_set_answer_timeout (OwOpencodeProxy *self, guint seconds);

typedef enum
{
  OW_PROXY_FORWARD_NONE = 0,
  /* Called as the headers arrive (an early handler): the request body then streams to the
   * runtime as it comes, and ow_opencode_proxy_resume() must be called from the normal
   * handler. Without it, the body is already read. */
  OW_PROXY_FORWARD_BODY_FOLLOWS = 1 << 0,
  /* The answer stays whole in the message's response body once written, for a "wrote-body"
   * handler to read; only for small answers. Without it, what is written is let go. */
  OW_PROXY_FORWARD_KEEP_ANSWER = 1 << 1,
  /* The answer is read whole (up to a cap), its secrets replaced (ow_secrets_redact()),
   * and only then sent: for devices that may not see provider keys. An answer that is not
   * JSON, or too large to check, becomes a 502. */
  OW_PROXY_FORWARD_REDACT_SECRETS = 1 << 2,
} OwProxyForwardFlags;

/**
 * ow_opencode_proxy_forward:
 * @message: the client's request, already authorised
 * @path: the runtime path, e.g. "/session"
 * @directory: the folder the request works in, already checked against the workspaces
 * @flags: see #OwProxyForwardFlags
 *
 * Sends @message to the runtime with the runtime's basic auth and @directory as its only
 * folder (`x-opencode-directory`, percent-encoded), having dropped the client's
 * credentials and folder choices, and streams the answer back
 * (server-sent events as they come). A runtime that is not running gets 503 with a
 * Retry-After; one that cannot be reached 502.
 */
void ow_opencode_proxy_forward (OwOpencodeProxy *self,
                                SoupServerMessage *message,
                                const char *path,
                                const char *directory,
                                OwProxyForwardFlags flags);

/**
 * ow_opencode_proxy_resume:
 *
 * For the normal handler of a request whose body was streaming: lets it wait for the
 * runtime's answer.
 *
 * Returns: %TRUE if @message is being forwarded (the handler has nothing else to do)
 */
gboolean ow_opencode_proxy_resume (OwOpencodeProxy *self, SoupServerMessage *message);

/**
 * ow_opencode_proxy_strip_query:
 * @query: (nullable): a raw query string
 *
 * Returns: (transfer full) (nullable): @query without `auth_token` (a credential) and
 *   `directory` (the header the proxy sets is the only folder the runtime gets), however
 *   their names are encoded, and without parameters whose names do not decode; every
 *   other parameter exactly as it was, or %NULL when nothing is left
 */
char *ow_opencode_proxy_strip_query (const char *query);

G_END_DECLS
