#include "config.h"

/* `openwork-host client run`: a prompt in one of the host's workspaces, and the task's
 * answer and tool steps printed as they stream in, resumed after a drop. */

#include "ow-client-run.h"
#include "cli/ow-cli.h"
#include "ow-client-connection.h"
#include "ow-client-store.h"
#include "ow-json.h"
#include "ow-sse-parser.h"

#include <glib/gi18n.h>
#include <string.h>

#define MAX_EVENT_BYTES (8 * 1024 * 1024)
/* A task's stream is resumed after a drop for this long before the client gives up. */
#define RESUME_FOR_US (5 * 60 * G_USEC_PER_SEC)

typedef struct
{
  const char *prompt;
  char *session_id;
  char *last_event_id;
  GHashTable *assistant_messages; /* ids of the session's assistant messages */
  GHashTable *printed;            /* part id → GUINT_TO_POINTER (bytes of text printed) */
  GHashTable *tool_states;        /* part id → last status printed */
  gboolean done;
  char *failure;
  gboolean at_line_start;
} Run;

static const char *
object_string (JsonObject *object, const char *name)
{
  return object ? json_object_get_string_member_with_default (object, name, NULL) : NULL;
}

static JsonObject *
object_member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
print_text (Run *run, const char *text)
{
  if (*text == '\0')
    return;
  g_print ("%s", text);
  run->at_line_start = g_str_has_suffix (text, "\n");
}

static void
end_line (Run *run)
{
  if (!run->at_line_start)
    g_print ("\n");
  run->at_line_start = TRUE;
}

/* Prints what a text part has that was not printed yet. */
static void
print_part_text (Run *run, const char *part_id, const char *text)
{
  gsize printed = GPOINTER_TO_SIZE (g_hash_table_lookup (run->printed, part_id));
  gsize length = strlen (text);

  if (length <= printed)
    return;
  print_text (run, text + printed);
  g_hash_table_insert (run->printed, g_strdup (part_id), GSIZE_TO_POINTER (length));
}

static void
handle_part (Run *run, JsonObject *part)
{
  const char *type = object_string (part, "type");
  const char *id = object_string (part, "id");

  if (id == NULL ||
      !g_hash_table_contains (run->assistant_messages, object_string (part, "messageID") ?: ""))
    return;

  if (g_strcmp0 (type, "text") == 0 && object_string (part, "text"))
    print_part_text (run, id, object_string (part, "text"));
  else if (g_strcmp0 (type, "tool") == 0)
    {
      JsonObject *state = object_member (part, "state");
      const char *status = object_string (state, "status");
      JsonObject *input = object_member (state, "input");
      const char *detail = object_string (input, "command");

      if (status == NULL || g_strcmp0 (g_hash_table_lookup (run->tool_states, id), status) == 0 ||
          g_strcmp0 (status, "pending") == 0)
        return;
      g_hash_table_insert (run->tool_states, g_strdup (id), g_strdup (status));
      end_line (run);
      g_print ("[%s: %s%s%s]\n", object_string (part, "tool") ?: "tool", status,
               detail ? " — " : "", detail ? detail : "");
    }
}

static void
handle_event (const OwSseEvent *event, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr (JsonObject) event_object = NULL;
  JsonObject *payload;
  JsonObject *properties;
  const char *type;

  if (event->id)
    {
      g_free (run->last_event_id);
      run->last_event_id = g_strdup (event->id);
    }
  if (run->done || (event_object = ow_json_parse_object (event->data, -1, NULL)) == NULL)
    return;

  payload = event_object;
  /* The global stream wraps the runtime's event. */
  if (object_member (payload, "payload"))
    payload = object_member (payload, "payload");
  type = object_string (payload, "type");
  properties = object_member (payload, "properties");
  if (type == NULL || properties == NULL)
    return;

  if (g_str_equal (type, "message.updated"))
    {
      JsonObject *info = object_member (properties, "info");

      if (g_strcmp0 (object_string (info, "sessionID"), run->session_id) == 0 &&
          g_strcmp0 (object_string (info, "role"), "assistant") == 0)
        g_hash_table_add (run->assistant_messages, g_strdup (object_string (info, "id")));
    }
  else if (g_str_equal (type, "message.part.updated"))
    {
      handle_part (run, object_member (properties, "part"));
    }
  else if (g_str_equal (type, "message.part.delta"))
    {
      const char *part_id = object_string (properties, "partID");
      const char *delta = object_string (properties, "delta");

      if (part_id && delta && g_strcmp0 (object_string (properties, "field"), "text") == 0 &&
          g_hash_table_contains (run->assistant_messages,
                                 object_string (properties, "messageID") ?: ""))
        {
          gsize printed = GPOINTER_TO_SIZE (g_hash_table_lookup (run->printed, part_id));

          print_text (run, delta);
          g_hash_table_insert (run->printed, g_strdup (part_id),
                               GSIZE_TO_POINTER (printed + strlen (delta)));
        }
    }
  else if (g_str_equal (type, "permission.asked") &&
           g_strcmp0 (object_string (properties, "sessionID"), run->session_id) == 0)
    {
      end_line (run);
      g_print (_("[waiting for permission to use %s: answer on the host]\n"),
                  object_string (properties, "permission") ?: "a tool");
    }
  else if (g_str_equal (type, "session.error") &&
           g_strcmp0 (object_string (properties, "sessionID"), run->session_id) == 0)
    {
      JsonObject *error = object_member (properties, "error");
      JsonObject *data = object_member (error, "data");

      g_free (run->failure);
      run->failure = g_strdup (object_string (data, "message")
                                 ?: object_string (error, "name") ?: _("the task failed"));
    }
  else if (g_str_equal (type, "session.idle") &&
           g_strcmp0 (object_string (properties, "sessionID"), run->session_id) == 0)
    {
      run->done = TRUE;
    }
}

