#include "config.h"

#include "ow-pair-protocol.h"

#include <gio/gio.h>
#include <sodium.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (ow-pair-error-quark, ow_pair_error)
/* clang-format on */

#define URI_MAX_BYTES 4096
#define MAX_ADDRESSES 16

static void
append_string_lv (GByteArray *out, const char *text)
{
  ow_cpace_append_lv (out, (const guint8 *) text, strlen (text));
}

GBytes *
ow_pair_client_ad (const guint8 fingerprint[OW_PAIR_FINGERPRINT_BYTES],
                   const char *name,
                   const char *platform)
{
  GByteArray *ad = g_byte_array_new ();

  ow_cpace_append_lv (ad, fingerprint, OW_PAIR_FINGERPRINT_BYTES);
  append_string_lv (ad, name);
  append_string_lv (ad, platform);
  return g_byte_array_free_to_bytes (ad);
}

GBytes *
ow_pair_host_ad (const guint8 fingerprint[OW_PAIR_FINGERPRINT_BYTES], const char *name)
{
  GByteArray *ad = g_byte_array_new ();

  ow_cpace_append_lv (ad, fingerprint, OW_PAIR_FINGERPRINT_BYTES);
  append_string_lv (ad, name);
  return g_byte_array_free_to_bytes (ad);
}

void
ow_pair_generator (GBytes *password, GBytes *sid, guint8 generator[OW_CPACE_POINT_BYTES])
{
  g_autoptr (GBytes) ci = g_bytes_new_static (OW_PAIR_CHANNEL_ID, strlen (OW_PAIR_CHANNEL_ID));

  ow_cpace_generator (password, ci, sid, generator);
}

static void
tag (const guint8 mac_key[crypto_hash_sha512_BYTES],
     const guint8 share[OW_CPACE_POINT_BYTES],
     GBytes *ad,
     guint8 out[OW_PAIR_TAG_BYTES])
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  gsize ad_length;
  const guint8 *ad_data = g_bytes_get_data (ad, &ad_length);
  crypto_auth_hmacsha512_state state;

  ow_cpace_append_lv (input, share, OW_CPACE_POINT_BYTES);
  ow_cpace_append_lv (input, ad_data, ad_length);
  crypto_auth_hmacsha512_init (&state, mac_key, crypto_hash_sha512_BYTES);
  crypto_auth_hmacsha512_update (&state, input->data, input->len);
  crypto_auth_hmacsha512_final (&state, out);
}

/* SHA-512(label || sid || ISK) */
static void
derive (const char *label, GBytes *sid, const guint8 isk[OW_CPACE_ISK_BYTES], guint8 out[64])
{
  crypto_hash_sha512_state state;

  crypto_hash_sha512_init (&state);
  crypto_hash_sha512_update (&state, (const guint8 *) label, strlen (label));
  crypto_hash_sha512_update (&state, g_bytes_get_data (sid, NULL), g_bytes_get_size (sid));
  crypto_hash_sha512_update (&state, isk, OW_CPACE_ISK_BYTES);
  crypto_hash_sha512_final (&state, out);
}

gboolean
ow_pair_derive_keys (GBytes *sid,
                     const guint8 scalar[OW_CPACE_SCALAR_BYTES],
                     const guint8 peer_share[OW_CPACE_POINT_BYTES],
                     const guint8 client_share[OW_CPACE_POINT_BYTES],
                     GBytes *client_ad,
                     const guint8 host_share[OW_CPACE_POINT_BYTES],
                     GBytes *host_ad,
                     OwPairKeys *keys,
                     GError **error)
{
  guint8 k[OW_CPACE_POINT_BYTES];
  guint8 isk[OW_CPACE_ISK_BYTES];
  guint8 mac_key[crypto_hash_sha512_BYTES];
  guint8 box_key[crypto_hash_sha512_BYTES];

  if (!ow_cpace_shared_point (scalar, peer_share, k, error))
    return FALSE;

  ow_cpace_isk_ir (sid, k, client_share, client_ad, host_share, host_ad, isk);
  derive ("CPaceMac", sid, isk, mac_key);
  derive ("OpenWorkTokenBox", sid, isk, box_key);
  tag (mac_key, client_share, client_ad, keys->client_tag);
  tag (mac_key, host_share, host_ad, keys->host_tag);
  memcpy (keys->box_key, box_key, OW_PAIR_BOX_KEY_BYTES);

  sodium_memzero (k, sizeof k);
  sodium_memzero (isk, sizeof isk);
  sodium_memzero (mac_key, sizeof mac_key);
  sodium_memzero (box_key, sizeof box_key);
  return TRUE;
}

