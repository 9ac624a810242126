#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The TLS the host speaks, as a GnuTLS priority string: TLS 1.3 and 1.2 only (GnuTLS's
 * defaults still allow 1.0 and 1.1), and renegotiation only with peers that do it safely
 * (RFC 5746). */
#define OW_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SAFE_RENEGOTIATION"

/**
 * ow_identity_use_tls_policy:
 *
 * Makes every TLS connection of this process follow %OW_TLS_PRIORITY. glib-networking
 * reads its priority once, before its first connection, and the environment is not safe
 * to change once threads run: call this first thing in main().
 */
void ow_identity_use_tls_policy (void);

#define OW_TYPE_IDENTITY (ow_identity_get_type ())
G_DECLARE_FINAL_TYPE (OwIdentity, ow_identity, OW, IDENTITY, GObject)

/**
 * ow_identity_load_or_create:
 * @dir: the folder that holds `host.crt` and `host.key` (mode 0600)
 *
 * Loads the host's long-lived identity: a self-signed ECDSA P-256 certificate whose SANs
 * name the host name, `localhost` and the machine's addresses. It is marked as a CA that
 * may sign nothing (path length 0), because some TLS stacks trust a self-signed
 * certificate only then. A missing certificate is
 * generated; one that has expired or expires within 30 days is renewed with the same key,
 * so the fingerprint, and every client's pin, survive the renewal.
 *
 * Returns: (transfer full): the identity, or %NULL with @error set
 */
OwIdentity *ow_identity_load_or_create (const char *dir, GError **error);

/* The certificate and key for a TLS server. */
GTlsCertificate *ow_identity_get_tls_certificate (OwIdentity *self);

/**
 * ow_identity_get_fingerprint:
 *
 * The host's identity: SHA-256 of the certificate's SubjectPublicKeyInfo, as 64 lower-case
 * hex digits. Clients pin it; it stays the same when the certificate is renewed.
 */
const char *ow_identity_get_fingerprint (OwIdentity *self);

/* The PEM certificate file, for clients that must trust it (tests, the reference client). */
const char *ow_identity_get_certificate_path (OwIdentity *self);

/* When the certificate expires (UTC). */
GDateTime *ow_identity_get_expiry (OwIdentity *self);

/**
 * ow_identity_compute_fingerprint:
 * @pem: a PEM certificate
 *
 * Returns: (transfer full): the fingerprint of @pem as ow_identity_get_fingerprint()
 *   defines it, or %NULL with @error set
 */
char *ow_identity_compute_fingerprint (const char *pem, GError **error);

G_END_DECLS
