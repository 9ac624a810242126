#include "config.h"

#include "ow-cpace.h"

#include <sodium.h>
#include <string.h>

#define DSI "CPaceRistretto255"
/* The block size of SHA-512, which the generator string is padded towards. */
#define HASH_BLOCK_BYTES 128

/* clang-format off */
G_DEFINE_QUARK (ow-cpace-error-quark, ow_cpace_error)
/* clang-format on */

void
ow_cpace_append_lv (GByteArray *out, const guint8 *data, gsize length)
{
  gsize rest = length;

  do
    {
      guint8 byte = rest & 0x7f;

      rest >>= 7;
      if (rest)
        byte |= 0x80;
      g_byte_array_append (out, &byte, 1);
    }
  while (rest);

  if (length)
    g_byte_array_append (out, data, (guint) length);
}

static void
append_bytes_with_length (GByteArray *out, GBytes *bytes)
{
  gsize length = 0;
  const guint8 *data = bytes ? g_bytes_get_data (bytes, &length) : NULL;

  ow_cpace_append_lv (out, data, length);
}

static gsize
prepended_length (gsize length)
{
  gsize header = 1;

  for (gsize rest = length >> 7; rest; rest >>= 7)
    header++;
  return header + length;
}

void
ow_cpace_generator (GBytes *prs, GBytes *ci, GBytes *sid, guint8 generator[OW_CPACE_POINT_BYTES])
{
  g_autoptr (GByteArray) gen_str = g_byte_array_new ();
  guint8 hash[crypto_hash_sha512_BYTES];
  gsize used = prepended_length (g_bytes_get_size (prs)) + prepended_length (strlen (DSI)) + 1;
  gsize padding = used < HASH_BLOCK_BYTES ? HASH_BLOCK_BYTES - used : 0;
  g_autofree guint8 *zeros = g_malloc0 (MAX (padding, 1));

  ow_cpace_append_lv (gen_str, (const guint8 *) DSI, strlen (DSI));
  append_bytes_with_length (gen_str, prs);
  ow_cpace_append_lv (gen_str, zeros, padding);
  append_bytes_with_length (gen_str, ci);
  append_bytes_with_length (gen_str, sid);

  crypto_hash_sha512 (hash, gen_str->data, gen_str->len);
  crypto_core_ristretto255_from_hash (generator, hash);
  sodium_memzero (gen_str->data, gen_str->len);
  sodium_memzero (hash, sizeof hash);
}

void
ow_cpace_random_scalar (guint8 scalar[OW_CPACE_SCALAR_BYTES])
{
  crypto_core_ristretto255_scalar_random (scalar);
}

gboolean
ow_cpace_share (const guint8 generator[OW_CPACE_POINT_BYTES],
                const guint8 scalar[OW_CPACE_SCALAR_BYTES],
                guint8 share[OW_CPACE_POINT_BYTES])
{
  return crypto_scalarmult_ristretto255 (share, scalar, generator) == 0;
}

gboolean
ow_cpace_shared_point (const guint8 scalar[OW_CPACE_SCALAR_BYTES],
                       const guint8 peer_share[OW_CPACE_POINT_BYTES],
                       guint8 k[OW_CPACE_POINT_BYTES],
                       GError **error)
{
  /* An invalid encoding, the identity, or a product that is the identity: abandon. */
  if (sodium_is_zero (peer_share, OW_CPACE_POINT_BYTES) ||
      !crypto_core_ristretto255_is_valid_point (peer_share) ||
      crypto_scalarmult_ristretto255 (k, scalar, peer_share) != 0)
    {
      sodium_memzero (k, OW_CPACE_POINT_BYTES);
      g_set_error_literal (error, OW_CPACE_ERROR, OW_CPACE_ERROR_INVALID_POINT,
                           "The peer sent an invalid pairing message.");
      return FALSE;
    }
  return TRUE;
}

static void
append_share (GByteArray *out, const guint8 y[OW_CPACE_POINT_BYTES], GBytes *ad)
{
  ow_cpace_append_lv (out, y, OW_CPACE_POINT_BYTES);
  append_bytes_with_length (out, ad);
}

static void
hash_and_wipe (GByteArray *input, guint8 out[OW_CPACE_ISK_BYTES])
{
  crypto_hash_sha512 (out, input->data, input->len);
  sodium_memzero (input->data, input->len);
}

