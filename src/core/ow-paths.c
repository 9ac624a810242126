#include "config.h"

#include "ow-paths.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

struct _OwPaths
{
  GObject parent_instance;

  char *config_dir;
  char *data_dir;
  char *log_dir;
  char *control_socket;
  char *runtime_log;
};

G_DEFINE_FINAL_TYPE (OwPaths, ow_paths, G_TYPE_OBJECT)

#define OW_DIR_NAME "openwork-host"

static void
ow_paths_finalize (GObject *object)
{
  OwPaths *self = OW_PATHS (object);

  g_free (self->config_dir);
  g_free (self->data_dir);
  g_free (self->log_dir);
  g_free (self->control_socket);
  g_free (self->runtime_log);

  G_OBJECT_CLASS (ow_paths_parent_class)->finalize (object);
}

static void
ow_paths_class_init (OwPathsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_paths_finalize;
}

static void
ow_paths_init (OwPaths *self)
{
}

OwPaths *
ow_paths_new (const char *data_dir)
{
  OwPaths *self = g_object_new (OW_TYPE_PATHS, NULL);

  if (data_dir)
    {
      g_autofree char *absolute = g_canonicalize_filename (data_dir, NULL);

      self->config_dir = g_build_filename (absolute, "config", NULL);
      self->data_dir = g_strdup (absolute);
      self->log_dir = g_build_filename (absolute, "logs", NULL);
    }
  else
    {
      self->config_dir = g_build_filename (g_get_user_config_dir (), OW_DIR_NAME, NULL);
      self->data_dir = g_build_filename (g_get_user_data_dir (), OW_DIR_NAME, NULL);
      self->log_dir = g_build_filename (g_get_user_state_dir (), OW_DIR_NAME, "logs", NULL);
    }

  self->control_socket = g_build_filename (self->data_dir, "control.sock", NULL);
  self->runtime_log = g_build_filename (self->log_dir, "runtime.log", NULL);

  return self;
}

static gboolean
ensure_private_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the folder %s: %s. Check its permissions or choose "
                   "another one with --data-dir.",
                   path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

gboolean
ow_paths_ensure (OwPaths *self, GError **error)
{
  g_return_val_if_fail (OW_IS_PATHS (self), FALSE);

  return ensure_private_dir (self->config_dir, error) &&
         ensure_private_dir (self->data_dir, error) && ensure_private_dir (self->log_dir, error);
}

const char *
ow_paths_get_config_dir (OwPaths *self)
{
  g_return_val_if_fail (OW_IS_PATHS (self), NULL);
  return self->config_dir;
}

const char *
ow_paths_get_data_dir (OwPaths *self)
{
  g_return_val_if_fail (OW_IS_PATHS (self), NULL);
  return self->data_dir;
}

const char *
ow_paths_get_log_dir (OwPaths *self)
{
  g_return_val_if_fail (OW_IS_PATHS (self), NULL);
  return self->log_dir;
}

const char *
ow_paths_get_control_socket (OwPaths *self)
{
  g_return_val_if_fail (OW_IS_PATHS (self), NULL);
  return self->control_socket;
}

const char *
ow_paths_get_runtime_log (OwPaths *self)
{
  g_return_val_if_fail (OW_IS_PATHS (self), NULL);
  return self->runtime_log;
}

char *
ow_paths_get_runtime_root (void)
{
  return g_build_filename (g_get_user_data_dir (), OW_DIR_NAME, "runtime", NULL);
}
