#include "config.h"

#include "ow-runtime-protocol.h"
#include "ow-http.h"
#include "ow-runtime-error.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK (ow-runtime-error-quark, ow_runtime_error)
/* clang-format on */

#define LISTENING_MARKER "listening on "

gboolean
ow_runtime_parse_listening_line (const char *line, guint *port)
{
  const char *url;
  g_autoptr (GUri) uri = NULL;
  int uri_port;

  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (port != NULL, FALSE);

  url = strstr (line, LISTENING_MARKER);
  if (url == NULL)
    return FALSE;
  url += strlen (LISTENING_MARKER);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
    return FALSE;

  if (g_strcmp0 (g_uri_get_host (uri), "127.0.0.1") != 0)
    return FALSE;

  uri_port = g_uri_get_port (uri);
  if (uri_port <= 0 || uri_port > 65535)
    return FALSE;

  *port = (guint) uri_port;
  return TRUE;
}

gboolean
ow_runtime_parse_health (const char *body, gsize length, char **version, GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  gboolean healthy = FALSE;
  const char *reported_version = NULL;

  g_return_val_if_fail (version != NULL, FALSE);

  object = ow_json_parse_object (body, (gssize) length, NULL);
  if (object == NULL)
    {
      g_set_error_literal (error, OW_RUNTIME_ERROR, OW_RUNTIME_ERROR_BAD_OUTPUT,
                           "The runtime's health answer is not a JSON object");
      return FALSE;
    }

  if (!ow_json_get_boolean (object, "healthy", OW_JSON_REQUIRED, &healthy, NULL))
    {
      g_set_error_literal (error, OW_RUNTIME_ERROR, OW_RUNTIME_ERROR_BAD_OUTPUT,
                           "The runtime's health answer has no \"healthy\" flag");
      return FALSE;
    }

  if (!healthy)
    {
      g_set_error_literal (error, OW_RUNTIME_ERROR, OW_RUNTIME_ERROR_UNHEALTHY,
                           "The runtime reports itself as not healthy");
      return FALSE;
    }

  if (!ow_json_get_string (object, "version", OW_JSON_REQUIRED, &reported_version, NULL) ||
      *reported_version == '\0')
    {
      g_set_error_literal (error, OW_RUNTIME_ERROR, OW_RUNTIME_ERROR_BAD_OUTPUT,
                           "The runtime's health answer does not say its version");
      return FALSE;
    }

  *version = g_strdup (reported_version);
  return TRUE;
}
