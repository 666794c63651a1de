/*
 * check_engine.c: unit tests of verdicts, on tables written here by hand the
 * way sentc would generate them.
 */
#include <check.h>
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/core.h"
#include "runner.h"

#define S(s) {s, sizeof s - 1}

static const struct sentc_path api[] = {{SENTC_PATH_PREFIX, 0, S("/api/")}};
static const struct sentc_path checkout[] = {{SENTC_PATH_EXACT, 0, S("/api/checkout")}};
static const struct sentc_flow flows[] = {
  {{"flow", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 1, .resource = 0}, 100, {1000, 2}, 0, 0, 0, 0, -1},
  {{"flow", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 2, .resource = 1}, 1, {1000, 2}, 0, 0, 0, 0, -1},
};
/* /b: breaker error_count 2 { window 1s; buckets 1; min_requests 1; open 500ms; } */
static const struct sentc_path b[] = {{SENTC_PATH_PREFIX, 0, S("/b")}};
static const struct sentc_status_range server_errors[] = {{500, 599}};
static const struct sentc_breaker breakers[] = {
  {.rule = {"breaker", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 3, .resource = 2}, .kind = SENTC_BREAKER_ERROR_COUNT,
   .count = 2, .min_requests = 1, .window = {1000, 1}, .open_ms = 500, .probes = 1,
   .n_error_ranges = 1, .error_ranges = server_errors},
};
static const struct sentc_resource resources[] = {
  {S("api"), 1, {.n_paths = 1, .paths = api}, .rules = {[SENTC_KIND_FLOW] = {0, 1}}},
  {S("checkout"), 2, {.methods = SENTC_POST, .n_paths = 1, .paths = checkout},
   .rules = {[SENTC_KIND_FLOW] = {1, 1}}},
  {S("b"), 3, {.n_paths = 1, .paths = b}, .rules = {[SENTC_KIND_BREAKER] = {0, 1}}},
};
static const struct sentc_policy policy = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("t"),
  .n_resources = 3, .resources = resources, .n_flow = 2, .flow = flows,
  .n_breaker = 1, .breaker = breakers,
};

static struct sentc_engine *engine;

static void setup(void) {
  const char *error;
  fake_platform_reset();
  engine = sentc_engine_start(&policy, &error);
  ck_assert_ptr_nonnull(engine);
}

static void teardown(void) { sentc_engine_stop(engine); }

static int decide(const char *method, const char *path, int64_t now, struct sentc_verdict *v) {
  struct sentc_request r = {.method = method, .method_len = strlen(method),
                            .path = path, .path_len = strlen(path)};
  static uint32_t id;
  sentc_engine_request(engine, ++id, &r, now, v);
  sentc_engine_end(engine, id, now);
  return v->blocked;
}

START_TEST(a_hundred_per_second_passes_a_hundred_and_blocks_the_rest) {
  struct sentc_verdict v;
  int blocked = 0;
  for (int i = 0; i < 150; i++)
    blocked += decide("GET", "/api/x", i * 6, &v);   /* 150 requests in 900 ms */
  ck_assert_int_eq(blocked, 50);
  ck_assert_int_eq(fake_counter("sentc.api.passed"), 0);     /* counted, not sent yet */
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.api.passed"), 100);
  ck_assert_int_eq(fake_counter("sentc.api.blocked.flow"), 50);
  ck_assert_int_eq(decide("GET", "/api/x", 1500, &v), 0);  /* a window later: passes */
}
END_TEST

START_TEST(a_blocked_request_gets_the_builtin_reply) {
  struct sentc_verdict v;
  ck_assert_int_eq(decide("POST", "/api/checkout", 0, &v), 0);
  ck_assert_int_eq(decide("POST", "/api/checkout", 1, &v), 1);
  ck_assert_uint_eq(v.reply.status, 429);
  ck_assert_uint_eq(v.reply.n_headers, 2);
  ck_assert_str_eq(v.reply.headers[0].name, "x-sentinel-blocked");
  ck_assert_int_eq((int)v.reply.headers[0].value_len, 13);
  ck_assert(memcmp(v.reply.headers[0].value, "checkout/flow", 13) == 0);
  const char body[] = "{\"error\":\"blocked\",\"resource\":\"checkout\",\"kind\":\"flow\"}\n";
  ck_assert_int_eq((int)v.reply.body_len, (int)strlen(body));
  ck_assert(memcmp(v.reply.body, body, strlen(body)) == 0);
}
END_TEST

