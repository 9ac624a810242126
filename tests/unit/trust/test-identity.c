#include "config.h"

#include "ow-identity.h"

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

static char *
make_dir (void)
{
  return g_dir_make_tmp ("ow-identity-XXXXXX", NULL);
}

static void
remove_dir (const char *dir)
{
  const char *names[] = { "host.crt", "host.key", NULL };

  for (guint i = 0; names[i]; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
test_created_once_and_stable (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *key_path = g_build_filename (dir, "host.key", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwIdentity) first = ow_identity_load_or_create (dir, &error);
  g_autoptr (OwIdentity) second = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *recomputed = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_nonnull (ow_identity_get_tls_certificate (first));
  g_assert_cmpuint (strlen (ow_identity_get_fingerprint (first)), ==, 64);

  /* The key is private; the certificate is public. */
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* About 397 days of validity. */
  g_assert_cmpint (g_date_time_difference (ow_identity_get_expiry (first), now) / G_TIME_SPAN_DAY,
                   >=, 396);

  /* A client computes the same fingerprint from the certificate it is shown. */
  g_assert_true (g_file_get_contents (ow_identity_get_certificate_path (first), &pem, NULL, NULL));
  recomputed = ow_identity_compute_fingerprint (pem, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (recomputed, ==, ow_identity_get_fingerprint (first));

  /* The next start loads the same identity. */
  second = ow_identity_load_or_create (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ow_identity_get_fingerprint (second), ==, ow_identity_get_fingerprint (first));

  remove_dir (dir);
}

/* Rewrites host.crt as a certificate of the same key that expires in @days days; @ca says
 * whether it is marked as a CA, as the host's own certificates are. */
static void
forge_certificate (const char *dir, int days, gboolean ca)
{
  g_autofree char *key_path = g_build_filename (dir, "host.key", NULL);
  g_autofree char *crt_path = g_build_filename (dir, "host.crt", NULL);
  g_autofree char *key_pem = NULL;
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t datum, out;
  gsize length;
  unsigned char serial[] = { 1 };

  g_assert_true (g_file_get_contents (key_path, &key_pem, &length, NULL));
  datum = (gnutls_datum_t){ (unsigned char *) key_pem, (unsigned int) length };
  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_import (key, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  gnutls_x509_crt_set_version (crt, 3);
  gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  gnutls_x509_crt_set_activation_time (crt, time (NULL) - 400 * 86400);
  gnutls_x509_crt_set_expiration_time (crt, time (NULL) + days * 86400);
  gnutls_x509_crt_set_key (crt, key);
  gnutls_x509_crt_set_basic_constraints (crt, ca, ca ? 0 : -1);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out), ==, 0);
  g_assert_true (g_file_set_contents (crt_path, (const char *) out.data, out.size, NULL));
  gnutls_free (out.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

static void
test_renewed_before_expiry_with_same_fingerprint (void)
{
  g_autofree char *dir = make_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (OwIdentity) original = ow_identity_load_or_create (dir, &error);
  g_autofree char *fingerprint = g_strdup (ow_identity_get_fingerprint (original));
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  const int days_left[] = { 10, -5 }; /* close to expiry, and expired */

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (days_left); i++)
    {
      g_autoptr (OwIdentity) renewed = NULL;

      forge_certificate (dir, days_left[i], TRUE);
      renewed = ow_identity_load_or_create (dir, &error);
      g_assert_no_error (error);
      g_assert_cmpint (
        g_date_time_difference (ow_identity_get_expiry (renewed), now) / G_TIME_SPAN_DAY, >=, 396);
      g_assert_cmpstr (ow_identity_get_fingerprint (renewed), ==, fingerprint);
    }

  remove_dir (dir);
}

/* Certificates from before the host marked them as CAs are issued anew, same key. */
static void
test_certificate_that_is_no_ca_is_reissued (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *crt_path = g_build_filename (dir, "host.crt", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwIdentity) original = ow_identity_load_or_create (dir, &error);
  g_autofree char *fingerprint = g_strdup (ow_identity_get_fingerprint (original));
  g_autoptr (OwIdentity) reissued = NULL;
  g_autofree char *pem = NULL;
  gnutls_x509_crt_t crt;
  gnutls_datum_t datum;
  unsigned int critical;
  gsize length;

  forge_certificate (dir, 300, FALSE);
  reissued = ow_identity_load_or_create (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ow_identity_get_fingerprint (reissued), ==, fingerprint);

  g_assert_true (g_file_get_contents (crt_path, &pem, &length, NULL));
  datum = (gnutls_datum_t){ (unsigned char *) pem, (unsigned int) length };
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (crt, &critical, NULL, NULL), ==, 1);
  gnutls_x509_crt_deinit (crt);

  remove_dir (dir);
}

static void
test_damaged_key_is_a_clear_error (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *key_path = g_build_filename (dir, "host.key", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwIdentity) identity = NULL;

  g_assert_true (g_file_set_contents (key_path, "not a key", -1, NULL));
  identity = ow_identity_load_or_create (dir, &error);
  g_assert_null (identity);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "host.key is damaged"));

  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/identity/created-once-and-stable", test_created_once_and_stable);
  g_test_add_func ("/identity/renewed-before-expiry-with-same-fingerprint",
                   test_renewed_before_expiry_with_same_fingerprint);
  g_test_add_func ("/identity/certificate-that-is-no-ca-is-reissued",
                   test_certificate_that_is_no_ca_is_reissued);
  g_test_add_func ("/identity/damaged-key-is-a-clear-error", test_damaged_key_is_a_clear_error);
  return g_test_run ();
}
