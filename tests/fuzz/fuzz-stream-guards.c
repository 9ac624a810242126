/*
 * What a client sends, read through the guards that follow it as it passes: its TLS
 * records (renegotiation) and its WebSocket frames (message size, ping rate).
 *
 * The first byte picks the guard and how the rest is cut into reads; whether the client
 * is refused, and how many bytes pass before, must not depend on the cuts, and no more
 * passes than was sent.
 */
#include "ow-fuzz.h"

#include <gio/gio.h>

#include "core/ow-tls-record-guard.h"
#include "core/ow-websocket-guard.h"

typedef struct
{
  gsize passed;
  gboolean refused;
} Result;

/* Reads @input through a guard in pieces of 1 .. @cut bytes, in turn; @cut 0 reads it
 * whole. */
static Result
read_through (const guint8 *input, gsize length, gboolean websocket, guint cut)
{
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data (input, (gssize) length, NULL);
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GIOStream) base = g_simple_io_stream_new (in, out);
  g_autoptr (GIOStream) guard =
    websocket ? ow_websocket_guard_new (base, NULL) : ow_tls_record_guard_new (base);
  GInputStream *guarded = g_io_stream_get_input_stream (guard);
  g_autofree guint8 *buffer = g_malloc (MAX (length, 1));
  Result result = { 0, FALSE };
  guint step = 0;

  for (;;)
    {
      gsize piece = cut == 0 ? MAX (length, 1) : (gsize) (step++ % cut) + 1;
      gssize got = g_input_stream_read (guarded, buffer, piece, NULL, NULL);

      if (got < 0)
        {
          result.refused = TRUE;
          return result;
        }
      if (got == 0)
        return result;
      result.passed += (gsize) got;
      if (result.passed > length)
        ow_fuzz_fail ("more passed than was sent", NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gboolean websocket;
  Result whole, cut;

  if (size == 0)
    return 0;

  websocket = data[0] & 1;
  whole = read_through (data + 1, size - 1, websocket, 0);
  cut = read_through (data + 1, size - 1, websocket, data[0] / 2 % 16 + 1);
  if (whole.refused != cut.refused)
    ow_fuzz_fail ("refusal depends on how the input was cut", NULL);
  /* Refused reads pass nothing, so bytes before the refused frame in the same read are
   * held back: only the whole read's count is a bound. */
  if (whole.refused ? cut.passed < whole.passed : cut.passed != whole.passed)
    ow_fuzz_fail ("what passed depends on how the input was cut", NULL);
  return 0;
}
