#include "config.h"

#include "ow-discovery.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-malloc.h>
#include <avahi-glib/glib-watch.h>

#define SHORT_ID_DIGITS 16

struct _OwDiscovery
{
  GObject parent_instance;

  char *name; /* as announced; changes on collisions */
  guint port;
  char *short_id;
  gboolean running;

  AvahiGLibPoll *poll;
  AvahiClient *client;
  AvahiEntryGroup *group;

  OwDiscoveryState state;
  char *reason;
};

G_DEFINE_FINAL_TYPE (OwDiscovery, ow_discovery, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void connect_client (OwDiscovery *self);

const char *
ow_discovery_state_to_string (OwDiscoveryState state)
{
  static const char *const names[] = { "off", "unavailable", "publishing", "published", "failed" };

  g_return_val_if_fail (state <= OW_DISCOVERY_FAILED, "off");
  return names[state];
}

static void
set_state (OwDiscovery *self, OwDiscoveryState state, const char *reason)
{
  if (self->state == state && g_strcmp0 (self->reason, reason) == 0)
    return;
  self->state = state;
  g_free (self->reason);
  self->reason = g_strdup (reason);
  if (state == OW_DISCOVERY_PUBLISHED)
    g_message ("Announced on the local network as “%s” (%s, port %u)", self->name,
               OW_DISCOVERY_SERVICE_TYPE, self->port);
  else if (reason)
    g_message ("Discovery %s: %s", ow_discovery_state_to_string (state), reason);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void create_service (OwDiscovery *self);

static void
rename_after_collision (OwDiscovery *self)
{
  char *alternative = avahi_alternative_service_name (self->name);

  g_message ("The name “%s” is taken on the network; announcing as “%s”", self->name, alternative);
  g_free (self->name);
  self->name = g_strdup (alternative);
  avahi_free (alternative);
}

static void
on_group_changed (AvahiEntryGroup *group, AvahiEntryGroupState state, void *user_data)
{
  OwDiscovery *self = user_data;

  switch (state)
    {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      set_state (self, OW_DISCOVERY_PUBLISHED, NULL);
      break;
    case AVAHI_ENTRY_GROUP_COLLISION:
      rename_after_collision (self);
      avahi_entry_group_reset (group);
      create_service (self);
      break;
    case AVAHI_ENTRY_GROUP_FAILURE:
      set_state (self, OW_DISCOVERY_FAILED,
                 avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
      break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
    default:
      break;
    }
}

static void
create_service (OwDiscovery *self)
{
  g_autofree char *txt_version = g_strdup_printf ("ver=%s", PACKAGE_VERSION);
  g_autofree char *txt_id = g_strdup_printf ("id=%s", self->short_id);
  int error;

  if (self->group == NULL)
    {
      self->group = avahi_entry_group_new (self->client, on_group_changed, self);
      if (self->group == NULL)
        {
          set_state (self, OW_DISCOVERY_FAILED, avahi_strerror (avahi_client_errno (self->client)));
          return;
        }
    }

  for (;;)
    {
      error = avahi_entry_group_add_service (
        self->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, self->name, OW_DISCOVERY_SERVICE_TYPE,
        NULL, NULL, (guint16) self->port, "v=1", txt_id, txt_version, NULL);
      if (error != AVAHI_ERR_COLLISION)
        break;
      /* Another service of ours on this machine has the name. */
      rename_after_collision (self);
    }

  if (error == AVAHI_OK)
    error = avahi_entry_group_commit (self->group);
  if (error != AVAHI_OK)
    {
      set_state (self, OW_DISCOVERY_FAILED, avahi_strerror (error));
      return;
    }
  set_state (self, OW_DISCOVERY_PUBLISHING, NULL);
}

static void
on_client_changed (AvahiClient *client, AvahiClientState state, void *user_data)
{
  OwDiscovery *self = user_data;

  /* Called from within avahi_client_new(), before self->client is set. */
  self->client = client;

  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
      create_service (self);
      break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
      /* The machine's own host name is changing: announce again once it settles. */
      if (self->group)
        avahi_entry_group_reset (self->group);
      set_state (self, OW_DISCOVERY_PUBLISHING, NULL);
      break;
    case AVAHI_CLIENT_CONNECTING:
      set_state (self, OW_DISCOVERY_UNAVAILABLE,
                 "avahi-daemon is not running; the host will announce itself when it starts. "
                 "Devices can still pair with the QR code or the address.");
      break;
    case AVAHI_CLIENT_FAILURE:
      if (avahi_client_errno (client) == AVAHI_ERR_DISCONNECTED)
        {
          /* The daemon went away (a restart): wait for it to come back. */
          self->group = NULL; /* freed with the client */
          avahi_client_free (client);
          self->client = NULL;
          connect_client (self);
        }
      else
        {
          set_state (self, OW_DISCOVERY_FAILED, avahi_strerror (avahi_client_errno (client)));
        }
      break;
    default:
      break;
    }
}

static void
connect_client (OwDiscovery *self)
{
  int error = 0;
  AvahiClient *client;

  client = avahi_client_new (avahi_glib_poll_get (self->poll), AVAHI_CLIENT_NO_FAIL,
                             on_client_changed, self, &error);
  if (client == NULL)
    {
      g_autofree char *reason = g_strdup_printf (
        "avahi cannot be used (%s): is the D-Bus system bus running? Devices can still pair "
        "with the QR code or the address.",
        avahi_strerror (error));

      self->client = NULL;
      set_state (self, OW_DISCOVERY_UNAVAILABLE, reason);
      return;
    }
  self->client = client;
}

void
ow_discovery_start (OwDiscovery *self)
{
  g_return_if_fail (OW_IS_DISCOVERY (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  connect_client (self);
}

void
ow_discovery_stop (OwDiscovery *self)
{
  g_return_if_fail (OW_IS_DISCOVERY (self));

  /* Freeing the group withdraws the service (avahi sends goodbye packets). */
  g_clear_pointer (&self->group, avahi_entry_group_free);
  g_clear_pointer (&self->client, avahi_client_free);
  g_clear_pointer (&self->poll, avahi_glib_poll_free);
  if (self->running)
    {
      self->running = FALSE;
      set_state (self, OW_DISCOVERY_OFF, NULL);
    }
}

OwDiscoveryState
ow_discovery_get_state (OwDiscovery *self)
{
  g_return_val_if_fail (OW_IS_DISCOVERY (self), OW_DISCOVERY_OFF);
  return self->state;
}

const char *
ow_discovery_get_reason (OwDiscovery *self)
{
  g_return_val_if_fail (OW_IS_DISCOVERY (self), NULL);
  return self->reason;
}

const char *
ow_discovery_get_name (OwDiscovery *self)
{
  g_return_val_if_fail (OW_IS_DISCOVERY (self), NULL);
  return self->name;
}

static void
ow_discovery_dispose (GObject *object)
{
  OwDiscovery *self = OW_DISCOVERY (object);

  g_clear_pointer (&self->group, avahi_entry_group_free);
  g_clear_pointer (&self->client, avahi_client_free);
  g_clear_pointer (&self->poll, avahi_glib_poll_free);

  G_OBJECT_CLASS (ow_discovery_parent_class)->dispose (object);
}

static void
ow_discovery_finalize (GObject *object)
{
  OwDiscovery *self = OW_DISCOVERY (object);

  g_free (self->name);
  g_free (self->short_id);
  g_free (self->reason);

  G_OBJECT_CLASS (ow_discovery_parent_class)->finalize (object);
}

static void
ow_discovery_class_init (OwDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ow_discovery_dispose;
  object_class->finalize = ow_discovery_finalize;

  /**
   * OwDiscovery::changed:
   *
   * The state, its reason or the announced name changed.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  avahi_set_allocator (avahi_glib_allocator ());
}

static void
ow_discovery_init (OwDiscovery *self)
{
  self->state = OW_DISCOVERY_OFF;
}

OwDiscovery *
ow_discovery_new (const char *name, guint port, const char *fingerprint)
{
  OwDiscovery *self = g_object_new (OW_TYPE_DISCOVERY, NULL);

  self->name = g_strdup (name);
  self->port = port;
  self->short_id = g_strndup (fingerprint, SHORT_ID_DIGITS);
  return self;
}
