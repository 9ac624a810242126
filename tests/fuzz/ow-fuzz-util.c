#include "ow-fuzz.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

void
ow_fuzz_fail (const char *what, const char *detail)
{
  fprintf (stderr, "fuzz property failed: %s%s%s\n", what, detail ? ": " : "",
           detail ? detail : "");
  abort ();
}

static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE))
    return G_LOG_WRITER_HANDLED;
  g_log_writer_standard_streams (level, fields, n_fields, user_data);
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    abort ();
  return G_LOG_WRITER_HANDLED;
}

void
ow_fuzz_install_log_writer (void)
{
  g_log_set_writer_func (write_log, NULL, NULL);
}
