/*
 * check_normalize.c: unit tests of path normalization (normalize.h): the
 * spellings someone might use to slip past a limit, each with the one
 * canonical form it must become, or a clean rejection.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../runtime/engine/normalize.h"
#include "runner.h"

struct spelling {
  const char *in;
  size_t len;                 /* 0: strlen(in) */
  const char *out;            /* NULL: rejected */
};

static const struct spelling spellings[] = {
  {"/api/checkout", 0, "/api/checkout"},
  {"/api//checkout", 0, "/api/checkout"},
  {"//api///checkout", 0, "/api/checkout"},
  {"/api/./checkout", 0, "/api/checkout"},
  {"/api/x/../checkout", 0, "/api/checkout"},
  {"/api/x/y/../../checkout", 0, "/api/checkout"},
  {"/../../api/checkout", 0, "/api/checkout"},          /* never above the root */
  {"/%61pi/checkout", 0, "/api/checkout"},
  {"/%61%50%69/checkout", 0, "/aPi/checkout"},          /* case of the decoded letter kept */
  {"/api/%2e%2E/api/checkout", 0, "/api/checkout"},     /* decoded dots are dot segments */
  {"/api/checkout?x=1", 0, "/api/checkout"},
  {"/api/checkout#f", 0, "/api/checkout"},
  {"/api/checkout?a=/../x#y", 0, "/api/checkout"},
  {"/api/check%6Fut", 0, "/api/checkout"},              /* upper-case hex */
  {"/api/check%6fut", 0, "/api/checkout"},
  {"/api%2Fcheckout", 0, "/api%2Fcheckout"},            /* %2F is not a separator */
  {"/api%2fcheckout", 0, "/api%2Fcheckout"},            /* ...and its hex is upper-cased */
  {"/api%5c..%5Ccheckout", 0, "/api%5C..%5Ccheckout"},
  {"/a%20b", 0, "/a%20b"},
  {"/api/checkout%zz", 0, "/api/checkout%zz"},          /* invalid escapes are plain bytes */
  {"/api/checkout%", 0, "/api/checkout%"},
  {"/api/checkout%4", 0, "/api/checkout%4"},
  {"/api/checkout%4?x", 0, "/api/checkout%4"},          /* an escape never reaches into the query */
  {"/api/checkout/.", 0, "/api/checkout/"},
  {"/api/checkout/..", 0, "/api/"},
  {"/api/checkout/", 0, "/api/checkout/"},
  {"/", 0, "/"},
  {"/..", 0, "/"},
  {"/.", 0, "/"},
  {"/...", 0, "/..."},                                  /* three dots are a name */
  {"/.hidden/..x", 0, "/.hidden/..x"},
  {"/api/check\0out", 14, "/api/check\0out"},           /* NUL: an ordinary byte */
  {"", 0, NULL},
  {"?x", 0, NULL},
  {"api/checkout", 0, NULL},                            /* not origin-form */
  {"*", 0, NULL},
};

START_TEST(every_spelling_has_its_canonical_form) {
  const struct spelling *s = &spellings[_i];
  size_t len = s->len ? s->len : strlen(s->in);
  size_t want = s->out ? len - (strlen(s->in) - strlen(s->out)) * !s->len : 0;
  char out[256];
  size_t got = sentc_normalize_path(s->in, len, out, sizeof out);
  ck_assert_msg(got == want, "%s: length %zu, want %zu", s->in, got, want);
  if (s->out)
    ck_assert_msg(memcmp(out, s->out, want) == 0, "%s: got %.*s", s->in, (int)got, out);
}
END_TEST

/* The copy-free form gives the same bytes, and hands a canonical path back
 * as it is: everything up to its query, with no '%', "//" or "/.". */
START_TEST(the_copy_free_form_agrees_and_skips_the_copy_when_it_can) {
  const struct spelling *s = &spellings[_i];
  size_t len = s->len ? s->len : strlen(s->in), want_len, got_len = 99;
  char want[256], out[256];
  want_len = sentc_normalize_path(s->in, len, want, sizeof want);
  const char *got = sentc_normalized_path(s->in, len, out, sizeof out, &got_len);
  ck_assert_uint_eq(got_len, want_len);
  ck_assert(memcmp(got, want, want_len) == 0);
  char proper[256];                              /* the text before its query */
  snprintf(proper, sizeof proper, "%.*s", (int)strcspn(s->in, "?#"), s->in);
  int canonical = proper[0] == '/' && !strchr(proper, '%') && !strstr(proper, "//") &&
                  !strstr(proper, "/.");
  ck_assert_msg(got == (canonical ? s->in : out), "%s: copied %d", s->in, got == out);
}
END_TEST