START_TEST(a_request_blocked_by_a_later_resource_leaves_no_pass_in_an_earlier_one) {
  struct sentc_verdict v;
  decide("POST", "/api/checkout", 0, &v);               /* passes both */
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(decide("POST", "/api/checkout", 10 + i, &v), 1);
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.api.passed"), 1);
  ck_assert_int_eq(fake_counter("sentc.checkout.blocked.flow"), 5);
  ck_assert_int_eq(fake_counter("sentc.api.blocked.flow"), 0);
}
END_TEST

START_TEST(method_and_path_decide_the_resources) {
  struct sentc_verdict v;
  decide("GET", "/api/checkout", 0, &v);        /* checkout wants POST */
  decide("POST", "/api/checkout?x=1", 0, &v);   /* query is not part of the path */
  decide("POST", "/api/checkoutX", 0, &v);      /* exact path: no */
  decide("GET", "/other", 0, &v);               /* neither */
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.api.passed"), 3);
  ck_assert_int_eq(fake_counter("sentc.checkout.passed"), 1);
}
END_TEST

/* The 64 KiB a path is normalized into are made on the first path that
 * needs normalizing (docs/performance.md): canonical paths, the common
 * case, are matched where the host put them, and most VMs never make it. */
START_TEST(the_path_buffer_is_made_for_the_first_path_to_normalize) {
  struct sentc_verdict v;
  decide("POST", "/api/checkout?x=1", 0, &v);   /* checkout: 1/s */
  decide("GET", "/api/x/y.z", 0, &v);
  ck_assert_ptr_null(engine->path);
  decide("POST", "/api//x/../checkout", 2000, &v);
  ck_assert_ptr_nonnull(engine->path);
  decide("POST", "/api/%63heckout", 4000, &v);
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.api.passed"), 4);
  ck_assert_int_eq(fake_counter("sentc.checkout.passed"), 3);
}
END_TEST

/* At debug level each decision that is not a plain pass says why, in the
 * form the rehearsal host reads (engine.h); at info level only a
 * resource's first block in a minute. */
START_TEST(decisions_are_logged_at_debug_level_only) {
  struct sentc_verdict v;
  decide("POST", "/api/checkout", 0, &v);
  decide("POST", "/api/checkout", 1, &v);
  decide("POST", "/api/checkout", 2, &v);
  ck_assert_int_eq(fake_n_log, 1);
  ck_assert_int_eq(fake_log_levels[0], SENTC_LOG_INFO);
  ck_assert_str_eq(fake_log[0], "sentc: blocking: checkout/flow kind=flow status=429 (the first "
                                "block of checkout this minute; the metrics count them all)");
  sentc_engine_log_level(engine, SENTC_LOG_DEBUG);
  decide("POST", "/api/checkout", 3, &v);
  ck_assert_int_eq(fake_n_log, 2);
  ck_assert_int_eq(fake_log_levels[1], SENTC_LOG_DEBUG);
  ck_assert_str_eq(fake_log[1], "sentc: blocked checkout/flow kind=flow status=429");
  decide("POST", "/api/checkout", 60001, &v);     /* passes: a new window */
  decide("POST", "/api/checkout", 60002, &v);     /* a minute later: said again */
  ck_assert_int_eq(fake_n_log, 4);
  ck_assert_str_eq(fake_log[2], "sentc: blocking: checkout/flow kind=flow status=429 (the first "
                                "block of checkout this minute; the metrics count them all)");
}
END_TEST

