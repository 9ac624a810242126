#include "config.h"

#include "ow-token-store.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sodium.h>

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  fixture->dir = g_dir_make_tmp ("ow-tokens-XXXXXX", NULL);
  fixture->path = g_build_filename (fixture->dir, "tokens.db", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  const char *suffixes[] = { "", "-wal", "-shm", NULL };

  for (guint i = 0; suffixes[i]; i++)
    {
      g_autofree char *path = g_strconcat (fixture->path, suffixes[i], NULL);
      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
on_revoked (OwTokenStore *store, const char *id, GPtrArray *revoked)
{
  g_ptr_array_add (revoked, g_strdup (id));
}

static void
test_create_verify_revoke (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OwTokenStore) store = ow_token_store_open (fixture->path, &error);
  g_autoptr (OwTokenInfo) created = NULL;
  g_autoptr (OwTokenInfo) verified = NULL;
  g_autoptr (GPtrArray) revoked = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *token = NULL;
  g_autofree char *wrong = NULL;

  g_assert_no_error (error);
  token = ow_token_store_create (store, OW_SCOPE_COLLABORATOR, "Ana's phone", &created, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (token, "owt_"));
  g_assert_cmpuint (strlen (token), ==, 4 + 64);
  g_assert_true (g_str_has_prefix (created->id, "tok_"));

  verified = ow_token_store_verify (store, token);
  g_assert_nonnull (verified);
  g_assert_cmpstr (verified->id, ==, created->id);
  g_assert_cmpstr (verified->name, ==, "Ana's phone");
  g_assert_cmpint (verified->scope, ==, OW_SCOPE_COLLABORATOR);

  /* One changed digit, a prefix, no prefix, nothing: all refused. */
  wrong = g_strdup (token);
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  g_assert_null (ow_token_store_verify (store, wrong));
  g_assert_null (ow_token_store_verify (store, "owt_"));
  g_assert_null (ow_token_store_verify (store, token + 4));
  g_assert_null (ow_token_store_verify (store, NULL));

  g_signal_connect (store, "token-revoked", G_CALLBACK (on_revoked), revoked);
  g_assert_true (ow_token_store_revoke (store, created->id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (revoked->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (revoked, 0), ==, created->id);
  g_assert_null (ow_token_store_verify (store, token));

  /* A second revocation is an error that says what to do. */
  g_assert_false (ow_token_store_revoke (store, created->id, &error));
  g_assert_error (error, OW_TOKEN_STORE_ERROR, OW_TOKEN_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "token list"));
}

static void
test_tokens_survive_reopen_as_hashes (Fixture *fixture, gconstpointer data)
{
  g_autofree char *token = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  GStatBuf st;

  {
    g_autoptr (OwTokenStore) store = ow_token_store_open (fixture->path, NULL);
    token = ow_token_store_create (store, OW_SCOPE_OWNER, "laptop", NULL, NULL);
    g_assert_nonnull (token);
  }

  {
    g_autoptr (OwTokenStore) store = ow_token_store_open (fixture->path, NULL);
    g_autoptr (OwTokenInfo) info = ow_token_store_verify (store, token);
    g_autoptr (GPtrArray) all = ow_token_store_list (store, NULL);

    g_assert_nonnull (info);
    g_assert_cmpint (info->scope, ==, OW_SCOPE_OWNER);
    g_assert_cmpuint (all->len, ==, 1);
  }

  /* The database holds no token, only its hash. */
  g_assert_true (g_file_get_contents (fixture->path, &contents, &length, NULL));
  g_assert_null (memmem (contents, length, token + 4, 64));
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_scopes_round_trip (void)
{
  OwScope scope;

  for (OwScope s = OW_SCOPE_VIEWER; s <= OW_SCOPE_OWNER; s++)
    {
      g_assert_true (ow_scope_from_string (ow_scope_to_string (s), &scope));
      g_assert_cmpint (scope, ==, s);
    }
  g_assert_false (ow_scope_from_string ("admin", &scope));
  g_assert_false (ow_scope_from_string ("", &scope));
  g_assert_false (ow_scope_from_string (NULL, &scope));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add ("/token-store/create-verify-revoke", Fixture, NULL, fixture_set_up,
              test_create_verify_revoke, fixture_tear_down);
  g_test_add ("/token-store/tokens-survive-reopen-as-hashes", Fixture, NULL, fixture_set_up,
              test_tokens_survive_reopen_as_hashes, fixture_tear_down);
  g_test_add_func ("/token-store/scopes-round-trip", test_scopes_round_trip);
  return g_test_run ();
}
