/*
 * check_window.c: unit tests of the sliding window and the engine clock,
 * with times chosen by hand so each expected sum can be read off the test.
 */
#include <check.h>
#include <string.h>
#include "../../runtime/engine/clock.h"
#include "../../runtime/engine/window.h"
#include "runner.h"

static struct sentc_bucket second_ring[2], ten_s_ring[10];
static const struct sentc_window second = {1000, 2};    /* 2 x 500 ms */
static const struct sentc_window ten_s = {10000, 10};   /* 10 x 1 s */

static void setup(void) {
  memset(second_ring, 0, sizeof second_ring);
  memset(ten_s_ring, 0, sizeof ten_s_ring);
}

static struct sentc_bucket *ring(const struct sentc_window *w) {
  return w == &second ? second_ring : ten_s_ring;
}

static void pass(const struct sentc_window *w, int64_t t, uint32_t n) {
  sentc_window_add(w, ring(w), t, SENTC_EV_PASS, n);
}

static uint32_t passed(const struct sentc_window *w, int64_t t) {
  return sentc_window_sum(w, ring(w), t, SENTC_EV_PASS);
}

START_TEST(sums_both_buckets_inside_the_window) {
  pass(&second, 100, 3);
  pass(&second, 600, 2);
  ck_assert_uint_eq(passed(&second, 900), 5);
  ck_assert_uint_eq(passed(&second, 999), 5);
}
END_TEST

START_TEST(a_bucket_leaves_the_window_exactly_one_window_after_its_start) {
  pass(&second, 100, 3);   /* bucket [0, 500) */
  pass(&second, 600, 2);   /* bucket [500, 1000) */
  ck_assert_uint_eq(passed(&second, 999), 5);
  ck_assert_uint_eq(passed(&second, 1000), 2);
  ck_assert_uint_eq(passed(&second, 1499), 2);
  ck_assert_uint_eq(passed(&second, 1500), 0);
}
END_TEST

START_TEST(a_stale_bucket_is_reset_when_written_again) {
  pass(&second, 100, 3);   /* ring slot 0, start 0 */
  pass(&second, 1100, 1);  /* ring slot 0 again, start 1000: the 3 are gone */
  ck_assert_uint_eq(passed(&second, 1100), 1);
  ck_assert_int_eq(second_ring[0].start, 1000);
}
END_TEST

START_TEST(blocks_and_passes_are_counted_apart) {
  pass(&second, 10, 4);
  sentc_window_add(&second, second_ring, 20, SENTC_EV_BLOCK, 7);
  ck_assert_uint_eq(passed(&second, 30), 4);
  ck_assert_uint_eq(sentc_window_sum(&second, second_ring, 30, SENTC_EV_BLOCK), 7);
}
END_TEST

START_TEST(a_long_idle_gap_forgets_everything) {
  pass(&second, 100, 3);
  ck_assert_uint_eq(passed(&second, 1000000000), 0);
  pass(&second, 1000000100, 1);
  ck_assert_uint_eq(passed(&second, 1000000100), 1);
}
END_TEST

START_TEST(windows_of_different_sizes_keep_their_own_spans) {
  pass(&second, 100, 3);
  pass(&ten_s, 100, 5);
  pass(&ten_s, 9500, 1);
  ck_assert_uint_eq(passed(&second, 200), 3);
  ck_assert_uint_eq(passed(&ten_s, 9500), 6);
  ck_assert_uint_eq(passed(&ten_s, 10000), 1);  /* [0,1000) has left the 10 s window */
  ck_assert_uint_eq(passed(&second, 9500), 0);
}
END_TEST

START_TEST(a_time_before_a_bucket_start_does_not_count_it) {
  pass(&second, 700, 2);
  ck_assert_uint_eq(passed(&second, 400), 0);
}
END_TEST

/* A policy without proxy cells: each VM's own clock. */
static struct sentc_shared none;

START_TEST(the_clock_follows_a_clock_that_moves_forward) {
  struct sentc_clock c = {0};
  ck_assert_int_eq(sentc_clock_now(&c, &none, 5000), 5000);
  ck_assert_int_eq(sentc_clock_now(&c, &none, 5000), 5000);
  ck_assert_int_eq(sentc_clock_now(&c, &none, 7000), 7000);
}
END_TEST

START_TEST(the_clock_stands_still_at_a_backward_jump_then_moves_on) {
  struct sentc_clock c = {0};
  ck_assert_int_eq(sentc_clock_now(&c, &none, 10000), 10000);
  ck_assert_int_eq(sentc_clock_now(&c, &none, 4000), 10000);   /* 6 s back: stands still */
  ck_assert_int_eq(sentc_clock_now(&c, &none, 4500), 10500);   /* then advances at the raw pace */
  ck_assert_int_eq(sentc_clock_now(&c, &none, 4400), 10500);
  ck_assert_int_eq(sentc_clock_now(&c, &none, 5400), 11500);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("window");
  TCase *t = tcase_create("window");
  tcase_add_checked_fixture(t, setup, NULL);
  tcase_add_test(t, sums_both_buckets_inside_the_window);
  tcase_add_test(t, a_bucket_leaves_the_window_exactly_one_window_after_its_start);
  tcase_add_test(t, a_stale_bucket_is_reset_when_written_again);
  tcase_add_test(t, blocks_and_passes_are_counted_apart);
  tcase_add_test(t, a_long_idle_gap_forgets_everything);
  tcase_add_test(t, windows_of_different_sizes_keep_their_own_spans);
  tcase_add_test(t, a_time_before_a_bucket_start_does_not_count_it);
  suite_add_tcase(s, t);
  TCase *clock = tcase_create("clock");
  tcase_add_test(clock, the_clock_follows_a_clock_that_moves_forward);
  tcase_add_test(clock, the_clock_stands_still_at_a_backward_jump_then_moves_on);
  suite_add_tcase(s, clock);
  return s;
}

int main(void) { return run_suite(suite()); }
