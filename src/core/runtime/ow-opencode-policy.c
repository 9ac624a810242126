#include "config.h"

#include "ow-opencode-policy.h"

#include <string.h>

G_DEFINE_QUARK (ow - opencode - policy - error - quark, ow_opencode_policy_error)

typedef struct
{
  const char *method; /* GET also covers HEAD */
  const char *pattern;
  OwOpencodeAction action;
} Rule;

/* OpenCode 1.18's routes (its OpenAPI document, GET /doc) that a device below owner may
 * use. Every other route and method is the owner's: the terminal (/pty), shell commands
 * (/session/:id/shell, and /session/:id/command, whose templates may run shell commands
 * with the client's arguments), configuration and credentials, MCP servers (they are
 * commands), the runtime's own life (/global/dispose, /global/upgrade), sharing to the
 * cloud, the TUI's remote control, sync, VCS writes, every /experimental write, the v2
 * /api routes that write, and forking (a fork starts without the session's rules). A
 * route added to the runtime later is the owner's until it is classified here; the
 * integration tests fail on any route of the runtime's document that is not. */
static const Rule rules[] = {
  /* Reads */
  { "GET", "/agent", OW_OPENCODE_READ },
  { "GET", "/command", OW_OPENCODE_READ },
  { "GET", "/event", OW_OPENCODE_READ },
  { "GET", "/global/event", OW_OPENCODE_READ },
  { "GET", "/global/health", OW_OPENCODE_READ },
  { "GET", "/path", OW_OPENCODE_READ },
  { "GET", "/project", OW_OPENCODE_READ },
  { "GET", "/project/current", OW_OPENCODE_READ },
  { "GET", "/project/:id/directories", OW_OPENCODE_READ },
  { "GET", "/file", OW_OPENCODE_READ },
  { "GET", "/file/content", OW_OPENCODE_READ },
  { "GET", "/file/status", OW_OPENCODE_READ },
  { "GET", "/find", OW_OPENCODE_READ },
  { "GET", "/find/file", OW_OPENCODE_READ },
  { "GET", "/find/symbol", OW_OPENCODE_READ },
  { "GET", "/formatter", OW_OPENCODE_READ },
  { "GET", "/lsp", OW_OPENCODE_READ },
  { "GET", "/vcs", OW_OPENCODE_READ },
  { "GET", "/vcs/diff", OW_OPENCODE_READ },
  { "GET", "/vcs/diff/raw", OW_OPENCODE_READ },
  { "GET", "/vcs/status", OW_OPENCODE_READ },
  { "GET", "/skill", OW_OPENCODE_READ },
  { "GET", "/permission", OW_OPENCODE_READ },
  { "GET", "/question", OW_OPENCODE_READ },
  { "GET", "/session", OW_OPENCODE_READ },
  { "GET", "/session/status", OW_OPENCODE_READ },
  { "GET", "/session/:id", OW_OPENCODE_READ },
  { "GET", "/session/:id/children", OW_OPENCODE_READ },
  { "GET", "/session/:id/diff", OW_OPENCODE_READ },
  { "GET", "/session/:id/message", OW_OPENCODE_READ },
  { "GET", "/session/:id/message/:id", OW_OPENCODE_READ },
  { "GET", "/session/:id/todo", OW_OPENCODE_READ },
  { "GET", "/experimental/capabilities", OW_OPENCODE_READ },
  { "GET", "/experimental/tool/ids", OW_OPENCODE_READ },
  { "GET", "/api/health", OW_OPENCODE_READ },
  { "GET", "/api/agent", OW_OPENCODE_READ },
  { "GET", "/api/command", OW_OPENCODE_READ },
  { "GET", "/api/model", OW_OPENCODE_READ },
  { "GET", "/api/skill", OW_OPENCODE_READ },
  { "GET", "/api/session", OW_OPENCODE_READ },
  { "GET", "/api/session/active", OW_OPENCODE_READ },
  { "GET", "/api/session/:id", OW_OPENCODE_READ },
  { "GET", "/api/session/:id/message", OW_OPENCODE_READ },
  { "GET", "/api/session/:id/message/:id", OW_OPENCODE_READ },
  { "GET", "/api/permission/request", OW_OPENCODE_READ },
  { "GET", "/api/question/request", OW_OPENCODE_READ },

  /* Reads whose answers can hold provider keys and MCP credentials. */
  { "GET", "/config", OW_OPENCODE_READ_SECRETS },
  { "GET", "/config/providers", OW_OPENCODE_READ_SECRETS },
  { "GET", "/provider", OW_OPENCODE_READ_SECRETS },
  { "GET", "/provider/auth", OW_OPENCODE_READ_SECRETS },
  { "GET", "/mcp", OW_OPENCODE_READ_SECRETS },
  { "GET", "/api/provider", OW_OPENCODE_READ_SECRETS },
  { "GET", "/api/provider/:id", OW_OPENCODE_READ_SECRETS },

  /* Sessions: created and changed with the host's rules added last. */
  { "POST", "/session", OW_OPENCODE_SESSION_CREATE },
  { "PATCH", "/session/:id", OW_OPENCODE_SESSION_UPDATE },

  /* Work through the agent, under the session's rules. */
  { "POST", "/session/:id/message", OW_OPENCODE_PROMPT },
  { "POST", "/session/:id/prompt_async", OW_OPENCODE_PROMPT },
  { "POST", "/session/:id/init", OW_OPENCODE_PROMPT },
  { "POST", "/session/:id/summarize", OW_OPENCODE_PROMPT }, /* may go on with tools */
  { "POST", "/session/:id/abort", OW_OPENCODE_RUN },
  { "POST", "/session/:id/revert", OW_OPENCODE_RUN },
  { "POST", "/session/:id/unrevert", OW_OPENCODE_RUN },
  { "DELETE", "/session/:id", OW_OPENCODE_RUN },
  { "DELETE", "/session/:id/message/:id", OW_OPENCODE_RUN },
  { "PATCH", "/session/:id/message/:id/part/:id", OW_OPENCODE_RUN },
  { "DELETE", "/session/:id/message/:id/part/:id", OW_OPENCODE_RUN },
  { "POST", "/question/:id/reply", OW_OPENCODE_RUN },
  { "POST", "/question/:id/reject", OW_OPENCODE_RUN },
  { "POST", "/log", OW_OPENCODE_RUN },

  /* Permission answers go to the host's broker: the first answer wins. */
  { "POST", "/permission/:id/reply", OW_OPENCODE_ANSWER },
  { "POST", "/session/:id/permissions/:id", OW_OPENCODE_ANSWER },

  /* The owner's, said outright so that the route list is complete. */
  { "GET", "/pty", OW_OPENCODE_OWNER },
  { "POST", "/pty", OW_OPENCODE_OWNER },
  { "GET", "/pty/shells", OW_OPENCODE_OWNER },
  { "GET", "/pty/:id", OW_OPENCODE_OWNER },
  { "PUT", "/pty/:id", OW_OPENCODE_OWNER },
  { "DELETE", "/pty/:id", OW_OPENCODE_OWNER },
  { "GET", "/pty/:id/connect", OW_OPENCODE_OWNER },
  { "POST", "/pty/:id/connect-token", OW_OPENCODE_OWNER },
  { "POST", "/session/:id/shell", OW_OPENCODE_OWNER },
  { "POST", "/session/:id/command", OW_OPENCODE_OWNER },
  { "POST", "/session/:id/fork", OW_OPENCODE_OWNER },
  { "POST", "/session/:id/share", OW_OPENCODE_OWNER },
  { "DELETE", "/session/:id/share", OW_OPENCODE_OWNER },
  { "PATCH", "/config", OW_OPENCODE_OWNER },
  { "GET", "/global/config", OW_OPENCODE_OWNER },
  { "PATCH", "/global/config", OW_OPENCODE_OWNER },
  { "POST", "/global/dispose", OW_OPENCODE_OWNER },
  { "POST", "/global/upgrade", OW_OPENCODE_OWNER },
  { "POST", "/instance/dispose", OW_OPENCODE_OWNER },
  { "PUT", "/auth/:id", OW_OPENCODE_OWNER },
  { "DELETE", "/auth/:id", OW_OPENCODE_OWNER },
  { "POST", "/provider/:id/oauth/authorize", OW_OPENCODE_OWNER },
  { "POST", "/provider/:id/oauth/callback", OW_OPENCODE_OWNER },
  { "POST", "/mcp", OW_OPENCODE_OWNER },
  { "POST", "/mcp/:id/auth", OW_OPENCODE_OWNER },
  { "DELETE", "/mcp/:id/auth", OW_OPENCODE_OWNER },
  { "POST", "/mcp/:id/auth/authenticate", OW_OPENCODE_OWNER },
  { "POST", "/mcp/:id/auth/callback", OW_OPENCODE_OWNER },
  { "POST", "/mcp/:id/connect", OW_OPENCODE_OWNER },
  { "POST", "/mcp/:id/disconnect", OW_OPENCODE_OWNER },
  { "POST", "/project/git/init", OW_OPENCODE_OWNER },
  { "PATCH", "/project/:id", OW_OPENCODE_OWNER },
  { "POST", "/vcs/apply", OW_OPENCODE_OWNER },
  { "POST", "/sync/*", OW_OPENCODE_OWNER },
  { "GET", "/tui/*", OW_OPENCODE_OWNER },
  { "POST", "/tui/*", OW_OPENCODE_OWNER },
  { "GET", "/experimental/*", OW_OPENCODE_OWNER },
  { "POST", "/experimental/*", OW_OPENCODE_OWNER },
  { "DELETE", "/experimental/*", OW_OPENCODE_OWNER },
  { "GET", "/api/*", OW_OPENCODE_OWNER },
  { "POST", "/api/*", OW_OPENCODE_OWNER },
  { "PUT", "/api/*", OW_OPENCODE_OWNER },
  { "PATCH", "/api/*", OW_OPENCODE_OWNER },
  { "DELETE", "/api/*", OW_OPENCODE_OWNER },
};

