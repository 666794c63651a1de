/*
 * check_cluster.c: unit tests of scope cluster in the engine
 * (runtime/engine/cluster.c and its hooks in engine.c), on tables written
 * by hand as sentc would generate them, with the fake platform standing in
 * for Envoy's gRPC calls: what a request asks and when, how it is held,
 * what each kind of answer (pass, over limit, garbage, failure, none at
 * all) does to it and to the local rules' state, and that a stream that
 * ends while asking is never answered.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/engine.h"
#include "../../runtime/engine/rls.h"
#include "runner.h"

#define S(s) {s, sizeof s - 1}
#define RULE(name, scope, line, resource) \
  {name, scope, SENTC_BUILTIN_FALLBACK, line, SENTC_ENFORCE, resource}

/* resource api { match { path prefix "/api/"; } flow 2/s { scope cluster; }
 *                concurrency 1; }
 * resource hot { match { path prefix "/hot/"; }
 *                hotspot header "x-user" 3/m { scope cluster; } } */
static const struct sentc_path api[] = {{SENTC_PATH_PREFIX, 0, S("/api/")}};
static const struct sentc_path hotp[] = {{SENTC_PATH_PREFIX, 0, S("/hot/")}};
static const struct sentc_flow flows[] = {
  {.rule = RULE("flow", SENTC_SCOPE_CLUSTER, 2, 0), .count = 2, .window = {1000, 1}, .of = -1},
};
static const struct sentc_concurrency limits[] = {{RULE("concurrency", SENTC_SCOPE_WORKER, 3, 0), 1}};
static const struct sentc_hotspot hots[] = {
  {.rule = RULE("hotspot_x-user", SENTC_SCOPE_CLUSTER, 6, 1), .key = SENTC_KEY_HEADER,
   .key_name = S("x-user"), .mode = SENTC_HOTSPOT_RATE, .count = 3, .window_ms = 60000,
   .capacity = 1},
};
static const struct sentc_resource resources[] = {
  {S("api"), 1, {.n_paths = 1, .paths = api},
   .rules = {[SENTC_KIND_FLOW] = {0, 1}, [SENTC_KIND_CONCURRENCY] = {0, 1}}},
  {S("hot"), 5, {.n_paths = 1, .paths = hotp}, .rules = {[SENTC_KIND_HOTSPOT] = {0, 1}}},
};
static const struct sentc_rls_entry api_flow[] = {{S("resource"), S("api")}, {S("rule"), S("flow")}};
static const struct sentc_rls_entry hot_rule[] = {{S("resource"), S("hot")},
                                                  {S("rule"), S("hotspot_x-user")}};
static const struct sentc_rls_descriptor descriptors[] = {
  {.kind = SENTC_KIND_FLOW, .rule = 0, .n_entries = 2, .entries = api_flow,
   .requests_per_unit = 2, .unit = SENTC_RLS_SECOND},
  {.kind = SENTC_KIND_HOTSPOT, .rule = 0, .n_entries = 2, .entries = hot_rule,
   .value_key = S("value"), .requests_per_unit = 3, .unit = SENTC_RLS_MINUTE},
};
static struct sentc_policy policy = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("shop"),
  .ratelimit_headers = SENTC_RATELIMIT_DRAFT,
  .rls = {.present = 1, .cluster = S("ratelimit"), .domain = S("shop"), .timeout_ms = 20,
          .on_error = SENTC_ON_ERROR_ALLOW, .n_descriptors = 2, .descriptors = descriptors},
  .n_resources = 2, .resources = resources, .n_flow = 1, .flow = flows,
  .n_concurrency = 1, .concurrency = limits, .n_hotspot = 1, .hotspot = hots,
};

static struct sentc_engine *engine;

static void start(enum sentc_on_error on_error) {
  const char *error = NULL;
  policy.rls.on_error = on_error;
  fake_platform_reset();
  engine = sentc_engine_start(&policy, &error);
  ck_assert_msg(engine != NULL, "%s", error);
}

