#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define OW_CLIENT_ERROR (ow_client_error_quark ())

typedef enum
{
  OW_CLIENT_ERROR_NETWORK,     /* the host cannot be reached */
  OW_CLIENT_ERROR_FINGERPRINT, /* the certificate is not the pinned one */
  OW_CLIENT_ERROR_HTTP,        /* the host answered with an error */
  OW_CLIENT_ERROR_PROTOCOL,    /* the answer makes no sense */
  OW_CLIENT_ERROR_NOT_PAIRED,  /* no saved credential */
} OwClientError;

GQuark ow_client_error_quark (void);

/*
 * HTTPS to one host, trusting exactly one certificate: the one whose fingerprint is pinned,
 * or, for a first contact by typed code, whatever the host presents (its fingerprint then
 * goes into the PAKE, which fails if it is not the host's own).
 */
typedef struct _OwClientConnection OwClientConnection;

/**
 * ow_client_connection_new:
 * @base_url: "https://address:port"
 * @pinned: (nullable): the fingerprint to insist on; %NULL to learn it
 */
OwClientConnection *ow_client_connection_new (const char *base_url, const char *pinned);
void ow_client_connection_free (OwClientConnection *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwClientConnection, ow_client_connection_free)

const char *ow_client_connection_get_base_url (OwClientConnection *self);

/* The fingerprint of the certificate the host presented, once connected. */
const char *ow_client_connection_get_seen_fingerprint (OwClientConnection *self);

/* Insists on @fingerprint from now on (the one a PAKE run was bound to). */
void ow_client_connection_pin (OwClientConnection *self, const char *fingerprint);

/* Sends `Authorization: Bearer @token` from now on. */
void ow_client_connection_set_token (OwClientConnection *self, const char *token);

SoupSession *ow_client_connection_get_session (OwClientConnection *self);

/* A message for @path with the pinning and the token attached. */
SoupMessage *
ow_client_connection_new_message (OwClientConnection *self, const char *method, const char *path);

/**
 * ow_client_connection_request:
 * @body: (nullable): a JSON body
 * @authorization: (nullable): an Authorization header instead of the token's
 * @status: (out) (optional): the HTTP status
 *
 * Returns: (transfer full): the JSON answer of a 2xx (a null node when empty), or %NULL
 *   with @error set: for an error status, the host's own message, %OW_CLIENT_ERROR_HTTP,
 *   and the status in @status
 */
JsonNode *ow_client_connection_request (OwClientConnection *self,
                                        const char *method,
                                        const char *path,
                                        JsonNode *body,
                                        const char *authorization,
                                        guint *status,
                                        char **error_code,
                                        GError **error);

/* Checks a finished message's transport: sets a clear error for a pin mismatch or a
 * network failure of @local_error. */
void ow_client_connection_explain_failure (OwClientConnection *self,
                                           GError *local_error,
                                           GError **error);

G_END_DECLS
