#pragma once

#include <glib.h>

#include "ow-cpace.h"

G_BEGIN_DECLS

/*
 * The pairing protocol's pieces that the host and its clients share: the CPace inputs
 * (associated data, generator), the key schedule after the PAKE (confirmation tags, the
 * key that seals the device token), base64url, and the openwork:// URIs of the QR codes.
 * docs/pairing-protocol.md specifies every value computed here.
 */

#define OW_PAIR_VERSION 1
#define OW_PAIR_CHANNEL_ID "openwork-pair-v1" /* CPace's CI */
#define OW_PAIR_SID_BYTES 16
#define OW_PAIR_SECRET_BYTES 16 /* the QR code's password */
#define OW_PAIR_FINGERPRINT_BYTES 32
#define OW_PAIR_TAG_BYTES 64
#define OW_PAIR_BOX_KEY_BYTES 32
#define OW_PAIR_BOX_NONCE_BYTES 12
#define OW_PAIR_CODE_DIGITS 6
#define OW_PAIR_NAME_MAX_BYTES 64
#define OW_PAIR_PLATFORM_MAX_BYTES 32

#define OW_PAIR_ERROR (ow_pair_error_quark ())

/* Every way a pairing can fail; the HTTP API maps each to a status and a code. */
typedef enum
{
  OW_PAIR_ERROR_INVALID,             /* a malformed message or URI */
  OW_PAIR_ERROR_NO_OFFER,            /* no code is shown, or it expired */
  OW_PAIR_ERROR_RATE_LIMITED,        /* too many attempts from this address */
  OW_PAIR_ERROR_TOO_MANY_PENDING,    /* too many devices wait for approval */
  OW_PAIR_ERROR_NOT_FOUND,           /* no such pairing request (or it expired) */
  OW_PAIR_ERROR_CONFIRMATION_FAILED, /* wrong code, or an interceptor in the middle */
  OW_PAIR_ERROR_CODE_REPLACED,       /* the code changed while this run was under way */
  OW_PAIR_ERROR_FORBIDDEN,           /* a poll without the run's proof */
  OW_PAIR_ERROR_DENIED,              /* the host owner said no */
  OW_PAIR_ERROR_GRANT_USED,          /* the one-time grant belongs to another device */
  OW_PAIR_ERROR_ALREADY_ANSWERED,    /* approve or deny of a decided request */
} OwPairError;

GQuark ow_pair_error_quark (void);

/* The keys of one run, after the PAKE. */
typedef struct
{
  guint8 client_tag[OW_PAIR_TAG_BYTES];  /* Ta: the client proves it has the ISK */
  guint8 host_tag[OW_PAIR_TAG_BYTES];    /* Tb: the host does */
  guint8 box_key[OW_PAIR_BOX_KEY_BYTES]; /* seals the device token */
} OwPairKeys;

/* ADa = lv(fingerprint) || lv(name) || lv(platform): the client's associated data, with the
 * fingerprint of the certificate the client saw. */
GBytes *ow_pair_client_ad (const guint8 fingerprint[OW_PAIR_FINGERPRINT_BYTES],
                           const char *name,
                           const char *platform);

/* ADb = lv(fingerprint) || lv(name): the host's, with its own fingerprint. */
GBytes *ow_pair_host_ad (const guint8 fingerprint[OW_PAIR_FINGERPRINT_BYTES], const char *name);

/* The CPace generator for @password (the code's digits, or the QR secret's bytes). */
void ow_pair_generator (GBytes *password, GBytes *sid, guint8 generator[OW_CPACE_POINT_BYTES]);

/**
 * ow_pair_derive_keys:
 * @scalar: this party's secret
 * @peer_share: the other party's share, untrusted
 * @client_share: Ya (one of the two is this party's own)
 * @host_share: Yb
 *
 * K = scalar · peer_share; ISK with the client as initiator; then
 * mac_key = SHA-512("CPaceMac" || sid || ISK), Ta = HMAC-SHA512(mac_key, lv(Ya) || lv(ADa)),
 * Tb = HMAC-SHA512(mac_key, lv(Yb) || lv(ADb)) and
 * box_key = SHA-512("OpenWorkTokenBox" || sid || ISK)[0..32].
 *
 * Returns: %FALSE with @error set when @peer_share is not a valid point
 */
