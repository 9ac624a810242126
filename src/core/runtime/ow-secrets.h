#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The text that replaces a secret in what devices below owner read. */
#define OW_SECRET_REDACTED "[redacted by the host]"

/**
 * ow_secrets_redact:
 * @node: a JSON document from the runtime, changed in place
 *
 * Replaces every secret in @node by %OW_SECRET_REDACTED: the values of members whose name
 * speaks of a credential (apiKey, x-api-key, secretAccessKey, sessionToken, password,
 * authorization, …, in any case, with or without "_", "-" or "."), and every value inside
 * "headers" and "environment" objects (MCP servers keep credentials there). The document
 * keeps its shape. Credentials inside other strings (a URL's query, a command's
 * arguments) are not found.
 *
 * Returns: how many values were replaced
 */
guint ow_secrets_redact (JsonNode *node);

G_END_DECLS
