#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What a token may do; each scope includes the ones below it. */
typedef enum
{
  OW_SCOPE_VIEWER,       /* read only */
  OW_SCOPE_COLLABORATOR, /* run tasks */
  OW_SCOPE_OWNER,        /* everything, including tokens and approvals */
} OwScope;

#define OW_TYPE_SCOPE (ow_scope_get_type ())
GType ow_scope_get_type (void);

const char *ow_scope_to_string (OwScope scope);
/* Parses "owner", "collaborator" or "viewer". */
gboolean ow_scope_from_string (const char *text, OwScope *scope);

typedef struct
{
  char *id;   /* "tok_…", public, names the token in lists and revocation */
  char *name; /* a person's label, e.g. "Ana's phone" */
  OwScope scope;
  gint64 created_ms; /* Unix time */
  GStrv workspaces;  /* (nullable): the workspace ids it may use; %NULL is all of them */
} OwTokenInfo;

/* Whether @info may use the workspace @id. */
gboolean ow_token_info_allows_workspace (const OwTokenInfo *info, const char *id);

void ow_token_info_free (OwTokenInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwTokenInfo, ow_token_info_free)

#define OW_TOKEN_STORE_ERROR (ow_token_store_error_quark ())

typedef enum
{
  OW_TOKEN_STORE_ERROR_DATABASE,
  OW_TOKEN_STORE_ERROR_NOT_FOUND,
} OwTokenStoreError;

GQuark ow_token_store_error_quark (void);

#define OW_TYPE_TOKEN_STORE (ow_token_store_get_type ())
G_DECLARE_FINAL_TYPE (OwTokenStore, ow_token_store, OW, TOKEN_STORE, GObject)

/**
 * ow_token_store_open:
 * @path: the SQLite database (created, mode 0600)
 *
 * Tokens are stored only as SHA-256 hashes; the token itself is shown once, at creation.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
OwTokenStore *ow_token_store_open (const char *path, GError **error);

/**
 * ow_token_store_create:
 * @info: (out) (optional) (transfer full): what was stored
 *
 * Returns: (transfer full): the new token, `owt_` and 64 hex digits, or %NULL with @error
 */
char *ow_token_store_create (
  OwTokenStore *self, OwScope scope, const char *name, OwTokenInfo **info, GError **error);

/**
 * ow_token_store_create_full:
 * @workspaces: (nullable): the workspace ids the token may use; %NULL for all
 * @token: (nullable): the token's value, when the client already holds it (a one-time
 *   grant that becomes a device's token on approval); %NULL makes a new one
 *
 * As ow_token_store_create(), limited to @workspaces.
 */
char *ow_token_store_create_full (OwTokenStore *self,
                                  OwScope scope,
                                  const char *name,
                                  const char *const *workspaces,
                                  const char *token,
                                  OwTokenInfo **info,
                                  GError **error);

/* Returns: (transfer full) (nullable): the record of the token @id if it is not revoked */
OwTokenInfo *ow_token_store_lookup (OwTokenStore *self, const char *id);

/**
 * ow_token_store_verify:
 * @token: (nullable): what a client presented
 *
 * Returns: (transfer full) (nullable): the token's record if @token is valid and not
 *   revoked, else %NULL. Only the hash is looked up and compared, in constant time.
 */
OwTokenInfo *ow_token_store_verify (OwTokenStore *self, const char *token);

/* Returns: (transfer full) (element-type OwTokenInfo): the tokens not revoked, oldest first */
GPtrArray *ow_token_store_list (OwTokenStore *self, GError **error);

/**
 * ow_token_store_revoke:
 *
 * Revokes a token at once and emits #OwTokenStore::token-revoked so that its open streams
 * can be closed. An unknown or already revoked id is %OW_TOKEN_STORE_ERROR_NOT_FOUND.
 */
gboolean ow_token_store_revoke (OwTokenStore *self, const char *id, GError **error);

G_END_DECLS
