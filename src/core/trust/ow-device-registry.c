#include "config.h"

#include "ow-device-registry.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

/* How often a device's last-seen time is written, at most. */
#define SEEN_WRITE_INTERVAL_US (60 * G_USEC_PER_SEC)

/* clang-format off */
G_DEFINE_QUARK (ow-device-registry-error-quark, ow_device_registry_error)
/* clang-format on */

struct _OwDeviceRegistry
{
  GObject parent_instance;

  sqlite3 *db;
  OwTokenStore *tokens;
  GHashTable *seen_written; /* token id → monotonic µs of the last write */
};

G_DEFINE_FINAL_TYPE (OwDeviceRegistry, ow_device_registry, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
ow_device_info_free (OwDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->name);
  g_free (info->platform);
  g_free (info->method);
  g_strfreev (info->workspaces);
  g_free (info->token_id);
  g_free (info);
}

OwDeviceInfo *
ow_device_info_copy (const OwDeviceInfo *info)
{
  OwDeviceInfo *copy = g_new0 (OwDeviceInfo, 1);

  copy->id = g_strdup (info->id);
  copy->name = g_strdup (info->name);
  copy->platform = g_strdup (info->platform);
  copy->method = g_strdup (info->method);
  copy->scope = info->scope;
  copy->workspaces = g_strdupv (info->workspaces);
  copy->token_id = g_strdup (info->token_id);
  copy->paired_ms = info->paired_ms;
  copy->last_seen_ms = info->last_seen_ms;
  return copy;
}

static gboolean
db_error (OwDeviceRegistry *self, int code, const char *what, GError **error)
{
  g_set_error (error, OW_DEVICE_REGISTRY_ERROR, OW_DEVICE_REGISTRY_ERROR_DATABASE,
               "The device database could not %s: %s", what,
               self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (code));
  return FALSE;
}

static gboolean
exec (OwDeviceRegistry *self, const char *sql, GError **error)
{
  int code = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  return code == SQLITE_OK || db_error (self, code, "be prepared", error);
}

