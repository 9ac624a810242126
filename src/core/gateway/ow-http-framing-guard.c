#include "config.h"

#include "ow-http-framing-guard.h"
#include "ow-scanned-stream.h"

#include <string.h>

/* The longest Content-Length: 18 digits stay below 2^63. */
#define MAX_LENGTH_DIGITS 18
typedef enum
{
  AT_HEAD,       /* the lines of a request's head */
  IN_BODY,       /* a body of declared length */
  AT_CHUNK_SIZE, /* a chunk-size line */
  IN_CHUNK,      /* a chunk's data */
  AT_CHUNK_END,  /* the line end after a chunk's data */
  AT_BODY_END,   /* the line end after the last chunk, where trailers would be */
  UPGRADED,      /* no longer HTTP/1 */
} Place;

/* Where the client's input stands, request by request. */
typedef struct
{
  Place place;
  GOutputStream *output; /* where a refusal is answered */
  GByteArray *line;      /* the line under way, as sent; none between heads */
  guint64 left;          /* bytes of a body or chunk still to pass */

  /* What the head under way says so far. */
  gsize head_bytes;
  guint head_lines;
  guint content_lengths;
  guint64 content_length;
  guint transfer_encodings;
  gboolean chunked;
  gboolean upgrade;
} Framing;

static void
framing_free (Framing *self)
{
  g_clear_object (&self->output);
  g_clear_pointer (&self->line, g_byte_array_unref);
  g_free (self);
}

/* Tells the client why, on the connection it is about to lose. */
static void
answer (Framing *self, guint status, const char *reason, const char *code, const char *text)
{
  g_autofree char *body = g_strdup_printf ("{\"code\":\"%s\",\"message\":\"%s\"}", code, text);
  g_autofree char *response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                               "Content-Type: application/json\r\n"
                                               "Content-Length: %zu\r\n"
                                               "Connection: close\r\n"
                                               "\r\n"
                                               "%s",
                                               status, reason, strlen (body), body);

  /* At most a few hundred bytes, which a socket's buffer takes at once; nothing is
   * waited for on a connection that is being refused. */
  if (G_IS_POLLABLE_OUTPUT_STREAM (self->output) &&
      g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (self->output)))
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->output), response,
                                                strlen (response), NULL, NULL);
  else
    g_output_stream_write_all (self->output, response, strlen (response), NULL, NULL, NULL);
}

static gboolean
refuse (Framing *self, const char *text, GError **error)
{
  answer (self, 400, "Bad Request", "invalid_framing", text);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Refused a request: %s", text);
  return FALSE;
}