gboolean ow_pair_derive_keys (GBytes *sid,
                              const guint8 scalar[OW_CPACE_SCALAR_BYTES],
                              const guint8 peer_share[OW_CPACE_POINT_BYTES],
                              const guint8 client_share[OW_CPACE_POINT_BYTES],
                              GBytes *client_ad,
                              const guint8 host_share[OW_CPACE_POINT_BYTES],
                              GBytes *host_ad,
                              OwPairKeys *keys,
                              GError **error);

/**
 * ow_pair_host_respond:
 * @client_share: Ya, untrusted
 * @host_share: (out caller-allocates): Yb, for the client
 * @keys: (out caller-allocates)
 *
 * The host's side of the exchange: a fresh scalar on the generator of @password, its
 * share, and the keys (ow_pair_derive_keys()).
 *
 * Returns: %FALSE with @error set (OW_PAIR_ERROR_INVALID) when @client_share is not a
 *   valid point
 */
gboolean ow_pair_host_respond (GBytes *password,
                               GBytes *sid,
                               GBytes *client_ad,
                               GBytes *host_ad,
                               const guint8 client_share[OW_CPACE_POINT_BYTES],
                               guint8 host_share[OW_CPACE_POINT_BYTES],
                               OwPairKeys *keys,
                               GError **error);

/* Seals @token for the device: ChaCha20-Poly1305 (IETF) with @request_id as additional
 * data. Returns the ciphertext and tag, base64url; @nonce gets the fresh nonce, base64url. */
char *ow_pair_seal_token (const guint8 key[OW_PAIR_BOX_KEY_BYTES],
                          const char *request_id,
                          const char *token,
                          char **nonce);

/* Returns: (nullable): the token, or %NULL when the box does not open */
char *ow_pair_open_token (const guint8 key[OW_PAIR_BOX_KEY_BYTES],
                          const char *request_id,
                          const char *nonce,
                          const char *box);

/* Base64url without padding (RFC 4648 §5), as every binary value travels. */
char *ow_pair_base64url_encode (const guint8 *data, gsize length);

/* Decodes exactly @length bytes; %FALSE for anything else. */
gboolean ow_pair_base64url_decode (const char *text, guint8 *out, gsize length);

/* 64 hex digits to 32 bytes; %FALSE unless exactly that. */
gboolean ow_pair_fingerprint_parse (const char *hex, guint8 out[OW_PAIR_FINGERPRINT_BYTES]);

/* A name the protocol accepts: valid UTF-8, 1 to @max_bytes bytes, no control characters. */
gboolean ow_pair_name_is_valid (const char *name, gsize max_bytes);

typedef enum
{
  OW_PAIR_URI_PAIR, /* openwork://pair?v=1&name=…&addrs=…&port=…&fp=…&secret=… */
  OW_PAIR_URI_CONNECT_REMOTE, /* openwork://connect-remote?openworkHostUrl=…&openworkToken=… */
} OwPairUriKind;

typedef struct
{
  OwPairUriKind kind;
  /* pair */
  char *name;
  GStrv addresses;
  guint port;
  char *fingerprint; /* 64 lower-case hex digits */
  guint8 secret[OW_PAIR_SECRET_BYTES];
  /* connect-remote */
  char *host_url;
  char *grant;
  char *worker_name; /* nullable */
  gboolean auto_connect;
} OwPairUri;

void ow_pair_uri_free (OwPairUri *uri);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwPairUri, ow_pair_uri_free)

/* Returns: (transfer full): the parsed URI, or %NULL with %OW_PAIR_ERROR_INVALID and a
 * message that says what is wrong */
OwPairUri *ow_pair_uri_parse (const char *text, GError **error);

/* The QR payload of a pairing offer. */
char *ow_pair_uri_build (const char *name,
                         const char *const *addresses,
                         guint port,
                         const char *fingerprint,
                         const guint8 secret[OW_PAIR_SECRET_BYTES]);

/**
 * ow_pair_uri_build_connect_remote:
 * @worker_name: (nullable): the name the OpenWork app shows for the host
 * @auto_connect: whether the app connects without asking (for a link the owner already
 *   agreed to)
 *
 * Returns: the link existing OpenWork clients parse: openwork://connect-remote?…
 */
char *ow_pair_uri_build_connect_remote (const char *host_url,
                                        const char *grant,
                                        const char *worker_name,
                                        gboolean auto_connect);

G_END_DECLS
