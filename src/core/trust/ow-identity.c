#include "config.h"

#include "ow-identity.h"

#include <arpa/inet.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ifaddrs.h>
#include <netinet/in.h>

/* Browsers cap server certificates at 398 days; stay under that. */
#define VALIDITY_DAYS 397
#define RENEW_BEFORE_DAYS 30

struct _OwIdentity
{
  GObject parent_instance;

  char *certificate_path;
  GTlsCertificate *tls_certificate;
  char *fingerprint;
  GDateTime *expiry;
};

G_DEFINE_FINAL_TYPE (OwIdentity, ow_identity, G_TYPE_OBJECT)

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_name_constraints_t,
                                 gnutls_x509_name_constraints_deinit,
                                 NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

static gboolean
check_gnutls (int result, const char *what, GError **error)
{
  if (result >= 0)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not %s: %s", what,
               gnutls_strerror (result));
  return FALSE;
}

/* Permits only names no one can use: ".invalid" (RFC 6761), 0.0.0.0/32 and ::/128. */
static gboolean
set_no_usable_names (gnutls_x509_crt_t certificate, GError **error)
{
  static const guint8 ipv4[8] = { 0, 0, 0, 0, 255, 255, 255, 255 };
  static const guint8 ipv6[32] = { 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
                                   0,   0,   0,   0,   0,   255, 255, 255, 255, 255, 255,
                                   255, 255, 255, 255, 255, 255, 255, 255, 255, 255 };
  g_auto (gnutls_x509_name_constraints_t) constraints = NULL;
  gnutls_datum_t dns = { (unsigned char *) "invalid", 7 };
  gnutls_datum_t v4 = { (unsigned char *) ipv4, sizeof ipv4 };
  gnutls_datum_t v6 = { (unsigned char *) ipv6, sizeof ipv6 };

  return check_gnutls (gnutls_x509_name_constraints_init (&constraints), "make name constraints",
                       error) &&
         check_gnutls (
           gnutls_x509_name_constraints_add_permitted (constraints, GNUTLS_SAN_DNSNAME, &dns),
           "permit .invalid", error) &&
         check_gnutls (
           gnutls_x509_name_constraints_add_permitted (constraints, GNUTLS_SAN_IPADDRESS, &v4),
           "permit 0.0.0.0", error) &&
         check_gnutls (
           gnutls_x509_name_constraints_add_permitted (constraints, GNUTLS_SAN_IPADDRESS, &v6),
           "permit ::", error) &&
         check_gnutls (gnutls_x509_crt_set_name_constraints (certificate, constraints, 1),
                       "set the name constraints", error);
}

