#include "config.h"

#include "ow-chunked-decoder.h"

#include <gio/gio.h>
#include <string.h>

typedef struct
{
  GString *data;  /* decoded */
  gsize consumed; /* of the input */
  gboolean done;
  gboolean failed;
} Result;

/* Decodes @input fed in pieces of @piece bytes, as they come off a socket. */
static Result
decode_in_pieces (const char *input, gsize piece)
{
  g_autoptr (OwChunkedDecoder) decoder = ow_chunked_decoder_new ();
  gsize length = strlen (input);
  Result result = { g_string_new (NULL), 0, FALSE, FALSE };

  for (gsize offset = 0; offset < length && !result.done; offset += piece)
    {
      gsize size = MIN (piece, length - offset);
      g_autofree guint8 *buffer = g_memdup2 (input + offset, size);
      g_autoptr (GError) error = NULL;
      gsize decoded, consumed;

      if (!ow_chunked_decoder_feed (decoder, buffer, size, &decoded, &consumed, &error))
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          result.failed = TRUE;
          break;
        }
      g_string_append_len (result.data, (const char *) buffer, (gssize) decoded);
      result.consumed += consumed;
      result.done = ow_chunked_decoder_is_done (decoder);
      if (!result.done)
        g_assert_cmpuint (consumed, ==, size);
    }
  return result;
}

static void
assert_decodes (const char *input, const char *expected, gsize expected_consumed)
{
  for (gsize piece = 1; piece <= strlen (input); piece++)
    {
      Result result = decode_in_pieces (input, piece);

      g_assert_false (result.failed);
      g_assert_true (result.done);
      g_assert_cmpstr (result.data->str, ==, expected);
      g_assert_cmpuint (result.consumed, ==, expected_consumed);
      g_string_free (result.data, TRUE);
    }
}

static void
test_bodies (void)
{
  assert_decodes ("0\r\n\r\n", "", 5);
  assert_decodes ("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 26);
  /* Hex sizes in either case, extensions, trailers, bare "\n" line ends. */
  assert_decodes ("a;name=value\r\n0123456789\r\nA\nABCDEFGHIJ\n0\r\nX-Trailer: 1\r\n\r\n",
                  "0123456789ABCDEFGHIJ", 58);
  assert_decodes ("3\r\n\r\n\n\r\n0\n\n", "\r\n\n", 11);
  /* What follows the body is not its own. */
  assert_decodes ("2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", "ok", 12);
}

static void
assert_refused (const char *input)
{
  for (gsize piece = 1; piece <= strlen (input); piece++)
    {
      Result result = decode_in_pieces (input, piece);

      g_assert_true (result.failed);
      g_string_free (result.data, TRUE);
    }
}

static void
test_malformed (void)
{
  assert_refused ("\r\n");                  /* no size */
  assert_refused ("x\r\n");                 /* not hex */
  assert_refused ("2\r\nabc\r\n0\r\n\r\n"); /* longer than its size */
  assert_refused ("1000000000000000\r\n");  /* 16 digits: larger than anything real */
  assert_refused ("0\r\n\rX");              /* the last line is not empty */
}

static void
test_unfinished (void)
{
  Result result = decode_in_pieces ("10\r\nonly part", 3);

  g_assert_false (result.failed);
  g_assert_false (result.done);
  g_assert_cmpstr (result.data->str, ==, "only part");
  g_string_free (result.data, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/chunked-decoder/bodies", test_bodies);
  g_test_add_func ("/chunked-decoder/malformed", test_malformed);
  g_test_add_func ("/chunked-decoder/unfinished", test_unfinished);
  return g_test_run ();
}
