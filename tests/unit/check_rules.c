/*
 * check_rules.c: unit tests of each rule kind's formula, against values
 * worked out by hand in the comments: the warm-up curve, leaky-bucket
 * spacing, the hotspot token bucket, and the breaker's transitions at its
 * exact thresholds.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "../../runtime/engine/breaker.h"
#include "../../runtime/engine/pace.h"
#include "../../runtime/engine/tokens.h"
#include "../../runtime/engine/warmup.h"
#include "runner.h"

/* 10/s, warm-up 3 s, cold 3: warning = 3*10/(3-1) = 15, max = 15 + 2*3*10/4 = 30,
 * slope = 2/10/15.  Cold (30 tokens): 1/(15*slope + 1/10) = 1/0.3 = 10/3. */
START_TEST(warmup_starts_at_a_third_and_reaches_the_full_rate) {
  struct sentc_warmup_curve c;
  struct sentc_warmup s = {0};
  sentc_warmup_curve(&c, 10, 1000, 3000, 3);
  ck_assert_double_eq_tol(c.warning, 15, 1e-9);
  ck_assert_double_eq_tol(c.max, 30, 1e-9);
  ck_assert_double_eq_tol(sentc_warmup_allowed(&c, &s, 100000), 10.0 / 3, 1e-9);
  /* 10 passes a second: above warning no tokens come back while passes
   * >= 10/3 a second, and each second takes the previous one's passes:
   * 30 -> 20 at 101 s: 1/(5*slope + 0.1) = 6; 20 -> 10 at 102 s: full rate. */
  for (int64_t t = 100000; t < 102000; t += 100) {
    if (t == 101000)
      ck_assert_double_eq_tol(sentc_warmup_allowed(&c, &s, t), 6, 1e-9);
    sentc_warmup_allowed(&c, &s, t);
    sentc_warmup_count(&c, &s, t, 1);
  }
  ck_assert_double_eq_tol(sentc_warmup_allowed(&c, &s, 102000), 10, 1e-9);
}
END_TEST

/* Halfway: 22.5 tokens -> above 7.5 -> 1/(7.5*2/150 + 0.1) = 1/0.2 = 5. */
START_TEST(warmup_curve_midpoint) {
  struct sentc_warmup_curve c;
  sentc_warmup_curve(&c, 10, 1000, 3000, 3);
  struct sentc_warmup s = {.stored = 22.5, .last_filled = 5000, .window_start = 5000, .filled = 1};
  ck_assert_double_eq_tol(sentc_warmup_allowed(&c, &s, 5500), 5, 1e-9);
}
END_TEST

/* A pass taken back (a held stream that ended, an undone request) comes off
 * the window it was counted in while that is still the current one, and
 * moves nothing: taken back once its window is over, it stays among the
 * previous window's passes, which the refill may already have used. */
START_TEST(warmup_takes_a_pass_back_in_its_own_window_only) {
  struct sentc_warmup_curve c;
  struct sentc_warmup s = {0};
  sentc_warmup_curve(&c, 10, 1000, 3000, 3);
  sentc_warmup_count(&c, &s, 5100, 1);
  sentc_warmup_count(&c, &s, 5200, 1);
  sentc_warmup_count(&c, &s, 5200, -1);
  ck_assert_int_eq(s.passes, 1);
  ck_assert_int_eq(s.window_start, 5000);
  sentc_warmup_count(&c, &s, 6100, 1);           /* the next window */
  ck_assert_int_eq(s.previous_passes, 1);
  sentc_warmup_count(&c, &s, 5100, -1);          /* a pass of the window before */
  ck_assert_int_eq(s.window_start, 6000);
  ck_assert_int_eq(s.passes, 1);
  ck_assert_int_eq(s.previous_passes, 1);
}
END_TEST

/* 20/s: 50 ms apart; a 500 ms queue holds 10 waiting requests. */
START_TEST(pace_spaces_requests_and_bounds_the_queue) {
  struct sentc_pace p = {0};
  int64_t interval = sentc_pace_interval_us(20, 1000), now = 7000000;
  ck_assert_int_eq(interval, 50000);
  ck_assert_int_eq(sentc_pace_wait(&p, now, interval, 500000), 0);
  ck_assert_int_eq(sentc_pace_take(&p, now, interval), now);
  for (int k = 1; k <= 10; k++) {
    ck_assert_int_eq(sentc_pace_wait(&p, now, interval, 500000), k * 50000);
    ck_assert_int_eq(sentc_pace_take(&p, now, interval), now + k * 50000);
  }
  ck_assert_int_eq(sentc_pace_wait(&p, now, interval, 500000), -1);
  sentc_pace_give_back(&p, now + 500000, interval);      /* the last one leaves */
  ck_assert_int_eq(sentc_pace_wait(&p, now, interval, 500000), 500000);
  ck_assert_int_eq(sentc_pace_wait(&p, now, interval, 0), -1);  /* throttle 0ms blocks */
  ck_assert_int_eq(sentc_pace_interval_us(3, 1000), 333334);    /* rounded up */
}
END_TEST