static void setup(void) { start(SENTC_ON_ERROR_ALLOW); }
static void teardown(void) { sentc_engine_stop(engine); }

/* A counter's value once the engine sent what it counted (metrics go on
 * the tick). */
static int64_t counter(const char *name) {
  sentc_engine_flush(engine);
  return fake_counter(name);
}

static const char *user;      /* the request's x-user header, or NULL */

static const char *header(void *ctx, const char *name, size_t len, size_t *value_len) {
  (void)ctx;
  if (!user || len != 6 || memcmp(name, "x-user", 6) != 0)
    return NULL;
  *value_len = strlen(user);
  return user;
}

static int request(uint32_t id, const char *path, int64_t now) {
  struct sentc_request r = {.protocol = SENTC_HTTP, .method = "GET", .method_len = 3,
                            .path = path, .path_len = strlen(path), .header = header};
  struct sentc_verdict v;
  sentc_engine_request(engine, id, &r, now, &v);
  return v.action;
}

/* ---- answers, written as the service would ---- */

static size_t put_varint(uint8_t *at, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    at[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  at[n++] = (uint8_t)v;
  return n;
}

/* A RateLimitResponse: overall, then one status per (code, remaining,
 * reset_ms; remaining < 0: no current_limit; reset_ms < 0: no duration). */
struct status { int code, limit, remaining, reset_ms; };
static size_t answer(uint8_t *out, int overall, const struct status *s, int n) {
  size_t len = 0;
  out[len++] = 0x08;
  len += put_varint(out + len, (uint64_t)overall);
  for (int i = 0; i < n; i++) {
    uint8_t body[64];
    size_t b = 0;
    body[b++] = 0x08;
    b += put_varint(body + b, (uint64_t)s[i].code);
    if (s[i].remaining >= 0) {
      body[b++] = 0x12;
      body[b++] = 4;
      body[b++] = 0x08;
      body[b++] = (uint8_t)s[i].limit;
      body[b++] = 0x10;
      body[b++] = SENTC_RLS_SECOND;
      body[b++] = 0x18;
      b += put_varint(body + b, (uint64_t)s[i].remaining);
    }
    if (s[i].reset_ms >= 0) {
      uint8_t d[16];
      size_t dl = 0;
      d[dl++] = 0x08;
      dl += put_varint(d + dl, (uint64_t)(s[i].reset_ms / 1000));
      d[dl++] = 0x10;
      dl += put_varint(d + dl, (uint64_t)(s[i].reset_ms % 1000) * 1000000);
      body[b++] = 0x22;
      body[b++] = (uint8_t)dl;
      memcpy(body + b, d, dl);
      b += dl;
    }
    out[len++] = 0x12;
    out[len++] = (uint8_t)b;
    memcpy(out + len, body, b);
    len += b;
  }
  return len;
}

static void reply(uint32_t token, int overall, const struct status *s, int n, int64_t now) {
  uint8_t buf[256];
  sentc_engine_grpc_receive(engine, token, buf, answer(buf, overall, s, n), now);
}

/* ---- tests ---- */

START_TEST(a_cluster_request_asks_once_and_is_held_until_the_answer) {
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  ck_assert_int_eq(fake_n_grpc_calls, 1);
  ck_assert_str_eq(fake_grpc_method, "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit");
  ck_assert_uint_eq(fake_grpc_timeout_ms, 20);
  static const char service[] = "\x0a\x0b" "\x0a\x09" "ratelimit";
  ck_assert_uint_eq(fake_grpc_service_len, sizeof service - 1);
  ck_assert_mem_eq(fake_grpc_service, service, sizeof service - 1);
  static const char question[] = "\x0a\x04" "shop" "\x12\x1f" "\x0a\x0f" "\x0a\x08" "resource"
                                 "\x12\x03" "api" "\x0a\x0c" "\x0a\x04" "rule" "\x12\x04" "flow";
  ck_assert_uint_eq(fake_grpc_message_len, sizeof question - 1);
  ck_assert_mem_eq(fake_grpc_message, question, sizeof question - 1);
  ck_assert_int_eq(fake_n_resumed, 0);
  ck_assert_int_eq(counter("sentc.api.passed"), 0);     /* not before the answer */
  reply(1, SENTC_RLS_OK, (struct status[]){{SENTC_RLS_OK, 2, 1, 400}}, 1, 3);
  ck_assert_int_eq(fake_n_resumed, 1);
  ck_assert_uint_eq(fake_resumed[0], 10);
  ck_assert_int_eq(counter("sentc.api.passed"), 1);
  /* RateLimit headers from the answer: limit 2 per 1s, 1 left, reset in 1s (400ms up) */
  struct sentc_reply add;
  sentc_engine_response(engine, 10, 200, -1, 10, &add);
  ck_assert_uint_eq(add.n_headers, 2);
  ck_assert_uint_eq(add.headers[0].value_len, 18);
  ck_assert_mem_eq(add.headers[0].value, "\"api/flow\";q=2;w=1", 18);
  ck_assert_uint_eq(add.headers[1].value_len, 18);
  ck_assert_mem_eq(add.headers[1].value, "\"api/flow\";r=1;t=1", 18);
  sentc_engine_end(engine, 10, 10);
  ck_assert_int_eq(fake_n_grpc_cancelled, 0);
}
END_TEST

START_TEST(over_limit_answers_with_the_rules_fallback_and_undoes_the_local_rules) {
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  /* the concurrency permit is taken while it asks */
  ck_assert_int_eq(request(11, "/api/y", 1), SENTC_BLOCK);
  ck_assert_int_eq(fake_n_grpc_calls, 1);                   /* local rules block without asking */
  reply(1, SENTC_RLS_OVER_LIMIT, (struct status[]){{SENTC_RLS_OVER_LIMIT, 2, 0, 700}}, 1, 2);
  ck_assert_int_eq(fake_n_settled, 1);
  ck_assert_uint_eq(fake_settled[0].stream, 10);
  ck_assert_int_eq(fake_settled[0].action, SENTC_BLOCK);
  ck_assert_uint_eq(fake_settled[0].status, 429);
  ck_assert_int_eq(fake_n_resumed, 0);
  ck_assert_int_eq(counter("sentc.api.blocked.flow"), 1);
  ck_assert_int_eq(counter("sentc.api.passed"), 0);
  ck_assert_int_eq(counter("sentc.api.blocked.concurrency"), 1);
  /* the permit came back with the block: the next request is not held by it */
  ck_assert_int_eq(request(12, "/api/z", 3), SENTC_HOLD);
  ck_assert_int_eq(fake_n_grpc_calls, 2);
  /* the blocked stream's end finds nothing left */
  sentc_engine_end(engine, 10, 4);
  ck_assert_int_eq(fake_n_grpc_cancelled, 0);
}
END_TEST

START_TEST(a_stream_that_ends_while_asking_cancels_and_ignores_a_late_answer) {
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  sentc_engine_end(engine, 10, 5);
  ck_assert_int_eq(fake_n_grpc_cancelled, 1);
  ck_assert_uint_eq(fake_grpc_cancelled[0], 1);
  reply(1, SENTC_RLS_OK, (struct status[]){{SENTC_RLS_OK, 2, 1, 400}}, 1, 6);
  sentc_engine_grpc_close(engine, 1, 14, 7);
  ck_assert_int_eq(fake_n_resumed, 0);
  ck_assert_int_eq(fake_n_settled, 0);
  /* its concurrency permit came back */
  ck_assert_int_eq(request(11, "/api/y", 8), SENTC_HOLD);
  /* answers to calls never made are ignored too */
  reply(77, SENTC_RLS_OVER_LIMIT, NULL, 0, 9);
  ck_assert_int_eq(fake_n_settled, 0);
}
END_TEST

START_TEST(a_failed_call_allows_or_denies_as_on_error_says) {
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  sentc_engine_grpc_close(engine, 1, 14, 3);               /* UNAVAILABLE */
  ck_assert_int_eq(fake_n_resumed, 1);
  ck_assert_int_eq(counter("sentc.filter.ratelimit_service_asked"), 1);
  ck_assert_int_eq(counter("sentc.filter.ratelimit_service_failed"), 1);
  ck_assert_int_eq(counter("sentc.api.passed"), 1);
  ck_assert_int_eq(fake_n_log, 1);
  ck_assert_ptr_nonnull(strstr(fake_log[0], "rate-limit service failed (grpc-status 14)"));
  sentc_engine_end(engine, 10, 4);
  sentc_engine_stop(engine);
  start(SENTC_ON_ERROR_DENY);
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  sentc_engine_grpc_close(engine, 1, 4, 3);                /* DEADLINE_EXCEEDED */
  ck_assert_int_eq(fake_n_settled, 1);
  ck_assert_int_eq(fake_settled[0].action, SENTC_BLOCK);
  ck_assert_int_eq(counter("sentc.api.blocked.flow"), 1);
  ck_assert_int_eq(request(11, "/api/y", 4), SENTC_HOLD);  /* the permit came back */
  reply(2, SENTC_RLS_OK, NULL, 0, 5);
  ck_assert_int_eq(fake_n_resumed, 1);
  ck_assert_int_eq(counter("sentc.filter.ratelimit_service_asked"), 2);
  ck_assert_int_eq(counter("sentc.filter.ratelimit_service_failed"), 1);
  ck_assert_ptr_nonnull(strstr(fake_log[fake_n_log - 1], "rate-limit service answers again"));
}
END_TEST

START_TEST(garbage_and_unknown_answers_are_failures) {
  static const uint8_t garbage[] = {0x12, 0x09, 0x08};
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  sentc_engine_grpc_receive(engine, 1, garbage, sizeof garbage, 1);
  ck_assert_int_eq(fake_n_resumed, 1);                      /* allow */
  sentc_engine_end(engine, 10, 2);
  sentc_engine_stop(engine);
  start(SENTC_ON_ERROR_DENY);
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  sentc_engine_grpc_receive(engine, 1, "", 0, 1);            /* overall UNKNOWN */
  ck_assert_int_eq(fake_n_settled, 1);
  ck_assert_int_eq(fake_settled[0].action, SENTC_BLOCK);
}
END_TEST

START_TEST(a_call_the_host_never_answers_fails_on_a_tick) {
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  ck_assert_uint_gt(fake_wake_ms, 0);                       /* a tick comes by the deadline: */
  ck_assert_uint_le(fake_wake_ms, 20 + 1000);               /* the timeout, then the grace */
  sentc_engine_tick(engine, 1019);
  ck_assert_int_eq(fake_n_resumed, 0);
  ck_assert_uint_eq(fake_wake_ms, 1);
  sentc_engine_tick(engine, 1020);
  ck_assert_int_eq(fake_n_resumed, 1);
  ck_assert_int_eq(fake_n_grpc_cancelled, 1);
  sentc_engine_tick(engine, 5000);                          /* nothing left to fail */
  ck_assert_int_eq(fake_n_resumed, 1);
  ck_assert_int_eq(fake_n_grpc_cancelled, 1);
  reply(1, SENTC_RLS_OVER_LIMIT, NULL, 0, 5030);            /* too late */
  ck_assert_int_eq(fake_n_settled, 0);
}
END_TEST

START_TEST(a_call_the_host_refuses_decides_at_once) {
  fake_grpc_refuse = 1;
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_CONTINUE);
  ck_assert_int_eq(counter("sentc.api.passed"), 1);
  sentc_engine_end(engine, 10, 1);
  sentc_engine_stop(engine);
  start(SENTC_ON_ERROR_DENY);
  fake_grpc_refuse = 1;
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_BLOCK);
  ck_assert_int_eq(counter("sentc.api.blocked.flow"), 1);
  ck_assert_int_eq(request(11, "/api/y", 1), SENTC_BLOCK);  /* nothing held the permit */
  ck_assert_int_eq(counter("sentc.api.blocked.concurrency"), 0);
}
END_TEST

