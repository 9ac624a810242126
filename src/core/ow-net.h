#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ow_net_usable_addresses:
 *
 * The addresses other devices may reach this machine at: those of interfaces that are up,
 * a VPN's first (see ow_net_is_vpn()), then IPv4 before IPv6, without loopback and
 * link-local ones (which need an interface to be named).
 *
 * Returns: (transfer full): the addresses as text; empty when there is no network
 */
GStrv ow_net_usable_addresses (void);

/**
 * ow_net_is_vpn:
 * @interface: (nullable): the interface's name
 * @address: (nullable): one of its addresses, as text
 *
 * Returns: whether the address is a VPN's: on a Tailscale or WireGuard interface
 *   (tailscale*, wg*), or in Tailscale's ranges (100.64.0.0/10, fd7a:115c:a1e0::/48)
 */
gboolean ow_net_is_vpn (const char *interface, const char *address);

/**
 * ow_net_address_key:
 * @address: (nullable): an IP address as text
 *
 * The address as limits count it, so that one device cannot pass for many: an IPv6 /64 is
 * one address (a host picks any address in its /64 at will); an IPv4 address in IPv6
 * clothes is that IPv4 address; a link-local or loopback IPv6 address stands for itself,
 * as its /64 is every link's.
 *
 * Returns: (transfer full): the key; @address itself when it is no IPv6 address
 */
char *ow_net_address_key (const char *address);

/**
 * ow_net_http_url:
 * @scheme: "http" or "https"
 * @address: an IP address as text
 *
 * Returns: (transfer full): the URL of @port at @address, an IPv6 one in brackets
 */
char *ow_net_http_url (const char *scheme, const char *address, guint port);

G_END_DECLS