/* 5 per second with burst 2: 7 at once, then a refill only after a whole
 * second, of 1001*5/1000 = 5 tokens. */
START_TEST(token_bucket_burst_and_refill) {
  struct sentc_tokens b = {0};
  for (int i = 0; i < 7; i++)
    ck_assert_int_eq(sentc_tokens_take(&b, 1000, 5, 2, 1000), 0);
  ck_assert_int_eq(sentc_tokens_take(&b, 1000, 5, 2, 1000), -1);
  ck_assert_int_eq(sentc_tokens_take(&b, 2000, 5, 2, 1000), -1);   /* not > 1 s yet */
  ck_assert_int_eq(sentc_tokens_take(&b, 2001, 5, 2, 1000), 0);
  ck_assert_int_eq(b.left, 4);
  struct sentc_tokens zero = {0};
  ck_assert_int_eq(sentc_tokens_take(&zero, 0, 0, 0, 1000), -1);   /* item 0/s */
}
END_TEST

static struct sentc_breaker ratio_rule(void) {
  static const struct sentc_status_range five_hundreds[] = {{500, 599}};
  return (struct sentc_breaker){.kind = SENTC_BREAKER_ERROR_RATIO, .ratio = 0.5,
                                .min_requests = 4, .window = {10000, 10}, .open_ms = 5000,
                                .probes = 1, .n_error_ranges = 1, .error_ranges = five_hundreds,
                                .grpc_errors = 1u << 14};
}

static struct sentc_breaker_cell *new_cell(const struct sentc_breaker *b) {
  return calloc(1, sizeof(struct sentc_breaker_cell) + b->window.buckets * sizeof(struct sentc_bucket));
}

/* 2 errors in 4 = exactly 50%: opens (sentinel-golang compares >=);
 * 3 completions are below min_requests 4 whatever they are. */
START_TEST(breaker_opens_at_the_exact_ratio_and_min_requests) {
  struct sentc_breaker b = ratio_rule();
  struct sentc_breaker_cell *c = new_cell(&b);
  sentc_breaker_observe(&b, c, c->open_until, 100, 5, 1, 0);
  sentc_breaker_observe(&b, c, c->open_until, 200, 5, 1, 0);
  sentc_breaker_observe(&b, c, c->open_until, 300, 5, 0, 0);
  ck_assert_int_eq(c->state, SENTC_CLOSED);
  sentc_breaker_observe(&b, c, c->open_until, 400, 5, 0, 0);
  ck_assert_int_eq(c->state, SENTC_OPEN);
  ck_assert_int_eq(c->open_until, 5400);
  free(c);
}
END_TEST

START_TEST(breaker_lets_one_probe_through_then_closes_or_reopens) {
  struct sentc_breaker b = ratio_rule();
  struct sentc_breaker_cell *c = new_cell(&b);
  c->state = SENTC_OPEN;
  c->open_until = 5400;
  ck_assert_int_eq(sentc_breaker_admits(&b, c, 5399), 0);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 5400), 1);       /* the probe */
  ck_assert_int_eq(c->state, SENTC_HALF_OPEN);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 5401), -1);      /* only one */
  sentc_breaker_observe(&b, c, c->open_until, 5450, 5, 1, 1);                /* bad probe */
  ck_assert_int_eq(c->state, SENTC_OPEN);
  ck_assert_int_eq(c->open_until, 10450);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 10450), 1);
  sentc_breaker_observe(&b, c, c->open_until, 10460, 5, 0, 1);               /* good probe */
  ck_assert_int_eq(c->state, SENTC_CLOSED);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 10461), 0);
  free(c);
}
END_TEST

START_TEST(breaker_error_statuses) {
  struct sentc_breaker b = ratio_rule();
  ck_assert_int_eq(sentc_breaker_is_error(&b, 500, -1), 1);
  ck_assert_int_eq(sentc_breaker_is_error(&b, 599, -1), 1);
  ck_assert_int_eq(sentc_breaker_is_error(&b, 499, -1), 0);
  ck_assert_int_eq(sentc_breaker_is_error(&b, 200, 14), 1);
  ck_assert_int_eq(sentc_breaker_is_error(&b, 200, 0), 0);
  /* either counts: an HTTP status in `errors` with a grpc-status that is
   * not in grpc_errors (a proxy's 503 with grpc-status 0) */
  ck_assert_int_eq(sentc_breaker_is_error(&b, 503, 0), 1);
  ck_assert_int_eq(sentc_breaker_is_error(&b, 503, 14), 1);
}
END_TEST

