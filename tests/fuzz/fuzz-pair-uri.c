/*
 * QR codes and deep links: ow_pair_uri_parse() gets whatever a camera or another app
 * hands the client. Whatever it accepts must build back into a URI that parses to the same
 * fields.
 */
#include "ow-fuzz.h"

#include <glib.h>
#include <string.h>

#include "ow-pair-protocol.h"

static void
check_round_trip (const OwPairUri *uri)
{
  g_autofree char *built = NULL;
  g_autoptr (OwPairUri) again = NULL;
  g_autoptr (GError) error = NULL;

  if (uri->kind == OW_PAIR_URI_PAIR)
    built = ow_pair_uri_build (uri->name, (const char *const *) uri->addresses, uri->port,
                               uri->fingerprint, uri->secret);
  else
    built = ow_pair_uri_build_connect_remote (uri->host_url, uri->grant, uri->worker_name,
                                              uri->auto_connect);

  again = ow_pair_uri_parse (built, &error);
  if (again == NULL)
    ow_fuzz_fail ("a parsed URI built again does not parse", error->message);
  if (again->kind != uri->kind)
    ow_fuzz_fail ("the kind changed on the round trip", built);
  if (uri->kind == OW_PAIR_URI_CONNECT_REMOTE)
    {
      if (g_strcmp0 (again->host_url, uri->host_url) || g_strcmp0 (again->grant, uri->grant) ||
          g_strcmp0 (again->worker_name, uri->worker_name) ||
          again->auto_connect != uri->auto_connect)
        ow_fuzz_fail ("connect-remote fields changed on the round trip", built);
      return;
    }
  if (g_strcmp0 (again->name, uri->name) || again->port != uri->port ||
      g_strcmp0 (again->fingerprint, uri->fingerprint) ||
      memcmp (again->secret, uri->secret, sizeof uri->secret) ||
      !g_strv_equal ((const char *const *) again->addresses, (const char *const *) uri->addresses))
    ow_fuzz_fail ("pair fields changed on the round trip", built);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (OwPairUri) uri = NULL;
  g_autoptr (GError) error = NULL;

  uri = ow_pair_uri_parse (text, &error);
  if (uri == NULL)
    {
      if (error == NULL || error->message == NULL || *error->message == '\0')
        ow_fuzz_fail ("a refused URI comes without a message", text);
      return 0;
    }
  if (error != NULL)
    ow_fuzz_fail ("an accepted URI set an error", error->message);
  check_round_trip (uri);
  return 0;
}