/* Opens the task's event stream, resuming after the last event seen. NULL with @error set
 * on failure; @retry says whether trying again may help. */
static GInputStream *
open_stream (
  OwClientConnection *connection, const char *path, Run *run, gboolean *retry, GError **error)
{
  g_autoptr (SoupMessage) message = ow_client_connection_new_message (connection, "GET", path);
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GError) local_error = NULL;
  guint status;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept",
                                "text/event-stream");
  if (run->last_event_id)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Last-Event-ID",
                                  run->last_event_id);

  *retry = TRUE;
  stream =
    soup_session_send (ow_client_connection_get_session (connection), message, NULL, &local_error);
  if (stream == NULL)
    {
      ow_client_connection_explain_failure (connection, local_error, error);
      *retry = !g_error_matches (*error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_FINGERPRINT);
      return NULL;
    }
  status = soup_message_get_status (message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_HTTP,
                   _("The host refused the event stream: %u %s"), status,
                      soup_message_get_reason_phrase (message));
      *retry = status >= 500;
      return NULL;
    }
  return g_steal_pointer (&stream);
}

/* Reads events until the task ends (TRUE) or the stream breaks (FALSE). */
static gboolean
read_stream (GInputStream *stream, Run *run, GError **error)
{
  g_autoptr (OwSseParser) parser = ow_sse_parser_new (MAX_EVENT_BYTES, handle_event, run);
  g_autoptr (GError) local_error = NULL;
  char buffer[16384];

  while (!run->done)
    {
      gssize n = g_input_stream_read (stream, buffer, sizeof buffer, NULL, &local_error);

      if (n <= 0)
        {
          g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK, "%s",
                       local_error ? local_error->message : _("the host closed the stream"));
          return FALSE;
        }
      ow_sse_parser_feed (parser, buffer, (gsize) n);
    }
  return TRUE;
}

typedef gboolean (*StartFunc) (OwClientConnection *connection,
                               const char *base,
                               Run *run,
                               GError **error);

/* Opens the event stream, starts the task once it is open (so that nothing it does can be
 * missed), and follows it to the end, resuming after every drop. */
static gboolean
follow_task (
  OwClientConnection *connection, const char *base, Run *run, StartFunc start, GError **error)
{
  g_autofree char *path = g_strconcat (base, "/event", NULL);
  gint64 give_up_at = 0;
  guint delay_ms = 0; /* a first reconnect is immediate; failing ones back off */
  gboolean started = FALSE;

  for (;;)
    {
      g_autoptr (GError) stream_error = NULL;
      g_autoptr (GInputStream) stream = NULL;
      gboolean retry = TRUE;

      stream = open_stream (connection, path, run, &retry, &stream_error);
      if (stream)
        {
          give_up_at = 0;
          delay_ms = 0;
          if (!started && !start (connection, base, run, error))
            return FALSE;
          started = TRUE;
          if (read_stream (stream, run, &stream_error))
            return TRUE;
        }
      else if (!started || !retry)
        {
          g_propagate_error (error, g_steal_pointer (&stream_error));
          return FALSE;
        }

      /* The task goes on on the host; only the view of it broke. */
      if (give_up_at == 0)
        give_up_at = g_get_monotonic_time () + RESUME_FOR_US;
      if (g_get_monotonic_time () > give_up_at)
        {
          g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_NETWORK,
                       _("Lost the host for 5 minutes (%s). The task goes on there; see it "
                         "with \"openwork-host client status\"."),
                          stream_error->message);
          return FALSE;
        }
      g_printerr (_("\n[connection lost: %s; resuming after event %s]\n"), stream_error->message,
                     run->last_event_id ? run->last_event_id : "-");
      g_usleep (delay_ms * 1000);
      delay_ms = CLAMP (delay_ms * 2, 100, 5000);
    }
}

