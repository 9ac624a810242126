#include "config.h"

#include "ow-device-registry.h"

#include <glib/gstdio.h>
#include <sodium.h>

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, GString *heard)
{
  g_string_append_printf (heard, "%u-%u+%u;", position, removed, added);
}

static void
on_notify (OwDevice *device, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

/* The registry is a model of the devices not revoked, the oldest first, kept in step with
 * the database across a restart; last-seen changes are notified at most once a minute. */
static void
test_devices_are_a_model_kept_across_restarts (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ow-devices-XXXXXX", NULL);
  g_autofree char *tokens_path = g_build_filename (dir, "tokens.db", NULL);
  g_autofree char *devices_path = g_build_filename (dir, "devices.db", NULL);
  g_autoptr (OwTokenStore) tokens = ow_token_store_open (tokens_path, NULL);
  g_autoptr (OwDeviceRegistry) devices = ow_device_registry_open (devices_path, tokens, NULL);
  g_autoptr (OwDeviceRegistry) reopened = NULL;
  g_autoptr (GString) heard = g_string_new (NULL);
  g_autoptr (OwDevice) phone = NULL;
  g_autoptr (OwDevice) laptop = NULL;
  g_autoptr (OwDevice) kept = NULL;
  g_autoptr (GError) error = NULL;
  const char *const workspaces[] = { "ws_1", NULL };
  g_autofree char *phone_token = NULL;
  g_autofree char *laptop_token = NULL;
  guint notified = 0;

  g_assert_nonnull (devices);
  g_signal_connect (devices, "items-changed", G_CALLBACK (on_items_changed), heard);
  phone_token = ow_device_registry_add (devices, "Ana's phone", "android", "code",
                                        OW_SCOPE_COLLABORATOR, workspaces, NULL, &phone, &error);
  g_assert_no_error (error);
  laptop_token = ow_device_registry_add (devices, "Laptop", "linux", "secret", OW_SCOPE_VIEWER,
                                         NULL, NULL, &laptop, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (heard->str, ==, "0-0+1;1-0+1;");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (devices)), ==, 2);
  g_assert_true (ow_device_registry_lookup (devices, ow_device_get_id (phone)) == phone);
  g_assert_cmpint (ow_device_get_scope (phone), ==, OW_SCOPE_COLLABORATOR);
  g_assert_cmpstrv (ow_device_get_workspaces (phone), workspaces);
  g_assert_null (ow_device_get_workspaces (laptop));
  g_assert_cmpint (ow_device_get_last_seen_at (phone), ==, 0);

  g_signal_connect (phone, "notify::last-seen-at", G_CALLBACK (on_notify), &notified);
  ow_device_registry_seen (devices, ow_device_get_token_id (phone));
  ow_device_registry_seen (devices, ow_device_get_token_id (phone));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpint (ow_device_get_last_seen_at (phone), >, 0);

  g_assert_true (ow_device_registry_revoke (devices, ow_device_get_id (laptop), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (heard->str, ==, "0-0+1;1-0+1;1-1+0;");
  g_assert_null (ow_device_registry_lookup (devices, ow_device_get_id (laptop)));
  g_assert_false (ow_device_registry_revoke (devices, ow_device_get_id (laptop), &error));
  g_assert_error (error, OW_DEVICE_REGISTRY_ERROR, OW_DEVICE_REGISTRY_ERROR_NOT_FOUND);

  reopened = ow_device_registry_open (devices_path, tokens, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reopened)), ==, 1);
  kept = g_list_model_get_item (G_LIST_MODEL (reopened), 0);
  g_assert_cmpstr (ow_device_get_id (kept), ==, ow_device_get_id (phone));
  g_assert_cmpstr (ow_device_get_name (kept), ==, "Ana's phone");
  g_assert_cmpstrv (ow_device_get_workspaces (kept), workspaces);
  g_assert_cmpint (ow_device_get_last_seen_at (kept), ==, ow_device_get_last_seen_at (phone));

  g_clear_object (&reopened);
  g_clear_object (&devices);
  g_clear_object (&tokens);
  for (const char *const *name =
         (const char *const[]){ "tokens.db", "tokens.db-wal", "tokens.db-shm", "devices.db",
                                "devices.db-wal", "devices.db-shm", NULL };
       *name; name++)
    {
      g_autofree char *path = g_build_filename (dir, *name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/device-registry/model", test_devices_are_a_model_kept_across_restarts);
  return g_test_run ();
}