START_TEST(a_hotspot_asks_with_the_requests_value_and_skips_without_one) {
  user = NULL;
  ck_assert_int_eq(request(10, "/hot/a", 0), SENTC_CONTINUE);
  ck_assert_int_eq(fake_n_grpc_calls, 0);
  user = "";
  ck_assert_int_eq(request(11, "/hot/a", 0), SENTC_CONTINUE);
  ck_assert_int_eq(fake_n_grpc_calls, 0);
  user = "50%\xff";
  ck_assert_int_eq(request(12, "/hot/a", 0), SENTC_HOLD);
  user = NULL;
  ck_assert_int_eq(fake_n_grpc_calls, 1);
  static const char question[] = "\x0a\x04" "shop" "\x12\x3c"
    "\x0a\x0f" "\x0a\x08" "resource" "\x12\x03" "hot"
    "\x0a\x16" "\x0a\x04" "rule" "\x12\x0e" "hotspot_x-user"
    "\x0a\x11" "\x0a\x05" "value" "\x12\x08" "50%25%FF";
  ck_assert_uint_eq(fake_grpc_message_len, sizeof question - 1);
  ck_assert_mem_eq(fake_grpc_message, question, sizeof question - 1);
}
END_TEST

START_TEST(the_first_enforced_rule_over_the_limit_blocks) {
  /* a request in both resources: flow then hotspot, in that order */
  static const struct sentc_path all[] = {{SENTC_PATH_PREFIX, 0, S("/")}};
  static const struct sentc_resource both[] = {
    {S("api"), 1, {.n_paths = 1, .paths = all},
     .rules = {[SENTC_KIND_FLOW] = {0, 1}, [SENTC_KIND_CONCURRENCY] = {0, 1}}},
    {S("hot"), 5, {.n_paths = 1, .paths = all}, .rules = {[SENTC_KIND_HOTSPOT] = {0, 1}}},
  };
  struct sentc_policy two = policy;
  two.resources = both;
  sentc_engine_stop(engine);
  const char *error;
  engine = sentc_engine_start(&two, &error);
  ck_assert_ptr_nonnull(engine);
  user = "u1";
  ck_assert_int_eq(request(10, "/x", 0), SENTC_HOLD);
  user = NULL;
  ck_assert_int_eq(fake_n_grpc_calls, 1);
  reply(1, SENTC_RLS_OVER_LIMIT,
        (struct status[]){{SENTC_RLS_OK, 2, 1, -1}, {SENTC_RLS_OVER_LIMIT, 3, 0, 59000}}, 2, 1);
  ck_assert_int_eq(counter("sentc.hot.blocked.hotspot_x-user"), 1);
  ck_assert_int_eq(counter("sentc.api.blocked.flow"), 0);
  ck_assert_int_eq(counter("sentc.api.passed"), 0);
  ck_assert_int_eq(fake_settled[0].action, SENTC_BLOCK);
  sentc_engine_stop(engine);
  engine = sentc_engine_start(&policy, &error);
}
END_TEST

