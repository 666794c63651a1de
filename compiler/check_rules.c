/*
 * check_rules.c: flow and concurrency rules, and what every rule shares:
 * its label, `scope`, `fallback` and window `buckets` (LANGUAGE.md,
 * "rules").  Breakers and hotspots have their own files.
 */
#include <stdio.h>
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "diag.h"
#include "schema.h"

void rule_begin(struct checker *c, struct ir_rule *rule, const char *kind, size_t ordinal,
                const struct stmt *s, enum ref_owner owner, size_t index) {
  if (ordinal == 1)
    snprintf(rule->label, sizeof rule->label, "%s", kind);
  else
    snprintf(rule->label, sizeof rule->label, "%s_%zu", kind, ordinal);
  rule->loc = s->loc;
  rule->fallback = FALLBACK_INHERIT;
  c->rule = rule;
  c->rule_owner = owner;
  c->rule_index = index;
}

void check_rule_scope(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  if (scope_word(s, "scope worker;", &c->rule->scope) == 0)
    c->rule->scope_given = 1;
}

void check_rule_fallback(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_NAME, "fallback busy;");
  if (v)
    ref_add(c, REF_FALLBACK, c->rule_owner, c->rule_index, v);
}

uint16_t largest_divisor(uint32_t window_ms, uint16_t k) {
  while (window_ms % k != 0)
    k--;
  return k;
}

uint16_t default_buckets(uint32_t window_ms) {
  return largest_divisor(window_ms, window_ms <= 1000 ? 2 : window_ms <= 60000 ? 10 : 60);
}

void check_buckets_into(const struct stmt *s, struct ir_window *window) {
  const struct value *v = single_arg(s, V_INT, "buckets 10;");
  uint32_t k;
  if (!v || !value_uint(s, v, 1, MAX_BUCKETS, "buckets 10;", &k))
    return;
  if (window->window_ms % k != 0) {
    diag_error(v->loc, "%u buckets do not divide the %ums window evenly", k, window->window_ms);
    diag_hint("pick a bucket count that divides %u", window->window_ms);
    return;
  }
  window->buckets = (uint16_t)k;
}

/* ---- flow ---- */

static struct ir_flow *current_flow(struct checker *c) {
  return &c->policy->flows[c->rule_index];
}

static void check_flow_buckets(void *ctx, const struct stmt *s) {
  check_buckets_into(s, &current_flow(ctx)->window);
}

static void check_throttle(void *ctx, const struct stmt *s) {
  struct ir_flow *f = current_flow(ctx);
  const struct value *v = single_arg(s, V_DURATION, "throttle 500ms;");
  if (v && value_duration(s, v, 0, MAX_THROTTLE_MS, "throttle 500ms;", &f->max_queue_ms))
    f->throttle = 1;
}

static void check_warmup(void *ctx, const struct stmt *s) {
  struct ir_flow *f = current_flow(ctx);
  const struct value *v = single_arg(s, V_DURATION, "warmup 30s;");
  if (v && value_duration(s, v, 1, MAX_WINDOW_MS, "warmup 30s;", &f->warmup_ms))
    f->warmup = 1;
}

static void check_cold(void *ctx, const struct stmt *s) {
  struct ir_flow *f = current_flow(ctx);
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s))
    return;
  int number = v && (v->kind == V_INT || v->kind == V_NUMBER);
  if ((!number && !arg_need(s, v, V_NUMBER, "cold 3;")) || !args_done(s, v->next))
    return;
  if (v->number <= 1 || v->number > MAX_COLD_FACTOR) {
    diag_error(v->loc, "'cold' must be above 1 and at most %g", MAX_COLD_FACTOR);
    diag_hint("the rate starts at the limit divided by it");
    return;
  }
  f->cold_factor = v->number;
}

static void check_of(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_NAME, "of checkout;");
  if (v)
    ref_add(c, REF_RESOURCE, OWN_FLOW, c->rule_index, v);
}

static const struct schema_rule flow_rules[] = {
  {"buckets", check_flow_buckets},
  {"throttle", check_throttle},
  {"warmup", check_warmup},
  {"cold", check_cold},
  {"of", check_of},
  {"scope", check_rule_scope},
  {"fallback", check_rule_fallback},
  {NULL, NULL},
};
static const struct schema_block flow_block = {"a flow rule", flow_rules};

/* Option combinations that need the whole block. */
static void check_flow_options(const struct stmt *s, struct ir_flow *f) {
  if (f->cold_factor && !f->warmup) {
    diag_error(s->loc, "'cold' applies only with 'warmup'");
    diag_hint("add 'warmup 30s;' to the rule, or remove 'cold'");
  }
  if (!f->cold_factor)
    f->cold_factor = f->warmup ? 3.0 : 0.0;
  if ((f->throttle || f->warmup) && f->count == 0) {
    diag_error(s->loc, "a rule with %s needs a rate above 0", f->throttle ? "'throttle'" : "'warmup'");
    diag_hint("'flow 0/s;' alone blocks every request");
  }
}

void check_flow(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  uint32_t count, window_ms;
  if (args_bad(s) || !value_rate(s, v, "flow 100/s;", &count, &window_ms) ||
      !args_done(s, v->next))
    return;
  struct ir_policy *p = c->policy;
  size_t index = p->n_flows;
  struct ir_flow *f = arena_push(c->arena, &p->flows, &p->n_flows, &c->cap.flows, sizeof *f);
  f->count = count;
  f->window = (struct ir_window){window_ms, default_buckets(window_ms)};
  f->of = -1;
  rule_begin(c, &f->rule, "flow", ++c->resource->flows.n, s, OWN_FLOW, index);
  if (s->has_block)
    check_block_once(c, s->body, &flow_block, NULL);
  check_flow_options(s, f);
  c->rule = NULL;
}

/* ---- concurrency ---- */

static const struct schema_rule concurrency_rules[] = {
  {"scope", check_rule_scope},
  {"fallback", check_rule_fallback},
  {NULL, NULL},
};
static const struct schema_block concurrency_block = {"a concurrency rule", concurrency_rules};

void check_concurrency(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  uint32_t limit;
  if (args_bad(s) || !value_uint(s, v, 0, MAX_CONCURRENCY, "concurrency 32;", &limit) ||
      !args_done(s, v->next))
    return;
  struct ir_policy *p = c->policy;
  size_t index = p->n_concurrency;
  struct ir_concurrency *r =
      arena_push(c->arena, &p->concurrency, &p->n_concurrency, &c->cap.concurrency, sizeof *r);
  r->limit = limit;
  rule_begin(c, &r->rule, "concurrency", ++c->resource->concurrency.n, s, OWN_CONCURRENCY,
             index);
  if (s->has_block)
    check_block_once(c, s->body, &concurrency_block, NULL);
  c->rule = NULL;
}
