#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns: (transfer full): @bytes bytes from libsodium's generator, in lower-case hex:
 *   for ids and secrets */
char *ow_random_hex (gsize bytes);

G_END_DECLS
