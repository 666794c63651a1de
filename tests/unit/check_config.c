/*
 * check_config.c: unit tests of the plugin configuration (config.c, json.c):
 * what it may change, what it rejects and with which message, that a
 * rejected one leaves the live policy as it was, and, through the engine,
 * that a change keeps the rules' state.
 */
#include <check.h>
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/config.h"
#include "../../runtime/engine/json.h"
#include "runner.h"

#define S(s) {s, sizeof s - 1}

/* api: flow 5/s (worker), concurrency 4 (proxy), hotspot "x-key" 3/s with
 * item "vip" 30/s, a concurrency hotspot of 2 (worker); pay: breaker
 * error_ratio 50%, breaker slow_ratio 50% max_rt 100ms; pay in shadow. */
static const struct sentc_path api_path[] = {{SENTC_PATH_PREFIX, 0, S("/api/")}};
static const struct sentc_path pay_path[] = {{SENTC_PATH_PREFIX, 0, S("/pay")}};
static const struct sentc_flow flows[] = {
  {{"flow", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 1, .resource = 0}, 5, {1000, 2}, 0, 0, 0, 0, -1},
};
static const struct sentc_concurrency limits[] = {
  {{"concurrency", SENTC_SCOPE_PROXY, SENTC_BUILTIN_FALLBACK, 2, .resource = 0}, 4},
};
static const struct sentc_item vip[] = {{S("vip"), 30, 1000}};
static const struct sentc_hotspot hotspots[] = {
  {.rule = {"per_key", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 3, .resource = 0},
   .key = SENTC_KEY_HEADER, .key_name = S("x-key"), .mode = SENTC_HOTSPOT_RATE, .count = 3,
   .window_ms = 1000, .capacity = 100, .n_items = 1, .items = vip},
  {.rule = {"per_ip", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 4, .resource = 0},
   .key = SENTC_KEY_CLIENT_IP, .mode = SENTC_HOTSPOT_CONCURRENCY, .count = 2, .capacity = 100},
};
static const struct sentc_breaker breakers[] = {
  {.rule = {"errors", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 6, SENTC_SHADOW, .resource = 1},
   .kind = SENTC_BREAKER_ERROR_RATIO, .ratio = 0.5, .min_requests = 5, .window = {10000, 10},
   .open_ms = 5000, .probes = 1},
  {.rule = {"slow", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 7, SENTC_SHADOW, .resource = 1},
   .kind = SENTC_BREAKER_SLOW_RATIO, .ratio = 0.5, .max_rt_ms = 100, .min_requests = 5,
   .window = {10000, 10}, .open_ms = 5000, .probes = 1},
};
static const struct sentc_resource resources[] = {
  {S("api"), 1, {.n_paths = 1, .paths = api_path},
   .rules = {[SENTC_KIND_FLOW] = {0, 1}, [SENTC_KIND_CONCURRENCY] = {0, 1},
             [SENTC_KIND_HOTSPOT] = {0, 2}}},
  {S("pay"), 5, {.n_paths = 1, .paths = pay_path}, .rules = {[SENTC_KIND_BREAKER] = {0, 2}}},
};
static const struct sentc_policy policy = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("t"), .n_resources = 2,
  .resources = resources, .n_flow = 1, .flow = flows, .n_concurrency = 1, .concurrency = limits,
  .n_hotspot = 2, .hotspot = hotspots, .n_breaker = 2, .breaker = breakers,
};

static struct sentc_config config;
static char said[512];

static void setup(void) { ck_assert_int_eq(sentc_config_start(&config, &policy), 0); }
static void teardown(void) { sentc_config_stop(&config); }

/* Applies `json`: its result, and what it said in `said`. */
static int apply(const char *json) {
  struct sentc_text t = sentc_text_on(said, sizeof said - 1);
  int r = sentc_config_apply(&config, json, strlen(json), &t);
  *t.at = 0;
  return r;
}

static const struct sentc_policy *live(void) { return &config.live; }

START_TEST(nothing_configured_is_the_compiled_policy) {
  ck_assert_int_eq(apply(""), 0);
  ck_assert_str_eq(said, "the compiled policy as it is");
  ck_assert_int_eq(apply(" {} \n"), 0);
  ck_assert_uint_eq(live()->flow[0].count, 5);
  ck_assert_uint_eq(live()->breaker[0].rule.mode, SENTC_SHADOW);
}
END_TEST

