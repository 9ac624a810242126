#include "config.h"

#include "ow-client-connection.h"
#include "ow-identity.h"

#include <glib/gi18n.h>
#include <string.h>

/* Streams carry a heartbeat every 10 s; a silence three times that is a dead connection. */
#define IO_TIMEOUT_S 40

/* clang-format off */
G_DEFINE_QUARK (ow-client-error-quark, ow_client_error)
/* clang-format on */

/* A certificate database that trusts no authority, so that every certificate reaches
 * on_accept_certificate(). It is also the process's default database: GLib's TLS backend
 * otherwise builds one from the system's authorities for the first connection and again
 * for each connection (glib-networking 2.74 reads the whole CA bundle each time, 13 ms),
 * although the session sets no database and nothing here would use it. */
#define OW_TYPE_NO_AUTHORITY_DATABASE (ow_no_authority_database_get_type ())
G_DECLARE_FINAL_TYPE (
  OwNoAuthorityDatabase, ow_no_authority_database, OW, NO_AUTHORITY_DATABASE, GTlsDatabase)

struct _OwNoAuthorityDatabase
{
  GTlsDatabase parent_instance;
};

G_DEFINE_TYPE (OwNoAuthorityDatabase, ow_no_authority_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
ow_no_authority_database_verify_chain (GTlsDatabase *database,
                                       GTlsCertificate *chain,
                                       const char *purpose,
                                       GSocketConnectable *identity,
                                       GTlsInteraction *interaction,
                                       GTlsDatabaseVerifyFlags flags,
                                       GCancellable *cancellable,
                                       GError **error)
{
  return G_TLS_CERTIFICATE_UNKNOWN_CA;
}

static void
ow_no_authority_database_class_init (OwNoAuthorityDatabaseClass *klass)
{
  G_TLS_DATABASE_CLASS (klass)->verify_chain = ow_no_authority_database_verify_chain;
}

static void
ow_no_authority_database_init (OwNoAuthorityDatabase *self)
{
}

static void
trust_no_authority (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      g_autoptr (GTlsDatabase) database = g_object_new (OW_TYPE_NO_AUTHORITY_DATABASE, NULL);

      g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
      g_once_init_leave (&done, 1);
    }
}

struct _OwClientConnection
{
  SoupSession *session;
  char *base_url;
  char *pinned;
  char *seen;
  char *token;
  gboolean mismatch; /* a certificate was refused for not being the pinned one */
};

OwClientConnection *
ow_client_connection_new (const char *base_url, const char *pinned)
{
  OwClientConnection *self = g_new0 (OwClientConnection, 1);

  trust_no_authority ();
  self->base_url = g_strdup (base_url);
  self->pinned = g_strdup (pinned);
  self->session =
    soup_session_new_with_options ("timeout", IO_TIMEOUT_S, "idle-timeout", 60, "user-agent",
                                   "openwork-host-client/" PACKAGE_VERSION, NULL);
  /* No certificate authority is trusted: every certificate comes to on_accept_certificate(),
   * which compares fingerprints. */
  soup_session_set_tls_database (self->session, NULL);
  return self;
}

void
ow_client_connection_free (OwClientConnection *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->session);
  g_free (self->base_url);
  g_free (self->pinned);
  g_free (self->seen);
  g_free (self->token);
  g_free (self);
}

const char *
ow_client_connection_get_base_url (OwClientConnection *self)
{
  return self->base_url;
}

const char *
ow_client_connection_get_seen_fingerprint (OwClientConnection *self)
{
  return self->seen;
}

SoupSession *
ow_client_connection_get_session (OwClientConnection *self)
{
  return self->session;
}

void
ow_client_connection_pin (OwClientConnection *self, const char *fingerprint)
{
  g_free (self->pinned);
  self->pinned = g_strdup (fingerprint);
}

void
ow_client_connection_set_token (OwClientConnection *self, const char *token)
{
  g_free (self->token);
  self->token = g_strdup (token);
}

