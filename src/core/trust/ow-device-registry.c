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
  GPtrArray *devices;       /* OwDevice not revoked, the oldest first */
  GHashTable *seen_written; /* token id → monotonic µs of the last write */
};

static void ow_device_registry_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OwDeviceRegistry,
                               ow_device_registry,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      ow_device_registry_list_model_init))

static GType
ow_device_registry_get_item_type (GListModel *model)
{
  return OW_TYPE_DEVICE;
}

static guint
ow_device_registry_get_n_items (GListModel *model)
{
  return OW_DEVICE_REGISTRY (model)->devices->len;
}

static gpointer
ow_device_registry_get_item (GListModel *model, guint position)
{
  OwDeviceRegistry *self = OW_DEVICE_REGISTRY (model);

  if (position >= self->devices->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->devices, position));
}

static void
ow_device_registry_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ow_device_registry_get_item_type;
  iface->get_n_items = ow_device_registry_get_n_items;
  iface->get_item = ow_device_registry_get_item;
}

/* The device holding @token_id, and where it is in the model. */
static OwDevice *
find_by_token (OwDeviceRegistry *self, const char *token_id, guint *position)
{
  for (guint i = 0; i < self->devices->len; i++)
    if (g_strcmp0 (ow_device_get_token_id (g_ptr_array_index (self->devices, i)), token_id) == 0)
      {
        if (position)
          *position = i;
        return g_ptr_array_index (self->devices, i);
      }
  return NULL;
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
  guint position;

  if (sqlite3_prepare_v2 (self->db,
                          "UPDATE devices SET revoked_ms = ? "
                          "WHERE token_id = ? AND revoked_ms IS NULL",
                          -1, &statement, NULL) != SQLITE_OK)
    return;
  sqlite3_bind_int64 (statement, 1, g_get_real_time () / 1000);
  sqlite3_bind_text (statement, 2, token_id, -1, SQLITE_STATIC);
  /* The token is revoked whatever the file says: the device goes from the list now. */
  if (sqlite3_step (statement) != SQLITE_DONE)
    g_warning ("A revoked device could not be marked in the device database: %s",
               sqlite3_errmsg (self->db));
  sqlite3_finalize (statement);
  g_hash_table_remove (self->seen_written, token_id);
  if (find_by_token (self, token_id, &position))
    {
      g_ptr_array_remove_index (self->devices, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
    }
}

static OwDevice *
device_from_row (sqlite3_stmt *statement)
{
  g_auto (GStrv) workspaces = NULL;
  OwScope scope;

  if (!ow_scope_from_string ((const char *) sqlite3_column_text (statement, 4), &scope))
    scope = OW_SCOPE_VIEWER;
  if (sqlite3_column_type (statement, 5) != SQLITE_NULL)
    workspaces = g_strsplit ((const char *) sqlite3_column_text (statement, 5), ";", -1);
  return ow_device_new ((const char *) sqlite3_column_text (statement, 0),
                        (const char *) sqlite3_column_text (statement, 1),
                        (const char *) sqlite3_column_text (statement, 2),
                        (const char *) sqlite3_column_text (statement, 3), scope,
                        (const char *const *) workspaces,
                        (const char *) sqlite3_column_text (statement, 6),
                        sqlite3_column_int64 (statement, 7), sqlite3_column_int64 (statement, 8));
}

/* Reads the devices not revoked into the model, as the database has them. */
static gboolean
load (OwDeviceRegistry *self, GError **error)
{
  sqlite3_stmt *statement = NULL;
  int code;

  code = sqlite3_prepare_v2 (self->db,
                             "SELECT id, name, platform, method, scope, workspaces, token_id, "
                             "  paired_ms, last_seen_ms "
                             "FROM devices WHERE revoked_ms IS NULL ORDER BY paired_ms, id",
                             -1, &statement, NULL);
  while (code == SQLITE_OK && (code = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_ptr_array_add (self->devices, device_from_row (statement));
      code = SQLITE_OK;
    }
  sqlite3_finalize (statement);
  return code == SQLITE_DONE || db_error (self, code, "list the devices", error);
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
             error) ||
      !load (self, error))
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
                        OwDevice **device,
                        GError **error)
{
  g_autoptr (OwTokenInfo) token_info = NULL;
  g_autoptr (OwDevice) added = NULL;
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

  added = ow_device_new (id, name, platform, method, scope, workspaces, token_info->id, now_ms, 0);
  g_ptr_array_add (self->devices, g_object_ref (added));
  g_list_model_items_changed (G_LIST_MODEL (self), self->devices->len - 1, 0, 1);
  if (device)
    *device = g_steal_pointer (&added);
  return g_steal_pointer (&value);
}

OwDevice *
ow_device_registry_lookup (OwDeviceRegistry *self, const char *id)
{
  g_return_val_if_fail (OW_IS_DEVICE_REGISTRY (self), NULL);

  for (guint i = 0; i < self->devices->len; i++)
    if (g_strcmp0 (ow_device_get_id (g_ptr_array_index (self->devices, i)), id) == 0)
      return g_ptr_array_index (self->devices, i);
  return NULL;
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
  gint64 now_ms = g_get_real_time () / 1000;
  OwDevice *device;
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
  sqlite3_bind_int64 (statement, 1, now_ms);
  sqlite3_bind_text (statement, 2, token_id, -1, SQLITE_STATIC);
  if (sqlite3_step (statement) != SQLITE_DONE)
    g_warning ("Could not note when a device was last seen: %s", sqlite3_errmsg (self->db));
  sqlite3_finalize (statement);
  if ((device = find_by_token (self, token_id, NULL)) != NULL)
    ow_device_set_last_seen_at (device, now_ms);
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
  g_clear_pointer (&self->devices, g_ptr_array_unref);

  G_OBJECT_CLASS (ow_device_registry_parent_class)->finalize (object);
}

static void
ow_device_registry_class_init (OwDeviceRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_device_registry_dispose;
  object_class->finalize = ow_device_registry_finalize;
}

static void
ow_device_registry_init (OwDeviceRegistry *self)
{
  self->seen_written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
}
