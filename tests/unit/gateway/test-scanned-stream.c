/* The guards that read a client's input as it passes: under the host's TLS, records pass
 * until the client asks to renegotiate; on an event stream's WebSocket, frames pass until
 * a message grows too large or the pings come too often. */
#include "config.h"

#include "ow-http-framing-guard.h"
#include "ow-scanned-stream.h"
#include "ow-tls-record-guard.h"
#include "ow-websocket-guard.h"

#include <string.h>

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

typedef GIOStream *(*GuardNew) (GIOStream *base);

static GIOStream *
websocket_guard_new (GIOStream *base)
{
  return ow_websocket_guard_new (base, NULL);
}

static GIOStream *
http_framing_guard_new (GIOStream *base)
{
  return ow_http_framing_guard_new (base, NULL);
}

/* The guard under test, and the error it refuses with. */
static GuardNew guard_new = ow_tls_record_guard_new;
static int refusal = G_IO_ERROR_PERMISSION_DENIED;
/* What the guard wrote back in the last read_through(). */
static GString *answered;

static void
remember_answer (GOutputStream *output)
{
  GMemoryOutputStream *memory = G_MEMORY_OUTPUT_STREAM (output);

  g_string_truncate (answered, 0);
  g_string_append_len (answered, g_memory_output_stream_get_data (memory),
                       (gssize) g_memory_output_stream_get_data_size (memory));
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
  g_autoptr (GIOStream) guard = guard_new (base);
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
          g_assert_error (error, G_IO_ERROR, refusal);
          *refused = TRUE;
          g_assert_true (ow_scanned_stream_get_refused (OW_SCANNED_STREAM (guard)));
          /* And it stays refused. */
          g_clear_error (&error);
          g_assert_cmpint (g_input_stream_read (guarded, buffer, step, NULL, &error), ==, -1);
          g_assert_error (error, G_IO_ERROR, refusal);
          remember_answer (output);
          return passed;
        }
      if (got == 0)
        {
          remember_answer (output);
          return passed;
        }
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

/* Refused, with less than @header bytes of what starts at @allowed passed on: the
 * refused record or frame never reaches the reader whole, let alone its body. */
static void
assert_refused (GByteArray *stream, gsize allowed, gsize header)
{
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      gboolean refused;
      gsize passed = read_through (stream, steps[i], &refused);

      g_assert_true (refused);
      g_assert_cmpuint (passed, <, allowed + header);
    }
}

static void
use_tls_guard (void)
{
  guard_new = ow_tls_record_guard_new;
  refusal = G_IO_ERROR_PERMISSION_DENIED;
}

static void
test_tls12_handshake_passes_and_renegotiation_is_refused (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  gsize before_renegotiation;

  use_tls_guard ();
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
  assert_refused (stream, before_renegotiation, 5);
}