START_TEST(a_shadow_cluster_rule_over_the_limit_only_marks_the_request) {
  static const struct sentc_flow shadow_flow[] = {
    {.rule = {"flow", SENTC_SCOPE_CLUSTER, SENTC_BUILTIN_FALLBACK, 2, SENTC_SHADOW, 0},
     .count = 2, .window = {1000, 1}, .of = -1},
  };
  struct sentc_policy shadow = policy;
  shadow.flow = shadow_flow;
  sentc_engine_stop(engine);
  const char *error;
  engine = sentc_engine_start(&shadow, &error);
  ck_assert_ptr_nonnull(engine);
  ck_assert_int_eq(request(10, "/api/x", 0), SENTC_HOLD);
  reply(1, SENTC_RLS_OVER_LIMIT, (struct status[]){{SENTC_RLS_OVER_LIMIT, 2, 0, 500}}, 1, 1);
  ck_assert_int_eq(fake_n_settled, 1);
  ck_assert_int_eq(fake_settled[0].action, SENTC_CONTINUE);
  ck_assert_str_eq(fake_settled[0].header, "x-sentinel-shadow");
  ck_assert_str_eq(fake_settled[0].value, "api/flow");
  ck_assert_int_eq(counter("sentc.api.shadow_blocked.flow"), 1);
  ck_assert_int_eq(counter("sentc.api.blocked.flow"), 0);
  ck_assert_int_eq(counter("sentc.api.passed"), 1);
  ck_assert_int_eq(request(11, "/api/y", 2), SENTC_BLOCK);   /* its permit is held: it passed */
  sentc_engine_stop(engine);
  engine = sentc_engine_start(&policy, &error);
}
END_TEST