static gboolean
on_accept_certificate (SoupMessage *message,
                       GTlsCertificate *certificate,
                       GTlsCertificateFlags errors,
                       OwClientConnection *self)
{
  g_autofree char *pem = NULL;
  g_autofree char *fingerprint = NULL;

  g_object_get (certificate, "certificate-pem", &pem, NULL);
  fingerprint = pem ? ow_identity_compute_fingerprint (pem, NULL) : NULL;
  if (fingerprint == NULL)
    return FALSE;

  g_free (self->seen);
  self->seen = g_strdup (fingerprint);
  if (self->pinned && g_ascii_strcasecmp (self->pinned, fingerprint) != 0)
    {
      self->mismatch = TRUE;
      return FALSE;
    }
  return TRUE;
}

SoupMessage *
ow_client_connection_new_message (OwClientConnection *self, const char *method, const char *path)
{
  g_autofree char *url = g_strconcat (self->base_url, path, NULL);
  SoupMessage *message = soup_message_new (method, url);

  if (message == NULL)
    return NULL;
  g_signal_connect (message, "accept-certificate", G_CALLBACK (on_accept_certificate), self);
  if (self->token)
    {
      g_autofree char *value = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                    value);
    }
  return message;
}

void
ow_client_connection_explain_failure (OwClientConnection *self, GError *local_error, GError **error)
{
  if (self->mismatch)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FINGERPRINT,
                   _("The host at %s presented a certificate with fingerprint %s, not the "
                     "pinned %s. Something may be intercepting the connection; pair again only "
                     "if the host was reinstalled."),
                      self->base_url, self->seen ? self->seen : "?", self->pinned);
      return;
    }
  g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
               _("Cannot reach the host at %s: %s. Check that it runs and that this device is on "
                 "its network."),
                  self->base_url, local_error ? local_error->message : _("unknown error"));
}

JsonNode *
ow_client_connection_request (OwClientConnection *self,
                              const char *method,
                              const char *path,
                              JsonNode *body,
                              const char *authorization,
                              guint *status,
                              char **error_code,
                              GError **error)
{
  g_autoptr (SoupMessage) message = ow_client_connection_new_message (self, method, path);
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  guint code;
  gsize length;
  const char *data;

  if (status)
    *status = 0;
  if (message == NULL)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_PROTOCOL,
                   _("Invalid address %s%s."), self->base_url, path);
      return NULL;
    }
  if (authorization)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                  authorization);
  if (body)
    {
      char *text = json_to_string (body, FALSE);
      /* The length first: the order arguments are evaluated in is the compiler's. */
      gsize text_length = strlen (text);
      g_autoptr (GBytes) bytes = g_bytes_new_take (text, text_length);

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  self->mismatch = FALSE;
  answer = soup_session_send_and_read (self->session, message, NULL, &local_error);
  if (answer == NULL)
    {
      ow_client_connection_explain_failure (self, local_error, error);
      return NULL;
    }

  code = soup_message_get_status (message);
  if (status)
    *status = code;
  data = g_bytes_get_data (answer, &length);
  if (length > 0 && !json_parser_load_from_data (parser, data, (gssize) length, NULL))
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_PROTOCOL,
                   _("The host answered %s %s with %u and no JSON. Is %s an OpenWork host?"),
                      method, path, code, self->base_url);
      return NULL;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (code))
    {
      JsonNode *root = length > 0 ? json_parser_get_root (parser) : NULL;
      JsonObject *object =
        root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
      const char *message_text =
        object ? json_object_get_string_member_with_default (object, "message", NULL) : NULL;

      if (error_code)
        *error_code =
          g_strdup (object ? json_object_get_string_member_with_default (object, "code", "") : "");
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_HTTP, "%s",
                   message_text ? message_text : soup_message_get_reason_phrase (message));
      return NULL;
    }

  /* A blank body parses to no root at all. */
  if (length == 0 || json_parser_get_root (parser) == NULL)
    return json_node_new (JSON_NODE_NULL);
  return json_node_copy (json_parser_get_root (parser));
}