static void
test_tls13_handshakes_pass (void)
{
  g_autoptr (GByteArray) plain = g_byte_array_new ();
  g_autoptr (GByteArray) compatible = g_byte_array_new ();
  g_autoptr (GByteArray) retried = g_byte_array_new ();

  use_tls_guard ();
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

/* WebSocket frames */

#define OP_CONTINUATION 0x0
#define OP_TEXT 0x1
#define OP_CLOSE 0x8
#define OP_PING 0x9
#define OP_PONG 0xa

/* Appends a frame with @length bytes of payload, masked as a client sends it, with the
 * shortest length encoding, or the 64-bit one if @long_length. */
static void
add_frame (GByteArray *stream, guint8 opcode, gboolean final, guint64 length, gboolean long_length)
{
  guint8 header[14] = { (final ? 0x80 : 0) | opcode };
  gsize size = 2;

  if (length < 126 && !long_length)
    {
      header[1] = 0x80 | (guint8) length;
    }
  else if (length <= 0xffff && !long_length)
    {
      header[1] = 0x80 | 126;
      header[2] = (guint8) (length >> 8);
      header[3] = (guint8) length;
      size = 4;
    }
  else
    {
      header[1] = 0x80 | 127;
      for (guint i = 0; i < 8; i++)
        header[2 + i] = (guint8) (length >> (56 - 8 * i));
      size = 10;
    }
  memcpy (header + size, "mask", 4);
  g_byte_array_append (stream, header, size + 4);
  for (guint64 i = 0; i < length; i++)
    g_byte_array_append (stream, (const guint8 *) "x", 1);
}

static void
use_websocket_guard (void)
{
  guard_new = websocket_guard_new;
  refusal = G_IO_ERROR_MESSAGE_TOO_LARGE;
}

static void
test_websocket_messages_pass_up_to_the_cap (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  guint64 quarter = OW_WEBSOCKET_MAX_MESSAGE / 4;

  use_websocket_guard ();
  add_frame (stream, OP_TEXT, TRUE, 20, FALSE);
  add_frame (stream, OP_TEXT, TRUE, OW_WEBSOCKET_MAX_MESSAGE, TRUE);
  /* Exactly the cap in four fragments, with a ping and a pong between them. */
  add_frame (stream, OP_TEXT, FALSE, quarter, FALSE);
  add_frame (stream, OP_CONTINUATION, FALSE, quarter, FALSE);
  add_frame (stream, OP_PING, TRUE, 4, FALSE);
  add_frame (stream, OP_CONTINUATION, FALSE, quarter, FALSE);
  add_frame (stream, OP_PONG, TRUE, 4, FALSE);
  add_frame (stream, OP_CONTINUATION, TRUE, quarter, FALSE);
  /* A new message counts from nothing. */
  add_frame (stream, OP_TEXT, TRUE, OW_WEBSOCKET_MAX_MESSAGE, FALSE);
  add_frame (stream, OP_CLOSE, TRUE, 2, FALSE);
  assert_passes (stream);
}

static void
test_websocket_messages_past_the_cap_are_refused (void)
{
  g_autoptr (GByteArray) fragments = g_byte_array_new ();
  g_autoptr (GByteArray) whole = g_byte_array_new ();
  g_autoptr (GByteArray) huge = g_byte_array_new ();
  gsize allowed;

  use_websocket_guard ();
  /* One byte too many, in the last of many small fragments. */
  add_frame (fragments, OP_TEXT, FALSE, 1024, FALSE);
  for (guint i = 1; i < OW_WEBSOCKET_MAX_MESSAGE / 1024; i++)
    add_frame (fragments, OP_CONTINUATION, FALSE, 1024, FALSE);
  allowed = fragments->len;
  add_frame (fragments, OP_CONTINUATION, TRUE, 1, FALSE);
  assert_refused (fragments, allowed, 6);

  add_frame (whole, OP_TEXT, TRUE, OW_WEBSOCKET_MAX_MESSAGE + 1, FALSE);
  assert_refused (whole, 0, 14); /* 64 KiB and one: a 64-bit length */

  /* A 64-bit length no message could have: refused from its header alone. */
  g_byte_array_append (huge, (const guint8 *) "\x81\xff\xff\xff\xff\xff\xff\xff\xff\xffmask", 14);
  assert_refused (huge, 0, 14);
}

static void
test_websocket_pings_are_limited (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  gsize allowed;

  use_websocket_guard ();
  refusal = G_IO_ERROR_BUSY;
  for (guint i = 0; i < OW_WEBSOCKET_MAX_PINGS; i++)
    add_frame (stream, OP_PING, TRUE, 8, FALSE);
  add_frame (stream, OP_TEXT, TRUE, 8, FALSE);
  allowed = stream->len;
  add_frame (stream, OP_PING, TRUE, 8, FALSE);
  assert_refused (stream, allowed, 6);
}

/* HTTP/1 request framing */

static void
use_http_framing_guard (void)
{
  guard_new = http_framing_guard_new;
  refusal = G_IO_ERROR_INVALID_DATA;
}

/* Appends @text, with each backslash and zero in it made a NUL byte. */
static void
add_text (GByteArray *stream, const char *text)
{
  for (const char *at = text; *at != '\0'; at++)
    {
      guint8 byte = (guint8) *at;

      if (at[0] == '\\' && at[1] == '0')
        {
          byte = 0;
          at++;
        }
      g_byte_array_append (stream, &byte, 1);
    }
}

/* What a chunked upload of @bodies looks like, with an extension on the first chunk. */
static const char chunked_post[] = "POST /w/a/opencode/session HTTP/1.1\r\n"
                                   "Host: example\r\n"
                                   "transfer-encoding:  Chunked \t\r\n"
                                   "\r\n"
                                   "5;name=\"x\"\r\nhello\r\n"
                                   "1D\r\n"
                                   "GET / HTTP/1.1\r\n\r\n01234567890\r\n"
                                   "0\r\n"
                                   "\r\n";

static void
test_http_requests_pass (void)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autofree char *long_header = g_strnfill (20000, 'a');
  g_autofree char *long_line = g_strdup_printf ("X-Long: %s\r\n", long_header);

  use_http_framing_guard ();
  add_text (stream, "GET /health HTTP/1.1\r\nHost: example\r\nAccept:\t*/*\r\n\r\n");
  /* A body is not looked into, whatever it holds. */
  add_text (stream, "POST /tokens HTTP/1.1\r\nContent-Length: 23\r\n\r\n"
                    "\\0\nFFFFFFFFFFFFFFFF\r\n\r\n\n");
  add_text (stream, chunked_post);
  add_text (stream, "GET / HTTP/1.1\r\nContent-Length: 0\r\nContent-Type: x\r\n\r\n");
  add_text (stream, "GET / HTTP/1.1\r\n");
  add_text (stream, long_line);
  add_text (stream, "\r\n");
  add_text (stream, "PUT / HTTP/1.0\r\nContent-Length: 000000000000000003\r\n\r\nabc");
  /* Bare LFs, as typed into netcat. */
  add_text (stream, "POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n");
  add_text (stream, "GET / HTTP/1.1\nHost: x\r\n\n");
  assert_passes (stream);
  g_assert_cmpuint (answered->len, ==, 0);

  /* After a request for an Upgrade, what follows is not HTTP/1. */
  add_text (stream, "GET /host/events HTTP/1.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\n\r\n\x81\x85mask\n\\0\r\r\n");
  assert_passes (stream);
}

