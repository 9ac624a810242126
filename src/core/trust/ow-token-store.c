#include "config.h"

#include "ow-token-store.h"
#include "ow-random.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#define TOKEN_PREFIX "owt_"
#define GRANT_PREFIX "owg_"
#define TOKEN_SECRET_BYTES 32

/* clang-format off */
G_DEFINE_QUARK (ow-token-store-error-quark, ow_token_store_error)
/* clang-format on */

struct _OwTokenStore
{
  GObject parent_instance;

  sqlite3 *db;
  sqlite3_stmt *verify; /* every authenticated request runs it: prepared once */
};

G_DEFINE_FINAL_TYPE (OwTokenStore, ow_token_store, G_TYPE_OBJECT)

enum
{
  SIGNAL_TOKEN_REVOKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const scope_names[] = { "viewer", "collaborator", "owner" };

G_DEFINE_ENUM_TYPE (OwScope,
                    ow_scope,
                    G_DEFINE_ENUM_VALUE (OW_SCOPE_VIEWER, "viewer"),
                    G_DEFINE_ENUM_VALUE (OW_SCOPE_COLLABORATOR, "collaborator"),
                    G_DEFINE_ENUM_VALUE (OW_SCOPE_OWNER, "owner"))

const char *
ow_scope_to_string (OwScope scope)
{
  g_return_val_if_fail (scope <= OW_SCOPE_OWNER, "viewer");
  return scope_names[scope];
}

gboolean
ow_scope_from_string (const char *text, OwScope *scope)
{
  for (guint i = 0; text && i < G_N_ELEMENTS (scope_names); i++)
    if (g_str_equal (text, scope_names[i]))
      {
        *scope = (OwScope) i;
        return TRUE;
      }
  return FALSE;
}

void
ow_token_info_free (OwTokenInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->name);
  g_strfreev (info->workspaces);
  g_free (info);
}

gboolean
ow_token_info_allows_workspace (const OwTokenInfo *info, const char *id)
{
  g_return_val_if_fail (info != NULL, FALSE);
  return info->workspaces == NULL || g_strv_contains ((const char *const *) info->workspaces, id);
}

static gboolean
db_error (OwTokenStore *self, int code, const char *what, GError **error)
{
  g_set_error (error, OW_TOKEN_STORE_ERROR, OW_TOKEN_STORE_ERROR_DATABASE,
               "The token database could not %s: %s", what,
               self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (code));
  return FALSE;
}

static gboolean
exec (OwTokenStore *self, const char *sql, GError **error)
{
  int code = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  return code == SQLITE_OK || db_error (self, code, "be prepared", error);
}