const char *
ow_opencode_action_to_string (OwOpencodeAction action)
{
  static const char *const names[] = {
    "owner", "read", "read-secrets", "run", "prompt", "session-create", "session-update", "answer",
  };

  g_return_val_if_fail ((guint) action < G_N_ELEMENTS (names), "owner");
  return names[action];
}

static gboolean
bad_path (GError **error, const char *why)
{
  g_set_error (error, OW_OPENCODE_POLICY_ERROR, OW_OPENCODE_POLICY_ERROR_BAD_PATH,
               "This path cannot be forwarded to the runtime: %s.", why);
  return FALSE;
}

/* Splits @raw into decoded segments, dropping empty and "." ones and resolving "..", as
 * the runtime's URL parser and router read it. */
static GStrv
split_path (const char *raw, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (raw, "/", -1);
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i]; i++)
    {
      g_autofree char *segment = NULL;

      if (parts[i][0] == '\0')
        continue;
      /* Refuses encoded "/" and NUL. */
      segment = g_uri_unescape_segment (parts[i], NULL, "/");
      if (segment == NULL)
        {
          bad_path (error, "a segment has an encoded \"/\", a NUL or bad percent-encoding");
          return NULL;
        }
      if (strchr (segment, '\\') || strchr (segment, '%') || !g_utf8_validate (segment, -1, NULL))
        {
          bad_path (error, "a segment has a \"\\\", an encoded \"%\" or is not UTF-8");
          return NULL;
        }
      for (const char *c = segment; *c; c++)
        if ((guchar) *c < 0x20 || *c == 0x7f)
          {
            bad_path (error, "a segment has a control character");
            return NULL;
          }
      if (g_str_equal (segment, "."))
        continue;
      if (g_str_equal (segment, ".."))
        {
          if (kept->len == 0)
            {
              bad_path (error, "\"..\" goes above the runtime's root");
              return NULL;
            }
          g_ptr_array_remove_index (kept, kept->len - 1);
          continue;
        }
      g_ptr_array_add (kept, g_steal_pointer (&segment));
    }
  g_ptr_array_add (kept, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&kept), FALSE);
}