START_TEST(the_plugin_configuration_switches_cluster_rules_but_leaves_their_rates_to_the_service) {
  static const char off[] = "{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"enabled\": false}}}}}";
  static const char rate[] = "{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"rate\": \"5/s\"}}}}}";
  static const char hot[] = "{\"resources\": {\"hot\": {\"rules\": {\"hotspot_x-user\": {\"items\": {}}}}}}";
  ck_assert_int_eq(sentc_engine_configure(engine, rate, sizeof rate - 1, 0), -1);
  ck_assert_ptr_nonnull(strstr(fake_log[fake_n_log - 1], "rate-limit service counts it"));
  ck_assert_int_eq(sentc_engine_configure(engine, hot, sizeof hot - 1, 0), -1);
  ck_assert_int_eq(sentc_engine_configure(engine, off, sizeof off - 1, 0), 0);
  ck_assert_int_eq(request(10, "/api/x", 1), SENTC_CONTINUE);      /* asks nothing */
  ck_assert_int_eq(fake_n_grpc_calls, 0);
  ck_assert_int_eq(sentc_engine_configure(engine, "{}", 2, 2), 0);
  sentc_engine_end(engine, 10, 2);
  ck_assert_int_eq(request(11, "/api/y", 3), SENTC_HOLD);
  ck_assert_int_eq(fake_n_grpc_calls, 1);
}
END_TEST

