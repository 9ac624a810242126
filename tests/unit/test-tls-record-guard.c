/* The guard under the host's TLS: a client's records pass until it asks to renegotiate. */
#include "config.h"

#include "core/ow-tls-record-guard.h"

#define CHANGE_CIPHER_SPEC 20
#define HANDSHAKE 22
#define APPLICATION_DATA 23

/* Appends a record of @type with @length bytes of body, as a client would send it. */
static void
add_record (GByteArray *stream, guint8 type, guint16 length)
{
  const guint8 header[] = { type, 3, 3, length >> 8, length & 0xff };

  g_byte_array_append (stream, header, sizeof header);
  for (guint i = 0; i < length; i++)
    g_byte_array_append (stream, (const guint8 *) "x", 1);
}

/* Reads @stream through a guard, @step bytes at a time (blocking or pollable reads
 * alternately); returns the bytes that passed, and whether and where the read failed. */
static gsize
read_through (GByteArray *stream, gsize step, gboolean *refused)
{
  g_autoptr (GInputStream) input = g_memory_input_stream_new_from_data (
    g_memdup2 (stream->data, stream->len), stream->len, g_free);
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();
  g_autoptr (GIOStream) base = g_simple_io_stream_new (input, output);
  g_autoptr (GIOStream) guard = ow_tls_record_guard_new (base);
  GInputStream *guarded = g_io_stream_get_input_stream (guard);
  g_autofree guint8 *buffer = g_malloc (step);
  gsize passed = 0;

  g_assert_true (g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (guarded)));
  *refused = FALSE;
  for (guint round = 0;; round++)
    {
      g_autoptr (GError) error = NULL;
      gssize got = round % 2 == 0
                     ? g_input_stream_read (guarded, buffer, step, NULL, &error)
                     : g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (guarded),
                                                                 buffer, step, NULL, &error);

      if (got < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
          *refused = TRUE;
          g_assert_true (ow_tls_record_guard_get_refused (OW_TLS_RECORD_GUARD (guard)));
          /* And it stays refused. */
          g_clear_error (&error);
          g_assert_cmpint (g_input_stream_read (guarded, buffer, step, NULL, &error), ==, -1);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
          return passed;
        }
      if (got == 0)
        return passed;
      passed += (gsize) got;
    }
}

static const gsize steps[] = { 1, 3, 5, 7, 64, 4096 };

static void
assert_passes (GByteArray *stream)
{
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      gboolean refused;

      g_assert_cmpuint (read_through (stream, steps[i], &refused), ==, stream->len);
      g_assert_false (refused);
    }
}

static void
assert_refused (GByteArray *stream, gsize allowed)
{
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      gboolean refused;
      gsize passed = read_through (stream, steps[i], &refused);

      g_assert_true (refused);
      /* TLS never gets the renegotiation's whole record header, let alone its body. */
      g_assert_cmpuint (passed, <, allowed + 5);
    }
}

static void
test_tls12_handshake_passes_and_renegotiation_is_refused (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  gsize before_renegotiation;

  add_record (stream, HANDSHAKE, 517); /* ClientHello */
  add_record (stream, HANDSHAKE, 70);  /* ClientKeyExchange */
  add_record (stream, CHANGE_CIPHER_SPEC, 1);
  add_record (stream, HANDSHAKE, 40); /* Finished, encrypted */
  add_record (stream, APPLICATION_DATA, 300);
  add_record (stream, APPLICATION_DATA, 16384 + 256);
  assert_passes (stream);

  /* A ClientHello on the established session, even sent at once with the Finished. */
  before_renegotiation = stream->len;
  add_record (stream, HANDSHAKE, 120);
  add_record (stream, APPLICATION_DATA, 10);
  assert_refused (stream, before_renegotiation);
}

static void
test_tls13_handshakes_pass (void)
{
  g_autoptr (GByteArray) plain = g_byte_array_new ();
  g_autoptr (GByteArray) compatible = g_byte_array_new ();
  g_autoptr (GByteArray) retried = g_byte_array_new ();

  /* Without middlebox compatibility: nothing but application data after the hello. */
  add_record (plain, HANDSHAKE, 1800);
  add_record (plain, APPLICATION_DATA, 80);
  add_record (plain, APPLICATION_DATA, 500);
  assert_passes (plain);

  /* With it: a dummy ChangeCipherSpec before the encrypted flight. */
  add_record (compatible, HANDSHAKE, 1800);
  add_record (compatible, CHANGE_CIPHER_SPEC, 1);
  add_record (compatible, APPLICATION_DATA, 80);
  add_record (compatible, APPLICATION_DATA, 500);
  assert_passes (compatible);

  /* After a HelloRetryRequest, the dummy may come before the second ClientHello. */
  add_record (retried, HANDSHAKE, 1800);
  add_record (retried, CHANGE_CIPHER_SPEC, 1);
  add_record (retried, HANDSHAKE, 1800);
  add_record (retried, APPLICATION_DATA, 80);
  assert_passes (retried);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tls-record-guard/tls12-renegotiation-refused",
                   test_tls12_handshake_passes_and_renegotiation_is_refused);
  g_test_add_func ("/tls-record-guard/tls13-handshakes-pass", test_tls13_handshakes_pass);

  return g_test_run ();
}
