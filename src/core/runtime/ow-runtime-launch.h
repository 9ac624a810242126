#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * How a run of `opencode serve` is started: on a free loopback port, with a password of
 * its own, in its own process group, and never outliving the host.
 */

/* Returns: (transfer full): a new random password for one run; never log it */
char *ow_runtime_new_password (void);

/* Returns: (transfer full): the Authorization header for user `opencode` and @password */
char *ow_runtime_basic_authorization (const char *password);

/**
 * ow_runtime_launch:
 * @environment: name → value to set, or name → %NULL to unset
 * @password: the run's password (OPENCODE_SERVER_PASSWORD)
 * @port: (out): the port the runtime is asked to listen on
 *
 * Spawns `@binary serve --hostname 127.0.0.1 --port PORT` in @workdir, with its stdout and
 * stderr piped. The port is free when it is picked; another process could take it before
 * the runtime binds it, which then fails to start and is retried on another.
 *
 * Returns: (transfer full): the process, or %NULL with @error set
 */
GSubprocess *ow_runtime_launch (const char *binary,
                                const char *workdir,
                                GHashTable *environment,
                                const char *password,
                                guint *port,
                                GError **error);

G_END_DECLS
