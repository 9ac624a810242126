#pragma once

#include <json-glib/json-glib.h>

#include "ow-gateway.h"

G_BEGIN_DECLS

/* OpenWork app access's plain-HTTP port when nothing else is said. */
#define OW_DEFAULT_OPENWORK_APP_PORT 8788
/* A port the command line did not give: host.conf, then the settings decide. */
#define OW_HOST_PORT_UNSET (-2)

#define OW_TYPE_OPENWORK_APP (ow_openwork_app_get_type ())
G_DECLARE_FINAL_TYPE (OwOpenworkApp, ow_openwork_app, OW, OPENWORK_APP, GObject)

/**
 * ow_openwork_app_new:
 * @config: host.conf, kept (the choice is written back to it, at @config_path)
 * @run_port: the port the command line asked for this run (0: a free one), -1 for off,
 *   or %OW_HOST_PORT_UNSET when it asked nothing
 * @enabled: whether access is on when neither the command line nor host.conf says
 * @port: its port then (0: %OW_DEFAULT_OPENWORK_APP_PORT)
 *
 * OpenWork app access: the plain-HTTP listener that stock OpenWork clients reach, who
 * cannot trust the host's own certificate, or an HTTPS front before it ([openwork-app]
 * public-url). What is wanted comes from the command line for this run, else host.conf's
 * [openwork-app] (access, port, public-url), else @enabled and @port (the desktop's
 * settings). #OwOpenworkApp:port is notified as access opens and closes.
 *
 * Returns: (transfer full): the access, or %NULL with @error for a host.conf that says
 *   something it cannot mean
 */
OwOpenworkApp *ow_openwork_app_new (GKeyFile *config,
                                    const char *config_path,
                                    int run_port,
                                    gboolean enabled,
                                    guint port,
                                    GError **error);

/* The HTTPS front's address, for the gateway's links: nullable. */
const char *ow_openwork_app_get_public_url (OwOpenworkApp *self);

/* Opens access on @gateway if it is wanted. A port from the command line must open; one
 * from host.conf or the settings may be taken without keeping the host from starting:
 * access stays off, and ow_openwork_app_get_error() says why. */
gboolean ow_openwork_app_start (OwOpenworkApp *self, OwGateway *gateway, GError **error);

/* Switches access on the started gateway, and keeps the choice in host.conf. */
gboolean ow_openwork_app_set_enabled (OwOpenworkApp *self, gboolean enabled, GError **error);

/* The plain-HTTP port in use; 0 while access is off. */
guint ow_openwork_app_get_port (OwOpenworkApp *self);

/* Returns: (nullable): why access is off although it was wanted */
const char *ow_openwork_app_get_error (OwOpenworkApp *self);

/* Returns: (transfer full) (nullable): the address stock OpenWork clients are given: the
 * HTTPS front, else http://<first usable address>:<port>; %NULL while access is off */
char *ow_openwork_app_dup_url (OwOpenworkApp *self);

/* Adds `{enabled, port, url, publicUrl, error}`, as `status` and /v1/openwork-app give it. */
void ow_openwork_app_describe (OwOpenworkApp *self, JsonBuilder *builder);

G_END_DECLS
