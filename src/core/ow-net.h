#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ow_net_usable_addresses:
 *
 * The addresses other devices may reach this machine at: those of interfaces that are up,
 * IPv4 first, without loopback and link-local ones (which need an interface to be named).
 *
 * Returns: (transfer full): the addresses as text; empty when there is no network
 */
GStrv ow_net_usable_addresses (void);

G_END_DECLS