START_TEST(thresholds_change_and_say_so) {
  ck_assert_int_eq(apply("{\"resources\": {\"api\": {\"rules\": {"
                         "\"flow\": {\"rate\": \"20/s\"}, \"concurrency\": {\"limit\": 2},"
                         "\"per_key\": {\"rate\": \"6/2s\", \"burst\": 4,"
                         "  \"items\": {\"vip\": \"60/s\", \"partner\": \"1.5/s\"}},"
                         "\"per_ip\": {\"limit\": 9}}},"
                         "\"pay\": {\"rules\": {\"errors\": {\"ratio\": \"60%\", \"open\": \"10s\","
                         "  \"min_requests\": 3}, \"slow\": {\"ratio\": 0.25, \"max_rt\": \"300ms\"}}}}}"),
                   0);
  ck_assert_uint_eq(live()->flow[0].count, 20);
  ck_assert_uint_eq(live()->concurrency[0].limit, 2);
  const struct sentc_hotspot *h = &live()->hotspot[0];
  ck_assert_uint_eq(h->count, 6);
  ck_assert_uint_eq(h->window_ms, 2000);
  ck_assert_uint_eq(h->burst, 4);
  ck_assert_uint_eq(h->n_items, 2);
  ck_assert_uint_eq(h->items[0].count, 60);                 /* vip replaced */
  ck_assert_str_eq(h->items[1].value.text, "partner");       /* partner added: 3 per 2 s */
  ck_assert_uint_eq(h->items[1].count, 3);
  ck_assert_uint_eq(h->items[1].window_ms, 2000);
  ck_assert_uint_eq(live()->hotspot[1].count, 9);            /* scope worker: may go up */
  ck_assert(live()->breaker[0].ratio > 0.599 && live()->breaker[0].ratio < 0.601);
  ck_assert_uint_eq(live()->breaker[0].open_ms, 10000);
  ck_assert_uint_eq(live()->breaker[0].min_requests, 3);
  ck_assert(live()->breaker[1].ratio > 0.249 && live()->breaker[1].ratio < 0.251);
  ck_assert_uint_eq(live()->breaker[1].max_rt_ms, 300);
  ck_assert_ptr_nonnull(strstr(said, "resources.api.rules.flow.rate=\"20/s\""));
  ck_assert_ptr_nonnull(strstr(said, "resources.api.rules.per_key.items.partner=\"1.5/s\""));
  /* The compiled tables are untouched, and a configuration is the whole
   * truth: the next one without these changes undoes them. */
  ck_assert_uint_eq(policy.hotspot[0].n_items, 1);
  ck_assert_uint_eq(policy.flow[0].count, 5);
  ck_assert_int_eq(apply("{}"), 0);
  ck_assert_uint_eq(live()->flow[0].count, 5);
  ck_assert_uint_eq(live()->hotspot[0].n_items, 1);
  ck_assert_uint_eq(live()->hotspot[0].items[0].count, 30);
}
END_TEST

START_TEST(modes_resolve_rule_then_resource_then_top) {
  ck_assert_int_eq(apply("{\"mode\": \"shadow\", \"resources\": {\"pay\": {\"mode\": \"enforce\","
                         "\"rules\": {\"slow\": {\"mode\": \"shadow\"}}}}}"),
                   0);
  ck_assert_uint_eq(live()->flow[0].rule.mode, SENTC_SHADOW);         /* the top one */
  ck_assert_uint_eq(live()->breaker[0].rule.mode, SENTC_ENFORCE);     /* its resource's */
  ck_assert_uint_eq(live()->breaker[1].rule.mode, SENTC_SHADOW);      /* its own */
  ck_assert_uint_eq(live()->mode, SENTC_SHADOW);                      /* the system's */
  ck_assert_int_eq(apply("{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"mode\": \"shadow\"}}}}}"), 0);
  ck_assert_uint_eq(live()->flow[0].rule.mode, SENTC_SHADOW);
  ck_assert_uint_eq(live()->concurrency[0].rule.mode, SENTC_ENFORCE);
  ck_assert_uint_eq(live()->breaker[0].rule.mode, SENTC_SHADOW);      /* as compiled */
}
END_TEST

