#include "config.h"

#include "ow-secrets.h"

#include <string.h>

/* Member names, lowercased without "_" and "-", whose values are credentials: a name
 * holding any of these (secretAccessKey, sessionToken, x-api-key, …), or being "key". */
static const char *const secret_parts[] = {
  "apikey", "token",         "secret", "passw",      "passphrase", "credential",
  "bearer", "authorization", "cookie", "privatekey", "accesskey",  "sessionkey",
};

/* Objects whose every value is a credential or may be one. */
static const char *const secret_containers[] = { "headers", "environment", "env" };

static char *
fold_name (const char *name)
{
  GString *folded = g_string_new (NULL);

  for (const char *c = name; *c; c++)
    if (*c != '_' && *c != '-' && *c != '.')
      g_string_append_c (folded, g_ascii_tolower (*c));
  return g_string_free (folded, FALSE);
}

static gboolean
is_secret_name (const char *name)
{
  g_autofree char *folded = fold_name (name);

  if (g_str_equal (folded, "key") || g_str_equal (folded, "auth"))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (secret_parts); i++)
    if (strstr (folded, secret_parts[i]))
      return TRUE;
  return FALSE;
}

static gboolean
is_secret_container (const char *name)
{
  g_autofree char *folded = fold_name (name);

  for (gsize i = 0; i < G_N_ELEMENTS (secret_containers); i++)
    if (g_str_equal (folded, secret_containers[i]))
      return TRUE;
  return FALSE;
}

static guint redact_node (JsonNode *node, gboolean everything);

/* Replaces a value; containers are walked so that their shape stays. */
static guint
replace_value (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node))
    return redact_node (node, TRUE);
  if (JSON_NODE_HOLDS_NULL (node))
    return 0;
  json_node_set_string (node, OW_SECRET_REDACTED);
  return 1;
}

/* Recursion is bounded: documents come through ow_json_check()'s depth limit. */
static guint
redact_node (JsonNode *node, gboolean everything)
{
  guint count = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      GList *names = json_object_get_members (object);

      for (GList *l = names; l; l = l->next)
        {
          JsonNode *member = json_object_get_member (object, l->data);

          if (everything || is_secret_name (l->data))
            count += replace_value (member);
          else if (is_secret_container (l->data) && JSON_NODE_HOLDS_OBJECT (member))
            count += redact_node (member, TRUE);
          else
            count += redact_node (member, FALSE);
        }
      g_list_free (names);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          count += everything ? replace_value (element) : redact_node (element, FALSE);
        }
    }
  return count;
}

guint
ow_secrets_redact (JsonNode *node)
{
  g_return_val_if_fail (node != NULL, 0);
  return redact_node (node, FALSE);
}