START_TEST(the_copy_free_form_still_rejects_an_overlong_path) {
  char out[8];
  size_t len = 99;
  ck_assert(sentc_normalized_path("/abcdefgh", 9, out, sizeof out, &len) == out);
  ck_assert_uint_eq(len, 0);
  ck_assert(sentc_normalized_path("/abcdefg?long-query", 19, out, sizeof out, &len)[7] == 'g');
  ck_assert_uint_eq(len, 8);
}
END_TEST

/* The scan reads eight bytes at a time: every spelling that needs work,
 * at every offset, must still be seen (and normalized like the slow way). */
START_TEST(the_copy_free_form_sees_what_needs_work_at_every_offset) {
  static const char *const needs_work[] = {"//", "/./", "/../", "%61", "%2f", "?q", "#f"};
  const char *inner = needs_work[_i];
  for (size_t at = 1; at < 24; at++) {
    char path[64], want[64], out[64];
    memcpy(path, "/abcdefghijklmnopqrstuvwxyz", at);
    snprintf(path + at, sizeof path - at, "%s%s", inner, "tail/of/the/path");
    size_t len = strlen(path), got_len;
    size_t want_len = sentc_normalize_path(path, len, want, sizeof want);
    const char *got = sentc_normalized_path(path, len, out, sizeof out, &got_len);
    ck_assert_msg(got_len == want_len && memcmp(got, want, want_len) == 0, "%s", path);
    ck_assert_msg(inner[0] == '?' || inner[0] == '#' || got == out, "%s not copied", path);
  }
}
END_TEST

/* A path of n bytes: "/a" repeated, then `tail`. */
static char *long_path(size_t n, const char *tail) {
  size_t t = strlen(tail);
  char *p = malloc(n + 1);
  for (size_t i = 0; i + t < n; i++)
    p[i] = i % 2 ? 'a' : '/';
  memcpy(p + n - t, tail, t + 1);
  return p;
}

START_TEST(an_overlong_path_is_rejected_whole) {
  char *p = long_path(SENTC_PATH_MAX + 2, "/x");
  char *out = malloc(SENTC_PATH_MAX);
  ck_assert_uint_eq(sentc_normalize_path(p, strlen(p), out, SENTC_PATH_MAX), 0);
  free(p);
  free(out);
}
END_TEST

START_TEST(a_long_path_that_shrinks_to_fit_is_kept) {
  /* 100,000 bytes of "/./" resolve to nothing: the output never held more
   * than "/" plus one segment at a time. */
  size_t n = 100000;
  char *p = malloc(n + 20);
  strcpy(p, "/api");
  for (size_t i = 4; i < n; i += 2)
    memcpy(p + i, "/.", 2);
  strcpy(p + n, "/checkout");
  char out[64];
  size_t got = sentc_normalize_path(p, strlen(p), out, sizeof out);
  ck_assert_uint_eq(got, 13);
  ck_assert(memcmp(out, "/api/checkout", 13) == 0);
  free(p);
}
END_TEST

START_TEST(the_output_never_grows_past_the_room_given) {
  char out[8];
  ck_assert_uint_eq(sentc_normalize_path("/abcdefgh", 9, out, sizeof out), 0);
  ck_assert_uint_eq(sentc_normalize_path("/abcdefg", 8, out, sizeof out), 8);
  ck_assert_uint_eq(sentc_normalize_path("/abcd%20", 8, out, sizeof out), 8);
  ck_assert_uint_eq(sentc_normalize_path("/abcde%20", 9, out, sizeof out), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("normalize");
  TCase *t = tcase_create("core");
  tcase_add_loop_test(t, every_spelling_has_its_canonical_form, 0,
                      (int)(sizeof spellings / sizeof spellings[0]));
  tcase_add_loop_test(t, the_copy_free_form_agrees_and_skips_the_copy_when_it_can, 0,
                      (int)(sizeof spellings / sizeof spellings[0]));
  tcase_add_loop_test(t, the_copy_free_form_sees_what_needs_work_at_every_offset, 0, 7);
  tcase_add_test(t, the_copy_free_form_still_rejects_an_overlong_path);
  tcase_add_test(t, an_overlong_path_is_rejected_whole);
  tcase_add_test(t, a_long_path_that_shrinks_to_fit_is_kept);
  tcase_add_test(t, the_output_never_grows_past_the_room_given);
  suite_add_tcase(s, t);
  return run_suite(s);
}
