#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A host found on the local network. */
typedef struct
{
  char *name;      /* the announced instance name */
  char *host_name; /* its mDNS host name, e.g. "desk.local" */
  GStrv addresses;
  guint port;
  char *id;      /* the short fingerprint from the TXT record */
  char *version; /* the host's version */
} OwDiscoveredHost;

void ow_discovered_host_free (OwDiscoveredHost *host);

/**
 * ow_client_discover:
 * @timeout_ms: the longest to look; it returns earlier once avahi has nothing more to say
 *
 * Browses `_openwork._tcp` through avahi-daemon and resolves what it finds.
 *
 * Returns: (transfer full) (element-type OwDiscoveredHost): the hosts, by name, or %NULL
 *   with @error set when avahi-daemon cannot be used
 */
GPtrArray *ow_client_discover (guint timeout_ms, GError **error);

G_END_DECLS
