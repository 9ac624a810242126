/*
 * The JSON reader every body from outside goes through (src/core/ow-json.c).
 *
 * Properties: whatever ow_json_check() accepts, json-glib parses; an accepted object read
 * back through the typed accessors never reaches a json-glib critical, whatever the
 * members' types; and text json-glib would keep a duplicate name or a cut string from is
 * refused. Each input is also tried behind a deep prefix, so that nesting near the limit
 * is reached quickly.
 */
#include "ow-fuzz.h"

#include <glib.h>
#include <string.h>

#include "ow-json.h"

static void
read_members (JsonObject *object)
{
  GList *names = json_object_get_members (object);

  for (GList *l = names; l; l = l->next)
    {
      const char *name = l->data;
      const char *text = NULL;
      gint64 number = 0;
      gboolean flag = FALSE;
      JsonArray *array = NULL;
      JsonObject *member = NULL;

      /* Each accessor either reads the member or says why not; never both, never neither. */
      if (ow_json_get_string (object, name, OW_JSON_OPTIONAL, &text, NULL) && text &&
          strlen (text) != strlen (json_object_get_string_member (object, name)))
        ow_fuzz_fail ("a string changed on the way", name);
      ow_json_get_int (object, name, OW_JSON_REQUIRED, &number, NULL);
      ow_json_get_boolean (object, name, OW_JSON_OPTIONAL, &flag, NULL);
      if (ow_json_get_array (object, name, OW_JSON_OPTIONAL, &array, NULL) && array)
        g_strfreev (ow_json_array_get_strings (array, name, NULL));
      if (ow_json_get_object (object, name, OW_JSON_OPTIONAL, &member, NULL) && member)
        read_members (member);
    }
  g_list_free (names);
}

static void
try_text (const char *data, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  gboolean checked = ow_json_check (data, size, &error);

  if (!checked && error == NULL)
    ow_fuzz_fail ("refused without a reason", NULL);
  if (checked)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError) parse_error = NULL;

      if (!json_parser_load_from_data (parser, data, (gssize) size, &parse_error))
        ow_fuzz_fail ("checked text that json-glib refuses", parse_error->message);
    }

  g_clear_error (&error);
  object = ow_json_parse_object (data, (gssize) size, &error);
  if ((object != NULL) == (error != NULL))
    ow_fuzz_fail ("an object and an error, or neither", NULL);
  if (object && !checked)
    ow_fuzz_fail ("parsed what the check refused", NULL);
  if (object)
    read_members (object);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialised;
  g_autoptr (GString) nested = NULL;
  guint depth;

  if (!initialised)
    {
      ow_fuzz_install_log_writer ();
      initialised = TRUE;
    }

  try_text ((const char *) data, size);

  /* The same text as the value of a member OW_JSON_MAX_DEPTH - 4 + (first byte % 8)
   * levels down: the limit is met from either side. */
  if (size == 0)
    return 0;
  depth = OW_JSON_MAX_DEPTH - 4 + data[0] % 8;
  nested = g_string_new (NULL);
  for (guint i = 0; i < depth; i++)
    g_string_append (nested, "{\"a\":");
  g_string_append_len (nested, (const char *) data + 1, (gssize) size - 1);
  for (guint i = 0; i < depth; i++)
    g_string_append_c (nested, '}');
  try_text (nested->str, nested->len);
  return 0;
}