static gboolean
is_token_char (guint8 c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_space (guint8 c)
{
  return c == ' ' || c == '\t';
}

/* @value without the spaces around it, as @start and @end. */
static void
trim (const guint8 *value, gsize length, gsize *start, gsize *end)
{
  *start = 0;
  *end = length;
  while (*start < *end && is_space (value[*start]))
    (*start)++;
  while (*end > *start && is_space (value[*end - 1]))
    (*end)--;
}

/* Whether the @length bytes at @bytes are @word, in any case. */
static gboolean
matches (const guint8 *bytes, gsize length, const char *word)
{
  return length == strlen (word) && g_ascii_strncasecmp ((const char *) bytes, word, length) == 0;
}

/* A header line, its line end taken off. */
static gboolean
take_header (Framing *self, const guint8 *line, gsize length, GError **error)
{
  const guint8 *colon = memchr (line, ':', length);
  gsize name_length = colon ? (gsize) (colon - line) : 0;
  const guint8 *value;
  gsize start, end;

  if (length > 0 && is_space (line[0]))
    return refuse (self, "Header lines must not be folded.", error);
  if (name_length == 0)
    return refuse (self, "Each header line must be a name, a colon and a value.", error);
  for (gsize i = 0; i < name_length; i++)
    if (!is_token_char (line[i]))
      return refuse (self, "A header name must be a token, followed at once by a colon.", error);

  value = colon + 1;
  trim (value, length - name_length - 1, &start, &end);
  if (matches (line, name_length, "Content-Length"))
    {
      if (end - start == 0 || end - start > MAX_LENGTH_DIGITS)
        return refuse (self, "The Content-Length must be a number of 1 to 18 digits.", error);
      self->content_length = 0;
      for (gsize i = start; i < end; i++)
        {
          if (!g_ascii_isdigit (value[i]))
            return refuse (self, "The Content-Length must be a number of 1 to 18 digits.", error);
          self->content_length = self->content_length * 10 + (guint64) (value[i] - '0');
        }
      self->content_lengths++;
    }
  else if (matches (line, name_length, "Transfer-Encoding"))
    {
      self->chunked = matches (value + start, end - start, "chunked");
      self->transfer_encodings++;
    }
  else if (matches (line, name_length, "Upgrade"))
    {
      self->upgrade = TRUE;
    }
  return TRUE;
}

/* The empty line after a head: where its body starts, if it has one. */
static gboolean
end_head (Framing *self, GError **error)
{
  if (self->transfer_encodings > 0 && self->content_lengths > 0)
    return refuse (self, "A request must not have both Content-Length and Transfer-Encoding.",
                   error);
  if (self->transfer_encodings > 1 || (self->transfer_encodings == 1 && !self->chunked))
    return refuse (self, "The only Transfer-Encoding taken is one: chunked.", error);
  if (self->content_lengths > 1)
    return refuse (self, "A request must have at most one Content-Length.", error);

  if (self->upgrade)
    self->place = UPGRADED;
  else if (self->chunked)
    self->place = AT_CHUNK_SIZE;
  else if (self->content_lengths == 1 && self->content_length > 0)
    self->place = IN_BODY;
  else
    self->place = AT_HEAD;
  self->left = self->content_length;

  self->head_bytes = 0;
  self->head_lines = 0;
  self->content_lengths = 0;
  self->content_length = 0;
  self->transfer_encodings = 0;
  self->chunked = FALSE;
  self->upgrade = FALSE;
  /* A stream or an idle keep-alive connection may stay for hours: it holds no buffer. */
  g_clear_pointer (&self->line, g_byte_array_unref);
  return TRUE;
}

static gboolean
take_chunk_size (Framing *self, const guint8 *line, gsize length, GError **error)
{
  gsize digits = 0;
  guint64 size = 0;

  while (digits < length && g_ascii_isxdigit (line[digits]))
    size = size * 16 + (guint64) g_ascii_xdigit_value (line[digits++]);
  if (digits == 0 || digits > OW_HTTP_MAX_CHUNK_DIGITS)
    return refuse (self, "A chunk size must be 1 to 15 hex digits.", error);
  if (digits < length)
    {
      gsize at = digits;

      /* Chunk extensions are allowed, and ignored. */
      while (at < length && is_space (line[at]))
        at++;
      if (at == length || line[at] != ';')
        return refuse (self, "A chunk size must be 1 to 15 hex digits.", error);
      for (; at < length; at++)
        if (line[at] < 0x20 && line[at] != '\t')
          return refuse (self, "A chunk extension must be printable.", error);
    }
  self->left = size;
  self->place = size > 0 ? IN_CHUNK : AT_BODY_END;
  return TRUE;
}

/* A whole line of the head or of chunked framing, its line end taken off. */
static gboolean
take_line (Framing *self, const guint8 *line, gsize length, GError **error)
{
  switch (self->place)
    {
    case AT_HEAD:
      if (length == 0)
        {
          if (self->head_lines == 0)
            return refuse (self, "A request must start with its request line.", error);
          return end_head (self, error);
        }
      if (self->head_lines++ == 0)
        return TRUE;
      return take_header (self, line, length, error);
    case AT_CHUNK_SIZE:
      return take_chunk_size (self, line, length, error);
    case AT_CHUNK_END:
      if (length != 0)
        return refuse (self, "A chunk's data must be followed by a line end.", error);
      self->place = AT_CHUNK_SIZE;
      return TRUE;
    case AT_BODY_END:
      if (length != 0)
        return refuse (self, "Trailers after a chunked body are not taken.", error);
      self->place = AT_HEAD;
      return TRUE;
    case IN_BODY:
    case IN_CHUNK:
    case UPGRADED:
    default:
      g_assert_not_reached ();
    }
}

/* Adds @length bytes of a line to the one under way; at its LF, checks it and takes it. */
static gboolean
add_to_line (Framing *self, const guint8 *data, gsize length, gboolean complete, GError **error)
{
  const guint8 *line;
  gsize line_length;
  gboolean taken;

  if (self->place == AT_HEAD)
    {
      self->head_bytes += length;
      if (self->head_bytes > OW_HTTP_MAX_HEAD)
        {
          answer (self, 431, "Request Header Fields Too Large", "head_too_large",
                  "A request head must not be larger than 64 KiB.");
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "Refused a request: its head is larger than %d bytes", OW_HTTP_MAX_HEAD);
          return FALSE;
        }
    }
  else if ((self->line ? self->line->len : 0) + length > OW_HTTP_MAX_CHUNK_LINE)
    {
      return refuse (self, "A line of chunked framing must be shorter than 128 bytes.", error);
    }
  if (self->line == NULL)
    self->line = g_byte_array_new ();
  g_byte_array_append (self->line, data, (guint) length);
  if (!complete)
    return TRUE;

  /* As libsoup reads lines, and RFC 9112 §2.2 allows: an LF ends one, a CR before it is
   * dropped. A person typing a request into netcat or `openssl s_client` sends bare LFs. */
  line = self->line->data;
  line_length = self->line->len - 1;
  if (line_length > 0 && line[line_length - 1] == '\r')
    line_length--;
  for (gsize i = 0; i < line_length; i++)
    if (line[i] == '\0' || line[i] == '\r')
      return refuse (self, "A line must not hold a NUL or a lone CR.", error);
  taken = take_line (self, line, line_length, error);
  /* After the line is taken: at the end of a head, take_line() has let the buffer go. */
  if (self->line != NULL)
    g_byte_array_set_size (self->line, 0);
  return taken;
}

static gboolean
scan (gpointer scanner, const guint8 *data, gsize length, GError **error)
{
  Framing *self = scanner;
  gsize at = 0;

  while (at < length)
    {
      const guint8 *lf;
      gsize piece;

      switch (self->place)
        {
        case UPGRADED:
          return TRUE;
        case IN_BODY:
        case IN_CHUNK:
          piece = (gsize) MIN (self->left, (guint64) (length - at));
          at += piece;
          self->left -= piece;
          if (self->left == 0)
            self->place = self->place == IN_BODY ? AT_HEAD : AT_CHUNK_END;
          break;
        default:
          lf = memchr (data + at, '\n', length - at);
          piece = lf ? (gsize) (lf - (data + at)) + 1 : length - at;
          if (!add_to_line (self, data + at, piece, lf != NULL, error))
            return FALSE;
          at += piece;
          break;
        }
    }
  return TRUE;
}

GIOStream *
ow_http_framing_guard_new (GIOStream *base, GSocket *socket)
{
  Framing *framing;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (socket == NULL || G_IS_SOCKET (socket), NULL);

  framing = g_new0 (Framing, 1);
  framing->place = AT_HEAD;
  framing->output = g_object_ref (g_io_stream_get_output_stream (base));
  return ow_scanned_stream_new (base, socket, scan, framing, (GDestroyNotify) framing_free);
}
