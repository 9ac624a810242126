#include "config.h"

#include "ow-gateway-auth.h"
#include "ow-http.h"

#include <string.h>

static const char *const access_names[] = { "public", "viewer",   "collaborator",
                                            "owner",  "opencode", "answer" };

const char *
ow_access_to_string (OwAccess access)
{
  g_return_val_if_fail (access < G_N_ELEMENTS (access_names), NULL);
  return access_names[access];
}

/* The token a client presented: Bearer, or where @route takes OpenCode's credentials,
 * basic auth as "opencode:<token>" and ?auth_token=. OpenWork's clients send an owner's
 * credential for the host's own routes as X-OpenWork-Host-Token; it counts there only,
 * and only if it is an owner token. */
static char *
presented_token (OwGatewayRequest *request, const OwRoute *route)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (request->message);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");

  if (authorization && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    return g_strstrip (g_strdup (authorization + 7));

  if (route->access == OW_ACCESS_OWNER)
    return g_strdup (soup_message_headers_get_one (headers, "X-OpenWork-Host-Token"));

  if (!(route->flags & OW_ROUTE_OPENCODE_CREDENTIALS))
    return NULL;

  if (authorization && g_ascii_strncasecmp (authorization, "Basic ", 6) == 0)
    {
      gsize length;
      g_autofree guchar *decoded = g_base64_decode (authorization + 6, &length);
      g_autofree char *text = g_strndup ((const char *) decoded, length);
      const char *colon = strchr (text, ':');

      if (colon && strncmp (text, "opencode:", 9) == 0)
        return g_strdup (colon + 1);
      return NULL;
    }

  if (request->query && g_hash_table_lookup (request->query, "auth_token"))
    return g_strdup (g_hash_table_lookup (request->query, "auth_token"));

  return NULL;
}

/* What @request needs of its caller: its route's access, or for the runtime's routes
 * what the classified route does. */
static OwAccess
effective_access (OwGatewayRequest *request, const OwRoute *route)
{
  OwAccess answer = request->context->permission_answers == OW_SCOPE_OWNER ? OW_ACCESS_OWNER
                                                                           : OW_ACCESS_COLLABORATOR;

  if (route->access == OW_ACCESS_ANSWER)
    return answer;
  if (route->access != OW_ACCESS_OPENCODE)
    return route->access;
  switch (request->opencode.action)
    {
    case OW_OPENCODE_READ:
    case OW_OPENCODE_READ_SECRETS:
      return OW_ACCESS_VIEWER;
    case OW_OPENCODE_RUN:
    case OW_OPENCODE_PROMPT:
    case OW_OPENCODE_SESSION_CREATE:
    case OW_OPENCODE_SESSION_UPDATE:
      return OW_ACCESS_COLLABORATOR;
    case OW_OPENCODE_ANSWER:
      return answer;
    case OW_OPENCODE_OWNER:
    default:
      return OW_ACCESS_OWNER;
    }
}

static gboolean
scope_allows (OwScope scope, OwAccess access)
{
  switch (access)
    {
    case OW_ACCESS_PUBLIC:
    case OW_ACCESS_VIEWER:
      return TRUE;
    case OW_ACCESS_COLLABORATOR:
      return scope >= OW_SCOPE_COLLABORATOR;
    case OW_ACCESS_OPENCODE:
    case OW_ACCESS_OWNER:
    default:
      return scope >= OW_SCOPE_OWNER;
    }
}

static OwTokenInfo *
copy_owner (const OwTokenInfo *owner)
{
  OwTokenInfo *copy = g_new0 (OwTokenInfo, 1);

  copy->id = g_strdup (owner->id);
  copy->name = g_strdup (owner->name);
  copy->scope = owner->scope;
  copy->created_ms = owner->created_ms;
  copy->workspaces = g_strdupv (owner->workspaces);
  return copy;
}

/* The token store's record of @token, claiming it first if it is a connect-remote grant;
 * %NULL after replying. */
static OwTokenInfo *
verify (OwGatewayRequest *request, const char *token)
{
  OwTokenStore *tokens = request->context->tokens;
  OwTokenInfo *info = ow_token_store_verify (tokens, token);
  SoupServerMessage *message = request->message;

  if (info == NULL && token && g_str_has_prefix (token, "owg_"))
    {
      if (!ow_pairing_routes_use_grant (request->context, message, token))
        return NULL;
      /* An invite's: the device is in, on this very request. */
      info = ow_token_store_verify (tokens, token);
    }
  if (info == NULL)
    {
      ow_metrics_record (request->context->metrics, OW_METRIC_CONNECTION_FAILURE, "auth", 0);
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "WWW-Authenticate", "Bearer realm=\"openwork-host\"");
      ow_http_reply_error (message, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                           token ? "This token is not valid or was revoked. Pair again or ask "
                                   "the host owner for a new token."
                                 : "This needs a token: send Authorization: Bearer owt_…");
    }
  return info;
}

gboolean
ow_gateway_authenticate (OwGatewayRequest *request,
                         const OwRoute *route,
                         const OwTokenInfo *owner,
                         OwTokenInfo **caller,
                         char **token)
{
  g_autofree char *presented = NULL;
  g_autoptr (OwTokenInfo) info = NULL;
  OwAccess access;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (route != NULL, FALSE);

  if (owner != NULL)
    {
      info = copy_owner (owner);
    }
  else if (route->access != OW_ACCESS_PUBLIC)
    {
      presented = presented_token (request, route);
      info = verify (request, presented);
      if (info == NULL)
        return FALSE;
      access = effective_access (request, route);
      if (!scope_allows (info->scope, access))
        {
          g_autofree char *text =
            g_strdup_printf ("This needs the %s scope; your token has %s.",
                             ow_access_to_string (access), ow_scope_to_string (info->scope));
          ow_http_reply_error (request->message, SOUP_STATUS_FORBIDDEN, "forbidden", text);
          return FALSE;
        }
      ow_device_registry_seen (request->context->devices, info->id);
    }

  if (caller)
    *caller = g_steal_pointer (&info);
  if (token)
    *token = g_steal_pointer (&presented);
  return TRUE;
}