/* Completions of requests that entered before the breaker last opened are
 * counted but decide nothing: a probe of an earlier half-open period (it
 * gives its place back, no more), a request admitted while it was closed
 * before (it cannot open it again). */
START_TEST(breaker_stale_completions_decide_nothing) {
  struct sentc_breaker b = ratio_rule();
  b.kind = SENTC_BREAKER_ERROR_COUNT;
  b.count = 1;
  b.min_requests = 1;
  b.probes = 2;
  struct sentc_breaker_cell *c = new_cell(&b);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 100), 0);
  int64_t slow_one = c->open_until;                            /* in flight from closed */
  sentc_breaker_observe(&b, c, c->open_until, 200, 5, 1, 0);   /* opens: until 5200 */
  ck_assert_int_eq(c->state, SENTC_OPEN);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 5200), 1);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 5200), 1);
  int64_t first_half = c->open_until;                          /* two probes out */
  sentc_breaker_observe(&b, c, first_half, 5210, 5, 1, 1);     /* one bad: until 10210 */
  ck_assert_int_eq(c->state, SENTC_OPEN);
  ck_assert_int_eq(c->probes_out, 1);                          /* the other still out */
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 10210), 1);
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 10211), -1);     /* its place taken */
  sentc_breaker_observe(&b, c, first_half, 10220, 5, 0, 1);    /* the old probe, good */
  ck_assert_int_eq(c->state, SENTC_HALF_OPEN);
  ck_assert_int_eq(c->probes_ok, 0);                           /* decided nothing */
  ck_assert_int_eq(c->probes_out, 1);
  int64_t second_half = c->open_until;
  ck_assert_int_eq(sentc_breaker_enter(&b, c, 10221), 1);
  sentc_breaker_observe(&b, c, second_half, 10230, 5, 0, 1);
  sentc_breaker_observe(&b, c, second_half, 10231, 5, 0, 1);
  ck_assert_int_eq(c->state, SENTC_CLOSED);
  sentc_breaker_observe(&b, c, slow_one, 10240, 5, 1, 0);      /* admitted before it opened */
  ck_assert_int_eq(c->state, SENTC_CLOSED);
  sentc_breaker_observe(&b, c, c->open_until, 10250, 5, 1, 0); /* one of now opens it */
  ck_assert_int_eq(c->state, SENTC_OPEN);
  free(c);
}
END_TEST

/* error_count 3: the third error opens it, whatever the successes. */
START_TEST(breaker_error_count) {
  struct sentc_breaker b = ratio_rule();
  b.kind = SENTC_BREAKER_ERROR_COUNT;
  b.count = 3;
  b.min_requests = 1;
  struct sentc_breaker_cell *c = new_cell(&b);
  for (int i = 0; i < 10; i++)
    sentc_breaker_observe(&b, c, c->open_until, 100 + i, 5, 0, 0);
  sentc_breaker_observe(&b, c, c->open_until, 200, 5, 1, 0);
  sentc_breaker_observe(&b, c, c->open_until, 201, 5, 1, 0);
  ck_assert_int_eq(c->state, SENTC_CLOSED);
  sentc_breaker_observe(&b, c, c->open_until, 202, 5, 1, 0);
  ck_assert_int_eq(c->state, SENTC_OPEN);
  free(c);
}
END_TEST

/* slow_ratio 50%, max_rt 100: RT 101 is slow, 100 is not. */
START_TEST(breaker_slow_ratio) {
  struct sentc_breaker b = ratio_rule();
  b.kind = SENTC_BREAKER_SLOW_RATIO;
  b.max_rt_ms = 100;
  b.min_requests = 2;
  struct sentc_breaker_cell *c = new_cell(&b);
  sentc_breaker_observe(&b, c, c->open_until, 100, 100, 0, 0);
  sentc_breaker_observe(&b, c, c->open_until, 101, 100, 0, 0);
  ck_assert_int_eq(c->state, SENTC_CLOSED);
  sentc_breaker_observe(&b, c, c->open_until, 102, 101, 0, 0);
  sentc_breaker_observe(&b, c, c->open_until, 103, 101, 0, 0);   /* 2 slow of 4 */
  ck_assert_int_eq(c->state, SENTC_OPEN);
  free(c);
}
END_TEST

int main(void) {
  return run_tests("rules", NULL, NULL, (const TTest *const[]){
    warmup_starts_at_a_third_and_reaches_the_full_rate,
    warmup_curve_midpoint,
    warmup_takes_a_pass_back_in_its_own_window_only,
    pace_spaces_requests_and_bounds_the_queue,
    token_bucket_burst_and_refill,
    breaker_opens_at_the_exact_ratio_and_min_requests,
    breaker_lets_one_probe_through_then_closes_or_reopens,
    breaker_error_statuses,
    breaker_stale_completions_decide_nothing,
    breaker_error_count,
    breaker_slow_ratio,
    NULL,
  });
}
