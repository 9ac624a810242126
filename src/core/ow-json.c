#include "config.h"

#include "ow-json.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (ow - json - error - quark, ow_json_error)

/* Checking */

typedef struct
{
  const char *data;
  gsize length;
  gsize pos;
} Scanner;

/* One open array or object; an object keeps the names it has seen. */
typedef struct
{
  GHashTable *names; /* NULL for an array */
} Frame;

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_clear_pointer (&frame->names, g_hash_table_unref);
}

static void
skip_space (Scanner *s)
{
  while (s->pos < s->length && (s->data[s->pos] == ' ' || s->data[s->pos] == '\t' ||
                                s->data[s->pos] == '\n' || s->data[s->pos] == '\r'))
    s->pos++;
}

static gboolean
syntax_error (Scanner *s, GError **error)
{
  g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_SYNTAX,
               "The body is not valid JSON (at byte %" G_GSIZE_FORMAT ").", s->pos);
  return FALSE;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Four hex digits at the scanner's position. */
static gboolean
read_hex4 (Scanner *s, gunichar *value)
{
  *value = 0;
  if (s->length - s->pos < 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      int digit = hex_value (s->data[s->pos + i]);

      if (digit < 0)
        return FALSE;
      *value = (*value << 4) | (gunichar) digit;
    }
  s->pos += 4;
  return TRUE;
}

/* Reads a string from its opening quote; @decoded, when given, receives its text. The
 * text as a whole is valid UTF-8 already. */
static gboolean
read_string (Scanner *s, GString *decoded, gboolean allow_nul, GError **error)
{
  s->pos++; /* the opening quote */
  while (s->pos < s->length)
    {
      guchar c = (guchar) s->data[s->pos];
      gunichar code;

      if (c == '"')
        {
          s->pos++;
          return TRUE;
        }
      if (c < 0x20)
        return syntax_error (s, error);
      if (c != '\\')
        {
          if (decoded)
            g_string_append_c (decoded, (char) c);
          s->pos++;
          continue;
        }

      if (++s->pos >= s->length)
        break;
      c = (guchar) s->data[s->pos++];
      switch (c)
        {
        case '"':
        case '\\':
        case '/':
          code = c;
          break;
        case 'b':
          code = '\b';
          break;
        case 'f':
          code = '\f';
          break;
        case 'n':
          code = '\n';
          break;
        case 'r':
          code = '\r';
          break;
        case 't':
          code = '\t';
          break;
        case 'u':
          if (!read_hex4 (s, &code))
            return syntax_error (s, error);
          if (code == 0 && !allow_nul)
            {
              g_set_error_literal (error, OW_JSON_ERROR, OW_JSON_ERROR_NUL,
                                   "A string in the body holds a NUL character (\\u0000).");
              return FALSE;
            }
          if (code >= 0xDC00 && code <= 0xDFFF)
            return syntax_error (s, error); /* a low surrogate alone */
          if (code >= 0xD800 && code <= 0xDBFF)
            {
              gunichar low;

              if (s->length - s->pos < 2 || s->data[s->pos] != '\\' || s->data[s->pos + 1] != 'u')
                return syntax_error (s, error);
              s->pos += 2;
              if (!read_hex4 (s, &low) || low < 0xDC00 || low > 0xDFFF)
                return syntax_error (s, error);
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
          break;
        default:
          s->pos--;
          return syntax_error (s, error);
        }
      if (decoded)
        g_string_append_unichar (decoded, code);
    }
  return syntax_error (s, error);
}

static gboolean
read_digits (Scanner *s)
{
  gsize start = s->pos;

  while (s->pos < s->length && g_ascii_isdigit (s->data[s->pos]))
    s->pos++;
  return s->pos > start;
}

static gboolean read_number_text (Scanner *s, gboolean *whole, GError **error);

/* json-glib keeps whole numbers as 64-bit integers and the rest as doubles: a number
 * that fits neither would come out as another number. */
static gboolean
number_fits (const char *text, gsize length, gboolean whole)
{
  g_autofree char *copy = g_strndup (text, length);
  gint64 ignored;

  if (whole)
    return g_ascii_string_to_signed (copy, 10, G_MININT64, G_MAXINT64, &ignored, NULL);
  return isfinite (g_ascii_strtod (copy, NULL));
}

static gboolean
read_number (Scanner *s, GError **error)
{
  gsize start = s->pos;
  gboolean whole = TRUE;

  if (!read_number_text (s, &whole, error))
    return FALSE;
  if (!number_fits (s->data + start, s->pos - start, whole))
    {
      g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_SYNTAX,
                   "A number in the body is too large (at byte %" G_GSIZE_FORMAT ").", start);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_number_text (Scanner *s, gboolean *whole, GError **error)
{
  if (s->data[s->pos] == '-')
    s->pos++;
  if (s->pos < s->length && s->data[s->pos] == '0')
    s->pos++;
  else if (!read_digits (s))
    return syntax_error (s, error);
  if (s->pos < s->length && s->data[s->pos] == '.')
    {
      *whole = FALSE;
      s->pos++;
      if (!read_digits (s))
        return syntax_error (s, error);
    }
  if (s->pos < s->length && (s->data[s->pos] == 'e' || s->data[s->pos] == 'E'))
    {
      *whole = FALSE;
      s->pos++;
      if (s->pos < s->length && (s->data[s->pos] == '+' || s->data[s->pos] == '-'))
        s->pos++;
      if (!read_digits (s))
        return syntax_error (s, error);
    }
  return TRUE;
}

static gboolean
read_literal (Scanner *s, GError **error)
{
  static const char *const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize n = strlen (literals[i]);

      if (s->length - s->pos >= n && memcmp (s->data + s->pos, literals[i], n) == 0)
        {
          s->pos += n;
          return TRUE;
        }
    }
  return syntax_error (s, error);
}

typedef enum
{
  EXPECT_VALUE,
  EXPECT_NAME,
  AFTER_VALUE,
} Expect;

static gboolean
open_container (Scanner *s, GArray *stack, gboolean is_object, guint max_depth, GError **error)
{
  Frame frame = { NULL };

  if (stack->len >= max_depth)
    {
      g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_TOO_DEEP,
                   "The body nests arrays and objects deeper than %u levels.", max_depth);
      return FALSE;
    }
  if (is_object)
    frame.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_array_append_val (stack, frame);
  s->pos++;
  return TRUE;
}

