#include "config.h"

#include "ow-runtime-launch.h"

#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

char *
ow_runtime_new_password (void)
{
  guchar secret[32];
  char hex[sizeof secret * 2 + 1];

  randombytes_buf (secret, sizeof secret);
  sodium_bin2hex (hex, sizeof hex, secret, sizeof secret);
  sodium_memzero (secret, sizeof secret);
  return g_strdup (hex);
}

char *
ow_runtime_basic_authorization (const char *password)
{
  g_autofree char *credentials = g_strconcat ("opencode:", password, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));

  sodium_memzero (credentials, strlen (credentials));
  return g_strconcat ("Basic ", encoded, NULL);
}

static void
child_setup (gpointer user_data)
{
  pid_t host = GPOINTER_TO_INT (user_data);

  /* No orphan runtime even when the host is killed with SIGKILL. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != host)
    _exit (127);

  /* Its own process group: a terminal's Ctrl-C reaches the host only, which then stops the
   * runtime in order, and a stop can reach the runtime's own children too. */
  setpgid (0, 0);
}

/* opencode does not accept --port 0, so the host picks the port. */
static gboolean
pick_free_port (guint *port, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL || !g_socket_bind (socket, any_port, FALSE, error))
    return FALSE;

  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;

  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return TRUE;
}

GSubprocess *
ow_runtime_launch (const char *binary,
                   const char *workdir,
                   GHashTable *environment,
                   const char *password,
                   guint *port,
                   GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *port_text = NULL;
  GHashTableIter iter;
  gpointer name, value;

  if (!pick_free_port (port, error))
    return NULL;
  port_text = g_strdup_printf ("%u", *port);

  launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, workdir);
  g_hash_table_iter_init (&iter, environment);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      if (value)
        g_subprocess_launcher_setenv (launcher, name, value, TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, name);
    }
  g_subprocess_launcher_setenv (launcher, "OPENCODE_SERVER_PASSWORD", password, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "OPENCODE_SERVER_USERNAME");
  g_subprocess_launcher_setenv (launcher, "OPENCODE_DISABLE_AUTOUPDATE", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "OPENCODE_DISABLE_MODELS_FETCH", "1", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);

  return g_subprocess_launcher_spawn (launcher, error, binary, "serve", "--hostname", "127.0.0.1",
                                      "--port", port_text, NULL);
}