/* A token revoked by id (say with "token revoke") takes its device with it. */
static void
on_token_revoked (OwTokenStore *tokens, const char *token_id, OwDeviceRegistry *self)
{
  sqlite3_stmt *statement = NULL;

  if (sqlite3_prepare_v2 (self->db,
                          "UPDATE devices SET revoked_ms = ? "
                          "WHERE token_id = ? AND revoked_ms IS NULL",
                          -1, &statement, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64 (statement, 1, g_get_real_time () / 1000);
  sqlite3_bind_text (statement, 2, token_id, -1, SQLITE_STATIC);
  if (sqlite3_step (statement) == SQLITE_DONE && sqlite3_changes (self->db) > 0)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  sqlite3_finalize (statement);
  g_hash_table_remove (self->seen_written, token_id);
}

OwDeviceRegistry *
ow_device_registry_open (const char *path, OwTokenStore *tokens, GError **error)
{
  g_autoptr (OwDeviceRegistry) self = g_object_new (OW_TYPE_DEVICE_REGISTRY, NULL);
  int code;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (OW_IS_TOKEN_STORE (tokens), NULL);

  code = sqlite3_open_v2 (path, &self->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (code != SQLITE_OK)
    {
      g_set_error (error, OW_DEVICE_REGISTRY_ERROR, OW_DEVICE_REGISTRY_ERROR_DATABASE,
                   "Could not open the device database %s: %s", path, sqlite3_errstr (code));
      return NULL;
    }
  g_chmod (path, 0600);
  sqlite3_busy_timeout (self->db, 5000);

  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = NORMAL", error) ||
      !exec (self,
             "CREATE TABLE IF NOT EXISTS devices ("
             "  id TEXT PRIMARY KEY,"
             "  name TEXT NOT NULL,"
             "  platform TEXT NOT NULL,"
             "  method TEXT NOT NULL,"
             "  scope TEXT NOT NULL,"
             "  workspaces TEXT," /* ";"-separated ids; NULL is all */
             "  token_id TEXT NOT NULL,"
             "  token_hash BLOB NOT NULL,"
             "  paired_ms INTEGER NOT NULL,"
             "  last_seen_ms INTEGER,"
             "  revoked_ms INTEGER)",
             error))
    return NULL;

  self->tokens = g_object_ref (tokens);
  g_signal_connect (tokens, "token-revoked", G_CALLBACK (on_token_revoked), self);
  return g_steal_pointer (&self);
}

char *
ow_device_registry_add (OwDeviceRegistry *self,
                        const char *name,
                        const char *platform,
                        const char *method,
                        OwScope scope,
                        const char *const *workspaces,
                        const char *token,
                        OwDeviceInfo **info,
                        GError **error)
{
  g_autoptr (OwTokenInfo) token_info = NULL;
  g_autofree char *value = NULL;
  g_autofree char *joined = workspaces ? g_strjoinv (";", (char **) workspaces) : NULL;
  g_autofree char *id = NULL;
  guchar suffix[6];
  char suffix_hex[sizeof suffix * 2 + 1];
  guchar hash[crypto_hash_sha256_BYTES];
  gint64 now_ms = g_get_real_time () / 1000;
  sqlite3_stmt *statement = NULL;
  int code;

  g_return_val_if_fail (OW_IS_DEVICE_REGISTRY (self), NULL);
  g_return_val_if_fail (name != NULL && platform != NULL && method != NULL, NULL);

  value =
    ow_token_store_create_full (self->tokens, scope, name, workspaces, token, &token_info, error);
  if (value == NULL)
    return NULL;

  randombytes_buf (suffix, sizeof suffix);
  sodium_bin2hex (suffix_hex, sizeof suffix_hex, suffix, sizeof suffix);
  id = g_strconcat ("dev_", suffix_hex, NULL);
  crypto_hash_sha256 (hash, (const guchar *) value, strlen (value));

  code = sqlite3_prepare_v2 (self->db,
                             "INSERT INTO devices (id, name, platform, method, scope, workspaces, "
                             "  token_id, token_hash, paired_ms) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             -1, &statement, NULL);
  if (code == SQLITE_OK)
    {
      sqlite3_bind_text (statement, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (statement, 2, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (statement, 3, platform, -1, SQLITE_STATIC);
      sqlite3_bind_text (statement, 4, method, -1, SQLITE_STATIC);
      sqlite3_bind_text (statement, 5, ow_scope_to_string (scope), -1, SQLITE_STATIC);
      if (joined)
        sqlite3_bind_text (statement, 6, joined, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (statement, 6);
      sqlite3_bind_text (statement, 7, token_info->id, -1, SQLITE_STATIC);
      sqlite3_bind_blob (statement, 8, hash, sizeof hash, SQLITE_STATIC);
      sqlite3_bind_int64 (statement, 9, now_ms);
      code = sqlite3_step (statement);
    }
  sqlite3_finalize (statement);
  if (code != SQLITE_DONE)
    {
      db_error (self, code, "record the device", error);
      /* A token no device record names would be one nobody can see to revoke. */
      ow_token_store_revoke (self->tokens, token_info->id, NULL);
      return NULL;
    }

  if (info)
    {
      *info = g_new0 (OwDeviceInfo, 1);
      (*info)->id = g_strdup (id);
      (*info)->name = g_strdup (name);
      (*info)->platform = g_strdup (platform);
      (*info)->method = g_strdup (method);
      (*info)->scope = scope;
      (*info)->workspaces = g_strdupv ((char **) workspaces);
      (*info)->token_id = g_strdup (token_info->id);
      (*info)->paired_ms = now_ms;
    }

  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return g_steal_pointer (&value);
}

static OwDeviceInfo *
info_from_row (sqlite3_stmt *statement)
{
  OwDeviceInfo *info = g_new0 (OwDeviceInfo, 1);

  info->id = g_strdup ((const char *) sqlite3_column_text (statement, 0));
  info->name = g_strdup ((const char *) sqlite3_column_text (statement, 1));
  info->platform = g_strdup ((const char *) sqlite3_column_text (statement, 2));
  info->method = g_strdup ((const char *) sqlite3_column_text (statement, 3));
  if (!ow_scope_from_string ((const char *) sqlite3_column_text (statement, 4), &info->scope))
    info->scope = OW_SCOPE_VIEWER;
  if (sqlite3_column_type (statement, 5) != SQLITE_NULL)
    info->workspaces = g_strsplit ((const char *) sqlite3_column_text (statement, 5), ";", -1);
  info->token_id = g_strdup ((const char *) sqlite3_column_text (statement, 6));
  info->paired_ms = sqlite3_column_int64 (statement, 7);
  info->last_seen_ms = sqlite3_column_int64 (statement, 8);
  return info;
}

GPtrArray *
ow_device_registry_list (OwDeviceRegistry *self, GError **error)
{
  g_autoptr (GPtrArray) devices =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ow_device_info_free);
  sqlite3_stmt *statement = NULL;
  int code;

  g_return_val_if_fail (OW_IS_DEVICE_REGISTRY (self), NULL);

  code = sqlite3_prepare_v2 (self->db,
                             "SELECT id, name, platform, method, scope, workspaces, token_id, "
                             "  paired_ms, last_seen_ms "
                             "FROM devices WHERE revoked_ms IS NULL ORDER BY paired_ms, id",
                             -1, &statement, NULL);
  while (code == SQLITE_OK && (code = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_ptr_array_add (devices, info_from_row (statement));
      code = SQLITE_OK;
    }
  sqlite3_finalize (statement);

  if (code != SQLITE_DONE)
    {
      db_error (self, code, "list the devices", error);
      return NULL;
    }
  return g_steal_pointer (&devices);
}

gboolean
ow_device_registry_revoke (OwDeviceRegistry *self, const char *id, GError **error)
{
  g_autofree char *token_id = NULL;
  sqlite3_stmt *statement = NULL;
  int code;

  g_return_val_if_fail (OW_IS_DEVICE_REGISTRY (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  code = sqlite3_prepare_v2 (self->db,
                             "SELECT token_id FROM devices WHERE id = ? AND revoked_ms IS NULL", -1,
                             &statement, NULL);
  if (code == SQLITE_OK)
    {
      sqlite3_bind_text (statement, 1, id, -1, SQLITE_STATIC);
      code = sqlite3_step (statement);
      if (code == SQLITE_ROW)
        token_id = g_strdup ((const char *) sqlite3_column_text (statement, 0));
    }
  sqlite3_finalize (statement);
  if (code != SQLITE_ROW && code != SQLITE_DONE)
    return db_error (self, code, "find the device", error);
  if (token_id == NULL)
    {
      g_set_error (error, OW_DEVICE_REGISTRY_ERROR, OW_DEVICE_REGISTRY_ERROR_NOT_FOUND,
                   "No paired device has the id %s. List them with \"openwork-host devices "
                   "list\".",
                   id);
      return FALSE;
    }

  /* The token goes first: on_token_revoked() then marks the device, and its streams close. */
  if (!ow_token_store_revoke (self->tokens, token_id, NULL))
    on_token_revoked (self->tokens, token_id, self);
  return TRUE;
}

void
ow_device_registry_seen (OwDeviceRegistry *self, const char *token_id)
{
  gint64 now = g_get_monotonic_time ();
  gpointer last;
  sqlite3_stmt *statement = NULL;

  g_return_if_fail (OW_IS_DEVICE_REGISTRY (self));

  if (token_id == NULL)
    return;
  if (g_hash_table_lookup_extended (self->seen_written, token_id, NULL, &last) &&
      now - *(gint64 *) last < SEEN_WRITE_INTERVAL_US)
    return;
  g_hash_table_insert (self->seen_written, g_strdup (token_id), g_memdup2 (&now, sizeof now));

  if (sqlite3_prepare_v2 (self->db,
                          "UPDATE devices SET last_seen_ms = ? "
                          "WHERE token_id = ? AND revoked_ms IS NULL",
                          -1, &statement, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64 (statement, 1, g_get_real_time () / 1000);
  sqlite3_bind_text (statement, 2, token_id, -1, SQLITE_STATIC);
  if (sqlite3_step (statement) != SQLITE_DONE)
    g_warning ("Could not note when a device was last seen: %s", sqlite3_errmsg (self->db));
  sqlite3_finalize (statement);
}

static void
ow_device_registry_dispose (GObject *object)
{
  OwDeviceRegistry *self = OW_DEVICE_REGISTRY (object);

  if (self->tokens)
    g_signal_handlers_disconnect_by_data (self->tokens, self);
  g_clear_object (&self->tokens);

  G_OBJECT_CLASS (ow_device_registry_parent_class)->dispose (object);
}

static void
ow_device_registry_finalize (GObject *object)
{
  OwDeviceRegistry *self = OW_DEVICE_REGISTRY (object);

  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->seen_written, g_hash_table_unref);

  G_OBJECT_CLASS (ow_device_registry_parent_class)->finalize (object);
}

static void
ow_device_registry_class_init (OwDeviceRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_device_registry_dispose;
  object_class->finalize = ow_device_registry_finalize;

  /**
   * OwDeviceRegistry::changed:
   *
   * A device was added or revoked.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ow_device_registry_init (OwDeviceRegistry *self)
{
  self->seen_written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}
