#include "config.h"

#include "ow-cli.h"
#include "ow-control-client.h"
#include "ow-control-server.h"

#include <glib/gi18n.h>
#include <qrencode.h>
#include <unistd.h>

#define QUIET_ZONE 2 /* modules of white around the code; most readers want 4, 2 is enough */

static gboolean
module_is_dark (const QRcode *code, int x, int y)
{
  if (x < 0 || y < 0 || x >= code->width || y >= code->width)
    return FALSE;
  return code->data[y * code->width + x] & 1;
}

/* Draws @text as a QR code, two rows of modules per line of text. On a terminal the
 * colours are set (black on white) so that the code scans whatever the terminal's theme;
 * elsewhere the light modules are drawn, which suits the usual dark background. */
static gboolean
print_qr (const char *text)
{
  QRcode *code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  gboolean colour = isatty (STDOUT_FILENO);
  int size;

  if (code == NULL)
    return FALSE;
  size = code->width + 2 * QUIET_ZONE;
  for (int row = 0; row < size; row += 2)
    {
      GString *line = g_string_new ("  ");

      if (colour)
        g_string_append (line, "\033[30;47m");
      for (int column = 0; column < size; column++)
        {
          gboolean top = module_is_dark (code, column - QUIET_ZONE, row - QUIET_ZONE);
          gboolean bottom = module_is_dark (code, column - QUIET_ZONE, row + 1 - QUIET_ZONE);

          if (colour)
            /* Foreground (black) draws the dark modules. */
            g_string_append (line, top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ");
          else
            /* The glyph draws the light modules. */
            g_string_append (line, !top && !bottom ? "█" : !top ? "▀" : !bottom ? "▄" : " ");
        }
      if (colour)
        g_string_append (line, "\033[0m");
      g_print ("%s\n", line->str);
      g_string_free (line, TRUE);
    }
  QRcode_free (code);
  return TRUE;
}

static char *
format_code (const char *code)
{
  /* "123 456" reads better than "123456". */
  if (strlen (code) == 6)
    return g_strdup_printf ("%.3s %.3s", code, code + 3);
  return g_strdup (code);
}

/* `pair --openwork-app`: the link a stock OpenWork app connects with. Running the
 * command, with the scope and workspaces it names, is the owner's consent: the first
 * device to use the link is in at once. */
static int
pair_openwork_app (
  OwPaths *paths, const char *scope, char **named, gboolean as_json, gboolean no_qr)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (GDateTime) expires = NULL;
  g_auto (GStrv) workspaces = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *expires_text = NULL;
  JsonObject *root;

  if (named && (workspaces = ow_cli_resolve_workspaces (paths, named, &error)) == NULL)
    return ow_cli_fail (error);

  json_builder_begin_object (builder);
  ow_cli_add_grant (builder, scope, workspaces);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  answer = ow_control_client_request (ow_paths_get_control_socket (paths), "POST",
                                      "/api/pair/invite", body, &error);
  if (answer == NULL)
    return ow_cli_fail (error);
  if (as_json)
    {
      ow_cli_print_json (answer);
      return OW_CLI_EXIT_OK;
    }

  root = json_node_get_object (answer);
  expires = g_date_time_new_from_unix_local (json_object_get_int_member (root, "expiresAt") / 1000);
  expires_text = g_date_time_format (expires, "%H:%M:%S");
  g_print (_("Connect an OpenWork app to %s\n\n"),
              json_object_get_string_member (root, "workerName"));
  g_print (_("The first device that opens this link gets in at once, as %s, without asking "
             "you again. It is good for one device, until %s. The link is that device's "
             "password from then on: show it only to the device you mean.\n\n"),
              scope, expires_text);
  if (!no_qr && !print_qr (json_object_get_string_member (root, "link")))
    g_printerr (_("The QR code could not be drawn; use the link below.\n"));
  g_print (_("\n  Link:    %s\n"), json_object_get_string_member (root, "link"));
  g_print (_("  Address: %s (plain HTTP: traffic on the local network is not encrypted)\n\n"),
              json_object_get_string_member (root, "hostUrl"));
  g_print (_("You will see which device connected in openwork-host devices list; revoke it "
             "there with openwork-host devices revoke ID.\n"));
  return OW_CLI_EXIT_OK;
}

/* The offer as a person reads it: the code and how long it lasts, the QR code, the link,
 * the addresses and the fingerprint. */
