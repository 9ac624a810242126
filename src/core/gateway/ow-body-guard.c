#include "config.h"

#include "ow-body-guard.h"
#include "ow-http.h"

#include <string.h>

#define TOO_LARGE_KEY "ow-too-large"

static void
reply_too_large (SoupServerMessage *message, gsize max_bytes)
{
  g_autofree char *text = g_strdup_printf (
    "The request body is larger than the %" G_GSIZE_FORMAT " bytes allowed.", max_bytes);

  ow_http_reply_error (message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", text);
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Connection",
                                "close");
}

/* Stops keeping a body that has grown past the cap: the rest is read and dropped. */
static void
on_request_chunk (SoupServerMessage *message, GBytes *chunk, gpointer max_bytes)
{
  SoupMessageBody *body = soup_server_message_get_request_body (message);

  if (body->length > (goffset) GPOINTER_TO_SIZE (max_bytes) &&
      !g_object_get_data (G_OBJECT (message), TOO_LARGE_KEY))
    {
      g_object_set_data (G_OBJECT (message), TOO_LARGE_KEY, GINT_TO_POINTER (TRUE));
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
    }
}

/* libsoup 3.2 frames a body by a Content-Length it reads loosely: past 2^63 it is read as 0,
 * and several are read as one. A proxy that frames a body otherwise than the runtime behind
 * it lets one request hide another, so anything but one plain number is refused. */
static gboolean
framing_is_plain (SoupMessageHeaders *headers)
{
  const char *length = soup_message_headers_get_list (headers, "Content-Length");
  gsize digits;

  if (length == NULL)
    return TRUE;
  if (soup_message_headers_get_list (headers, "Transfer-Encoding") != NULL)
    return FALSE;
  digits = strspn (length, "0123456789");
  return digits > 0 && digits <= 18 && length[digits] == '\0';
}

#define CONTINUED_KEY "ow-continued"

static void
on_informational_written (SoupServerMessage *message)
{
  g_object_set_data (G_OBJECT (message), CONTINUED_KEY, GINT_TO_POINTER (TRUE));
}

/* The final answer's head is out. libsoup takes a client that asked for a 100 Continue
 * and got this instead to have sent no body, and the framing guard under it takes the
 * body as sent; and after a refused Upgrade the guard no longer follows the framing at
 * all. Ending the connection after the answer leaves no request for them to disagree on. */
static void
on_final_headers_written (SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  gboolean expected_continue =
    (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_CONTINUE) != 0;

  if (soup_message_headers_get_one (headers, "Upgrade") != NULL ||
      (expected_continue && g_object_get_data (G_OBJECT (message), CONTINUED_KEY) == NULL))
    soup_message_headers_replace (soup_server_message_get_response_headers (message), "Connection",
                                  "close");
}

gboolean
ow_body_guard_check_head (SoupServerMessage *message, gsize max_bytes)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);

  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), FALSE);

  if (soup_message_headers_get_one (headers, "Upgrade") != NULL ||
      (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_CONTINUE))
    {
      g_signal_connect (message, "wrote-informational", G_CALLBACK (on_informational_written),
                        NULL);
      g_signal_connect (message, "wrote-headers", G_CALLBACK (on_final_headers_written), NULL);
    }
  if (!framing_is_plain (headers))
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
      ow_http_reply_error (message, SOUP_STATUS_BAD_REQUEST, "invalid_framing",
                           "The request's Content-Length must be one plain number, without "
                           "Transfer-Encoding.");
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Connection", "close");
      return FALSE;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > (goffset) max_bytes)
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);
      reply_too_large (message, max_bytes);
      return FALSE;
    }

  g_signal_connect (message, "got-chunk", G_CALLBACK (on_request_chunk),
                    GSIZE_TO_POINTER (max_bytes));
  return TRUE;
}

gboolean
ow_body_guard_reply_if_too_large (SoupServerMessage *message, gsize max_bytes)
{
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), FALSE);

  if (g_object_get_data (G_OBJECT (message), TOO_LARGE_KEY) == NULL)
    return FALSE;
  reply_too_large (message, max_bytes);
  return TRUE;
}
