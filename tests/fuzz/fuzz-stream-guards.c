/*
 * What a client sends, read through the guards that follow it as it passes: its TLS
 * records (renegotiation) and its WebSocket frames (message size, ping rate), or, built
 * with OW_FUZZ_HTTP, its HTTP/1 requests (heads, declared lengths, chunks).
 *
 * The first byte picks the guard and how the rest is cut into reads; whether the client
 * is refused, and how many bytes pass before, must not depend on the cuts, and no more
 * passes than was sent. The HTTP guard answers a refused client exactly once, with a
 * well-framed 4xx that closes the connection, and a client it does not refuse nothing.
 */
#include "ow-fuzz.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "ow-http-framing-guard.h"
#include "ow-tls-record-guard.h"
#include "ow-websocket-guard.h"

typedef struct
{
  gsize passed;
  gboolean refused;
  GString *answer; /* what the guard wrote back */
} Result;

static GIOStream *
guard_new (GIOStream *base, guint8 pick)
{
#ifdef OW_FUZZ_HTTP
  return ow_http_framing_guard_new (base, NULL);
#else
  return pick & 1 ? ow_websocket_guard_new (base, NULL) : ow_tls_record_guard_new (base);
#endif
}

static void
check_answer (const Result *result)
{
  const GString *answer = result->answer;
  const char *body = strstr (answer->str, "\r\n\r\n");
  const char *length = strstr (answer->str, "\r\nContent-Length: ");
#ifdef OW_FUZZ_HTTP
  gboolean answers = result->refused;
#else
  gboolean answers = FALSE; /* the TLS and WebSocket guards only stop reading */
#endif

  if (!answers)
    {
      if (answer->len > 0)
        ow_fuzz_fail ("the guard wrote to the client", answer->str);
      return;
    }
  if (!g_str_has_prefix (answer->str, "HTTP/1.1 4") || body == NULL || length == NULL ||
      strstr (answer->str, "\r\nConnection: close\r\n") == NULL)
    ow_fuzz_fail ("a refusal is not a 4xx that closes the connection", answer->str);
  if (strtoul (length + strlen ("\r\nContent-Length: "), NULL, 10) !=
      answer->len - (gsize) (body + 4 - answer->str))
    ow_fuzz_fail ("a refusal's Content-Length is not its body's", answer->str);
}

/* Reads @input through a guard in pieces of 1 .. @cut bytes, in turn; @cut 0 reads it
 * whole. */
static Result
read_through (const guint8 *input, gsize length, guint8 pick, guint cut)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data (input, (gssize) length, NULL);
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GIOStream) base = g_simple_io_stream_new (in, out);
  g_autoptr (GIOStream) guard = guard_new (base, pick);
  GInputStream *guarded = g_io_stream_get_input_stream (guard);
  g_autofree guint8 *buffer = g_malloc (MAX (length, 1));
  Result result = { 0, FALSE, NULL };
  guint step = 0;

  for (;;)
    {
      gsize piece = cut == 0 ? MAX (length, 1) : (gsize) (step++ % cut) + 1;
      gssize got = g_input_stream_read (guarded, buffer, piece, NULL, NULL);

      if (got <= 0)
        {
          result.refused = got < 0;
          break;
        }
      result.passed += (gsize) got;
      if (result.passed > length)
        ow_fuzz_fail ("more passed than was sent", NULL);
    }
  result.answer =
    g_string_new_len (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                      (gssize) g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
  check_answer (&result);
  return result;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Result whole, cut;

  if (size == 0)
    return 0;

  whole = read_through (data + 1, size - 1, data[0], 0);
  cut = read_through (data + 1, size - 1, data[0], data[0] / 2 % 16 + 1);
  if (whole.refused != cut.refused)
    ow_fuzz_fail ("refusal depends on how the input was cut", NULL);
  /* Refused reads pass nothing, so bytes before the refused frame in the same read are
   * held back: only the whole read's count is a bound. */
  if (whole.refused ? cut.passed < whole.passed : cut.passed != whole.passed)
    ow_fuzz_fail ("what passed depends on how the input was cut", NULL);
  if (!g_string_equal (whole.answer, cut.answer))
    ow_fuzz_fail ("the answer depends on how the input was cut", cut.answer->str);
  g_string_free (whole.answer, TRUE);
  g_string_free (cut.answer, TRUE);
  return 0;
}
