/*
 * check_rules.c: what every rule shares, whatever its kind (kind.h): its
 * place in the policy's array of its kind and in its resource's slice, and
 * the options every rule takes, `name`, `mode`, `scope` and `fallback`,
 * plus window `buckets` for the kinds that have a window (docs/language.md,
 * "rules").  A rule without a `name` gets its kind's default once the
 * policy is resolved (check_resolve.c).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "diag.h"
#include "kind.h"
#include "schema.h"

/* Appends a zeroed rule to its kind's array; returns it. */
static void *push(struct checker *c, enum sentc_kind kind) {
  struct ir_policy *p = c->policy;
  switch (kind) {
#define PUSH(K, k, status, grpc, tcp) \
  case SENTC_KIND_##K:                \
    return arena_push(c->arena, &p->k, &p->n_##k, &c->cap.rules[kind], sizeof *p->k);
    SENTC_RULE_KINDS(PUSH)
#undef PUSH
  case SENTC_KIND_SYSTEM:
  case SENTC_N_KINDS:
    break;
  }
  return NULL;
}

void *rule_begin(struct checker *c, enum sentc_kind kind, const struct stmt *s) {
  assert(kind < SENTC_N_RULE_KINDS);
  if (kind >= SENTC_N_RULE_KINDS)
    return NULL;
  size_t index = ir_count(c->policy, kind);
  c->resource->rules[kind].n++;                    /* its first is set in check.c */
  void *entry = push(c, kind);
  struct ir_rule *rule = ir_rule_at(c->policy, kind, index);
  rule->loc = s->loc;
  rule->fallback = FALLBACK_INHERIT;
  c->rule = rule;
  c->rule_kind = kind;
  c->rule_index = index;
  return entry;
}

void rule_end(struct checker *c) { c->rule = NULL; }

void *rule_current(struct checker *c) { return c->rule; }

void check_rule_name(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_NAME, "name api_total;");
  if (v && valid_name(v)) {
    c->rule->name = v->text;
    c->rule->name_loc = v->loc;
  }
}

void check_rule_mode(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  if (mode_word(s, "mode shadow;", &c->rule->mode) == 0)
    c->rule->mode_given = 1;
}

void check_rule_scope(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  if (scope_word(s, "scope worker;", &c->rule->scope) == 0) {
    c->rule->scope_given = 1;
    c->rule->scope_loc = s->loc;
  }
}

void check_rule_fallback(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_NAME, "fallback busy;");
  if (v)
    ref_add(c, REF_FALLBACK, OWN_RULE, c->rule_index, v);
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
