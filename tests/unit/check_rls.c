/*
 * check_rls.c: unit tests of the rate-limit service's wire format
 * (runtime/engine/rls.c): the bytes of a RateLimitRequest and of a
 * GrpcService, worked out by hand from Envoy's field numbers; answers
 * read, unknown fields skipped, and every malformed answer refused; the
 * spelling of descriptor values.  (tests/cluster.test checks the same
 * bytes against Envoy's own rls.proto.)
 */
#include <check.h>
#include <string.h>
#include "../../runtime/engine/rls.h"
#include "runner.h"

#define S(s) {s, sizeof s - 1}

static const struct sentc_rls_entry checkout_flow[] = {{S("resource"), S("checkout")},
                                                       {S("rule"), S("flow")}};
static const struct sentc_rls_entry search_hot[] = {{S("resource"), S("search")},
                                                    {S("rule"), S("hot")}};
static const struct sentc_rls_descriptor flow = {
  .kind = SENTC_KIND_FLOW, .rule = 0, .n_entries = 2, .entries = checkout_flow,
  .requests_per_unit = 100, .unit = SENTC_RLS_SECOND};
static const struct sentc_rls_descriptor hot = {
  .kind = SENTC_KIND_HOTSPOT, .rule = 0, .n_entries = 2, .entries = search_hot,
  .value_key = S("value"), .requests_per_unit = 5, .unit = SENTC_RLS_MINUTE};

/* domain 1; descriptors 2 { entries 1 { key 1; value 2 } } */
static const char expected[] =
  "\x0a\x04" "shop"
  "\x12\x24"
    "\x0a\x14" "\x0a\x08" "resource" "\x12\x08" "checkout"
    "\x0a\x0c" "\x0a\x04" "rule" "\x12\x04" "flow"
  "\x12\x2f"
    "\x0a\x12" "\x0a\x08" "resource" "\x12\x06" "search"
    "\x0a\x0b" "\x0a\x04" "rule" "\x12\x03" "hot"
    "\x0a\x0c" "\x0a\x05" "value" "\x12\x03" "u:1";

START_TEST(a_request_has_the_domain_and_every_descriptor) {
  uint8_t buf[256];
  const struct sentc_string domain = S("shop");
  struct sentc_rls_request w;
  sentc_rls_start(&w, buf, sizeof buf, &domain);
  sentc_rls_add(&w, &flow, NULL, 0);
  sentc_rls_add(&w, &hot, "u:1", 3);
  size_t len = sentc_rls_finish(&w, buf);
  ck_assert_uint_eq(len, sizeof expected - 1);
  ck_assert_mem_eq(buf, expected, len);
  ck_assert_uint_ge(sentc_rls_descriptor_bytes(&flow), 0x24 + 2);
  ck_assert_uint_ge(sentc_rls_descriptor_bytes(&hot), 0x2f + 2 + SENTC_RLS_VALUE_MAX - 3);
}
END_TEST

START_TEST(a_request_that_does_not_fit_is_none) {
  uint8_t buf[sizeof expected - 2];
  const struct sentc_string domain = S("shop");
  struct sentc_rls_request w;
  sentc_rls_start(&w, buf, sizeof buf, &domain);
  sentc_rls_add(&w, &flow, NULL, 0);
  sentc_rls_add(&w, &hot, "u:1", 3);
  ck_assert_uint_eq(sentc_rls_finish(&w, buf), 0);
}
END_TEST

START_TEST(the_grpc_service_names_the_cluster) {
  uint8_t buf[64];
  const struct sentc_string cluster = S("ratelimit");
  static const char want[] = "\x0a\x0b" "\x0a\x09" "ratelimit";
  ck_assert_uint_eq(sentc_rls_grpc_service(&cluster, buf, sizeof buf), sizeof want - 1);
  ck_assert_mem_eq(buf, want, sizeof want - 1);
  ck_assert_uint_eq(sentc_rls_grpc_service(&cluster, buf, 5), 0);
}
END_TEST

/* overall OVER_LIMIT; statuses {OK, current_limit {100, SECOND, name "x"},
 * remaining 7, reset 0.25s} and {OVER_LIMIT, reset 3s}; then a bytes field,
 * a fixed64 and a fixed32 this reader does not know. */
static const char answer[] =
  "\x08\x02"
  "\x12\x14" "\x08\x01" "\x12\x07" "\x08\x64\x10\x01\x1a\x01" "x" "\x18\x07"
    "\x22\x05" "\x10\x80\xe5\x9a\x77"
  "\x12\x06" "\x08\x02" "\x22\x02" "\x08\x03"
  "\x2a\x02" "zz" "\x49\x01\x01\x01\x01\x01\x01\x01\x01" "\x55\x02\x02\x02\x02";

