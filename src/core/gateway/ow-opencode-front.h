#pragma once

#include "ow-event-hub.h"
#include "ow-gateway-request.h"
#include "ow-runtime-supervisor.h"
#include "ow-tasks.h"

G_BEGIN_DECLS

#define OW_TYPE_OPENCODE_FRONT (ow_opencode_front_get_type ())
G_DECLARE_FINAL_TYPE (OwOpencodeFront, ow_opencode_front, OW, OPENCODE_FRONT, GObject)

/**
 * ow_opencode_front_new:
 * @sensitive_tools: (nullable): permissions forced to "ask" in the sessions clients make
 * @max_body_bytes: the largest request body the gateway takes
 * @answer_timeout_s: for the runtime's answer to start; 0: the proxy's default
 *
 * The gateway's side of everything OpenCode-specific, in front of the proxy: which folder
 * a request may work in, the host's rules in every session a device makes or prompts,
 * permission answers sent to the broker instead, new sessions recorded as tasks, the
 * runtime's event streams served from the hub, secrets redacted for those below owner.
 * Its routes are %ow_opencode_routes.
 */
OwOpencodeFront *ow_opencode_front_new (OwRuntimeSupervisor *runtime,
                                        OwEventHub *hub,
                                        OwTasks *tasks,
                                        const char *const *sensitive_tools,
                                        gsize max_body_bytes,
                                        guint answer_timeout_s);

/* Whether the route of @message had taken its body as it came: then the proxy finishes
 * it, and the router does nothing more. See ow_opencode_proxy_resume(). */
gboolean ow_opencode_front_resume (OwOpencodeFront *self, SoupServerMessage *message);

G_END_DECLS