OwTokenStore *
ow_token_store_open (const char *path, GError **error)
{
  g_autoptr (OwTokenStore) self = g_object_new (OW_TYPE_TOKEN_STORE, NULL);
  int code;

  g_return_val_if_fail (path != NULL, NULL);

  code = sqlite3_open_v2 (path, &self->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (code != SQLITE_OK)
    {
      g_set_error (error, OW_TOKEN_STORE_ERROR, OW_TOKEN_STORE_ERROR_DATABASE,
                   "Could not open the token database %s: %s", path, sqlite3_errstr (code));
      return NULL;
    }
  g_chmod (path, 0600);
  sqlite3_busy_timeout (self->db, 5000);

  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = NORMAL", error) ||
      !exec (self,
             "CREATE TABLE IF NOT EXISTS tokens ("
             "  id TEXT PRIMARY KEY,"
             "  name TEXT NOT NULL,"
             "  scope TEXT NOT NULL,"
             "  hash BLOB NOT NULL UNIQUE,"
             "  created_ms INTEGER NOT NULL,"
             "  revoked_ms INTEGER)",
             error))
    return NULL;

  /* Added with device pairing: the workspace ids a token is limited to, ";"-separated;
   * NULL is all. Older databases gain the column here. */
  if (sqlite3_exec (self->db, "SELECT workspaces FROM tokens LIMIT 0", NULL, NULL, NULL) !=
        SQLITE_OK &&
      !exec (self, "ALTER TABLE tokens ADD COLUMN workspaces TEXT", error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
hash_token (const char *token, guchar hash[crypto_hash_sha256_BYTES])
{
  crypto_hash_sha256 (hash, (const guchar *) token, strlen (token));
}

char *
ow_token_store_create (
  OwTokenStore *self, OwScope scope, const char *name, OwTokenInfo **info, GError **error)
{
  return ow_token_store_create_full (self, scope, name, NULL, NULL, info, error);
}

char *
ow_token_store_create_full (OwTokenStore *self,
                            OwScope scope,
                            const char *name,
                            const char *const *workspaces,
                            const char *token,
                            OwTokenInfo **info,
                            GError **error)
{
  g_autofree char *secret = NULL;
  g_autofree char *value = NULL;
  g_autofree char *suffix = ow_random_hex (6);
  g_autofree char *id = g_strconcat ("tok_", suffix, NULL);
  g_autofree char *joined = workspaces ? g_strjoinv (";", (char **) workspaces) : NULL;
  guchar hash[crypto_hash_sha256_BYTES];
  gint64 now_ms = g_get_real_time () / 1000;
  sqlite3_stmt *statement = NULL;
  int code;

  g_return_val_if_fail (OW_IS_TOKEN_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (token)
    {
      value = g_strdup (token);
    }
  else
    {
      secret = ow_random_hex (TOKEN_SECRET_BYTES);
      value = g_strconcat (TOKEN_PREFIX, secret, NULL);
      sodium_memzero (secret, strlen (secret));
    }

  hash_token (value, hash);
  code = sqlite3_prepare_v2 (self->db,
                             "INSERT INTO tokens (id, name, scope, hash, created_ms, workspaces) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             -1, &statement, NULL);
  if (code == SQLITE_OK)
    {
      sqlite3_bind_text (statement, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (statement, 2, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (statement, 3, ow_scope_to_string (scope), -1, SQLITE_STATIC);
      sqlite3_bind_blob (statement, 4, hash, sizeof hash, SQLITE_STATIC);
      sqlite3_bind_int64 (statement, 5, now_ms);
      if (joined)
        sqlite3_bind_text (statement, 6, joined, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (statement, 6);
      code = sqlite3_step (statement);
    }
  sqlite3_finalize (statement);
  if (code != SQLITE_DONE)
    {
      db_error (self, code, "store the token", error);
      return NULL;
    }

  if (info)
    {
      *info = g_new0 (OwTokenInfo, 1);
      (*info)->id = g_strdup (id);
      (*info)->name = g_strdup (name);
      (*info)->scope = scope;
      (*info)->created_ms = now_ms;
      (*info)->workspaces = g_strdupv ((char **) workspaces);
    }

  return g_steal_pointer (&value);
}

static OwTokenInfo *
info_from_row (sqlite3_stmt *statement)
{
  OwTokenInfo *info = g_new0 (OwTokenInfo, 1);

  info->id = g_strdup ((const char *) sqlite3_column_text (statement, 0));
  info->name = g_strdup ((const char *) sqlite3_column_text (statement, 1));
  if (!ow_scope_from_string ((const char *) sqlite3_column_text (statement, 2), &info->scope))
    info->scope = OW_SCOPE_VIEWER; /* an unknown scope gets the least rights */
  info->created_ms = sqlite3_column_int64 (statement, 3);
  if (sqlite3_column_type (statement, 4) != SQLITE_NULL)
    info->workspaces = g_strsplit ((const char *) sqlite3_column_text (statement, 4), ";", -1);
  return info;
}

OwTokenInfo *
ow_token_store_verify (OwTokenStore *self, const char *token)
{
  guchar hash[crypto_hash_sha256_BYTES];
  sqlite3_stmt *statement = NULL;
  OwTokenInfo *info = NULL;

  g_return_val_if_fail (OW_IS_TOKEN_STORE (self), NULL);

  if (token == NULL ||
      !(g_str_has_prefix (token, TOKEN_PREFIX) || g_str_has_prefix (token, GRANT_PREFIX)) ||
      strlen (token) > 256)
    return NULL;

  /* The lookup is by hash, so its timing tells nothing about the token itself. */
  hash_token (token, hash);
  if (self->verify == NULL &&
      sqlite3_prepare_v3 (self->db,
                          "SELECT id, name, scope, created_ms, workspaces, hash FROM tokens "
                          "WHERE hash = ? AND revoked_ms IS NULL",
                          -1, SQLITE_PREPARE_PERSISTENT, &self->verify, NULL) != SQLITE_OK)
    return NULL;
  statement = self->verify;

  sqlite3_bind_blob (statement, 1, hash, sizeof hash, SQLITE_STATIC);
  if (sqlite3_step (statement) == SQLITE_ROW &&
      sqlite3_column_bytes (statement, 5) == (int) sizeof hash &&
      sodium_memcmp (sqlite3_column_blob (statement, 5), hash, sizeof hash) == 0)
    info = info_from_row (statement);

  /* Ready for the next request, holding no lock on the table meanwhile. */
  sqlite3_reset (statement);
  sqlite3_clear_bindings (statement);
  return info;
}

GPtrArray *
ow_token_store_list (OwTokenStore *self, GError **error)
{
  g_autoptr (GPtrArray) tokens =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ow_token_info_free);
  sqlite3_stmt *statement = NULL;
  int code;

  g_return_val_if_fail (OW_IS_TOKEN_STORE (self), NULL);

  code = sqlite3_prepare_v2 (self->db,
                             "SELECT id, name, scope, created_ms, workspaces FROM tokens "
                             "WHERE revoked_ms IS NULL ORDER BY created_ms, id",
                             -1, &statement, NULL);
  while (code == SQLITE_OK && (code = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_ptr_array_add (tokens, info_from_row (statement));
      code = SQLITE_OK;
    }
  sqlite3_finalize (statement);

  if (code != SQLITE_DONE)
    {
      db_error (self, code, "list the tokens", error);
      return NULL;
    }
  return g_steal_pointer (&tokens);
}

OwTokenInfo *
ow_token_store_lookup (OwTokenStore *self, const char *id)
{
  sqlite3_stmt *statement = NULL;
  OwTokenInfo *info = NULL;

  g_return_val_if_fail (OW_IS_TOKEN_STORE (self), NULL);

  if (sqlite3_prepare_v2 (self->db,
                          "SELECT id, name, scope, created_ms, workspaces FROM tokens "
                          "WHERE id = ? AND revoked_ms IS NULL",
                          -1, &statement, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text (statement, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (statement) == SQLITE_ROW)
    info = info_from_row (statement);
  sqlite3_finalize (statement);
  return info;
}

gboolean
ow_token_store_revoke (OwTokenStore *self, const char *id, GError **error)
{
  sqlite3_stmt *statement = NULL;
  int code;
  int changes;

  g_return_val_if_fail (OW_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  code = sqlite3_prepare_v2 (self->db,
                             "UPDATE tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL",
                             -1, &statement, NULL);
  if (code == SQLITE_OK)
    {
      sqlite3_bind_int64 (statement, 1, g_get_real_time () / 1000);
      sqlite3_bind_text (statement, 2, id, -1, SQLITE_STATIC);
      code = sqlite3_step (statement);
    }
  sqlite3_finalize (statement);
  if (code != SQLITE_DONE)
    return db_error (self, code, "revoke the token", error);

  changes = sqlite3_changes (self->db);
  if (changes == 0)
    {
      g_set_error (error, OW_TOKEN_STORE_ERROR, OW_TOKEN_STORE_ERROR_NOT_FOUND,
                   "No active token has the id %s. List the tokens with "
                   "\"openwork-host token list\".",
                   id);
      return FALSE;
    }

  g_signal_emit (self, signals[SIGNAL_TOKEN_REVOKED], 0, id);
  return TRUE;
}

static void
ow_token_store_finalize (GObject *object)
{
  OwTokenStore *self = OW_TOKEN_STORE (object);

  g_clear_pointer (&self->verify, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);

  G_OBJECT_CLASS (ow_token_store_parent_class)->finalize (object);
}

static void
ow_token_store_class_init (OwTokenStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_token_store_finalize;

  /**
   * OwTokenStore::token-revoked:
   * @id: the id of the revoked token
   */
  signals[SIGNAL_TOKEN_REVOKED] =
    g_signal_new ("token-revoked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ow_token_store_init (OwTokenStore *self)
{
}