/* The limits of ow_json_check(), or the runtime's. */
typedef struct
{
  guint max_depth;
  gboolean allow_nul;
} Limits;

static const Limits network_limits = { OW_JSON_MAX_DEPTH, FALSE };
/* The runtime's own events may quote a NUL (a command's output) and nest what a tool
 * returned; json-glib still recurses no deeper than this. */
static const Limits runtime_limits = { OW_JSON_MAX_RUNTIME_DEPTH, TRUE };

/* Where a check of a text stands: the text, the containers open, what comes next. */
typedef struct
{
  Scanner s;
  GArray *stack; /* Frame */
  GString *name;
  const Limits *limits;
  Expect expect;
} Walk;

static Frame *
walk_top (Walk *walk)
{
  return walk->stack->len ? &g_array_index (walk->stack, Frame, walk->stack->len - 1) : NULL;
}

/* A value: a container opened (and closed, when empty), or a scalar read whole. */
static gboolean
walk_value (Walk *walk, GError **error)
{
  Scanner *s = &walk->s;
  gboolean is_object = s->data[s->pos] == '{';

  walk->expect = AFTER_VALUE;
  switch (s->data[s->pos])
    {
    case '{':
    case '[':
      if (!open_container (s, walk->stack, is_object, walk->limits->max_depth, error))
        return FALSE;
      skip_space (s);
      if (s->pos < s->length && s->data[s->pos] == (is_object ? '}' : ']'))
        {
          s->pos++;
          g_array_set_size (walk->stack, walk->stack->len - 1);
        }
      else
        {
          walk->expect = is_object ? EXPECT_NAME : EXPECT_VALUE;
        }
      return TRUE;
    case '"':
      return read_string (s, NULL, walk->limits->allow_nul, error);
    case 't':
    case 'f':
    case 'n':
      return read_literal (s, error);
    default:
      if (s->data[s->pos] != '-' && !g_ascii_isdigit (s->data[s->pos]))
        return syntax_error (s, error);
      return read_number (s, error);
    }
}

