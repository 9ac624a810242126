#include "config.h"

#include "ow-net.h"

#include <gio/gio.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

gboolean
ow_net_is_vpn (const char *interface, const char *address)
{
  g_autoptr (GInetAddress) parsed = address ? g_inet_address_new_from_string (address) : NULL;
  const guint8 *bytes;

  if (interface != NULL &&
      (g_str_has_prefix (interface, "tailscale") || g_str_has_prefix (interface, "wg")))
    return TRUE;
  if (parsed == NULL)
    return FALSE;
  bytes = g_inet_address_to_bytes (parsed);
  /* Tailscale's own ranges, whatever the interface is called: 100.64.0.0/10 and
   * fd7a:115c:a1e0::/48. */
  if (g_inet_address_get_family (parsed) == G_SOCKET_FAMILY_IPV4)
    return bytes[0] == 100 && (bytes[1] & 0xc0) == 64;
  return bytes[0] == 0xfd && bytes[1] == 0x7a && bytes[2] == 0x11 && bytes[3] == 0x5c &&
         bytes[4] == 0xa1 && bytes[5] == 0xe0;
}

static void
add_family (
  GStrvBuilder *builder, struct ifaddrs *addresses, int family, gboolean vpn, GHashTable *seen)
{
  for (struct ifaddrs *a = addresses; a; a = a->ifa_next)
    {
      g_autoptr (GSocketAddress) socket_address = NULL;
      GInetAddress *address;
      g_autofree char *text = NULL;

      if (a->ifa_addr == NULL || a->ifa_addr->sa_family != family || !(a->ifa_flags & IFF_UP) ||
          (a->ifa_flags & IFF_LOOPBACK))
        continue;

      socket_address = g_socket_address_new_from_native (
        a->ifa_addr,
        family == AF_INET ? sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6));
      if (!G_IS_INET_SOCKET_ADDRESS (socket_address))
        continue;
      address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address));
      if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_link_local (address) ||
          g_inet_address_get_is_multicast (address) || g_inet_address_get_is_any (address))
        continue;

      text = g_inet_address_to_string (address);
      if (ow_net_is_vpn (a->ifa_name, text) != vpn)
        continue;
      if (g_hash_table_add (seen, g_strdup (text)))
        g_strv_builder_add (builder, text);
    }
}

GStrv
ow_net_usable_addresses (void)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  struct ifaddrs *addresses = NULL;

  if (getifaddrs (&addresses) == 0)
    {
      /* A VPN's addresses first: they reach the host from anywhere the VPN goes. */
      for (int vpn = TRUE; vpn >= FALSE; vpn--)
        {
          add_family (builder, addresses, AF_INET, vpn, seen);
          add_family (builder, addresses, AF_INET6, vpn, seen);
        }
      freeifaddrs (addresses);
    }
  return g_strv_builder_end (builder);
}

char *
ow_net_address_key (const char *address)
{
  g_autoptr (GInetAddress) parsed = address ? g_inet_address_new_from_string (address) : NULL;
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes;

  if (parsed == NULL || g_inet_address_get_family (parsed) != G_SOCKET_FAMILY_IPV6 ||
      g_inet_address_get_is_loopback (parsed) || g_inet_address_get_is_link_local (parsed))
    return g_strdup (address ? address : "");
  bytes = g_inet_address_to_bytes (parsed);
  if (memcmp (bytes, mapped, sizeof mapped) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
  return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", bytes[0], bytes[1], bytes[2],
                          bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
}

char *
ow_net_http_url (const char *scheme, const char *address, guint port)
{
  g_return_val_if_fail (scheme != NULL && address != NULL, NULL);

  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("%s://[%s]:%u", scheme, address, port);
  return g_strdup_printf ("%s://%s:%u", scheme, address, port);
}
