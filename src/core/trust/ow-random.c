#include "config.h"

#include "ow-random.h"

#include <sodium.h>

char *
ow_random_hex (gsize bytes)
{
  g_autofree guchar *data = g_malloc (bytes);
  char *hex = g_malloc (bytes * 2 + 1);

  randombytes_buf (data, bytes);
  sodium_bin2hex (hex, bytes * 2 + 1, data, bytes);
  sodium_memzero (data, bytes);
  return hex;
}