START_TEST(an_answer_is_read_and_unknown_fields_skipped) {
  struct sentc_rls_status statuses[4];
  struct sentc_rls_answer a = {.statuses = statuses, .room = 4};
  ck_assert_int_eq(sentc_rls_read(answer, sizeof answer - 1, &a), 0);
  ck_assert_uint_eq(a.overall, SENTC_RLS_OVER_LIMIT);
  ck_assert_uint_eq(a.n_statuses, 2);
  ck_assert_uint_eq(statuses[0].code, SENTC_RLS_OK);
  ck_assert(statuses[0].has_limit);
  ck_assert_uint_eq(statuses[0].requests_per_unit, 100);
  ck_assert_uint_eq(statuses[0].unit, SENTC_RLS_SECOND);
  ck_assert_uint_eq(statuses[0].remaining, 7);
  ck_assert(statuses[0].has_reset);
  ck_assert_uint_eq(statuses[0].reset_ms, 250);
  ck_assert_uint_eq(statuses[1].code, SENTC_RLS_OVER_LIMIT);
  ck_assert(!statuses[1].has_limit);
  ck_assert_uint_eq(statuses[1].remaining, 0);
  ck_assert_uint_eq(statuses[1].reset_ms, 3000);
}
END_TEST

START_TEST(statuses_beyond_the_room_are_counted_not_kept) {
  struct sentc_rls_status statuses[1];
  struct sentc_rls_answer a = {.statuses = statuses, .room = 1};
  ck_assert_int_eq(sentc_rls_read(answer, sizeof answer - 1, &a), 0);
  ck_assert_uint_eq(a.n_statuses, 2);
  ck_assert_uint_eq(statuses[0].remaining, 7);
}
END_TEST

START_TEST(an_empty_answer_says_unknown) {
  struct sentc_rls_status statuses[1];
  struct sentc_rls_answer a = {.statuses = statuses, .room = 1};
  ck_assert_int_eq(sentc_rls_read("", 0, &a), 0);
  ck_assert_uint_eq(a.overall, SENTC_RLS_CODE_UNKNOWN);
  ck_assert_uint_eq(a.n_statuses, 0);
}
END_TEST