gboolean
ow_pair_host_respond (GBytes *password,
                      GBytes *sid,
                      GBytes *client_ad,
                      GBytes *host_ad,
                      const guint8 client_share[OW_CPACE_POINT_BYTES],
                      guint8 host_share[OW_CPACE_POINT_BYTES],
                      OwPairKeys *keys,
                      GError **error)
{
  guint8 generator[OW_CPACE_POINT_BYTES];
  guint8 scalar[OW_CPACE_SCALAR_BYTES];
  gboolean derived;

  ow_pair_generator (password, sid, generator);
  ow_cpace_random_scalar (scalar);
  if (!ow_cpace_share (generator, scalar, host_share))
    {
      sodium_memzero (scalar, sizeof scalar);
      g_set_error_literal (error, OW_PAIR_ERROR, OW_PAIR_ERROR_INVALID,
                           "The pairing could not be started.");
      return FALSE;
    }
  derived = ow_pair_derive_keys (sid, scalar, client_share, client_share, client_ad, host_share,
                                 host_ad, keys, NULL);
  sodium_memzero (scalar, sizeof scalar);
  if (!derived)
    g_set_error_literal (error, OW_PAIR_ERROR, OW_PAIR_ERROR_INVALID,
                         "The client's share is not a valid ristretto255 point.");
  return derived;
}

char *
ow_pair_seal_token (const guint8 key[OW_PAIR_BOX_KEY_BYTES],
                    const char *request_id,
                    const char *token,
                    char **nonce)
{
  guint8 nonce_bytes[OW_PAIR_BOX_NONCE_BYTES];
  gsize length = strlen (token);
  g_autofree guint8 *box = g_malloc (length + crypto_aead_chacha20poly1305_ietf_ABYTES);
  unsigned long long box_length;

  randombytes_buf (nonce_bytes, sizeof nonce_bytes);
  crypto_aead_chacha20poly1305_ietf_encrypt (box, &box_length, (const guint8 *) token, length,
                                             (const guint8 *) request_id, strlen (request_id), NULL,
                                             nonce_bytes, key);
  *nonce = ow_pair_base64url_encode (nonce_bytes, sizeof nonce_bytes);
  return ow_pair_base64url_encode (box, box_length);
}

char *
ow_pair_open_token (const guint8 key[OW_PAIR_BOX_KEY_BYTES],
                    const char *request_id,
                    const char *nonce,
                    const char *box)
{
  guint8 nonce_bytes[OW_PAIR_BOX_NONCE_BYTES];
  gsize box_length = box ? strlen (box) * 3 / 4 : 0;
  g_autofree guint8 *box_bytes = NULL;
  g_autofree char *token = NULL;
  unsigned long long token_length;

  if (!ow_pair_base64url_decode (nonce, nonce_bytes, sizeof nonce_bytes) || box_length > 4096 ||
      box_length < crypto_aead_chacha20poly1305_ietf_ABYTES)
    return NULL;
  box_bytes = g_malloc (box_length);
  if (!ow_pair_base64url_decode (box, box_bytes, box_length))
    return NULL;

  token = g_malloc (box_length + 1);
  if (crypto_aead_chacha20poly1305_ietf_decrypt ((guint8 *) token, &token_length, NULL, box_bytes,
                                                 box_length, (const guint8 *) request_id,
                                                 strlen (request_id), nonce_bytes, key) != 0)
    return NULL;
  token[token_length] = '\0';
  if (strlen (token) != token_length || !g_utf8_validate (token, -1, NULL))
    return NULL;
  return g_steal_pointer (&token);
}

