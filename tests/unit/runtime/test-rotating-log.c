#include "config.h"

#include "ow-rotating-log.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static gsize
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (gsize) st.st_size;
}

static void
test_rotates_and_caps (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ow-log-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "runtime.log", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwRotatingLog) log = ow_rotating_log_new (path, 1000, 2, &error);
  g_autofree char *newest = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *line = g_strdup_printf ("line %03u of the runtime's output", i);
      ow_rotating_log_append (log, "stdout", line);
    }

  /* Three parts at most, none over the cap, and the newest line in the current file. */
  for (guint i = 0; i <= 2; i++)
    {
      g_autofree char *part = i ? g_strdup_printf ("%s.%u", path, i) : g_strdup (path);
      g_assert_cmpuint (file_size (part), <=, 1000);
      g_assert_cmpuint (file_size (part), >, 0);
    }
  {
    g_autofree char *beyond = g_strdup_printf ("%s.3", path);
    g_assert_false (g_file_test (beyond, G_FILE_TEST_EXISTS));
  }

  g_assert_true (g_file_get_contents (path, &newest, NULL, NULL));
  g_assert_nonnull (strstr (newest, "stdout line 199 of the runtime's output\n"));

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_clear_object (&log);
  for (guint i = 0; i <= 2; i++)
    {
      g_autofree char *part = i ? g_strdup_printf ("%s.%u", path, i) : g_strdup (path);
      g_unlink (part);
    }
  g_rmdir (dir);
}

static void
test_appends_to_existing (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ow-log-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "runtime.log", NULL);
  g_autofree char *contents = NULL;

  for (guint run = 0; run < 2; run++)
    {
      g_autoptr (OwRotatingLog) log = ow_rotating_log_new (path, 4096, 1, NULL);
      g_autofree char *line = g_strdup_printf ("host run %u", run);

      ow_rotating_log_append (log, "host", line);
    }

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "host host run 0\n"));
  g_assert_nonnull (strstr (contents, "host host run 1\n"));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_unwritable_folder_is_an_error (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OwRotatingLog) log =
    ow_rotating_log_new ("/nonexistent-ow-folder/runtime.log", 1000, 1, &error);

  g_assert_null (log);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent-ow-folder/runtime.log"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rotating-log/rotates-and-caps", test_rotates_and_caps);
  g_test_add_func ("/rotating-log/appends-to-existing", test_appends_to_existing);
  g_test_add_func ("/rotating-log/unwritable-folder-is-an-error",
                   test_unwritable_folder_is_an_error);
  return g_test_run ();
}
