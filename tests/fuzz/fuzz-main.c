/*
 * Replays fuzz inputs without libFuzzer: every file named, and every file in every folder
 * named, goes once through LLVMFuzzerTestOneInput. Builds without -Dfuzzing=true use it to
 * run the checked-in corpus as a regression test.
 */
#include "ow-fuzz.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__ ((weak)) int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  return 0;
}

static gboolean
run_file (const char *path, guint *count)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return FALSE;
    }
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, length);
  (*count)++;
  return TRUE;
}

int
main (int argc, char **argv)
{
  guint count = 0;

  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GDir) dir = NULL;
      const char *name;

      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          if (!run_file (argv[i], &count))
            return 1;
          continue;
        }
      dir = g_dir_open (argv[i], 0, NULL);
      while (dir && (name = g_dir_read_name (dir)))
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);

          if (!run_file (path, &count))
            return 1;
        }
    }
  if (count == 0)
    {
      fprintf (stderr, "No inputs: name corpus files or folders.\n");
      return 1;
    }
  printf ("%u inputs ran without a failure\n", count);
  return 0;
}
