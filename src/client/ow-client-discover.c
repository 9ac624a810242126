#include "config.h"

#include "ow-client-discover.h"
#include "ow-client-connection.h"
#include "ow-discovery.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-glib/glib-malloc.h>
#include <avahi-glib/glib-watch.h>
#include <glib/gi18n.h>
#include <string.h>

typedef struct
{
  GMainLoop *loop;
  AvahiClient *client;
  GHashTable *hosts;     /* name → OwDiscoveredHost */
  GHashTable *addresses; /* name → GHashTable set of addresses */
  guint resolving;
  gboolean all_for_now;
  char *failure;
} Browse;

void
ow_discovered_host_free (OwDiscoveredHost *host)
{
  if (host == NULL)
    return;
  g_free (host->name);
  g_free (host->host_name);
  g_strfreev (host->addresses);
  g_free (host->id);
  g_free (host->version);
  g_free (host);
}

static void
maybe_done (Browse *browse)
{
  if (browse->all_for_now && browse->resolving == 0)
    g_main_loop_quit (browse->loop);
}

static char *
txt_value (AvahiStringList *txt, const char *key)
{
  AvahiStringList *item = avahi_string_list_find (txt, key);
  char *found_key = NULL;
  char *value = NULL;
  char *copy;

  if (item == NULL || avahi_string_list_get_pair (item, &found_key, &value, NULL) != 0)
    return NULL;
  copy = g_strdup (value);
  avahi_free (found_key);
  avahi_free (value);
  return copy;
}

static void
on_resolved (AvahiServiceResolver *resolver,
             AvahiIfIndex interface,
             AvahiProtocol protocol,
             AvahiResolverEvent event,
             const char *name,
             const char *type,
             const char *domain,
             const char *host_name,
             const AvahiAddress *address,
             uint16_t port,
             AvahiStringList *txt,
             AvahiLookupResultFlags flags,
             void *user_data)
{
  Browse *browse = user_data;

  if (event == AVAHI_RESOLVER_FOUND)
    {
      OwDiscoveredHost *host = g_hash_table_lookup (browse->hosts, name);
      GHashTable *seen = g_hash_table_lookup (browse->addresses, name);
      char text[AVAHI_ADDRESS_STR_MAX];

      if (host == NULL)
        {
          host = g_new0 (OwDiscoveredHost, 1);
          host->name = g_strdup (name);
          host->host_name = g_strdup (host_name);
          host->port = port;
          host->id = txt_value (txt, "id");
          host->version = txt_value (txt, "ver");
          g_hash_table_insert (browse->hosts, host->name, host);
          seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          g_hash_table_insert (browse->addresses, g_strdup (name), seen);
        }
      avahi_address_snprint (text, sizeof text, address);
      /* A link-local IPv6 address needs its interface, which a URL cannot easily carry. */
      if (!(address->proto == AVAHI_PROTO_INET6 && g_str_has_prefix (text, "fe80")))
        g_hash_table_add (seen, g_strdup (text));
    }

  avahi_service_resolver_free (resolver);
  browse->resolving--;
  maybe_done (browse);
}

static void
on_browsed (AvahiServiceBrowser *browser,
            AvahiIfIndex interface,
            AvahiProtocol protocol,
            AvahiBrowserEvent event,
            const char *name,
            const char *type,
            const char *domain,
            AvahiLookupResultFlags flags,
            void *user_data)
{
  Browse *browse = user_data;

  switch (event)
    {
    case AVAHI_BROWSER_NEW:
      if (avahi_service_resolver_new (browse->client, interface, protocol, name, type, domain,
                                      AVAHI_PROTO_UNSPEC, 0, on_resolved, browse))
        browse->resolving++;
      break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
      browse->all_for_now = TRUE;
      maybe_done (browse);
      break;
    case AVAHI_BROWSER_FAILURE:
      browse->failure = g_strdup (avahi_strerror (avahi_client_errno (browse->client)));
      g_main_loop_quit (browse->loop);
      break;
    case AVAHI_BROWSER_REMOVE:
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
    default:
      break;
    }
}

static void
on_client_changed (AvahiClient *client, AvahiClientState state, void *user_data)
{
  Browse *browse = user_data;

  if (state == AVAHI_CLIENT_FAILURE)
    {
      browse->failure = g_strdup (avahi_strerror (avahi_client_errno (client)));
      g_main_loop_quit (browse->loop);
    }
}

static gboolean
on_timeout (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  const OwDiscoveredHost *x = *(OwDiscoveredHost *const *) a;
  const OwDiscoveredHost *y = *(OwDiscoveredHost *const *) b;

  return g_utf8_collate (x->name, y->name);
}

/* The hosts the browse resolved, by name, each with its addresses, IPv4 first: the
 * addresses most clients reach most easily. */
static GPtrArray *
collect_hosts (Browse *browse)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) ow_discovered_host_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, browse->hosts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      OwDiscoveredHost *host = value;
      GHashTable *seen = g_hash_table_lookup (browse->addresses, key);
      g_autofree const char **list = (const char **) g_hash_table_get_keys_as_array (seen, NULL);
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

      for (guint pass = 0; pass < 2; pass++)
        for (guint i = 0; list[i]; i++)
          if ((strchr (list[i], ':') == NULL) == (pass == 0))
            g_strv_builder_add (builder, list[i]);
      host->addresses = g_strv_builder_end (builder);
      g_hash_table_iter_steal (&iter);
      g_ptr_array_add (found, host);
    }
  g_ptr_array_sort (found, compare_by_name);
  return found;
}

GPtrArray *
ow_client_discover (guint timeout_ms, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  Browse browse = { 0 };
  AvahiGLibPoll *poll;
  AvahiServiceBrowser *browser = NULL;
  GPtrArray *found = NULL;
  int avahi_error = 0;
  GSource *timeout;

  avahi_set_allocator (avahi_glib_allocator ());
  g_main_context_push_thread_default (context);
  browse.loop = g_main_loop_new (context, FALSE);
  browse.hosts =
    g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) ow_discovered_host_free);
  browse.addresses =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  poll = avahi_glib_poll_new (context, G_PRIORITY_DEFAULT);

  browse.client =
    avahi_client_new (avahi_glib_poll_get (poll), 0, on_client_changed, &browse, &avahi_error);
  if (browse.client == NULL)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                   _("Cannot look for hosts: avahi-daemon is not available (%s). Pair with "
                     "--host ADDRESS:PORT or a QR link instead."),
                      avahi_strerror (avahi_error));
      goto out;
    }

  browser = avahi_service_browser_new (browse.client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                       OW_DISCOVERY_SERVICE_TYPE, NULL, 0, on_browsed, &browse);
  if (browser == NULL)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                   _("Cannot look for hosts: %s"),
                      avahi_strerror (avahi_client_errno (browse.client)));
      goto out;
    }

  timeout = g_timeout_source_new (timeout_ms);
  g_source_set_callback (timeout, on_timeout, browse.loop, NULL);
  g_source_attach (timeout, context);
  g_main_loop_run (browse.loop);
  g_source_destroy (timeout);
  g_source_unref (timeout);

  if (browse.failure)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                   _("Looking for hosts failed: %s"), browse.failure);
      goto out;
    }

  found = collect_hosts (&browse);

out:
  if (browser)
    avahi_service_browser_free (browser);
  if (browse.client)
    avahi_client_free (browse.client);
  avahi_glib_poll_free (poll);
  g_hash_table_unref (browse.hosts);
  g_hash_table_unref (browse.addresses);
  g_main_loop_unref (browse.loop);
  g_free (browse.failure);
  g_main_context_pop_thread_default (context);
  return found;
}