/* A member's name and its colon; a name may come once in an object. */
static gboolean
walk_name (Walk *walk, GError **error)
{
  Scanner *s = &walk->s;

  if (s->data[s->pos] != '"')
    return syntax_error (s, error);
  g_string_truncate (walk->name, 0);
  if (!read_string (s, walk->name, walk->limits->allow_nul, error))
    return FALSE;
  if (!g_hash_table_add (walk_top (walk)->names, g_strndup (walk->name->str, walk->name->len)))
    {
      g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_DUPLICATE,
                   "The body names \"%s\" twice in one object.", walk->name->str);
      return FALSE;
    }
  skip_space (s);
  if (s->pos >= s->length || s->data[s->pos] != ':')
    return syntax_error (s, error);
  s->pos++;
  walk->expect = EXPECT_VALUE;
  return TRUE;
}

/* After a value in a container: a comma and more, or the container's end. */
static gboolean
walk_after_value (Walk *walk, GError **error)
{
  Scanner *s = &walk->s;
  Frame *top = walk_top (walk);

  if (s->data[s->pos] == ',')
    {
      s->pos++;
      walk->expect = top->names ? EXPECT_NAME : EXPECT_VALUE;
      return TRUE;
    }
  if (s->data[s->pos] != (top->names ? '}' : ']'))
    return syntax_error (s, error);
  s->pos++;
  g_array_set_size (walk->stack, walk->stack->len - 1);
  return TRUE;
}

static gboolean
check_within (const char *data, gsize length, const Limits *limits, GError **error)
{
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (Frame));
  g_autoptr (GString) name = g_string_new (NULL);
  Walk walk = { { data, length, 0 }, stack, name, limits, EXPECT_VALUE };

  g_array_set_clear_func (stack, frame_clear);

  if (length > OW_JSON_MAX_BYTES)
    {
      g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_TOO_LARGE,
                   "The body is longer than the %d MiB a JSON text may be.",
                   OW_JSON_MAX_BYTES / (1024 * 1024));
      return FALSE;
    }
  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error_literal (error, OW_JSON_ERROR, OW_JSON_ERROR_SYNTAX,
                           "The body is not valid UTF-8 text.");
      return FALSE;
    }

  for (;;)
    {
      gboolean ok;

      skip_space (&walk.s);
      if (walk.expect == AFTER_VALUE && walk_top (&walk) == NULL)
        break;
      if (walk.s.pos >= walk.s.length)
        return syntax_error (&walk.s, error);
      if (walk.expect == EXPECT_VALUE)
        ok = walk_value (&walk, error);
      else if (walk.expect == EXPECT_NAME)
        ok = walk_name (&walk, error);
      else
        ok = walk_after_value (&walk, error);
      if (!ok)
        return FALSE;
    }

  if (walk.s.pos != walk.s.length)
    return syntax_error (&walk.s, error);
  return TRUE;
}

gboolean
ow_json_check (const char *data, gsize length, GError **error)
{
  return check_within (data, length, &network_limits, error);
}

static JsonNode *
parse_within (const char *data, gssize length, const Limits *limits, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  gsize size = length < 0 ? strlen (data) : (gsize) length;

  if (!check_within (data, size, limits, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, &parse_error))
    {
      /* Checked text that json-glib still refuses: say so in the house's terms. */
      g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_SYNTAX, "The body is not valid JSON: %s",
                   parse_error->message);
      return NULL;
    }
  return json_parser_steal_root (parser);
}

JsonNode *
ow_json_parse (const char *data, gssize length, GError **error)
{
  return parse_within (data, length, &network_limits, error);
}

static JsonObject *
parse_object_within (const char *data, gssize length, const Limits *limits, GError **error)
{
  g_autoptr (JsonNode) root = parse_within (data, length, limits, error);

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, OW_JSON_ERROR, OW_JSON_ERROR_NOT_OBJECT,
                           "The body must be a JSON object.");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

JsonObject *
ow_json_parse_object (const char *data, gssize length, GError **error)
{
  return parse_object_within (data, length, &network_limits, error);
}

JsonObject *
ow_json_parse_runtime_object (const char *data, gssize length, GError **error)
{
  return parse_object_within (data, length, &runtime_limits, error);
}

/* Typed members */