static void
print_offer (JsonObject *root, gboolean no_qr)
{
  JsonObject *offer = json_object_get_object_member (root, "offer");
  gint64 expires_ms = json_object_get_int_member (offer, "expiresAt");
  g_autoptr (GDateTime) expires = g_date_time_new_from_unix_local (expires_ms / 1000);
  g_autofree char *expires_text = g_date_time_format (expires, "%H:%M:%S");
  g_autofree char *code = format_code (json_object_get_string_member (offer, "code"));
  JsonArray *address_list = json_object_get_array_member (root, "addresses");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;
  g_autofree char *addresses = NULL;
  gint64 left_s = MAX (0, (expires_ms - g_get_real_time () / 1000) / 1000);

  for (guint i = 0; i < json_array_get_length (address_list); i++)
    g_strv_builder_add (builder, json_array_get_string_element (address_list, i));
  list = g_strv_builder_end (builder);
  addresses = list[0] ? g_strjoinv (", ", list) : g_strdup (_("none (no network?)"));

  g_print (_("Pair a device with %s\n\n"), json_object_get_string_member (root, "name"));
  g_print (_("  Code: %s   (valid for %" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT
             ", until %s; one device)\n\n"),
              code, left_s / 60, left_s % 60, expires_text);
  if (!no_qr && !print_qr (json_object_get_string_member (offer, "uri")))
    g_printerr (_("The QR code could not be drawn; use the link below.\n"));
  g_print (_("\n  Link:        %s\n"), json_object_get_string_member (offer, "uri"));
  g_print (_("  Addresses:   %s, port %" G_GINT64_FORMAT "\n"), addresses,
              json_object_get_int_member (root, "port"));
  g_print (_("  Fingerprint: %s\n\n"), json_object_get_string_member (root, "fingerprint"));
  g_print (_("A device that uses the code waits for your approval: "
             "openwork-host devices pending, then devices approve ID.\n"));
}

int
ow_cli_pair (OwPaths *paths, int argc, char **argv)
{
  gboolean as_json = FALSE;
  gboolean renew = FALSE;
  gboolean no_qr = FALSE;
  gboolean openwork_app = FALSE;
  g_autofree char *scope = NULL;
  g_auto (GStrv) named = NULL;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print the offer as JSON"), NULL },
    { "new", 0, 0, G_OPTION_ARG_NONE, &renew, N_("Replace the current code with a new one"), NULL },
    { "no-qr", 0, 0, G_OPTION_ARG_NONE, &no_qr, N_("Do not draw the QR code"), NULL },
    { "openwork-app", 0, 0, G_OPTION_ARG_NONE, &openwork_app,
      N_("Show a link for a stock OpenWork app instead, which gets in at once"), NULL },
    { "scope", 's', 0, G_OPTION_ARG_STRING, &scope,
      N_("With --openwork-app: what the device may do (viewer, collaborator, owner)"), N_("S") },
    { "workspace", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &named,
      N_("With --openwork-app: a workspace it may use, by id or folder (repeat; default: all)"),
      N_("W") },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;

  g_option_context_set_summary (
    context, _("Shows the code and QR code a new device pairs with. Devices that used it wait "
               "for approval: see \"openwork-host devices pending\"."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 1)
    {
      g_printerr ("%s\n", error ? error->message : _("pair takes no arguments."));
      return OW_CLI_EXIT_USAGE;
    }
  if (openwork_app && scope == NULL)
    {
      g_printerr (_("Say what the device may do: pair --openwork-app --scope viewer, "
                    "collaborator or owner.\n"));
      return OW_CLI_EXIT_USAGE;
    }
  if (!openwork_app && (scope || named))
    {
      g_printerr (_("--scope and --workspace go with --openwork-app.\n"));
      return OW_CLI_EXIT_USAGE;
    }
  if (openwork_app)
    return pair_openwork_app (paths, scope, named, as_json, no_qr);

  answer = ow_control_client_request (ow_paths_get_control_socket (paths), renew ? "POST" : "GET",
                                      "/api/pair/offer", NULL, &error);
  if (answer == NULL)
    return ow_cli_fail (error);
  if (as_json)
    {
      ow_cli_print_json (answer);
      return OW_CLI_EXIT_OK;
    }

  print_offer (json_node_get_object (answer), no_qr);
  return OW_CLI_EXIT_OK;
}
