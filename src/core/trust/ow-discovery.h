#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define OW_DISCOVERY_SERVICE_TYPE "_openwork._tcp"

typedef enum
{
  OW_DISCOVERY_OFF,         /* turned off (--no-discovery) */
  OW_DISCOVERY_UNAVAILABLE, /* no avahi-daemon, or no system bus: see the reason */
  OW_DISCOVERY_PUBLISHING,  /* registered, not yet confirmed on the network */
  OW_DISCOVERY_PUBLISHED,
  OW_DISCOVERY_FAILED, /* avahi refused the service: see the reason */
} OwDiscoveryState;

const char *ow_discovery_state_to_string (OwDiscoveryState state);

#define OW_TYPE_DISCOVERY (ow_discovery_get_type ())
G_DECLARE_FINAL_TYPE (OwDiscovery, ow_discovery, OW, DISCOVERY, GObject)

/**
 * ow_discovery_new:
 * @name: the instance name devices see (the host's display name)
 * @port: the gateway's HTTPS port
 * @fingerprint: the host's fingerprint; its first 16 hex digits go into the TXT record
 *
 * Announces the gateway over mDNS/DNS-SD through avahi-daemon as `_openwork._tcp` with TXT
 * `v=1`, `id=<short fingerprint>` and `ver=<version>`. The name is changed on a collision
 * ("name #2"). It announces again when avahi-daemon restarts or first appears, and
 * withdraws when disposed. Nothing happens until ow_discovery_start().
 */
OwDiscovery *ow_discovery_new (const char *name, guint port, const char *fingerprint);

void ow_discovery_start (OwDiscovery *self);

/* Withdraws the announcement and stays silent (state off). */
void ow_discovery_stop (OwDiscovery *self);

OwDiscoveryState ow_discovery_get_state (OwDiscovery *self);

/* Why discovery is unavailable or failed, for a person; %NULL otherwise. */
const char *ow_discovery_get_reason (OwDiscovery *self);

/* The name actually announced, which differs from the asked-for one after a collision. */
const char *ow_discovery_get_name (OwDiscovery *self);

G_END_DECLS