static gboolean
rule_matches (const Rule *rule, const char *method, GStrv segments)
{
  g_auto (GStrv) words = g_strsplit (rule->pattern + 1, "/", -1);
  guint i;

  if (!g_str_equal (rule->method, method) &&
      !(g_str_equal (method, "HEAD") && g_str_equal (rule->method, "GET")))
    return FALSE;

  for (i = 0; words[i]; i++)
    {
      if (g_str_equal (words[i], "*"))
        return segments[i] != NULL;
      if (segments[i] == NULL)
        return FALSE;
      /* The runtime's router matches words in any case. */
      if (words[i][0] != ':' && g_ascii_strcasecmp (words[i], segments[i]) != 0)
        return FALSE;
    }
  return segments[i] == NULL;
}

gboolean
ow_opencode_route_parse (const char *method,
                         const char *raw_path,
                         OwOpencodeRoute *route,
                         GError **error)
{
  g_autoptr (GString) path = g_string_new (NULL);
  g_auto (GStrv) segments = NULL;

  g_return_val_if_fail (method != NULL && raw_path != NULL && route != NULL, FALSE);

  memset (route, 0, sizeof *route);
  segments = split_path (raw_path, error);
  if (segments == NULL)
    return FALSE;

  route->action = OW_OPENCODE_OWNER;
  /* Preflights carry no credentials and change nothing. */
  if (g_str_equal (method, "OPTIONS"))
    {
      route->action = OW_OPENCODE_READ;
      route->classified = TRUE;
    }
  for (guint i = 0; !route->classified && i < G_N_ELEMENTS (rules); i++)
    if (rule_matches (&rules[i], method, segments))
      {
        route->action = rules[i].action;
        route->pattern = rules[i].pattern;
        route->classified = TRUE;
      }

  /* The rule's own words stand for the client's spelling of them. */
  {
    g_auto (GStrv) words = route->pattern ? g_strsplit (route->pattern + 1, "/", -1) : NULL;
    gboolean in_words = words != NULL;

    for (guint i = 0; segments[i]; i++)
      {
        gboolean static_word = in_words && words[i] && words[i][0] != ':' && words[i][0] != '*';
        g_autofree char *encoded =
          g_uri_escape_string (static_word ? words[i] : segments[i], "!$&'()*+,;=:@", FALSE);

        in_words = in_words && words[i] && words[i][0] != '*';
        g_string_append_c (path, '/');
        g_string_append (path, encoded);
      }
  }
  if (path->len == 0)
    g_string_append_c (path, '/');

  route->path = g_string_free (g_steal_pointer (&path), FALSE);
  route->segments = g_steal_pointer (&segments);
  return TRUE;
}

void
ow_opencode_route_clear (OwOpencodeRoute *route)
{
  g_clear_pointer (&route->path, g_free);
  g_clear_pointer (&route->segments, g_strfreev);
}