START_TEST(off_switches) {
  ck_assert_int_eq(apply("{\"enabled\": false}"), 0);
  ck_assert_uint_eq(live()->off, 1);
  ck_assert_int_eq(apply("{\"resources\": {\"pay\": {\"enabled\": false},"
                         "\"api\": {\"rules\": {\"per_key\": {\"enabled\": false}}}}}"), 0);
  ck_assert_uint_eq(live()->off, 0);
  ck_assert_uint_eq(live()->resources[1].off, 1);
  ck_assert_uint_eq(live()->resources[0].off, 0);
  ck_assert_uint_eq(live()->hotspot[0].rule.off, 1);
  ck_assert_uint_eq(live()->hotspot[1].rule.off, 0);
}
END_TEST

/* Each mistake: rejected with its path and what is wrong, the live policy
 * as the last configuration left it. */
START_TEST(mistakes_are_rejected_with_their_path) {
  static const struct { const char *json, *message; } cases[] = {
    {"{\"resources\": {\"api\": {\"rules\": {\"flw\": {}}}}}",
     "resources.api.rules.flw: no rule 'flw' in resource 'api' (it has flow, concurrency, "
     "per_key, per_ip)"},
    {"{\"resources\": {\"nope\": {}}}",
     "resources.nope: no such resource in the compiled policy (sentc --explain lists them)"},
    {"{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"rate\": \"300/m\"}}}}}",
     "resources.api.rules.flow.rate: the rule counts over the window it was compiled with: give "
     "its rate per that window (sentc --explain shows it)"},
    {"{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"rate\": 20}}}}}",
     "resources.api.rules.flow.rate: expected a rate in quotes, e.g. \"100/s\" or \"5/10s\""},
    {"{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"limit\": 20}}}}}",
     "resources.api.rules.flow.limit: unknown key (known here: enabled, mode, rate)"},
    {"{\"resources\": {\"api\": {\"rules\": {\"concurrency\": {\"limit\": 5}}}}}",
     "resources.api.rules.concurrency.limit: in scope proxy a limit can be lowered live, raised "
     "only up to its compiled value (4), which sizes its shared state: compile the higher limit"},
    {"{\"resources\": {\"api\": {\"rules\": {\"concurrency\": {\"limit\": -1}}}}}",
     "resources.api.rules.concurrency.limit: expected a whole number from 0 to 1000000"},
    {"{\"resources\": {\"api\": {\"rules\": {\"per_ip\": {\"items\": {}}}}}}",
     "resources.api.rules.per_ip.items: unknown key (known here: enabled, mode, limit)"},
    {"{\"resources\": {\"pay\": {\"rules\": {\"errors\": {\"ratio\": \"150%\"}}}}}",
     "resources.pay.rules.errors.ratio: expected a ratio: a number from 0 to 1, or a percentage "
     "such as \"50%\""},
    {"{\"resources\": {\"pay\": {\"rules\": {\"errors\": {\"open\": \"10 s\"}}}}}",
     "resources.pay.rules.errors.open: expected a duration such as \"300ms\", \"10s\", \"5m\" or "
     "\"1h\""},
    {"{\"resources\": {\"pay\": {\"rules\": {\"errors\": {\"max_rt\": \"1s\"}}}}}",
     "resources.pay.rules.errors.max_rt: unknown key (known here: enabled, mode, ratio, "
     "min_requests, open)"},
    {"{\"mode\": \"dry\"}", "mode: expected \"enforce\" or \"shadow\""},
    {"{\"enabled\": 0}", "enabled: expected true or false"},
    {"{\"resource\": {}}", "resource: unknown key (known here: enabled, mode, resources)"},
    {"[]", "the configuration: expected an object { ... }"},
    {"{\"mode\": \"shadow\",}", "bad JSON at byte 18: expected a member name in quotes"},
    {"{\"a\": \"x\ty\"}", "bad JSON at byte 8: a control character in a string"},
    {"{\"a\": 01}", "bad JSON at byte 8: a bad number"},
    {"{} x", "bad JSON at byte 3: more text after the value"},
    {"{\"a\": \"\\q\"}", "bad JSON at byte 8: a bad escape in a string"},
  };
  ck_assert_int_eq(apply("{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"rate\": \"7/s\"}}}}}"), 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ck_assert_msg(apply(cases[i].json) == -1, "accepted: %s", cases[i].json);
    ck_assert_str_eq(said, cases[i].message);
    ck_assert_uint_eq(live()->flow[0].count, 7);
  }
}
END_TEST

