/*
 * check_lifecycle.c: unit tests of a stream's life in the engine, on tables
 * written here by hand: the two-phase undo when a later rule's commit
 * re-check fails, permits returned exactly once however the stream's end is
 * reported, held (throttled) streams resumed by the tick or given up when
 * they end first, and the hotspot directory's LRU order and bound.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/engine.h"
#include "../../runtime/engine/hotdir.h"
#include "../../runtime/engine/store.h"
#include "runner.h"

#define S(s) {s, sizeof s - 1}
/* A rule of the resource on `line` (resources are on lines 2 to 5). */
#define RULE(name, line) {name, SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, line, .resource = (line) - 2}

/* /a: flow 1/s; concurrency 1.  /ab matches a and b; b: flow 1/s { of a; }.
 * /c: concurrency 1.  /t: flow 1/s { throttle 2s; } (one every 1000 ms). */
static const struct sentc_path a_paths[] = {{SENTC_PATH_PREFIX, 0, S("/a")}};
static const struct sentc_path b_paths[] = {{SENTC_PATH_PREFIX, 0, S("/ab")}};
static const struct sentc_path c_paths[] = {{SENTC_PATH_PREFIX, 0, S("/c")}};
static const struct sentc_path t_paths[] = {{SENTC_PATH_PREFIX, 0, S("/t")}};
static const struct sentc_flow flows[] = {
  {RULE("flow", 2), 1, {1000, 2}, 0, 0, 0, 0, -1},
  {RULE("flow", 3), 1, {1000, 2}, 0, 0, 0, 0, 0},
  {RULE("flow", 5), 1, {1000, 2}, SENTC_FLOW_THROTTLE, 2000, 0, 0, -1},
};
static const struct sentc_concurrency concurrency[] = {{RULE("concurrency", 2), 1},
                                                       {RULE("concurrency", 4), 1}};
static const uint32_t a_watchers[] = {1};
static const struct sentc_resource resources[] = {
  {S("a"), 2, {.n_paths = 1, .paths = a_paths},
   .rules = {[SENTC_KIND_FLOW] = {0, 1}, [SENTC_KIND_CONCURRENCY] = {0, 1}},
   .n_watchers = 1, .watchers = a_watchers},
  {S("b"), 3, {.n_paths = 1, .paths = b_paths}, .rules = {[SENTC_KIND_FLOW] = {1, 1}}},
  {S("c"), 4, {.n_paths = 1, .paths = c_paths}, .rules = {[SENTC_KIND_CONCURRENCY] = {1, 1}}},
  {S("t"), 5, {.n_paths = 1, .paths = t_paths}, .rules = {[SENTC_KIND_FLOW] = {2, 1}}},
};
static const struct sentc_policy policy = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("t"), .n_resources = 4,
  .resources = resources, .n_flow = 3, .flow = flows, .n_concurrency = 2,
  .concurrency = concurrency,
};

static struct sentc_engine *engine;

static void setup(void) {
  const char *error;
  fake_platform_reset();
  engine = sentc_engine_start(&policy, &error);
  ck_assert_ptr_nonnull(engine);
}

static void teardown(void) { sentc_engine_stop(engine); }

static int request(uint32_t id, const char *path, int64_t now) {
  struct sentc_request r = {.method = "GET", .method_len = 3, .path = path,
                            .path_len = strlen(path)};
  struct sentc_verdict v;
  sentc_engine_request(engine, id, &r, now, &v);
  return v.action;
}

static uint32_t streams_open(void) {
  struct sentc_engine_usage u;
  sentc_engine_usage(engine, &u);
  return u.streams_open;
}

/* /ab enters a (flow 1/s, concurrency 1) then b (flow 1/s of a).  Phase one:
 * both see 0 passes.  Commit: a's pass, a's permit and b's count of a's
 * pass; then b's re-check sees 1 + 1 > 1 and fails: everything is undone
 * and b's flow blocks it.  So a has no pass and no permit left: /a passes
 * (its flow and its concurrency both allow it) and only then is a full. */
