#include "config.h"

/* `openwork-host client …`: the reference client. It finds hosts, pairs with one, and runs
 * tasks on it, as a phone would. Power users drive a host from another terminal with it;
 * the tests use it as the phone. */

#include "cli/ow-cli.h"
#include "ow-pair-protocol.h"
#include "ow-client-connection.h"
#include "ow-client-discover.h"
#include "ow-client-pair.h"
#include "ow-client-run.h"
#include "ow-client-store.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#define DEFAULT_PORT 8787
#define DEFAULT_DISCOVER_S 3

/* discover */

static int
client_discover (int argc, char **argv)
{
  double timeout_s = DEFAULT_DISCOVER_S;
  gboolean as_json = FALSE;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout_s, N_("Look for at most S seconds (default 3)"), N_("S") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print the hosts as JSON"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) hosts = NULL;

  g_option_context_set_summary (context, _("Lists the OpenWork hosts on the local network."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || timeout_s <= 0 || timeout_s > 600)
    {
      g_printerr ("%s\n", error ? error->message : _("--timeout takes 0 to 600 seconds."));
      return OW_CLI_EXIT_USAGE;
    }

  hosts = ow_client_discover ((guint) (timeout_s * 1000), &error);
  if (hosts == NULL)
    return ow_cli_fail (error);

  if (as_json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < hosts->len; i++)
        {
          OwDiscoveredHost *host = g_ptr_array_index (hosts, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, host->name);
          json_builder_set_member_name (builder, "hostName");
          json_builder_add_string_value (builder, host->host_name);
          json_builder_set_member_name (builder, "addresses");
          json_builder_begin_array (builder);
          for (guint j = 0; host->addresses[j]; j++)
            json_builder_add_string_value (builder, host->addresses[j]);
          json_builder_end_array (builder);
          json_builder_set_member_name (builder, "port");
          json_builder_add_int_value (builder, host->port);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, host->id);
          json_builder_set_member_name (builder, "version");
          json_builder_add_string_value (builder, host->version);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      ow_cli_print_json (root);
      return OW_CLI_EXIT_OK;
    }

  if (hosts->len == 0)
    {
      g_print (_("No OpenWork host found. Check that the host runs on this network, or pair "
                 "with its QR link or address.\n"));
      return OW_CLI_EXIT_OK;
    }
  for (guint i = 0; i < hosts->len; i++)
    {
      OwDiscoveredHost *host = g_ptr_array_index (hosts, i);
      g_autofree char *addresses = g_strjoinv (", ", host->addresses);

      g_print ("%s\t%s port %u\t(id %s, version %s)\n", host->name, addresses, host->port,
               host->id ? host->id : "?", host->version ? host->version : "?");
    }
  return OW_CLI_EXIT_OK;
}

/* pair */

static char *
url_for (const char *address, guint port)
{
  if (strchr (address, ':'))
    return g_strdup_printf ("https://[%s]:%u", address, port);
  return g_strdup_printf ("https://%s:%u", address, port);
}

/* "H", "H:PORT" or "[V6]:PORT" to a base URL. */
static char *
url_for_host_option (const char *text, GError **error)
{
  g_autofree char *host = NULL;
  guint64 port = DEFAULT_PORT;
  const char *colon;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL)
        goto invalid;
      host = g_strndup (text + 1, end - text - 1);
      colon = end[1] == ':' ? end + 1 : NULL;
      if (end[1] != '\0' && colon == NULL)
        goto invalid;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon && strchr (text, ':') != colon)
        {
          /* A bare IPv6 address */
          host = g_strdup (text);
          colon = NULL;
        }
      else
        {
          host = colon ? g_strndup (text, colon - text) : g_strdup (text);
        }
    }
  if (colon && !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    goto invalid;
  if (*host == '\0')
    goto invalid;
  return url_for (host, (guint) port);

invalid:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("--host takes ADDRESS, ADDRESS:PORT or [IPV6]:PORT, not “%s”."), text);
  return NULL;
}

static void
on_waiting (const char *host_name, gpointer user_data)
{
  g_printerr (_("Waiting for the host owner to allow this device (on the host: the dialog, or "
                "\"openwork-host devices pending\")…\n"));
}

