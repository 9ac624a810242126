#include "config.h"

#include "ow-rotating-log.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct _OwRotatingLog
{
  GObject parent_instance;

  char *path;
  gsize max_bytes;
  guint keep;

  int fd;
  gsize size;
  gboolean warned;
};

G_DEFINE_FINAL_TYPE (OwRotatingLog, ow_rotating_log, G_TYPE_OBJECT)

static void
ow_rotating_log_finalize (GObject *object)
{
  OwRotatingLog *self = OW_ROTATING_LOG (object);

  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);

  G_OBJECT_CLASS (ow_rotating_log_parent_class)->finalize (object);
}

static void
ow_rotating_log_class_init (OwRotatingLogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ow_rotating_log_finalize;
}

static void
ow_rotating_log_init (OwRotatingLog *self)
{
  self->fd = -1;
}

static gboolean
open_current (OwRotatingLog *self, GError **error)
{
  struct stat st;

  self->fd = g_open (self->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (self->fd < 0 || fstat (self->fd, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not open the log file %s: %s", self->path, g_strerror (saved_errno));
      if (self->fd >= 0)
        close (self->fd);
      self->fd = -1;
      return FALSE;
    }

  self->size = (gsize) st.st_size;
  return TRUE;
}

OwRotatingLog *
ow_rotating_log_new (const char *path, gsize max_bytes, guint keep, GError **error)
{
  g_autoptr (OwRotatingLog) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (max_bytes > 0, NULL);

  self = g_object_new (OW_TYPE_ROTATING_LOG, NULL);
  self->path = g_strdup (path);
  self->max_bytes = max_bytes;
  self->keep = keep;

  if (!open_current (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
rotate (OwRotatingLog *self)
{
  g_autoptr (GError) error = NULL;

  close (self->fd);
  self->fd = -1;

  if (self->keep == 0)
    {
      g_unlink (self->path);
    }
  else
    {
      for (guint i = self->keep; i > 1; i--)
        {
          g_autofree char *from = g_strdup_printf ("%s.%u", self->path, i - 1);
          g_autofree char *to = g_strdup_printf ("%s.%u", self->path, i);

          g_rename (from, to);
        }

      {
        g_autofree char *first = g_strdup_printf ("%s.1", self->path);
        g_rename (self->path, first);
      }
    }

  if (!open_current (self, &error) && !self->warned)
    {
      g_warning ("%s", error->message);
      self->warned = TRUE;
    }
}

void
ow_rotating_log_append (OwRotatingLog *self, const char *source, const char *line)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *seconds = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *zone = g_date_time_format (now, "%:z");
  g_autofree char *text = NULL;
  gsize length;
  const char *p;

  g_return_if_fail (OW_IS_ROTATING_LOG (self));
  g_return_if_fail (line != NULL);

  text = g_strdup_printf ("%s.%03d%s %s %s\n", seconds, g_date_time_get_microsecond (now) / 1000,
                          zone, source ? source : "-", line);
  length = strlen (text);

  if (self->fd >= 0 && self->size > 0 && self->size + length > self->max_bytes)
    rotate (self);
  if (self->fd < 0 && !open_current (self, NULL))
    return;

  for (p = text; length > 0;)
    {
      gssize written = write (self->fd, p, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        {
          if (!self->warned)
            g_warning ("Could not write to the log file %s: %s", self->path, g_strerror (errno));
          self->warned = TRUE;
          return;
        }

      self->size += (gsize) written;
      p += written;
      length -= (gsize) written;
    }

  self->warned = FALSE;
}

const char *
ow_rotating_log_get_path (OwRotatingLog *self)
{
  g_return_val_if_fail (OW_IS_ROTATING_LOG (self), NULL);
  return self->path;
}