/* One response of request `id` on /b at `now`, with `status`. */
static void answer(uint32_t id, int64_t now, int status) {
  struct sentc_request r = {.method = "GET", .method_len = 3, .path = "/b", .path_len = 2};
  struct sentc_verdict v;
  struct sentc_reply add;
  sentc_engine_request(engine, id, &r, now, &v);
  ck_assert_int_eq(v.action, SENTC_CONTINUE);
  sentc_engine_response(engine, id, status, -1, now + 10, &add);
  sentc_engine_end(engine, id, now + 10);
}

/* A breaker's transitions are logged: opened at warn, with what tripped
 * it; half-open and closed at info. */
START_TEST(breaker_transitions_are_logged) {
  answer(1, 0, 500);
  answer(2, 100, 503);
  ck_assert_int_eq(fake_n_log, 1);
  ck_assert_int_eq(fake_log_levels[0], SENTC_LOG_WARN);
  ck_assert_str_eq(fake_log[0], "sentc: breaker b/breaker open: 2 errors of 2 requests in "
                                "1000ms; open for 500ms");
  answer(3, 700, 200);                       /* 500 ms later: a probe, which succeeds */
  ck_assert_int_eq(fake_n_log, 3);
  ck_assert_str_eq(fake_log[1], "sentc: breaker b/breaker half-open");
  ck_assert_str_eq(fake_log[2], "sentc: breaker b/breaker closed");
  ck_assert_int_eq(fake_log_levels[2], SENTC_LOG_INFO);
}
END_TEST

/* A caller that does not read the clock (SENTC_NOW_UNREAD) leaves it to
 * the engine: read once per call that needs the time, and the time it
 * reads is the one its windows go by. */
START_TEST(the_clock_is_read_by_the_engine_when_the_caller_did_not) {
  struct sentc_verdict v;
  struct sentc_request r = {.method = "POST", .method_len = 4, .path = "/api/checkout",
                            .path_len = 13};
  fake_now_ms = 5000;
  sentc_engine_request(engine, 1, &r, SENTC_NOW_UNREAD, &v);
  ck_assert_int_eq(v.blocked, 0);
  ck_assert_int_eq(fake_clock_reads, 1);
  sentc_engine_end(engine, 1, SENTC_NOW_UNREAD);
  sentc_engine_end(engine, 1, SENTC_NOW_UNREAD);        /* already ended: no time needed */
  ck_assert_int_le(fake_clock_reads, 2);
  sentc_engine_request(engine, 2, &r, 5999, &v);         /* a clock read by the caller */
  ck_assert_int_eq(v.blocked, 1);                        /* same window: 1/s taken */
  ck_assert_int_le(fake_clock_reads, 2);
  sentc_engine_end(engine, 2, 5999);
  fake_now_ms = 7000;                                    /* the next window */
  sentc_engine_request(engine, 3, &r, SENTC_NOW_UNREAD, &v);
  ck_assert_int_eq(v.blocked, 0);
}
END_TEST

START_TEST(tables_of_another_version_are_refused) {
  struct sentc_policy other = policy;
  const char *error;
  other.tables_version = SENTC_TABLES_VERSION + 1;
  ck_assert_ptr_null(sentc_engine_start(&other, &error));
  ck_assert_ptr_nonnull(strstr(error, "another sentc runtime"));
}
END_TEST

int main(void) {
  return run_tests("engine", setup, teardown, (const TTest *const[]){
    a_hundred_per_second_passes_a_hundred_and_blocks_the_rest,
    a_blocked_request_gets_the_builtin_reply,
    a_request_blocked_by_a_later_resource_leaves_no_pass_in_an_earlier_one,
    method_and_path_decide_the_resources,
    the_path_buffer_is_made_for_the_first_path_to_normalize,
    decisions_are_logged_at_debug_level_only,
    breaker_transitions_are_logged,
    the_clock_is_read_by_the_engine_when_the_caller_did_not,
    tables_of_another_version_are_refused,
    NULL,
  });
}