/* The first of @addresses that answers as the host with @fingerprint. */
static OwClientConnection *
connect_first (const char *const *addresses, guint port, const char *fingerprint, GError **error)
{
  g_autoptr (GError) last_error = NULL;

  for (guint i = 0; addresses[i]; i++)
    {
      g_autofree char *url = url_for (addresses[i], port);
      g_autoptr (OwClientConnection) connection = ow_client_connection_new (url, fingerprint);
      g_autoptr (JsonNode) health = NULL;

      g_clear_error (&last_error);
      health = ow_client_connection_request (connection, "GET", "/health", NULL, NULL, NULL, NULL,
                                             &last_error);
      if (health)
        return g_steal_pointer (&connection);
      if (g_error_matches (last_error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FINGERPRINT))
        break;
    }
  g_propagate_error (error, g_steal_pointer (&last_error));
  return NULL;
}

/* The host to pair with by code: --host, or the only one on the network. */
static char *
find_host_for_code (const char *host_option, guint discover_ms, GError **error)
{
  g_autoptr (GPtrArray) hosts = NULL;
  OwDiscoveredHost *host;

  if (host_option)
    return url_for_host_option (host_option, error);

  hosts = ow_client_discover (discover_ms, error);
  if (hosts == NULL)
    return NULL;
  if (hosts->len == 0)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                   _("No OpenWork host found on this network. Give its address with --host "
                     "ADDRESS:PORT, or scan its QR code."));
      return NULL;
    }
  if (hosts->len > 1)
    {
      g_autoptr (GString) names = g_string_new (NULL);

      for (guint i = 0; i < hosts->len; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "",
                                ((OwDiscoveredHost *) g_ptr_array_index (hosts, i))->name);
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                   _("Several hosts are on this network (%s). Choose one with --host "
                     "ADDRESS:PORT (see \"openwork-host client discover\")."),
                      names->str);
      return NULL;
    }
  host = g_ptr_array_index (hosts, 0);
  if (host->addresses[0] == NULL)
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                   _("The host %s announced no usable address. Give it with --host."), host->name);
      return NULL;
    }
  return url_for (host->addresses[0], host->port);
}

/* This device's name and platform as the host owner will see them: those given, else
 * the machine's name and "linux". FALSE after saying what is wrong with them. */
static gboolean
name_this_device (char **name, char **platform)
{
  if (*name == NULL)
    {
      g_autofree char *machine = g_strdup_printf ("%s (openwork-host client)", g_get_host_name ());

      *name = g_utf8_make_valid (machine, MIN (strlen (machine), OW_PAIR_NAME_MAX_BYTES));
    }
  if (*platform == NULL)
    *platform = g_strdup ("linux");
  if (ow_pair_name_is_valid (*name, OW_PAIR_NAME_MAX_BYTES) &&
      ow_pair_name_is_valid (*platform, OW_PAIR_PLATFORM_MAX_BYTES))
    return TRUE;
  g_printerr (_("--name takes up to 64 bytes of text, --platform up to 32.\n"));
  return FALSE;
}

/* Pairs by the 6-digit code the host shows, with the host at @host_option or the one
 * found on the network. %NULL with @error set, or without for a code that is not one. */
static OwClientPairing *
pair_by_code (const char *code,
              const char *host_option,
              double timeout_s,
              const char *name,
              const char *platform,
              OwClientConnection **connection,
              GError **error)
{
  g_autoptr (GString) digits = g_string_new (NULL);
  g_autoptr (GBytes) password = NULL;
  g_autofree char *url = NULL;
  OwClientPairing *pairing;
  gboolean well_formed = TRUE;

  /* People type "123 456" or "123-456". */
  for (const char *p = code; *p; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);
    else if (*p != ' ' && *p != '-')
      well_formed = FALSE;
  if (!well_formed || digits->len != OW_PAIR_CODE_DIGITS)
    {
      g_printerr (_("The code has 6 digits, like 123 456.\n"));
      return NULL;
    }

  url = find_host_for_code (host_option, (guint) (timeout_s * 1000), error);
  if (url == NULL)
    return NULL;
  g_printerr (_("Pairing with the host at %s…\n"), url);
  *connection = ow_client_connection_new (url, NULL);
  password = g_bytes_new (digits->str, digits->len);
  pairing =
    ow_client_pair_cpace (*connection, "code", password, name, platform, on_waiting, NULL, error);
  sodium_memzero (digits->str, digits->len);
  return pairing;
}