START_TEST(every_malformed_answer_is_refused) {
  static const struct { const char *bytes; size_t len; const char *why; } bad[] = {
    {"\x08", 1, "a varint cut short"},
    {"\x08\x80\x80", 3, "a varint cut short in its continuation"},
    {"\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 12, "a varint of 11 bytes"},
    {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11, "a varint past 64 bits"},
    {"\x12\x05\x08\x01", 4, "a length past the end"},
    {"\x12\x02\x08", 3, "a status cut short"},
    {"\x0a\x01" "x", 3, "overall_code as bytes"},
    {"\x10\x01", 2, "statuses as a varint"},
    {"\x12\x02\x12\x01", 4, "current_limit as a varint... cut"},
    {"\x12\x02\x22\x00\x0b", 5, "a group in the answer"},
    {"\x0b\x0c", 2, "a group start"},
    {"\x0e\x00", 2, "wire type 6"},
    {"\x0f\x00", 2, "wire type 7"},
    {"\x00\x01", 2, "field number 0"},
    {"\x49\x01\x01", 3, "a fixed64 cut short"},
    {"\x55\x01", 2, "a fixed32 cut short"},
    {"\x12\x03\x22\x01\x08", 5, "a duration cut short"},
    {"\x12\x04\x12\x02\x0a\x01", 6, "a limit's name cut short"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct sentc_rls_status statuses[2];
    struct sentc_rls_answer a = {.statuses = statuses, .room = 2};
    ck_assert_msg(sentc_rls_read(bad[i].bytes, bad[i].len, &a) == -1, "accepted: %s", bad[i].why);
  }
}
END_TEST

START_TEST(negative_and_huge_durations_are_bounded) {
  /* seconds -5 (ten bytes), and seconds 2^62 */
  static const char negative[] = "\x08\x01\x12\x0d" "\x22\x0b" "\x08\xfb\xff\xff\xff\xff\xff\xff\xff\xff\x01";
  static const char huge[] = "\x08\x01\x12\x0c" "\x22\x0a" "\x08\x80\x80\x80\x80\x80\x80\x80\x80\x40";
  struct sentc_rls_status statuses[1];
  struct sentc_rls_answer a = {.statuses = statuses, .room = 1};
  ck_assert_int_eq(sentc_rls_read(negative, sizeof negative - 1, &a), 0);
  ck_assert(statuses[0].has_reset);
  ck_assert_uint_eq(statuses[0].reset_ms, 0);
  ck_assert_int_eq(sentc_rls_read(huge, sizeof huge - 1, &a), 0);
  ck_assert_uint_eq(statuses[0].reset_ms, 315576000000ull * 1000);
}
END_TEST

START_TEST(unknown_codes_and_units_read_as_unknown) {
  static const char odd[] = "\x08\x07\x12\x06" "\x08\x09" "\x12\x02\x10\x63";
  struct sentc_rls_status statuses[1];
  struct sentc_rls_answer a = {.statuses = statuses, .room = 1};
  ck_assert_int_eq(sentc_rls_read(odd, sizeof odd - 1, &a), 0);
  ck_assert_uint_eq(a.overall, SENTC_RLS_CODE_UNKNOWN);
  ck_assert_uint_eq(statuses[0].code, SENTC_RLS_CODE_UNKNOWN);
  ck_assert_uint_eq(statuses[0].unit, SENTC_RLS_UNKNOWN);
}
END_TEST

static size_t spell(const char *in, size_t len, char *out) {
  memset(out, 0, SENTC_RLS_VALUE_MAX + 1);
  return sentc_rls_value(in, len, out);
}

START_TEST(plain_utf8_is_sent_as_it_is) {
  char out[SENTC_RLS_VALUE_MAX + 1];
  ck_assert_uint_eq(spell("user-7", 6, out), 6);
  ck_assert_str_eq(out, "user-7");
  ck_assert_uint_eq(spell("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, out), 14);
  ck_assert_uint_eq(spell("", 0, out), 0);
}
END_TEST

START_TEST(percent_controls_and_broken_utf8_are_escaped) {
  char out[SENTC_RLS_VALUE_MAX + 1];
  ck_assert_uint_eq(spell("50%", 3, out), 5);
  ck_assert_str_eq(out, "50%25");
  ck_assert_uint_eq(spell("a\x00z\n\x7f", 5, out), 11);
  ck_assert_str_eq(out, "a%00z%0A%7F");
  /* a lone continuation byte, an overlong '/', a surrogate, past U+10FFFF,
   * a sequence cut short, a C1 control */
  ck_assert_uint_eq(spell("\x80", 1, out), 3);
  ck_assert_str_eq(out, "%80");
  ck_assert_uint_eq(spell("\xc0\xaf", 2, out), 6);
  ck_assert_str_eq(out, "%C0%AF");
  ck_assert_uint_eq(spell("\xed\xa0\x80", 3, out), 9);
  ck_assert_str_eq(out, "%ED%A0%80");
  ck_assert_uint_eq(spell("\xf4\x90\x80\x80", 4, out), 12);
  ck_assert_uint_eq(spell("x\xe2\x82", 3, out), 7);
  ck_assert_str_eq(out, "x%E2%82");
  ck_assert_uint_eq(spell("\xc2\x85", 2, out), 6);
  ck_assert_str_eq(out, "%C2%85");
}
END_TEST

START_TEST(a_long_value_keeps_its_head_and_a_hash) {
  char a[600], b[600], out_a[SENTC_RLS_VALUE_MAX + 1], out_b[SENTC_RLS_VALUE_MAX + 1];
  memset(a, 'k', sizeof a);
  memcpy(b, a, sizeof b);
  b[599] = 'j';
  size_t na = spell(a, sizeof a, out_a), nb = spell(b, sizeof b, out_b);
  ck_assert_uint_eq(na, SENTC_RLS_VALUE_MAX);
  ck_assert_uint_eq(nb, SENTC_RLS_VALUE_MAX);
  ck_assert_int_eq(out_a[SENTC_RLS_VALUE_MAX - 17], '~');
  ck_assert_mem_eq(out_a, a, SENTC_RLS_VALUE_MAX - 17);
  ck_assert(memcmp(out_a, out_b, SENTC_RLS_VALUE_MAX) != 0);
  ck_assert_uint_eq(spell(a, SENTC_RLS_VALUE_MAX, out_a), SENTC_RLS_VALUE_MAX);   /* just fits */
  ck_assert_uint_eq(spell(a, SENTC_RLS_VALUE_MAX + 1, out_a), SENTC_RLS_VALUE_MAX);
  ck_assert_int_eq(out_a[SENTC_RLS_VALUE_MAX - 17], '~');
  /* an escape is never cut in two */
  char p[200];
  memset(p, '%', sizeof p);
  size_t np = spell(p, sizeof p, out_a);
  ck_assert_uint_le(np, SENTC_RLS_VALUE_MAX);
  ck_assert_int_eq(out_a[np - 17], '~');
  ck_assert_uint_eq((np - 17) % 3, 0);
}
END_TEST

int main(void) {
  return run_tests("rls", NULL, NULL, (const TTest *const[]){
    a_request_has_the_domain_and_every_descriptor, a_request_that_does_not_fit_is_none,
    the_grpc_service_names_the_cluster, an_answer_is_read_and_unknown_fields_skipped,
    statuses_beyond_the_room_are_counted_not_kept, an_empty_answer_says_unknown,
    every_malformed_answer_is_refused, negative_and_huge_durations_are_bounded,
    unknown_codes_and_units_read_as_unknown, plain_utf8_is_sent_as_it_is,
    percent_controls_and_broken_utf8_are_escaped, a_long_value_keeps_its_head_and_a_hash,
    NULL,
  });
}
