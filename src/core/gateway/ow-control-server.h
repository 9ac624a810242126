#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define OW_CONTROL_ERROR (ow_control_error_quark ())

typedef enum
{
  OW_CONTROL_ERROR_ALREADY_RUNNING, /* another host answers on the socket */
  OW_CONTROL_ERROR_PATH_TOO_LONG,   /* the socket path does not fit a sockaddr_un */
  OW_CONTROL_ERROR_NOT_RUNNING,     /* (client side) no host answers on the socket */
  OW_CONTROL_ERROR_PROTOCOL,        /* (client side) the host's answer made no sense */
} OwControlError;

GQuark ow_control_error_quark (void);

#define OW_TYPE_CONTROL_SERVER (ow_control_server_get_type ())
G_DECLARE_FINAL_TYPE (OwControlServer, ow_control_server, OW, CONTROL_SERVER, GObject)

/*
 * The command line's way into a running host: HTTP over a Unix socket (mode 0600) in the
 * data folder. Every request is checked against the peer's uid, so only the user who runs
 * the host can use it; callers act with owner rights.
 */
OwControlServer *ow_control_server_new (const char *socket_path);

/**
 * ow_control_server_listen:
 *
 * Binds the socket. A socket left behind by a host that died is replaced; one that a live
 * host answers on is an %OW_CONTROL_ERROR_ALREADY_RUNNING error.
 */
gboolean ow_control_server_listen (OwControlServer *self, GError **error);

/**
 * ow_control_server_add_handler:
 * @path: the path prefix, as for soup_server_add_handler()
 *
 * Adds a route. @callback only ever sees requests from the host's own user.
 */
void ow_control_server_add_handler (OwControlServer *self,
                                    const char *path,
                                    SoupServerCallback callback,
                                    gpointer user_data,
                                    GDestroyNotify destroy);

const char *ow_control_server_get_socket_path (OwControlServer *self);

G_END_DECLS