/* Pairs by the host's QR link: a pairing secret (openwork://pair), or a connect-remote
 * link's grant. %NULL with @error set. */
static OwClientPairing *
pair_by_uri (const char *uri_text,
             const char *host_option,
             const char *name,
             const char *platform,
             OwClientConnection **connection,
             GError **error)
{
  g_autoptr (OwPairUri) uri = ow_pair_uri_parse (uri_text, error);
  g_autoptr (GBytes) password = NULL;

  if (uri == NULL)
    return NULL;
  if (uri->kind != OW_PAIR_URI_PAIR)
    {
      *connection = ow_client_connection_new (uri->host_url, NULL);
      g_printerr (_("Pairing with the host at %s…\n"), uri->host_url);
      return ow_client_pair_grant (*connection, uri->grant, name, platform, on_waiting, NULL,
                                   error);
    }

  if (host_option)
    {
      g_autofree char *host_url = url_for_host_option (host_option, error);

      if (host_url == NULL)
        return NULL;
      *connection = ow_client_connection_new (host_url, uri->fingerprint);
    }
  else if ((*connection = connect_first ((const char *const *) uri->addresses, uri->port,
                                         uri->fingerprint, error)) == NULL)
    {
      return NULL;
    }
  g_printerr (_("Pairing with %s at %s…\n"), uri->name,
                 ow_client_connection_get_base_url (*connection));
  password = g_bytes_new (uri->secret, sizeof uri->secret);
  return ow_client_pair_cpace (*connection, "secret", password, name, platform, on_waiting, NULL,
                               error);
}

static int
client_pair (const char *dir, int argc, char **argv)
{
  g_autofree char *code = NULL;
  g_autofree char *uri_text = NULL;
  g_autofree char *host_option = NULL;
  g_autofree char *name = NULL;
  g_autofree char *platform = NULL;
  double timeout_s = DEFAULT_DISCOVER_S;
  gboolean as_json = FALSE;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "code", 0, 0, G_OPTION_ARG_STRING, &code, N_("The 6-digit code the host shows"), N_("CODE") },
    { "uri", 0, 0, G_OPTION_ARG_STRING, &uri_text, N_("The openwork:// link of the host's QR code"), N_("URI") },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host_option, N_("The host's address (default: find it on the network)"), N_("H[:PORT]") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("This device's name, as the host owner sees it"), N_("N") },
    { "platform", 0, 0, G_OPTION_ARG_STRING, &platform, N_("This device's platform (default linux)"), N_("P") },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout_s, N_("Look for the host for at most S seconds"), N_("S") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print the result as JSON"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OwClientConnection) connection = NULL;
  g_autoptr (OwClientPairing) pairing = NULL;
  OwClientStore store = { 0 };

  g_option_context_set_summary (
    context, _("Pairs this client with a host, by the code it shows or its QR link."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 1 ||
      (code == NULL) == (uri_text == NULL))
    {
      g_printerr ("%s\n", error ? error->message
                                : _("client pair takes either --code CODE or --uri URI."));
      return OW_CLI_EXIT_USAGE;
    }

  if (!name_this_device (&name, &platform))
    return OW_CLI_EXIT_USAGE;

  if (code)
    pairing = pair_by_code (code, host_option, timeout_s, name, platform, &connection, &error);
  else
    pairing = pair_by_uri (uri_text, host_option, name, platform, &connection, &error);
  if (pairing == NULL && error == NULL)
    return OW_CLI_EXIT_USAGE;
  if (pairing == NULL)
    return ow_cli_fail (error);

  store.host_name = pairing->host_name ? pairing->host_name : (char *) "";
  store.url = (char *) ow_client_connection_get_base_url (connection);
  store.fingerprint = pairing->fingerprint;
  store.token = pairing->token;
  store.device = pairing->device;
  if (!ow_client_store_save (dir, &store, &error))
    return ow_cli_fail (error);

  if (as_json)
    {
      ow_cli_print_json (pairing->device);
      return OW_CLI_EXIT_OK;
    }
  {
    JsonObject *device = json_node_get_object (pairing->device);

    g_print (_("Paired with %s as %s (device %s). The credential is in %s.\n"),
                pairing->host_name ? pairing->host_name : store.url,
                json_object_get_string_member_with_default (device, "scope", "?"),
                json_object_get_string_member_with_default (device, "id", "?"), dir);
  }
  return OW_CLI_EXIT_OK;
}