START_TEST(a_failing_recheck_at_commit_undoes_the_earlier_rules) {
  ck_assert_int_eq(request(1, "/ab", 0), SENTC_BLOCK);
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.b.blocked.flow"), 1);
  ck_assert_int_eq(fake_counter("sentc.a.passed"), 0);
  ck_assert_int_eq(request(2, "/a", 1), SENTC_CONTINUE);
  ck_assert_int_eq(request(3, "/a", 2), SENTC_BLOCK);
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.a.blocked.flow"), 1);
}
END_TEST

/* Envoy reports a stream's end three times (log, done, delete), in any order
 * with the response, and may report ids never seen: one permit comes back
 * per pass, never more. */
START_TEST(a_permit_comes_back_exactly_once) {
  struct sentc_reply add;
  ck_assert_int_eq(request(1, "/c", 0), SENTC_CONTINUE);
  sentc_engine_end(engine, 1, 5);
  sentc_engine_end(engine, 1, 5);
  sentc_engine_response(engine, 1, 200, -1, 6, &add);                  /* after the end: nothing */
  sentc_engine_end(engine, 1, 7);
  sentc_engine_end(engine, 99, 7);                                     /* never seen */
  ck_assert_int_eq(request(2, "/c", 10), SENTC_CONTINUE);      /* the one permit is back */
  ck_assert_int_eq(request(3, "/c", 11), SENTC_BLOCK);         /* and only one */
  sentc_engine_response(engine, 2, 200, -1, 12, &add);
  sentc_engine_end(engine, 2, 13);
  sentc_engine_end(engine, 2, 13);
  ck_assert_int_eq(request(4, "/c", 14), SENTC_CONTINUE);
  ck_assert_int_eq(request(5, "/c", 15), SENTC_BLOCK);
  ck_assert_uint_eq(streams_open(), 1);
}
END_TEST

/* /t paces to one request every 1000 ms.  At 10 s the first passes at once
 * (slot 10 s), the second is held for its slot at 11 s: the engine asks for
 * a tick in 1000 ms.  A tick before 11 s resumes nothing and asks again for
 * the 1 ms left; the tick at 11 s resumes stream 2, and with nothing held
 * the engine ticks only to send metrics, every second.  The held request
 * counted as a pass when it was decided, and as queued; its wait is
 * recorded when it goes.  The next one, at 11.5 s, waits for the slot
 * after it, 12 s. */
START_TEST(a_held_stream_is_resumed_by_the_tick) {
  ck_assert_int_eq(request(1, "/t", 10000), SENTC_CONTINUE);
  ck_assert_int_eq(request(2, "/t", 10000), SENTC_HOLD);
  ck_assert_uint_eq(fake_wake_ms, 1000);
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.t.passed"), 2);
  ck_assert_int_eq(fake_counter("sentc.t.queued.flow"), 1);
  ck_assert_int_eq(fake_counter("sentc.t.in_flight"), 1);     /* the held one is not */
  sentc_engine_tick(engine, 10999);
  ck_assert_int_eq(fake_n_resumed, 0);
  ck_assert_uint_eq(fake_wake_ms, 1);
  sentc_engine_tick(engine, 11000);
  ck_assert_int_eq(fake_n_resumed, 1);
  ck_assert_uint_eq(fake_resumed[0], 2);
  ck_assert_uint_eq(fake_wake_ms, 1000);
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.t.queue_wait_ms.flow"), 1);   /* one value: */
  ck_assert_int_eq(fake_histogram_sum("sentc.t.queue_wait_ms.flow"), 1000);
  ck_assert_int_eq(fake_counter("sentc.t.in_flight"), 2);
  sentc_engine_tick(engine, 11500);
  ck_assert_int_eq(fake_n_resumed, 1);                         /* resumed once only */
  ck_assert_int_eq(request(3, "/t", 11500), SENTC_HOLD);
  ck_assert_uint_eq(fake_wake_ms, 500);
}
END_TEST

