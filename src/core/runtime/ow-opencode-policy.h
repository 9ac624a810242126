#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a remote device may do in the runtime's API: every OpenCode route and method the
 * host knows is classified here; anything else is the owner's alone. Routes are matched
 * on the path the runtime will act on (see ow_opencode_route_parse()). */

#define OW_OPENCODE_POLICY_ERROR (ow_opencode_policy_error_quark ())
GQuark ow_opencode_policy_error_quark (void);

typedef enum
{
  OW_OPENCODE_POLICY_ERROR_BAD_PATH,
} OwOpencodePolicyError;

typedef enum
{
  /* Runs code or changes things outside the agent's permission system (a terminal, a
   * shell command, configuration, credentials, the runtime itself), or is not known to
   * the host: owner only. */
  OW_OPENCODE_OWNER,
  /* Reads: viewer. */
  OW_OPENCODE_READ,
  /* Reads that can hold secrets (provider keys, MCP headers): viewer, redacted below
   * owner. */
  OW_OPENCODE_READ_SECRETS,
  /* Acts through the agent, whose tools ask as the session's rules say: collaborator. */
  OW_OPENCODE_RUN,
  /* A prompt: collaborator; its body may not change the session's rules ("tools"). */
  OW_OPENCODE_PROMPT,
  /* Creates a session, or changes one: collaborator; the host's rules are added last. */
  OW_OPENCODE_SESSION_CREATE,
  OW_OPENCODE_SESSION_UPDATE,
  /* Answers a permission request: as --permission-answers says; the broker answers. */
  OW_OPENCODE_ANSWER,
} OwOpencodeAction;

typedef struct
{
  OwOpencodeAction action;
  gboolean classified; /* %FALSE: no rule names this route (it is then owner only) */
  const char *pattern; /* the rule's pattern, e.g. "/session/:id/message"; NULL if none */
  char *path;          /* the path to send the runtime: canonical, percent-encoded */
  GStrv segments;      /* the path's segments, decoded */
} OwOpencodeRoute;

/**
 * ow_opencode_route_parse:
 * @method: the request's method
 * @raw_path: the path under `/opencode` as libsoup hands it, decoded once ("" is "/")
 * @route: (out caller-allocates): filled on success; clear with ow_opencode_route_clear()
 *
 * Normalises @raw_path the way the runtime reads it (empty and dot segments, a trailing
 * "/", static words in any case) and classifies the result. Each segment is decoded once
 * more, so no spelling is left for the runtime to decode into another route: what is
 * classified is the path that is sent.
 *
 * Returns: %FALSE with @error when the path cannot be read one way only (an encoded "/"
 *   or "\\", a NUL, a ".." above the root, bad percent-encoding)
 */
gboolean ow_opencode_route_parse (const char *method,
                                  const char *raw_path,
                                  OwOpencodeRoute *route,
                                  GError **error);

void ow_opencode_route_clear (OwOpencodeRoute *route);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OwOpencodeRoute, ow_opencode_route_clear)

/* The name of @action, for tests and the control socket: "owner", "read", … */
const char *ow_opencode_action_to_string (OwOpencodeAction action);

G_END_DECLS
