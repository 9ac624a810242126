#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The one reader for JSON from outside the process: request bodies, runtime events and
 * answers. Text is checked before json-glib sees it, without recursion, so that nothing
 * a peer sends can make the parser recurse deeply, keep a duplicate key, or cut a string
 * at an escaped NUL. */

#define OW_JSON_ERROR (ow_json_error_quark ())
GQuark ow_json_error_quark (void);

typedef enum
{
  OW_JSON_ERROR_SYNTAX,    /* not JSON, or not UTF-8 */
  OW_JSON_ERROR_TOO_LARGE, /* longer than OW_JSON_MAX_BYTES */
  OW_JSON_ERROR_TOO_DEEP,  /* nested deeper than OW_JSON_MAX_DEPTH */
  OW_JSON_ERROR_DUPLICATE, /* an object names a member twice */
  OW_JSON_ERROR_NUL,       /* a string holds U+0000 */
  OW_JSON_ERROR_NOT_OBJECT,
  OW_JSON_ERROR_MISSING, /* a required member is absent */
  OW_JSON_ERROR_TYPE,    /* a member has the wrong type */
} OwJsonError;

/* Arrays and objects nested deeper than this are refused. */
#define OW_JSON_MAX_DEPTH 128
/* For the runtime's own events (see ow_json_parse_runtime_object()). */
#define OW_JSON_MAX_RUNTIME_DEPTH 1024
/* Longer text is refused before it is read. */
#define OW_JSON_MAX_BYTES (64 * 1024 * 1024)

/**
 * ow_json_check:
 * @data: text from outside
 * @length: its length in bytes (it need not end with a NUL)
 *
 * Checks that @data is one strict JSON value (RFC 8259) within the limits above, with no
 * duplicate member names, no U+0000 in any string, and no number json-glib would change
 * (a whole number beyond 64 bits, one too large for a double).
 *
 * Returns: %TRUE if json-glib may parse @data; %FALSE with @error in #OW_JSON_ERROR
 */
gboolean ow_json_check (const char *data, gsize length, GError **error);

/**
 * ow_json_parse_object:
 * @data: text from outside: a request body, a runtime event, a reply
 * @length: its length in bytes, or -1 when it ends with a NUL
 *
 * Returns: (transfer full) (nullable): the object, or %NULL with @error (in
 *   #OW_JSON_ERROR, with a message a client can be shown) when @data fails
 *   ow_json_check() or its root is not an object
 */
JsonObject *ow_json_parse_object (const char *data, gssize length, GError **error);

/**
 * ow_json_parse:
 *
 * As ow_json_parse_object(), for a document of any kind.
 *
 * Returns: (transfer full) (nullable): the document's root
 */
JsonNode *ow_json_parse (const char *data, gssize length, GError **error);

/**
 * ow_json_parse_runtime_object:
 *
 * As ow_json_parse_object(), for the runtime's own events: they may quote U+0000 (in a
 * command's output, say) and nest up to %OW_JSON_MAX_RUNTIME_DEPTH levels. json-glib
 * ends such a string at the NUL in what it parses; the event's text stays whole.
 */
JsonObject *ow_json_parse_runtime_object (const char *data, gssize length, GError **error);

/* Whether a member must be there. A member that is null counts as absent. */
typedef enum
{
  OW_JSON_OPTIONAL,
  OW_JSON_REQUIRED,
} OwJsonPresence;

/**
 * ow_json_get_string:
 * @value: (out): the member's string, owned by @object; left as it was when an optional
 *   member is absent
 *
 * Reads member @name of @object as a string, and only as a string.
 *
 * Returns: %FALSE with @error (#OW_JSON_ERROR_TYPE or #OW_JSON_ERROR_MISSING, its message
 *   naming the member) when the member has another type or a required one is absent
 */
gboolean ow_json_get_string (JsonObject *object,
                             const char *name,
                             OwJsonPresence presence,
                             const char **value,
                             GError **error);

/* The string member @name of @object (which may be %NULL), or %NULL when it is absent or
 * not a string: for reading what the runtime sent, where a wrong type is no error to
 * report. */
const char *ow_json_string_or_null (JsonObject *object, const char *name);

/* As ow_json_get_string(), for a whole number (1.0 and 1.9 are not). */
gboolean ow_json_get_int (
  JsonObject *object, const char *name, OwJsonPresence presence, gint64 *value, GError **error);

gboolean ow_json_get_boolean (
  JsonObject *object, const char *name, OwJsonPresence presence, gboolean *value, GError **error);

/* @value is owned by @object. */
gboolean ow_json_get_array (
  JsonObject *object, const char *name, OwJsonPresence presence, JsonArray **value, GError **error);

gboolean ow_json_get_object (JsonObject *object,
                             const char *name,
                             OwJsonPresence presence,
                             JsonObject **value,
                             GError **error);

/**
 * ow_json_array_get_strings:
 *
 * Returns: (transfer full) (nullable): the strings of @array, or %NULL with @error when
 *   any element is not a string; @name is the member's name for the message
 */
GStrv ow_json_array_get_strings (JsonArray *array, const char *name, GError **error);

/* Adds a member to the object being built: a string, or null for %NULL. */
void ow_json_add_string (JsonBuilder *builder, const char *name, const char *value);
void ow_json_add_int (JsonBuilder *builder, const char *name, gint64 value);
void ow_json_add_boolean (JsonBuilder *builder, const char *name, gboolean value);
/* … a list of strings, or null for %NULL. */
void ow_json_add_strv (JsonBuilder *builder, const char *name, const char *const *values);

G_END_DECLS
