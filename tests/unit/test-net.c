#include "config.h"

#include "ow-net.h"

static void
test_vpn_addresses_are_known (void)
{
  /* By interface: Tailscale's and WireGuard's usual names. */
  g_assert_true (ow_net_is_vpn ("tailscale0", "192.168.7.2"));
  g_assert_true (ow_net_is_vpn ("wg0", "10.8.0.1"));
  /* By range: Tailscale's CGNAT block and its ULA, under any interface name. */
  g_assert_true (ow_net_is_vpn ("utun3", "100.64.0.1"));
  g_assert_true (ow_net_is_vpn (NULL, "100.127.255.254"));
  g_assert_true (ow_net_is_vpn ("ts", "fd7a:115c:a1e0::53"));
  /* Not a VPN's: the LAN, the edges of 100.64.0.0/10, other ULAs. */
  g_assert_false (ow_net_is_vpn ("eth0", "192.168.1.20"));
  g_assert_false (ow_net_is_vpn ("eth0", "100.63.255.255"));
  g_assert_false (ow_net_is_vpn ("eth0", "100.128.0.0"));
  g_assert_false (ow_net_is_vpn ("eth0", "fd7a:115c:a1e1::1"));
  g_assert_false (ow_net_is_vpn ("eth0", "not an address"));
  g_assert_false (ow_net_is_vpn (NULL, NULL));
}

static void
test_urls_bracket_ipv6 (void)
{
  g_autofree char *v4 = ow_net_http_url ("http", "192.168.1.20", 8788);
  g_autofree char *v6 = ow_net_http_url ("https", "fd7a:115c:a1e0::53", 8787);

  g_assert_cmpstr (v4, ==, "http://192.168.1.20:8788");
  g_assert_cmpstr (v6, ==, "https://[fd7a:115c:a1e0::53]:8787");
}

static void
test_usable_addresses_leave_out_loopback (void)
{
  g_auto (GStrv) addresses = ow_net_usable_addresses ();

  for (guint i = 0; addresses[i]; i++)
    {
      g_assert_cmpstr (addresses[i], !=, "127.0.0.1");
      g_assert_cmpstr (addresses[i], !=, "::1");
    }
  /* VPN addresses come first: once one that is not a VPN's is seen, no VPN's follows. */
  for (guint i = 1; addresses[i]; i++)
    g_assert_false (!ow_net_is_vpn (NULL, addresses[i - 1]) && ow_net_is_vpn (NULL, addresses[i]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/vpn-addresses", test_vpn_addresses_are_known);
  g_test_add_func ("/net/urls-bracket-ipv6", test_urls_bracket_ipv6);
  g_test_add_func ("/net/usable-addresses", test_usable_addresses_leave_out_loopback);
  return g_test_run ();
}