static char *
spki_fingerprint (gnutls_x509_crt_t certificate, GError **error)
{
  unsigned char id[32];
  size_t size = sizeof id;
  char hex[sizeof id * 2 + 1];

  if (!check_gnutls (gnutls_x509_crt_get_key_id (certificate, GNUTLS_KEYID_USE_SHA256, id, &size),
                     "compute the certificate fingerprint", error))
    return NULL;

  for (size_t i = 0; i < size; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", id[i]);
  return g_strndup (hex, size * 2);
}

char *
ow_identity_compute_fingerprint (const char *pem, GError **error)
{
  g_auto (gnutls_x509_crt_t) certificate = NULL;
  gnutls_datum_t datum = { (unsigned char *) pem, (unsigned int) strlen (pem) };

  if (!check_gnutls (gnutls_x509_crt_init (&certificate), "prepare a certificate", error) ||
      !check_gnutls (gnutls_x509_crt_import (certificate, &datum, GNUTLS_X509_FMT_PEM),
                     "read the certificate", error))
    return NULL;

  return spki_fingerprint (certificate, error);
}

/* Every address of this machine's interfaces, as SANs; clients pin the fingerprint, so
 * addresses that change later do no harm. */
static void
add_address_sans (gnutls_x509_crt_t certificate)
{
  struct ifaddrs *addresses = NULL;

  if (getifaddrs (&addresses) != 0)
    return;

  for (struct ifaddrs *a = addresses; a; a = a->ifa_next)
    {
      if (a->ifa_addr == NULL)
        continue;
      if (a->ifa_addr->sa_family == AF_INET)
        gnutls_x509_crt_set_subject_alt_name (certificate, GNUTLS_SAN_IPADDRESS,
                                              &((struct sockaddr_in *) a->ifa_addr)->sin_addr, 4,
                                              GNUTLS_FSAN_APPEND);
      else if (a->ifa_addr->sa_family == AF_INET6)
        gnutls_x509_crt_set_subject_alt_name (certificate, GNUTLS_SAN_IPADDRESS,
                                              &((struct sockaddr_in6 *) a->ifa_addr)->sin6_addr, 16,
                                              GNUTLS_FSAN_APPEND);
    }

  freeifaddrs (addresses);
}

static gboolean
write_private_file (const char *path, const gnutls_datum_t *data, GError **error)
{
  return g_file_set_contents_full (path, (const char *) data->data, data->size,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static gboolean
issue_certificate (gnutls_x509_privkey_t key, const char *certificate_path, GError **error)
{
  g_auto (gnutls_x509_crt_t) certificate = NULL;
  const char *host_name = g_get_host_name ();
  g_autofree char *common_name = g_strdup_printf ("OpenWork Host on %s", host_name);
  unsigned char serial[16];
  gnutls_datum_t pem = { NULL, 0 };
  time_t now = time (NULL);
  gboolean ok;

  gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f; /* a positive serial number */

  ok =
    check_gnutls (gnutls_x509_crt_init (&certificate), "prepare a certificate", error) &&
    check_gnutls (gnutls_x509_crt_set_version (certificate, 3), "set the version", error) &&
    check_gnutls (gnutls_x509_crt_set_serial (certificate, serial, sizeof serial),
                  "set the serial number", error) &&
    check_gnutls (gnutls_x509_crt_set_activation_time (certificate, now - 3600),
                  "set the start of validity", error) &&
    check_gnutls (
      gnutls_x509_crt_set_expiration_time (certificate, now + VALIDITY_DAYS * 24 * 3600),
      "set the expiry", error) &&
    check_gnutls (gnutls_x509_crt_set_dn_by_oid (certificate, GNUTLS_OID_X520_COMMON_NAME, 0,
                                                 common_name, strlen (common_name)),
                  "set the name", error) &&
    check_gnutls (gnutls_x509_crt_set_key (certificate, key), "set the key", error) &&
    check_gnutls (gnutls_x509_crt_set_subject_alt_name (certificate, GNUTLS_SAN_DNSNAME, host_name,
                                                        strlen (host_name), GNUTLS_FSAN_APPEND),
                  "add the host name", error) &&
    check_gnutls (gnutls_x509_crt_set_subject_alt_name (certificate, GNUTLS_SAN_DNSNAME,
                                                        "localhost", strlen ("localhost"),
                                                        GNUTLS_FSAN_APPEND),
                  "add localhost", error);
  if (!ok)
    return FALSE;

  add_address_sans (certificate);

  /* Bun's TLS (OpenCode's own client runs on it) trusts a self-signed certificate only
   * when it is a CA. So it is one, but for no name anyone can use: a certificate its key
   * signed would have to name something under .invalid, 0.0.0.0 or ::, and every stack
   * tried (Bun, OpenSSL, Node, Python, curl) refuses it. Its own names are not held to
   * the constraints: it is the trust anchor. */
  ok = check_gnutls (gnutls_x509_crt_set_basic_constraints (certificate, 1, 0),
                     "set the constraints", error) &&
       set_no_usable_names (certificate, error) &&
       check_gnutls (gnutls_x509_crt_set_key_usage (certificate, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                                   GNUTLS_KEY_KEY_CERT_SIGN),
                     "set the key usage", error) &&
       check_gnutls (gnutls_x509_crt_set_key_purpose_oid (certificate, GNUTLS_KP_TLS_WWW_SERVER, 0),
                     "set the key purpose", error) &&
       check_gnutls (gnutls_x509_crt_sign2 (certificate, certificate, key, GNUTLS_DIG_SHA256, 0),
                     "sign the certificate", error) &&
       check_gnutls (gnutls_x509_crt_export2 (certificate, GNUTLS_X509_FMT_PEM, &pem),
                     "export the certificate", error);
  if (!ok)
    return FALSE;

  ok = g_file_set_contents_full (certificate_path, (const char *) pem.data, pem.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
  gnutls_free (pem.data);
  return ok;
}

static gnutls_x509_privkey_t
load_or_create_key (const char *key_path, GError **error)
{
  g_auto (gnutls_x509_privkey_t) key = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  gnutls_datum_t pem = { NULL, 0 };

  if (!check_gnutls (gnutls_x509_privkey_init (&key), "prepare a key", error))
    return NULL;

  if (g_file_get_contents (key_path, &contents, &length, NULL))
    {
      gnutls_datum_t datum = { (unsigned char *) contents, (unsigned int) length };

      if (!check_gnutls (gnutls_x509_privkey_import (key, &datum, GNUTLS_X509_FMT_PEM),
                         "read the host key", error))
        {
          g_prefix_error (error, "%s is damaged: ", key_path);
          return NULL;
        }
      return g_steal_pointer (&key);
    }

  if (!check_gnutls (
        gnutls_x509_privkey_generate2 (
          key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0),
        "generate the host key", error) ||
      !check_gnutls (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &pem),
                     "export the host key", error))
    return NULL;

  if (!write_private_file (key_path, &pem, error))
    {
      gnutls_free (pem.data);
      return NULL;
    }
  gnutls_free (pem.data);
  return g_steal_pointer (&key);
}

/* Loads the certificate if it is there, matches the key and is not about to expire. */
static gboolean
certificate_is_usable (const char *certificate_path, gnutls_x509_privkey_t key)
{
  g_autofree char *contents = NULL;
  g_auto (gnutls_x509_crt_t) certificate = NULL;
  unsigned char certificate_id[64], key_id[64];
  size_t certificate_id_size = sizeof certificate_id, key_id_size = sizeof key_id;
  gsize length;
  gnutls_datum_t datum;

  if (!g_file_get_contents (certificate_path, &contents, &length, NULL))
    return FALSE;

  datum = (gnutls_datum_t){ (unsigned char *) contents, (unsigned int) length };
  if (gnutls_x509_crt_init (&certificate) < 0 ||
      gnutls_x509_crt_import (certificate, &datum, GNUTLS_X509_FMT_PEM) < 0)
    return FALSE;

  if (gnutls_x509_crt_get_expiration_time (certificate) <
      time (NULL) + RENEW_BEFORE_DAYS * 24 * 3600)
    return FALSE;

  /* Certificates of earlier versions were no CA, or a CA for any name; issue them anew
   * with the same key. */
  {
    unsigned int critical = 0, type = 0;
    gnutls_datum_t name = { NULL, 0 };
    g_auto (gnutls_x509_name_constraints_t) constraints = NULL;

    if (gnutls_x509_crt_get_basic_constraints (certificate, &critical, NULL, NULL) != 1 ||
        gnutls_x509_name_constraints_init (&constraints) < 0 ||
        gnutls_x509_crt_get_name_constraints (certificate, constraints, 0, &critical) < 0 ||
        gnutls_x509_name_constraints_get_permitted (constraints, 0, &type, &name) < 0)
      return FALSE;
  }

  return gnutls_x509_crt_get_key_id (certificate, GNUTLS_KEYID_USE_SHA256, certificate_id,
                                     &certificate_id_size) >= 0 &&
         gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_size) >= 0 &&
         certificate_id_size == key_id_size && memcmp (certificate_id, key_id, key_id_size) == 0;
}

OwIdentity *
ow_identity_load_or_create (const char *dir, GError **error)
{
  g_autoptr (OwIdentity) self = g_object_new (OW_TYPE_IDENTITY, NULL);
  g_autofree char *key_path = g_build_filename (dir, "host.key", NULL);
  g_autofree char *pem = NULL;
  g_auto (gnutls_x509_privkey_t) key = NULL;
  g_auto (gnutls_x509_crt_t) certificate = NULL;
  gnutls_datum_t datum;
  gsize length;

  g_return_val_if_fail (dir != NULL, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not create the folder %s", dir);
      return NULL;
    }

  self->certificate_path = g_build_filename (dir, "host.crt", NULL);
  key = load_or_create_key (key_path, error);
  if (key == NULL)
    return NULL;

  if (!certificate_is_usable (self->certificate_path, key))
    {
      g_message ("Issuing a new host certificate (%s)", self->certificate_path);
      if (!issue_certificate (key, self->certificate_path, error))
        return NULL;
    }

  self->tls_certificate =
    g_tls_certificate_new_from_files (self->certificate_path, key_path, error);
  if (self->tls_certificate == NULL)
    return NULL;

  if (!g_file_get_contents (self->certificate_path, &pem, &length, error))
    return NULL;
  datum = (gnutls_datum_t){ (unsigned char *) pem, (unsigned int) length };
  if (!check_gnutls (gnutls_x509_crt_init (&certificate), "prepare a certificate", error) ||
      !check_gnutls (gnutls_x509_crt_import (certificate, &datum, GNUTLS_X509_FMT_PEM),
                     "read the host certificate", error))
    return NULL;

  self->fingerprint = spki_fingerprint (certificate, error);
  if (self->fingerprint == NULL)
    return NULL;
  self->expiry = g_date_time_new_from_unix_utc (gnutls_x509_crt_get_expiration_time (certificate));

  return g_steal_pointer (&self);
}

GTlsCertificate *
ow_identity_get_tls_certificate (OwIdentity *self)
{
  g_return_val_if_fail (OW_IS_IDENTITY (self), NULL);
  return self->tls_certificate;
}

const char *
ow_identity_get_fingerprint (OwIdentity *self)
{
  g_return_val_if_fail (OW_IS_IDENTITY (self), NULL);
  return self->fingerprint;
}

const char *
ow_identity_get_certificate_path (OwIdentity *self)
{
  g_return_val_if_fail (OW_IS_IDENTITY (self), NULL);
  return self->certificate_path;
}

GDateTime *
ow_identity_get_expiry (OwIdentity *self)
{
  g_return_val_if_fail (OW_IS_IDENTITY (self), NULL);
  return self->expiry;
}

static void
ow_identity_finalize (GObject *object)
{
  OwIdentity *self = OW_IDENTITY (object);

  g_free (self->certificate_path);
  g_clear_object (&self->tls_certificate);
  g_free (self->fingerprint);
  g_clear_pointer (&self->expiry, g_date_time_unref);

  G_OBJECT_CLASS (ow_identity_parent_class)->finalize (object);
}

static void
ow_identity_class_init (OwIdentityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_identity_finalize;
}

static void
ow_identity_init (OwIdentity *self)
{
}

void
ow_identity_use_tls_policy (void)
{
  g_setenv ("G_TLS_GNUTLS_PRIORITY", OW_TLS_PRIORITY, TRUE);
}
