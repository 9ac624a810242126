#include "config.h"

#include "ow-cpace.h"

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

/*
 * Reproduces every value of G_Coffee25519 from the CFRG draft's test vectors (a copy of
 * ../shared/test-vectors/cpace-ristretto255.json in tests/vectors), and checks that
 * invalid points and the identity are refused.
 */

static JsonObject *vectors;
static JsonObject *points;

static GBytes *
vector (const char *name)
{
  gsize length;
  guchar *data = g_base64_decode (json_object_get_string_member (vectors, name), &length);

  return g_bytes_new_take (data, length);
}

static void
assert_equals_vector (const guint8 *value, gsize length, const char *name)
{
  g_autoptr (GBytes) expected = vector (name);

  g_test_message ("checking %s", name);
  g_assert_cmpmem (value, length, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static const guint8 *
data_of (GBytes *bytes, gsize expected_length)
{
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, expected_length);
  return g_bytes_get_data (bytes, NULL);
}

static void
test_vectors (void)
{
  g_autoptr (GBytes) prs = vector ("PRS"), ci = vector ("CI"), sid = vector ("sid");
  g_autoptr (GBytes) ya = vector ("ya"), yb = vector ("yb");
  g_autoptr (GBytes) ada = vector ("ADa"), adb = vector ("ADb");
  guint8 g[OW_CPACE_POINT_BYTES], share_a[OW_CPACE_POINT_BYTES], share_b[OW_CPACE_POINT_BYTES];
  guint8 k_a[OW_CPACE_POINT_BYTES], k_b[OW_CPACE_POINT_BYTES];
  guint8 isk_a[OW_CPACE_ISK_BYTES], isk_b[OW_CPACE_ISK_BYTES], out[OW_CPACE_ISK_BYTES];
  g_autoptr (GError) error = NULL;

  ow_cpace_generator (prs, ci, sid, g);
  assert_equals_vector (g, sizeof g, "g");

  g_assert_true (ow_cpace_share (g, data_of (ya, 32), share_a));
  assert_equals_vector (share_a, sizeof share_a, "Ya");
  g_assert_true (ow_cpace_share (g, data_of (yb, 32), share_b));
  assert_equals_vector (share_b, sizeof share_b, "Yb");

  /* Both sides reach the same K. */
  g_assert_true (ow_cpace_shared_point (data_of (ya, 32), share_b, k_a, &error));
  g_assert_no_error (error);
  g_assert_true (ow_cpace_shared_point (data_of (yb, 32), share_a, k_b, &error));
  assert_equals_vector (k_a, sizeof k_a, "K");
  assert_equals_vector (k_b, sizeof k_b, "K");

  ow_cpace_isk_ir (sid, k_a, share_a, ada, share_b, adb, isk_a);
  assert_equals_vector (isk_a, sizeof isk_a, "ISK_IR");

  /* The symmetric order gives one key whichever party computes it. */
  ow_cpace_isk_sy (sid, k_a, share_a, ada, share_b, adb, isk_a);
  ow_cpace_isk_sy (sid, k_b, share_b, adb, share_a, ada, isk_b);
  assert_equals_vector (isk_a, sizeof isk_a, "ISK_SY");
  assert_equals_vector (isk_b, sizeof isk_b, "ISK_SY");

  ow_cpace_sid_output_ir (share_a, ada, share_b, adb, out);
  assert_equals_vector (out, sizeof out, "sid_output_ir");
  ow_cpace_sid_output_oc (share_b, adb, share_a, ada, out);
  assert_equals_vector (out, sizeof out, "sid_output_oc");
}

static void
test_wrong_password_gives_another_key (void)
{
  g_autoptr (GBytes) right = g_bytes_new_static ("123456", 6);
  g_autoptr (GBytes) wrong = g_bytes_new_static ("123457", 6);
  g_autoptr (GBytes) ci = g_bytes_new_static ("host|phone", 10);
  g_autoptr (GBytes) sid = g_bytes_new_static ("0123456789abcdef", 16);
  g_autoptr (GBytes) ad = g_bytes_new_static ("", 0);
  guint8 g_host[32], g_phone[32], x[32], y[32], share_x[32], share_y[32], k_x[32], k_y[32];
  guint8 isk_x[64], isk_y[64];

  ow_cpace_generator (right, ci, sid, g_host);
  ow_cpace_generator (wrong, ci, sid, g_phone);
  g_assert_cmpint (memcmp (g_host, g_phone, 32), !=, 0);

  ow_cpace_random_scalar (x);
  ow_cpace_random_scalar (y);
  g_assert_true (ow_cpace_share (g_host, x, share_x));
  g_assert_true (ow_cpace_share (g_phone, y, share_y));
  g_assert_true (ow_cpace_shared_point (x, share_y, k_x, NULL));
  g_assert_true (ow_cpace_shared_point (y, share_x, k_y, NULL));
  ow_cpace_isk_ir (sid, k_x, share_x, ad, share_y, ad, isk_x);
  ow_cpace_isk_ir (sid, k_y, share_x, ad, share_y, ad, isk_y);
  g_assert_cmpint (memcmp (isk_x, isk_y, 64), !=, 0);
}

static void
test_invalid_points_are_refused (void)
{
  gsize length;
  g_autofree guchar *invalid =
    g_base64_decode (json_object_get_string_member (points, "Invalid Y"), &length);
  JsonObject *valid = json_object_get_object_member (points, "Valid");
  g_autofree guchar *s = g_base64_decode (json_object_get_string_member (valid, "s"), &length);
  g_autofree guchar *x = g_base64_decode (json_object_get_string_member (valid, "X"), &length);
  g_autofree guchar *product =
    g_base64_decode (json_object_get_string_member (valid, "G.scalar_mult_vfy(s,X)"), &length);
  guint8 identity[32] = { 0 };
  guint8 k[32];
  g_autoptr (GError) error = NULL;

  /* The valid point multiplies as the vectors say. */
  g_assert_true (ow_cpace_shared_point (s, x, k, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (k, 32, product, 32);

  g_assert_false (ow_cpace_shared_point (s, invalid, k, &error));
  g_assert_error (error, OW_CPACE_ERROR, OW_CPACE_ERROR_INVALID_POINT);
  g_assert_true (sodium_is_zero (k, 32));
  g_clear_error (&error);

  g_assert_false (ow_cpace_shared_point (s, identity, k, &error));
  g_assert_error (error, OW_CPACE_ERROR, OW_CPACE_ERROR_INVALID_POINT);
}

int
main (int argc, char **argv)
{
  g_autofree char *path = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  path = g_test_build_filename (G_TEST_DIST, "vectors", "cpace-ristretto255.json", NULL);
  if (!json_parser_load_from_file (parser, path, &error))
    g_error ("Cannot read the test vectors %s: %s", path, error->message);
  root = json_node_get_object (json_parser_get_root (parser));
  vectors = json_object_get_object_member (root, "G_Coffee25519");
  points = json_object_get_object_member (root, "G_Coffee25519_points");

  g_test_add_func ("/cpace/vectors", test_vectors);
  g_test_add_func ("/cpace/wrong-password-gives-another-key",
                   test_wrong_password_gives_another_key);
  g_test_add_func ("/cpace/invalid-points-are-refused", test_invalid_points_are_refused);
  return g_test_run ();
}