START_TEST(inconsistent_cluster_tables_are_refused) {
  const char *error;
  struct sentc_policy bad = policy;
  bad.rls.n_descriptors = 1;                                /* the hotspot has none */
  ck_assert_ptr_null(sentc_engine_start(&bad, &error));
  bad = policy;
  bad.rls.present = 0;
  ck_assert_ptr_null(sentc_engine_start(&bad, &error));
  struct sentc_rls_descriptor twice[] = {descriptors[0], descriptors[0]};
  bad = policy;
  bad.rls.descriptors = twice;
  ck_assert_ptr_null(sentc_engine_start(&bad, &error));
  struct sentc_concurrency cluster_limit[] = {{RULE("concurrency", SENTC_SCOPE_CLUSTER, 3, 0), 1}};
  bad = policy;
  bad.concurrency = cluster_limit;
  ck_assert_ptr_null(sentc_engine_start(&bad, &error));
}
END_TEST

int main(void) {
  return run_tests("cluster", setup, teardown, (const TTest *const[]){
    a_cluster_request_asks_once_and_is_held_until_the_answer,
    over_limit_answers_with_the_rules_fallback_and_undoes_the_local_rules,
    a_stream_that_ends_while_asking_cancels_and_ignores_a_late_answer,
    a_failed_call_allows_or_denies_as_on_error_says,
    garbage_and_unknown_answers_are_failures,
    a_call_the_host_never_answers_fails_on_a_tick,
    a_call_the_host_refuses_decides_at_once,
    a_hotspot_asks_with_the_requests_value_and_skips_without_one,
    the_first_enforced_rule_over_the_limit_blocks,
    a_shadow_cluster_rule_over_the_limit_only_marks_the_request,
    the_plugin_configuration_switches_cluster_rules_but_leaves_their_rates_to_the_service,
    inconsistent_cluster_tables_are_refused,
    NULL,
  });
}