char *
ow_pair_base64url_encode (const guint8 *data, gsize length)
{
  gsize size = sodium_base64_ENCODED_LEN (length, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *text = g_malloc (size);

  sodium_bin2base64 (text, size, data, length, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

gboolean
ow_pair_base64url_decode (const char *text, guint8 *out, gsize length)
{
  size_t decoded;
  const char *end;

  if (text == NULL)
    return FALSE;
  if (sodium_base642bin (out, length, text, strlen (text), NULL, &decoded, &end,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return FALSE;
  return decoded == length && *end == '\0';
}

gboolean
ow_pair_fingerprint_parse (const char *hex, guint8 out[OW_PAIR_FINGERPRINT_BYTES])
{
  size_t decoded;
  const char *end;

  if (hex == NULL || strlen (hex) != OW_PAIR_FINGERPRINT_BYTES * 2)
    return FALSE;
  return sodium_hex2bin (out, OW_PAIR_FINGERPRINT_BYTES, hex, strlen (hex), NULL, &decoded, &end) ==
           0 &&
         decoded == OW_PAIR_FINGERPRINT_BYTES && *end == '\0';
}

gboolean
ow_pair_name_is_valid (const char *name, gsize max_bytes)
{
  gsize length;

  if (name == NULL)
    return FALSE;
  length = strlen (name);
  if (length == 0 || length > max_bytes || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* URIs */

void
ow_pair_uri_free (OwPairUri *uri)
{
  if (uri == NULL)
    return;
  g_free (uri->name);
  g_strfreev (uri->addresses);
  g_free (uri->fingerprint);
  g_free (uri->host_url);
  g_free (uri->grant);
  g_free (uri->worker_name);
  sodium_memzero (uri->secret, sizeof uri->secret);
  g_free (uri);
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, OW_PAIR_ERROR, OW_PAIR_ERROR_INVALID,
               "This is not a valid OpenWork pairing link: %s.", what);
  return FALSE;
}

static gboolean
parse_pair_params (GHashTable *params, OwPairUri *uri, GError **error)
{
  const char *version = g_hash_table_lookup (params, "v");
  const char *name = g_hash_table_lookup (params, "name");
  const char *addrs = g_hash_table_lookup (params, "addrs");
  const char *port = g_hash_table_lookup (params, "port");
  const char *fp = g_hash_table_lookup (params, "fp");
  const char *secret = g_hash_table_lookup (params, "secret");
  guint8 fp_bytes[OW_PAIR_FINGERPRINT_BYTES];
  guint64 port_number;
  size_t decoded;
  const char *end;

  if (g_strcmp0 (version, "1") != 0)
    return invalid (error, "it is not version 1 (update this client)");
  if (!ow_pair_name_is_valid (name, OW_PAIR_NAME_MAX_BYTES))
    return invalid (error, "the host name is missing or too long");
  if (port == NULL || !g_ascii_string_to_unsigned (port, 10, 1, 65535, &port_number, NULL))
    return invalid (error, "the port is not a number from 1 to 65535");
  if (!ow_pair_fingerprint_parse (fp, fp_bytes))
    return invalid (error, "the fingerprint is not 64 hex digits");
  if (secret == NULL || strlen (secret) != OW_PAIR_SECRET_BYTES * 2 ||
      sodium_hex2bin (uri->secret, sizeof uri->secret, secret, strlen (secret), NULL, &decoded,
                      &end) != 0 ||
      decoded != OW_PAIR_SECRET_BYTES || *end != '\0')
    return invalid (error, "the secret is not 32 hex digits");
  if (addrs == NULL || *addrs == '\0')
    return invalid (error, "it names no address");

  uri->addresses = g_strsplit (addrs, ",", MAX_ADDRESSES + 1);
  if (g_strv_length (uri->addresses) > MAX_ADDRESSES)
    return invalid (error, "it names too many addresses");
  for (guint i = 0; uri->addresses[i]; i++)
    {
      g_autoptr (GInetAddress) address = g_inet_address_new_from_string (uri->addresses[i]);

      if (address == NULL)
        return invalid (error, "an address is not an IP address");
    }

  uri->name = g_strdup (name);
  uri->port = (guint) port_number;
  uri->fingerprint = g_ascii_strdown (fp, -1);
  return TRUE;
}

static gboolean
parse_connect_remote_params (GHashTable *params, OwPairUri *uri, GError **error)
{
  const char *url = g_hash_table_lookup (params, "openworkHostUrl");
  const char *token = g_hash_table_lookup (params, "openworkToken");
  const char *name, *auto_connect;
  g_autoptr (GUri) parsed = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (parsed == NULL || g_uri_get_host (parsed) == NULL ||
      (g_strcmp0 (g_uri_get_scheme (parsed), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (parsed), "http") != 0))
    return invalid (error, "openworkHostUrl is not an http or https address");
  if (token == NULL || *token == '\0' || strlen (token) > 256 ||
      !ow_pair_name_is_valid (token, 256))
    return invalid (error, "openworkToken is missing");

  uri->host_url = g_strdup (url);
  uri->grant = g_strdup (token);
  /* As OpenWork's app reads them (openwork-links.ts): a name to show, and whether to
   * connect without asking. */
  name = g_hash_table_lookup (params, "workerName");
  if (name != NULL && *name != '\0')
    {
      if (!ow_pair_name_is_valid (name, OW_PAIR_NAME_MAX_BYTES))
        return invalid (error, "workerName is not a plain name of up to 64 bytes");
      uri->worker_name = g_strdup (name);
    }
  auto_connect = g_hash_table_lookup (params, "autoConnect");
  if (auto_connect != NULL)
    {
      g_autofree char *word = g_ascii_strdown (auto_connect, -1);

      g_strstrip (word);

      uri->auto_connect = g_str_equal (word, "1") || g_str_equal (word, "true") ||
                          g_str_equal (word, "yes") || g_str_equal (word, "on");
    }
  return TRUE;
}

OwPairUri *
ow_pair_uri_parse (const char *text, GError **error)
{
  g_autoptr (OwPairUri) uri = g_new0 (OwPairUri, 1);
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;
  const char *host;

  if (text == NULL || strlen (text) > URI_MAX_BYTES)
    {
      invalid (error, "it is empty or too long");
      return NULL;
    }
  parsed = g_uri_parse (text, G_URI_FLAGS_ENCODED_QUERY, NULL);
  if (parsed == NULL || g_strcmp0 (g_uri_get_scheme (parsed), "openwork") != 0)
    {
      invalid (error, "it does not start with openwork://");
      return NULL;
    }
  params = g_uri_parse_params (g_uri_get_query (parsed) ? g_uri_get_query (parsed) : "", -1, "&",
                               G_URI_PARAMS_WWW_FORM, NULL);
  if (params == NULL)
    {
      invalid (error, "its parameters are not validly encoded");
      return NULL;
    }

  host = g_uri_get_host (parsed);
  if (g_strcmp0 (host, "pair") == 0)
    {
      uri->kind = OW_PAIR_URI_PAIR;
      if (!parse_pair_params (params, uri, error))
        return NULL;
    }
  else if (g_strcmp0 (host, "connect-remote") == 0)
    {
      uri->kind = OW_PAIR_URI_CONNECT_REMOTE;
      if (!parse_connect_remote_params (params, uri, error))
        return NULL;
    }
  else
    {
      invalid (error, "it is neither openwork://pair nor openwork://connect-remote");
      return NULL;
    }
  return g_steal_pointer (&uri);
}

static void
append_param (GString *out, const char *key, const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  g_string_append_printf (out, "%s%s=%s", strchr (out->str, '?') ? "&" : "?", key, escaped);
}

char *
ow_pair_uri_build (const char *name,
                   const char *const *addresses,
                   guint port,
                   const char *fingerprint,
                   const guint8 secret[OW_PAIR_SECRET_BYTES])
{
  GString *out = g_string_new ("openwork://pair");
  g_autofree char *joined = g_strjoinv (",", (char **) addresses);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  char secret_hex[OW_PAIR_SECRET_BYTES * 2 + 1];

  sodium_bin2hex (secret_hex, sizeof secret_hex, secret, OW_PAIR_SECRET_BYTES);
  append_param (out, "v", "1");
  append_param (out, "name", name);
  append_param (out, "addrs", joined);
  append_param (out, "port", port_text);
  append_param (out, "fp", fingerprint);
  append_param (out, "secret", secret_hex);
  sodium_memzero (secret_hex, sizeof secret_hex);
  return g_string_free (out, FALSE);
}

char *
ow_pair_uri_build_connect_remote (const char *host_url,
                                  const char *grant,
                                  const char *worker_name,
                                  gboolean auto_connect)
{
  GString *out = g_string_new ("openwork://connect-remote");

  append_param (out, "openworkHostUrl", host_url);
  append_param (out, "openworkToken", grant);
  if (worker_name != NULL)
    append_param (out, "workerName", worker_name);
  if (auto_connect)
    append_param (out, "autoConnect", "1");
  return g_string_free (out, FALSE);
}