/* Stream 2 is held for its slot at 11 s, then ends (client gone) at 10.5 s:
 * the engine wants no more ticks for it (only the metrics' every second),
 * and its slot is given back, so stream 3
 * at 10.5 s takes that same slot (a 500 ms wait, resumed at 11 s) rather
 * than the one after it (12 s); the tick at 11 s resumes 3 and never 2. */
START_TEST(a_held_stream_that_ends_is_not_resumed) {
  ck_assert_int_eq(request(1, "/t", 10000), SENTC_CONTINUE);
  ck_assert_int_eq(request(2, "/t", 10000), SENTC_HOLD);
  sentc_engine_end(engine, 2, 10500);
  ck_assert_uint_eq(fake_wake_ms, 1000);
  ck_assert_int_eq(request(3, "/t", 10500), SENTC_HOLD);
  ck_assert_uint_eq(fake_wake_ms, 500);
  sentc_engine_tick(engine, 11000);
  ck_assert_int_eq(fake_n_resumed, 1);                         /* 3, and never 2 */
  ck_assert_uint_eq(fake_resumed[0], 3);
  ck_assert_uint_eq(streams_open(), 2);                  /* 1 and 3; 2 is gone */
}
END_TEST

/* Capacity 3: values 1, 2, 3 take slots 0, 1, 2; using 1 again makes 2 the
 * least recently used, so 4 takes 2's slot; then 5 takes 3's.  The
 * directory never holds more than 3 values: a thousand more values each
 * take the oldest slot in turn. */
START_TEST(the_hotspot_directory_forgets_the_least_recently_used) {
  struct sentc_hotdir t;
  struct sentc_store store;
  ck_assert_int_eq(sentc_store_open(&store, &policy.name, 1), 0);
  ck_assert_int_eq(sentc_hotdir_init(&t, &store, 3, SENTC_SCOPE_WORKER, 0, 0), 0);
  ck_assert_int_eq(sentc_store_seal(&store), 0);
  ck_assert_int_eq(sentc_hotdir_use(&t, &store, 1), 0);
  ck_assert_int_eq(sentc_hotdir_use(&t, &store, 2), 1);
  ck_assert_int_eq(sentc_hotdir_use(&t, &store, 3), 2);
  ck_assert_int_eq(sentc_hotdir_use(&t, &store, 1), 0);
  ck_assert_int_eq(sentc_hotdir_use(&t, &store, 4), 1);
  ck_assert_int_eq(sentc_hotdir_find(&t, 2), -1);
  ck_assert_int_eq(sentc_hotdir_use(&t, &store, 5), 2);
  ck_assert_int_eq(sentc_hotdir_find(&t, 3), -1);
  ck_assert_int_eq(sentc_hotdir_find(&t, 1), 0);
  ck_assert_int_eq(sentc_hotdir_find(&t, 4), 1);
  for (uint64_t h = 100; h < 1100; h++)
    ck_assert_int_lt(sentc_hotdir_use(&t, &store, h), 3);
  ck_assert_uint_eq(t.used, 3);
  ck_assert_int_eq(sentc_hotdir_find(&t, 1099), (1099 - 100) % 3);  /* h took slot (h - 100) % 3 */
  ck_assert_int_eq(sentc_hotdir_find(&t, 1096), -1);
  sentc_hotdir_free(&t);
  sentc_store_close(&store);
}
END_TEST

int main(void) {
  return run_tests("lifecycle", setup, teardown, (const TTest *const[]){
    a_failing_recheck_at_commit_undoes_the_earlier_rules,
    a_permit_comes_back_exactly_once,
    a_held_stream_is_resumed_by_the_tick,
    a_held_stream_that_ends_is_not_resumed,
    the_hotspot_directory_forgets_the_least_recently_used,
    NULL,
  });
}