/* status */

static int
client_status (const char *dir, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OwClientStore) store = NULL;
  g_autoptr (OwClientConnection) connection = ow_client_store_connect (dir, &store, &error);
  g_autoptr (JsonNode) whoami = NULL;
  g_autoptr (JsonNode) status = NULL;
  gboolean as_json = argc > 1 && g_str_equal (argv[1], "--json");
  JsonObject *runtime;

  if (connection == NULL)
    return ow_cli_fail (error);

  whoami =
    ow_client_connection_request (connection, "GET", "/whoami", NULL, NULL, NULL, NULL, &error);
  if (whoami)
    status =
      ow_client_connection_request (connection, "GET", "/status", NULL, NULL, NULL, NULL, &error);
  if (status == NULL)
    {
      g_printerr (_("Paired with %s at %s, but: %s\n"), store->host_name, store->url,
                     error->message);
      return OW_CLI_EXIT_FAILURE;
    }

  if (as_json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "host");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, store->host_name);
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, store->url);
      json_builder_set_member_name (builder, "fingerprint");
      json_builder_add_string_value (builder, store->fingerprint);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "whoami");
      json_builder_add_value (builder, json_node_copy (whoami));
      json_builder_set_member_name (builder, "status");
      json_builder_add_value (builder, json_node_copy (status));
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      ow_cli_print_json (root);
      return OW_CLI_EXIT_OK;
    }

  runtime = json_object_get_object_member (json_node_get_object (status), "runtime");
  g_print (_("Host:        %s at %s\n"), store->host_name, store->url);
  g_print (_("Fingerprint: %s (pinned)\n"), store->fingerprint);
  g_print (_("This device: %s, %s\n"),
              json_object_get_string_member (json_node_get_object (whoami), "name"),
              json_object_get_string_member (json_node_get_object (whoami), "scope"));
  g_print (_("Runtime:     %s, OpenCode %s\n"),
              json_object_get_string_member_with_default (runtime, "state", "?"),
              json_object_get_string_member_with_default (runtime, "version", "?"));
  return OW_CLI_EXIT_OK;
}

int
ow_cli_client (const char *host_data_dir, int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *default_dir =
    host_data_dir ? g_build_filename (host_data_dir, "client", NULL) : NULL;

  /* --data-dir DIR right after "client" is the client's own folder. */
  if (argc >= 3 && (g_str_equal (argv[1], "--data-dir") || g_str_equal (argv[1], "-d")))
    {
      data_dir = g_strdup (argv[2]);
      argv[2] = argv[0];
      argv += 2;
      argc -= 2;
    }
  else if (argc >= 2 && g_str_has_prefix (argv[1], "--data-dir="))
    {
      data_dir = g_strdup (argv[1] + strlen ("--data-dir="));
      argv[1] = argv[0];
      argv += 1;
      argc -= 1;
    }
  dir = ow_client_store_dir (data_dir ? data_dir : default_dir);

  if (argc >= 2 && g_str_equal (argv[1], "discover"))
    return client_discover (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "pair"))
    return client_pair (dir, argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "status"))
    return client_status (dir, argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "run"))
    return ow_client_run (dir, argc - 1, argv + 1);

  g_printerr (_("Usage: openwork-host client [--data-dir DIR] discover [--timeout S] [--json] | "
                "pair --code CODE [--host H:PORT] [--name N] | pair --uri URI | "
                "run [--workspace ID] PROMPT | status [--json]\n"));
  return OW_CLI_EXIT_USAGE;
}