/* @request, after a good one, is refused at the latest at the end of the @length bytes
 * at @bad in it, with a 400 (@status) that closes the connection. */
static void
assert_refused_at (const char *request, const char *bad, gsize length, guint status)
{
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autofree char *status_line = g_strdup_printf ("HTTP/1.1 %u ", status);
  gsize allowed;

  g_assert_nonnull (bad);
  add_text (stream, "GET /health HTTP/1.1\r\nHost: example\r\n\r\n");
  allowed = stream->len + (gsize) (bad - request);
  add_text (stream, request);
  add_text (stream, "GET /health HTTP/1.1\r\n\r\n");
  assert_refused (stream, allowed, length);
  g_assert_true (g_str_has_prefix (answered->str, status_line));
  g_assert_nonnull (strstr (answered->str, "\r\nConnection: close\r\n"));
  g_assert_nonnull (strstr (answered->str, status == 400 ? "\"code\":\"invalid_framing\""
                                                         : "\"code\":\"head_too_large\""));
}

/* As assert_refused_at(), at the first @bad in @request. */
static void
assert_request_refused (const char *request, const char *bad, guint status)
{
  assert_refused_at (request, strstr (request, bad), strlen (bad), status);
}

static void
test_http_chunk_sizes_past_the_limits_are_refused (void)
{
  static const char *const sizes[] = {
    "FFFFFFFFFFFFFFFF\r\n",  /* libsoup 3.2 reads this as the last chunk */
    "10000000000000000\r\n", /* and this */
    "-1\r\n",                /* and this */
    "1000000000000000\r\n",  /* 16 digits */
    "0x10\r\n",
    " 5\r\n",
    "+5\r\n",
    "\r\n",
    "5 x\r\n",
    "5;a\\0b\r\n",
    "5;"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789\r\n",
  };

  use_http_framing_guard ();
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *request = g_strdup_printf (
        "POST /tokens HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n%s", sizes[i]);

      g_test_message ("chunk size line %u", i);
      assert_refused_at (request, request + strlen (request) - strlen (sizes[i]), strlen (sizes[i]),
                         400);
    }
  g_test_message ("15 digits pass");
  {
    g_autoptr (GByteArray) stream = g_byte_array_new ();

    add_text (stream, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00000000000003\r\n"
                      "abc\r\n000000000000000\r\n\r\n");
    assert_passes (stream);
  }
}

