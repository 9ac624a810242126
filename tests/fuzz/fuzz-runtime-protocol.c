/*
 * The runtime's own output: the listening line on its stdout and its health reply. The
 * host trusts neither; a listening line it accepts must name 127.0.0.1 and a port in
 * range.
 */
#include "ow-fuzz.h"

#include <glib.h>
#include <string.h>

#include "ow-runtime-protocol.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *line = g_strndup ((const char *) data, size);
  g_autofree char *version = NULL;
  g_autoptr (GError) error = NULL;
  guint port = 0;

  if (ow_runtime_parse_listening_line (line, &port))
    {
      if (port == 0 || port > 65535)
        ow_fuzz_fail ("accepted a listening line with a port out of range", line);
      if (strstr (line, "127.0.0.1") == NULL)
        ow_fuzz_fail ("accepted a listening line that does not name 127.0.0.1", line);
    }

  if (ow_runtime_parse_health ((const char *) data, size, &version, &error))
    {
      if (version == NULL || !g_utf8_validate (version, -1, NULL))
        ow_fuzz_fail ("a healthy reply without a readable version", NULL);
      if (error != NULL)
        ow_fuzz_fail ("a healthy reply set an error", error->message);
    }
  else if (error == NULL || version != NULL)
    ow_fuzz_fail ("a refused health reply without an error, or with a version", NULL);
  return 0;
}