START_TEST(json_is_bounded) {
  char deep[200];
  memset(deep, '[', 40);
  memset(deep + 40, ']', 40);
  deep[80] = 0;
  ck_assert_int_eq(apply(deep), -1);
  ck_assert_str_eq(said, "bad JSON at byte 34: nested too deep");
  ck_assert_int_eq(sentc_config_apply(&config, NULL, SENTC_CONFIG_MAX + 1,
                                      &(struct sentc_text){said, said + sizeof said}), -1);
  ck_assert_int_eq(sentc_config_apply(&config, NULL, 10,
                                      &(struct sentc_text){said, said + sizeof said}), -1);
  /* Escapes decode; a NUL or a non-ASCII one does not. */
  struct sentc_json_token t[8];
  const char *error;
  size_t at;
  const char *text = "[\"a\\\"b\\u0041\", \"\\u0000\", \"\\u00e9\"]";
  ck_assert_int_eq(sentc_json_parse(text, strlen(text), t, 8, &error, &at), 4);
  char out[16];
  ck_assert_int_eq(sentc_json_string(text, &t[1], out, sizeof out), 4);
  ck_assert_str_eq(out, "a\"bA");
  ck_assert_int_eq(sentc_json_string(text, &t[2], out, sizeof out), -1);
  ck_assert_int_eq(sentc_json_string(text, &t[3], out, sizeof out), -1);
  ck_assert_int_eq(sentc_json_parse(text, strlen(text), t, 3, &error, &at), -1);
  ck_assert_str_eq(error, "too many values");
}
END_TEST

/* Through the engine: a change keeps the rules' state.  3 requests pass
 * flow 5/s; lowered to 4/s, the next one passes and the one after is
 * blocked (4 counted in the same window). */
START_TEST(a_change_keeps_the_state_of_the_rules) {
  sentc_config_stop(&config);
  const char *error;
  fake_platform_reset();
  struct sentc_engine *E = sentc_engine_start(&policy, &error);
  ck_assert_ptr_nonnull(E);
  struct sentc_request r = {.method = "GET", .method_len = 3, .path = "/api/x", .path_len = 6};
  struct sentc_verdict v;
  for (uint32_t id = 1; id <= 3; id++) {
    sentc_engine_request(E, id, &r, 100, &v);
    ck_assert_int_eq(v.action, SENTC_CONTINUE);
    sentc_engine_end(E, id, 100);
  }
  const char *lower = "{\"resources\": {\"api\": {\"rules\": {\"flow\": {\"rate\": \"4/s\"}}}}}";
  ck_assert_int_eq(sentc_engine_configure(E, lower, strlen(lower), 200), 0);
  ck_assert_str_eq(fake_log[fake_n_log - 1],
                   "sentc: configuration applied: resources.api.rules.flow.rate=\"4/s\"");
  sentc_engine_request(E, 4, &r, 300, &v);
  ck_assert_int_eq(v.action, SENTC_CONTINUE);
  sentc_engine_end(E, 4, 300);
  sentc_engine_request(E, 5, &r, 300, &v);
  ck_assert_int_eq(v.action, SENTC_BLOCK);
  /* Off: everything passes; a rejected configuration keeps that. */
  ck_assert_int_eq(sentc_engine_configure(E, "{\"enabled\": false}", 18, 400), 0);
  ck_assert_int_eq(sentc_engine_configure(E, "{", 1, 400), -1);
  ck_assert_int_eq(fake_log_levels[fake_n_log - 1], SENTC_LOG_ERROR);
  sentc_engine_request(E, 6, &r, 500, &v);
  ck_assert_int_eq(v.action, SENTC_CONTINUE);
  sentc_engine_end(E, 6, 500);
  sentc_engine_flush(E);
  ck_assert_int_eq(fake_counter("sentc.filter.config_applied"), 2);
  ck_assert_int_eq(fake_counter("sentc.filter.config_rejected"), 1);
  ck_assert_int_eq(fake_counter("sentc.api.blocked.flow"), 1);
  sentc_engine_stop(E);
  ck_assert_int_eq(sentc_config_start(&config, &policy), 0);   /* for teardown */
}
END_TEST

int main(void) {
  return run_tests("config", setup, teardown, (const TTest *const[]){
    nothing_configured_is_the_compiled_policy,
    thresholds_change_and_say_so,
    modes_resolve_rule_then_resource_then_top,
    off_switches,
    mistakes_are_rejected_with_their_path,
    json_is_bounded,
    a_change_keeps_the_state_of_the_rules,
    NULL,
  });
}