static gboolean
start_prompt (OwClientConnection *connection, const char *base, Run *run, GError **error)
{
  g_autofree char *path = g_strdup_printf ("%s/session/%s/prompt_async", base, run->session_id);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonNode) answer = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "parts");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "text");
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, run->prompt);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  answer = ow_client_connection_request (connection, "POST", path, body, NULL, NULL, NULL, error);
  return answer != NULL;
}

/* The workspace to run in: the one asked for (by id or name), else the first. */
static char *
choose_workspace (OwClientConnection *connection, const char *wanted, GError **error)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *items;

  answer =
    ow_client_connection_request (connection, "GET", "/workspaces", NULL, NULL, NULL, NULL, error);
  if (answer == NULL)
    return NULL;
  items = json_object_get_array_member (json_node_get_object (answer), "items");
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (wanted == NULL || g_strcmp0 (wanted, object_string (item, "id")) == 0 ||
          g_strcmp0 (wanted, object_string (item, "name")) == 0)
        return g_strdup (object_string (item, "id"));
    }
  g_set_error (error, OW_CLIENT_ERROR, OW_CLIENT_ERROR_HTTP,
               wanted ? _("The host has no workspace %s that this device may use.")
                      : _("The host shares no workspace this device may use."), wanted);
  return NULL;
}

int
ow_client_run (const char *dir, int argc, char **argv)
{
  g_autofree char *workspace = NULL;
  /* clang-format off */
  const GOptionEntry entries[] = {
    { "workspace", 'w', 0, G_OPTION_ARG_STRING, &workspace, N_("The workspace to run in, by id or name (default: the first)"), N_("ID") },
    G_OPTION_ENTRY_NULL,
  };
  /* clang-format on */
  g_autoptr (GOptionContext) context = g_option_context_new (_("PROMPT"));
  g_autoptr (GError) error = NULL;
  g_autoptr (OwClientConnection) connection = NULL;
  g_autoptr (JsonNode) session = NULL;
  g_autoptr (JsonNode) empty = json_node_init_object (json_node_alloc (), json_object_new ());
  g_autofree char *workspace_id = NULL;
  g_autofree char *base = NULL;
  Run run = { 0 };
  gboolean finished;

  g_option_context_set_summary (
    context, _("Runs a task on the paired host and shows its progress until it ends. A "
               "dropped connection is resumed where it stopped; the task never stops for it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 || *argv[1] == '\0')
    {
      g_printerr ("%s\n", error ? error->message : _("client run takes one prompt, in quotes."));
      return OW_CLI_EXIT_USAGE;
    }

  connection = ow_client_store_connect (dir, NULL, &error);
  if (connection == NULL)
    return ow_cli_fail (error);
  workspace_id = choose_workspace (connection, workspace, &error);
  if (workspace_id == NULL)
    return ow_cli_fail (error);
  base = g_strdup_printf ("/w/%s/opencode", workspace_id);

  {
    g_autofree char *path = g_strconcat (base, "/session", NULL);

    session =
      ow_client_connection_request (connection, "POST", path, empty, NULL, NULL, NULL, &error);
    if (session == NULL)
      return ow_cli_fail (error);
  }

  run.prompt = argv[1];
  run.session_id = g_strdup (object_string (json_node_get_object (session), "id"));
  run.assistant_messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run.printed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run.tool_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  run.at_line_start = TRUE;
  g_printerr (_("Task %s started in workspace %s.\n"), run.session_id, workspace_id);

  finished = follow_task (connection, base, &run, start_prompt, &error);
  end_line (&run);
  if (finished && run.failure)
    g_printerr (_("The task failed: %s\n"), run.failure);
  else if (finished)
    g_printerr (_("Task %s finished.\n"), run.session_id);
  else
    g_printerr ("%s\n", error->message);

  g_free (run.session_id);
  g_free (run.last_event_id);
  g_free (run.failure);
  g_hash_table_unref (run.assistant_messages);
  g_hash_table_unref (run.printed);
  g_hash_table_unref (run.tool_states);
  return finished && run.failure == NULL ? OW_CLI_EXIT_OK : OW_CLI_EXIT_FAILURE;
}
