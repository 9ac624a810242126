/*
 * Chunked bodies of the runtime's answers, as the proxy decodes them.
 *
 * The first byte picks how the rest is cut into pieces; what is decoded, whether it ends,
 * where, and whether it is refused must not depend on the cuts. Decoding never writes
 * more than it read.
 */
#include "ow-fuzz.h"

#include <gio/gio.h>
#include <string.h>

#include "ow-chunked-decoder.h"

typedef struct
{
  GString *data;
  gsize consumed;
  gboolean done;
  gboolean failed;
} Result;

/* Feeds @input in pieces of 1 .. @cut bytes, in turn; @cut 0 feeds it whole. */
static Result
decode (const guint8 *input, gsize length, guint cut)
{
  g_autoptr (OwChunkedDecoder) decoder = ow_chunked_decoder_new ();
  Result result = { g_string_new (NULL), 0, FALSE, FALSE };
  guint step = 0;

  for (gsize offset = 0; offset < length && !result.done && !result.failed;)
    {
      gsize piece = MIN (cut == 0 ? length : (gsize) (step++ % cut) + 1, length - offset);
      g_autofree guint8 *buffer = g_memdup2 (input + offset, piece);
      gsize decoded = 0, consumed = 0;

      if (!ow_chunked_decoder_feed (decoder, buffer, piece, &decoded, &consumed, NULL))
        {
          result.failed = TRUE;
          break;
        }
      if (decoded > consumed || consumed > piece)
        ow_fuzz_fail ("decoded more than was read", NULL);
      result.done = ow_chunked_decoder_is_done (decoder);
      if (!result.done && consumed != piece)
        ow_fuzz_fail ("left bytes over before the body ended", NULL);
      g_string_append_len (result.data, (const char *) buffer, (gssize) decoded);
      result.consumed += consumed;
      offset += piece;
    }
  return result;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Result whole, cut;

  if (size == 0)
    return 0;

  whole = decode (data + 1, size - 1, 0);
  cut = decode (data + 1, size - 1, data[0] % 16 + 1);
  if (whole.failed != cut.failed)
    ow_fuzz_fail ("refusal depends on where the body was cut", NULL);
  if (!whole.failed && (whole.done != cut.done || whole.consumed != cut.consumed ||
                        !g_string_equal (whole.data, cut.data)))
    ow_fuzz_fail ("the decoded body depends on where it was cut", NULL);
  g_string_free (whole.data, TRUE);
  g_string_free (cut.data, TRUE);
  return 0;
}
