/*
 * check_breaker.c: circuit breakers (LANGUAGE.md, "breaker KIND THRESHOLD"):
 * slow_ratio (with its required max_rt), error_ratio and error_count, their
 * window and state-machine options, and which HTTP statuses and gRPC codes
 * count as errors.
 */
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "diag.h"
#include "schema.h"

static struct ir_breaker *current_breaker(struct checker *c) {
  return &c->policy->breakers[c->rule_index];
}

static void check_max_rt(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_DURATION, "max_rt 200ms;");
  if (v && value_duration(s, v, 1, MAX_RT_MS, "max_rt 200ms;", &b->max_rt_ms) &&
      b->kind != IR_BREAKER_SLOW_RATIO) {
    diag_error(s->loc, "'max_rt' applies only to a slow_ratio breaker");
    b->max_rt_ms = 0;
  }
}

static void check_min_requests(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_INT, "min_requests 20;");
  if (v)
    value_uint(s, v, 1, MAX_RATE_COUNT, "min_requests 20;", &b->min_requests);
}

/* The window comes before its buckets are checked: see check_breaker. */
static void check_window(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_DURATION, "window 10s;");
  if (v)
    value_duration(s, v, 1, MAX_WINDOW_MS, "window 10s;", &b->window.window_ms);
}

static void check_open(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_DURATION, "open 5s;");
  if (v)
    value_duration(s, v, 1, MAX_WINDOW_MS, "open 5s;", &b->open_ms);
}

static void check_probes(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_INT, "probes 3;");
  if (v)
    value_uint(s, v, 1, MAX_PROBES, "probes 3;", &b->probes);
}

/* errors 500-599, 429; */
static void check_errors(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  struct ir_breaker *b = current_breaker(c);
  if (!stmt_no_block(s) || args_bad(s))
    return;
  if (!s->args) {
    diag_error(s->loc, "'errors' needs HTTP statuses or ranges");
    diag_hint("for example: errors 500-599, 429;");
    return;
  }
  size_t n = 0, cap = 0;
  struct ir_range *ranges = NULL;
  for (const struct value *v = s->args; v; v = v->next) {
    if (v->kind != V_RANGE && v->kind != V_INT) {
      arg_need(s, v, V_RANGE, "errors 500-599, 429;");
      return;
    }
    int64_t lo = v->kind == V_RANGE ? v->lo : (int64_t)v->number;
    int64_t hi = v->kind == V_RANGE ? v->hi : (int64_t)v->number;
    if (lo < 100 || hi > 599) {
      diag_error(v->loc, "HTTP statuses are from 100 to 599");
      return;
    }
    struct ir_range *r = arena_push(c->arena, &ranges, &n, &cap, sizeof *r);
    *r = (struct ir_range){(uint16_t)lo, (uint16_t)hi};
  }
  b->error_ranges = ranges;
  b->n_error_ranges = n;
}

/* grpc_errors 2, 4, 13, 14; */
static void check_grpc_errors(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  if (!stmt_no_block(s) || args_bad(s))
    return;
  if (!s->args) {
    diag_error(s->loc, "'grpc_errors' needs gRPC status codes");
    diag_hint("for example: grpc_errors 2, 4, 13, 14;");
    return;
  }
  uint32_t bits = 0;
  for (const struct value *v = s->args; v; v = v->next) {
    uint32_t code;
    if (!value_uint(s, v, 1, MAX_GRPC_STATUS, "grpc_errors 2, 4, 13, 14;", &code))
      return;
    bits |= 1u << code;
  }
  b->grpc_errors = bits;
}

/* `buckets` divides the window, which may come later in the block: it is
 * checked once the whole block has been read (see check_breaker). */
static void check_later(void *ctx, const struct stmt *s) {
  (void)ctx;
  (void)s;
}

static const struct schema_rule breaker_rules[] = {
  {"max_rt", check_max_rt},
  {"min_requests", check_min_requests},
  {"window", check_window},
  {"buckets", check_later},
  {"open", check_open},
  {"probes", check_probes},
  {"errors", check_errors},
  {"grpc_errors", check_grpc_errors},
  {"scope", check_rule_scope},
  {"fallback", check_rule_fallback},
  {NULL, NULL},
};
static const struct schema_block breaker_block = {"a breaker", breaker_rules};

static const char *const kinds[] = {"slow_ratio", "error_ratio", "error_count", NULL};

/* The threshold after the kind: a ratio, or a count for error_count. */
static int check_threshold(const struct stmt *s, const struct value *v, struct ir_breaker *b) {
  if (b->kind == IR_BREAKER_ERROR_COUNT)
    return value_uint(s, v, 1, MAX_RATE_COUNT, "breaker error_count 50;", &b->count);
  if (!value_ratio(s, v, "breaker error_ratio 30%;", &b->ratio))
    return 0;
  if (b->ratio == 0) {
    diag_error(v->loc, "a breaker's ratio must be above 0%%");
    return 0;
  }
  return 1;
}

static void set_defaults(struct ir_breaker *b) {
  b->min_requests = 5;
  b->window = (struct ir_window){10000, 10};
  b->open_ms = 5000;
  b->probes = 1;
  static struct ir_range server_errors = {500, 599};
  b->error_ranges = &server_errors;
  b->n_error_ranges = 1;
  b->grpc_errors = 1u << 2 | 1u << 4 | 1u << 13 | 1u << 14 | 1u << 15;
}

static const struct stmt *find_stmt(const struct stmt *body, const char *keyword) {
  for (const struct stmt *s = body; s; s = s->next)
    if (strcmp(s->keyword, keyword) == 0)
      return s;
  return NULL;
}

void check_breaker(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s))
    return;
  int kind = value_word(s, v, kinds, "breaker error_ratio 50%;");
  if (kind < 0)
    return;
  struct ir_breaker b = {.kind = (enum ir_breaker_kind)kind};
  if (!check_threshold(s, v->next, &b) || !args_done(s, v->next->next))
    return;
  set_defaults(&b);
  struct ir_policy *p = c->policy;
  size_t index = p->n_breakers;
  struct ir_breaker *r =
      arena_push(c->arena, &p->breakers, &p->n_breakers, &c->cap.breakers, sizeof *r);
  *r = b;
  rule_begin(c, &r->rule, "breaker", ++c->resource->breakers.n, s, OWN_BREAKER, index);
  if (s->has_block)
    check_block_once(c, s->body, &breaker_block, NULL);
  const struct stmt *buckets = find_stmt(s->body, "buckets");
  if (buckets)
    check_buckets_into(buckets, &r->window);
  else
    r->window.buckets = largest_divisor(r->window.window_ms, 10);
  if (r->kind == IR_BREAKER_SLOW_RATIO && !r->max_rt_ms && !find_stmt(s->body, "max_rt")) {
    diag_error(s->loc, "a slow_ratio breaker needs 'max_rt'");
    diag_hint("say what is slow: breaker slow_ratio 50%% { max_rt 200ms; }");
  }
  c->rule = NULL;
}