/* Whether @a sorts after @b as byte strings. */
static gboolean
is_larger (const guint8 a[OW_CPACE_POINT_BYTES], const guint8 b[OW_CPACE_POINT_BYTES])
{
  return memcmp (a, b, OW_CPACE_POINT_BYTES) > 0;
}

/* Both shares with their associated data: the initiator's first, or in the symmetric
 * order, "oc" and then the larger share first. */
static void
append_transcript (GByteArray *out,
                   gboolean symmetric,
                   const guint8 ya[OW_CPACE_POINT_BYTES],
                   GBytes *ada,
                   const guint8 yb[OW_CPACE_POINT_BYTES],
                   GBytes *adb)
{
  gboolean a_first = !symmetric || is_larger (ya, yb);

  if (symmetric)
    g_byte_array_append (out, (const guint8 *) "oc", 2);
  append_share (out, a_first ? ya : yb, a_first ? ada : adb);
  append_share (out, a_first ? yb : ya, a_first ? adb : ada);
}

static void
derive_isk (GBytes *sid,
            const guint8 k[OW_CPACE_POINT_BYTES],
            gboolean symmetric,
            const guint8 ya[OW_CPACE_POINT_BYTES],
            GBytes *ada,
            const guint8 yb[OW_CPACE_POINT_BYTES],
            GBytes *adb,
            guint8 isk[OW_CPACE_ISK_BYTES])
{
  g_autoptr (GByteArray) input = g_byte_array_new ();

  ow_cpace_append_lv (input, (const guint8 *) DSI "_ISK", strlen (DSI "_ISK"));
  append_bytes_with_length (input, sid);
  ow_cpace_append_lv (input, k, OW_CPACE_POINT_BYTES);
  append_transcript (input, symmetric, ya, ada, yb, adb);
  hash_and_wipe (input, isk);
}

static void
derive_sid_output (gboolean symmetric,
                   const guint8 ya[OW_CPACE_POINT_BYTES],
                   GBytes *ada,
                   const guint8 yb[OW_CPACE_POINT_BYTES],
                   GBytes *adb,
                   guint8 out[OW_CPACE_ISK_BYTES])
{
  g_autoptr (GByteArray) input = g_byte_array_new ();

  g_byte_array_append (input, (const guint8 *) "CPaceSidOutput", strlen ("CPaceSidOutput"));
  append_transcript (input, symmetric, ya, ada, yb, adb);
  hash_and_wipe (input, out);
}

void
ow_cpace_isk_ir (GBytes *sid,
                 const guint8 k[OW_CPACE_POINT_BYTES],
                 const guint8 ya[OW_CPACE_POINT_BYTES],
                 GBytes *ada,
                 const guint8 yb[OW_CPACE_POINT_BYTES],
                 GBytes *adb,
                 guint8 isk[OW_CPACE_ISK_BYTES])
{
  derive_isk (sid, k, FALSE, ya, ada, yb, adb, isk);
}

void
ow_cpace_isk_sy (GBytes *sid,
                 const guint8 k[OW_CPACE_POINT_BYTES],
                 const guint8 ya[OW_CPACE_POINT_BYTES],
                 GBytes *ada,
                 const guint8 yb[OW_CPACE_POINT_BYTES],
                 GBytes *adb,
                 guint8 isk[OW_CPACE_ISK_BYTES])
{
  derive_isk (sid, k, TRUE, ya, ada, yb, adb, isk);
}

void
ow_cpace_sid_output_ir (const guint8 ya[OW_CPACE_POINT_BYTES],
                        GBytes *ada,
                        const guint8 yb[OW_CPACE_POINT_BYTES],
                        GBytes *adb,
                        guint8 out[OW_CPACE_ISK_BYTES])
{
  derive_sid_output (FALSE, ya, ada, yb, adb, out);
}

void
ow_cpace_sid_output_oc (const guint8 ya[OW_CPACE_POINT_BYTES],
                        GBytes *ada,
                        const guint8 yb[OW_CPACE_POINT_BYTES],
                        GBytes *adb,
                        guint8 out[OW_CPACE_ISK_BYTES])
{
  derive_sid_output (TRUE, ya, ada, yb, adb, out);
}
