/* The JSON reader for text from outside: limits checked before parsing, strict types. */
#include "config.h"

#include <string.h>

#include "ow-json.h"

static void
assert_refused (const char *text, OwJsonError code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = ow_json_parse_object (text, -1, &error);

  g_assert_null (object);
  g_assert_error (error, OW_JSON_ERROR, (gint) code);
}

static void
test_deep_nesting_is_refused_without_recursion (void)
{
  /* 75,000 levels overflowed the stack when json-glib parsed them. */
  g_autoptr (GString) deep = g_string_new ("{\"a\":");
  g_autoptr (GString) limit = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;

  for (guint i = 0; i < 75000; i++)
    g_string_append (deep, "[");
  assert_refused (deep->str, OW_JSON_ERROR_TOO_DEEP);

  /* Exactly at the limit still parses. */
  for (guint i = 0; i < OW_JSON_MAX_DEPTH; i++)
    g_string_append (limit, i == 0 ? "{\"a\":" : "[");
  for (guint i = 0; i < OW_JSON_MAX_DEPTH; i++)
    g_string_append (limit, i == OW_JSON_MAX_DEPTH - 1 ? "}" : "]");
  object = ow_json_parse_object (limit->str, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (object);

  g_string_insert (limit, 0, "{\"b\":");
  g_string_append (limit, "}");
  assert_refused (limit->str, OW_JSON_ERROR_TOO_DEEP);
}

static void
test_duplicates_and_nul_are_refused (void)
{
  assert_refused ("{\"name\":\"a\",\"name\":\"b\"}", OW_JSON_ERROR_DUPLICATE);
  assert_refused ("{\"name\":\"a\",\"\\u006eame\":\"b\"}", OW_JSON_ERROR_DUPLICATE);
  assert_refused ("{\"x\":{\"a\":1,\"a\":1}}", OW_JSON_ERROR_DUPLICATE);
  assert_refused ("{\"name\":\"a\\u0000b\"}", OW_JSON_ERROR_NUL);
  /* The same name in two objects is fine. */
  g_autoptr (JsonObject) object =
    ow_json_parse_object ("{\"x\":{\"a\":1},\"y\":{\"a\":1}}", -1, NULL);
  g_assert_nonnull (object);
}

static void
test_syntax (void)
{
  const char *const bad[] = {
    "",
    " ",
    "{",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\":1,}",
    "[1,]",
    "{'a':1}",
    "{\"a\":01}",
    "{\"a\":1.}",
    "{\"a\":.5}",
    "{\"a\":tru}",
    "{} {}",
    "{\"a\":\"\\x\"}",
    "{\"a\":\"\t\"}",
    "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\udc00\"}",
    "{\"a\":NaN}",
    "{\"a\":-}",
    "/* c */ {}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_test_message ("%s", bad[i]);
      g_assert_false (ow_json_check (bad[i], strlen (bad[i]), &error));
      g_assert_error (error, OW_JSON_ERROR, OW_JSON_ERROR_SYNTAX);
    }
  g_assert_false (ow_json_check ("{\"a\":\"\xff\"}", 8, NULL));
  assert_refused ("[1,2]", OW_JSON_ERROR_NOT_OBJECT);
  assert_refused ("\"text\"", OW_JSON_ERROR_NOT_OBJECT);
}

static void
test_numbers_json_glib_would_change (void)
{
  const char *const too_large[] = { "{\"v\":9223372036854775808}", "{\"v\":-18446744073709551615}",
                                    "{\"v\":1e400}", "{\"v\":-1e309}" };
  g_autoptr (JsonObject) object =
    ow_json_parse_object ("{\"max\":9223372036854775807,\"min\":-9223372036854775808,"
                          "\"small\":1e-400,\"f\":1.5e300}",
                          -1, NULL);
  gint64 value = 0;

  for (guint i = 0; i < G_N_ELEMENTS (too_large); i++)
    {
      g_test_message ("%s", too_large[i]);
      assert_refused (too_large[i], OW_JSON_ERROR_SYNTAX);
    }
  g_assert_nonnull (object);
  g_assert_true (ow_json_get_int (object, "max", OW_JSON_REQUIRED, &value, NULL));
  g_assert_cmpint (value, ==, G_MAXINT64);
  g_assert_true (ow_json_get_int (object, "min", OW_JSON_REQUIRED, &value, NULL));
  g_assert_cmpint (value, ==, G_MININT64);
}

static void
test_runtime_events_may_quote_nul_and_nest_deeper (void)
{
  g_autoptr (GString) deep = g_string_new ("{\"a\":");
  g_autoptr (JsonObject) quoted = NULL;
  g_autoptr (JsonObject) nested = NULL;

  quoted = ow_json_parse_runtime_object ("{\"output\":\"a\\u0000b\"}", -1, NULL);
  g_assert_nonnull (quoted);
  for (guint i = 0; i < OW_JSON_MAX_DEPTH * 2; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < OW_JSON_MAX_DEPTH * 2; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  nested = ow_json_parse_runtime_object (deep->str, -1, NULL);
  g_assert_nonnull (nested);
  assert_refused (deep->str, OW_JSON_ERROR_TOO_DEEP);
}

static void
test_typed_members (void)
{
  g_autoptr (JsonObject) object = ow_json_parse_object (
    "{\"s\":\"text \\ud83d\\ude00\",\"i\":7,\"f\":1.9,\"b\":true,\"a\":[\"x\",\"y\"],"
    "\"mixed\":[\"x\",1],\"o\":{},\"n\":null}",
    -1, NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) strings = NULL;
  const char *text = "unchanged";
  gint64 number = 0;
  gboolean flag = FALSE;
  JsonArray *array = NULL;
  JsonObject *member = NULL;

  g_assert_nonnull (object);
  g_assert_true (ow_json_get_string (object, "s", OW_JSON_REQUIRED, &text, &error));
  g_assert_cmpstr (text, ==, "text \xf0\x9f\x98\x80");
  g_assert_true (ow_json_get_int (object, "i", OW_JSON_REQUIRED, &number, &error));
  g_assert_cmpint (number, ==, 7);
  g_assert_true (ow_json_get_boolean (object, "b", OW_JSON_REQUIRED, &flag, &error));
  g_assert_true (flag);
  g_assert_true (ow_json_get_object (object, "o", OW_JSON_REQUIRED, &member, &error));
  g_assert_nonnull (member);
  g_assert_true (ow_json_get_array (object, "a", OW_JSON_REQUIRED, &array, &error));
  strings = ow_json_array_get_strings (array, "a", &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (strings, ((const char *const[]){ "x", "y", NULL }));

  /* Absent or null: optional leaves the value, required is an error naming the member. */
  text = "unchanged";
  g_assert_true (ow_json_get_string (object, "n", OW_JSON_OPTIONAL, &text, &error));
  g_assert_true (ow_json_get_string (object, "absent", OW_JSON_OPTIONAL, &text, &error));
  g_assert_cmpstr (text, ==, "unchanged");
  g_assert_false (ow_json_get_string (object, "absent", OW_JSON_REQUIRED, &text, &error));
  g_assert_error (error, OW_JSON_ERROR, OW_JSON_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "\"absent\""));
  g_clear_error (&error);

  /* The wrong type never reaches json-glib's checks. */
  g_assert_false (ow_json_get_string (object, "a", OW_JSON_OPTIONAL, &text, &error));
  g_assert_error (error, OW_JSON_ERROR, OW_JSON_ERROR_TYPE);
  g_assert_nonnull (strstr (error->message, "\"a\" must be a string"));
  g_clear_error (&error);
  g_assert_false (ow_json_get_string (object, "o", OW_JSON_OPTIONAL, &text, &error));
  g_clear_error (&error);
  g_assert_false (ow_json_get_int (object, "f", OW_JSON_OPTIONAL, &number, &error));
  g_assert_error (error, OW_JSON_ERROR, OW_JSON_ERROR_TYPE);
  g_clear_error (&error);
  g_assert_false (ow_json_get_int (object, "s", OW_JSON_OPTIONAL, &number, &error));
  g_clear_error (&error);
  g_assert_false (ow_json_get_boolean (object, "i", OW_JSON_OPTIONAL, &flag, &error));
  g_clear_error (&error);
  g_assert_false (ow_json_get_array (object, "o", OW_JSON_OPTIONAL, &array, &error));
  g_clear_error (&error);
  g_assert_false (ow_json_get_object (object, "a", OW_JSON_OPTIONAL, &member, &error));
  g_clear_error (&error);
  g_assert_true (ow_json_get_array (object, "mixed", OW_JSON_OPTIONAL, &array, &error));
  g_assert_null (ow_json_array_get_strings (array, "mixed", &error));
  g_assert_error (error, OW_JSON_ERROR, OW_JSON_ERROR_TYPE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/deep-nesting", test_deep_nesting_is_refused_without_recursion);
  g_test_add_func ("/json/duplicates-and-nul", test_duplicates_and_nul_are_refused);
  g_test_add_func ("/json/syntax", test_syntax);
  g_test_add_func ("/json/numbers", test_numbers_json_glib_would_change);
  g_test_add_func ("/json/runtime-events", test_runtime_events_may_quote_nul_and_nest_deeper);
  g_test_add_func ("/json/typed-members", test_typed_members);
  return g_test_run ();
}