/* The member @name, or %NULL when it is absent or null; %FALSE when it must be there. */
static gboolean
find_member (
  JsonObject *object, const char *name, OwJsonPresence presence, JsonNode **node, GError **error)
{
  *node = json_object_get_member (object, name);
  if (*node && JSON_NODE_HOLDS_NULL (*node))
    *node = NULL;
  if (*node == NULL && presence == OW_JSON_REQUIRED)
    {
      g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_MISSING, "The body needs \"%s\".", name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
wrong_type (const char *name, const char *what, GError **error)
{
  g_set_error (error, OW_JSON_ERROR, OW_JSON_ERROR_TYPE, "\"%s\" must be %s.", name, what);
  return FALSE;
}

static gboolean
holds_value (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
holds_string (JsonNode *node)
{
  return holds_value (node, G_TYPE_STRING);
}

static gboolean
holds_int (JsonNode *node)
{
  return holds_value (node, G_TYPE_INT64);
}

static gboolean
holds_boolean (JsonNode *node)
{
  return holds_value (node, G_TYPE_BOOLEAN);
}

static gboolean
holds_array (JsonNode *node)
{
  return JSON_NODE_HOLDS_ARRAY (node);
}

static gboolean
holds_object (JsonNode *node)
{
  return JSON_NODE_HOLDS_OBJECT (node);
}

/* The member @name when it is there and @holds it (@what says what it must be, for the
 * message); %NULL in @node when an optional one is absent. */
static gboolean
typed_member (JsonObject *object,
              const char *name,
              OwJsonPresence presence,
              gboolean (*holds) (JsonNode *),
              const char *what,
              JsonNode **node,
              GError **error)
{
  if (!find_member (object, name, presence, node, error))
    return FALSE;
  if (*node && !holds (*node))
    return wrong_type (name, what, error);
  return TRUE;
}

gboolean
ow_json_get_string (
  JsonObject *object, const char *name, OwJsonPresence presence, const char **value, GError **error)
{
  JsonNode *node;

  if (!typed_member (object, name, presence, holds_string, "a string", &node, error))
    return FALSE;
  if (node)
    *value = json_node_get_string (node);
  return TRUE;
}

const char *
ow_json_string_or_null (JsonObject *object, const char *name)
{
  const char *value = NULL;

  if (object == NULL || !ow_json_get_string (object, name, OW_JSON_OPTIONAL, &value, NULL))
    return NULL;
  return value;
}

gboolean
ow_json_get_int (
  JsonObject *object, const char *name, OwJsonPresence presence, gint64 *value, GError **error)
{
  JsonNode *node;

  if (!typed_member (object, name, presence, holds_int, "a whole number", &node, error))
    return FALSE;
  if (node)
    *value = json_node_get_int (node);
  return TRUE;
}

gboolean
ow_json_get_boolean (
  JsonObject *object, const char *name, OwJsonPresence presence, gboolean *value, GError **error)
{
  JsonNode *node;

  if (!typed_member (object, name, presence, holds_boolean, "true or false", &node, error))
    return FALSE;
  if (node)
    *value = json_node_get_boolean (node);
  return TRUE;
}

gboolean
ow_json_get_array (
  JsonObject *object, const char *name, OwJsonPresence presence, JsonArray **value, GError **error)
{
  JsonNode *node;

  if (!typed_member (object, name, presence, holds_array, "a list", &node, error))
    return FALSE;
  if (node)
    *value = json_node_get_array (node);
  return TRUE;
}

gboolean
ow_json_get_object (
  JsonObject *object, const char *name, OwJsonPresence presence, JsonObject **value, GError **error)
{
  JsonNode *node;

  if (!typed_member (object, name, presence, holds_object, "an object", &node, error))
    return FALSE;
  if (node)
    *value = json_node_get_object (node);
  return TRUE;
}

GStrv
ow_json_array_get_strings (JsonArray *array, const char *name, GError **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!holds_string (element))
        {
          wrong_type (name, "a list of strings", error);
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  return g_strv_builder_end (builder);
}

/* Building */

void
ow_json_add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
ow_json_add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

void
ow_json_add_boolean (JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

void
ow_json_add_strv (JsonBuilder *builder, const char *name, const char *const *values)
{
  json_builder_set_member_name (builder, name);
  if (values == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_array (builder);
  for (guint i = 0; values[i]; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}