static void
test_http_bad_chunked_framing_is_refused (void)
{
  use_http_framing_guard ();
  /* libsoup ends the body after one line of trailers and reads the rest as a request. */
  assert_request_refused ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
                          "X-Trailer: 1\r\n\r\n",
                          "X-Trailer: 1\r\n", 400);
  /* It takes any line after a chunk's data. */
  assert_request_refused ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n",
                          "def\r\n", 400);
}

static void
test_http_bad_heads_are_refused (void)
{
  static const struct
  {
    const char *request;
    const char *bad;
  } cases[] = {
    { "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "\r\n\r\n" },
    { "POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc", "\r\n\r\n" },
    { "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", "Content-Length: 3, 3\r\n" },
    { "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc", "Content-Length: +3\r\n" },
    { "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", "Content-Length:\r\n" },
    { "POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n",
      "Content-Length: 9223372036854775808\r\n" },
    { "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "\r\n\r\n" },
    { "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "\r\n\r\n" },
    { "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      "\r\n\r\n" },
    { "POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc", "Content-Length : 3\r\n" },
    { "POST / HTTP/1.1\r\nX: 1\r\n Content-Length: 3\r\n\r\nabc", " Content-Length: 3\r\n" },
    /* libsoup drops NULs from a head, so this would be a Content-Length to it. */
    { "POST / HTTP/1.1\r\nContent-Le\\0ngth: 3\r\n\r\nabc", "Content-Le\\0ngth: 3\r\n" },
    { "POST / HTTP/1.1\r\nX: a\rb\r\n\r\n", "X: a\rb\r\n" },
    { "\r\nGET / HTTP/1.1\r\n\r\n", "\r\n" },
    { "GET / HTTP/1.1\r\nno colon\r\n\r\n", "no colon\r\n" },
    { "GET / HTTP/1.1\r\n: empty name\r\n\r\n", ": empty name\r\n" },
  };

  use_http_framing_guard ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("head %u", i);
      assert_request_refused (cases[i].request, cases[i].bad, 400);
    }
}

static void
test_http_heads_past_the_limit_are_refused (void)
{
  g_autofree char *value = g_strnfill (OW_HTTP_MAX_HEAD, 'a');
  g_autofree char *request = g_strdup_printf ("GET / HTTP/1.1\r\nX-Big: %s\r\n\r\n", value);

  use_http_framing_guard ();
  refusal = G_IO_ERROR_MESSAGE_TOO_LARGE;
  assert_request_refused (request, value, 431);
}

int
main (int argc, char **argv)
{
  answered = g_string_new (NULL);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tls-record-guard/tls12-renegotiation-refused",
                   test_tls12_handshake_passes_and_renegotiation_is_refused);
  g_test_add_func ("/tls-record-guard/tls13-handshakes-pass", test_tls13_handshakes_pass);
  g_test_add_func ("/websocket-guard/messages-pass-up-to-the-cap",
                   test_websocket_messages_pass_up_to_the_cap);
  g_test_add_func ("/websocket-guard/messages-past-the-cap-refused",
                   test_websocket_messages_past_the_cap_are_refused);
  g_test_add_func ("/websocket-guard/pings-limited", test_websocket_pings_are_limited);
  g_test_add_func ("/http-framing-guard/requests-pass", test_http_requests_pass);
  g_test_add_func ("/http-framing-guard/chunk-sizes-past-the-limits-refused",
                   test_http_chunk_sizes_past_the_limits_are_refused);
  g_test_add_func ("/http-framing-guard/bad-chunked-framing-refused",
                   test_http_bad_chunked_framing_is_refused);
  g_test_add_func ("/http-framing-guard/bad-heads-refused", test_http_bad_heads_are_refused);
  g_test_add_func ("/http-framing-guard/heads-past-the-limit-refused",
                   test_http_heads_past_the_limit_are_refused);

  return g_test_run ();
}
