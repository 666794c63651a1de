/*
 * breaker.c: the breaker rule kind in the compiler (kind.h): circuit
 * breakers (docs/language.md, "breaker KIND THRESHOLD"): slow_ratio (with
 * its required max_rt), error_ratio and error_count, their window and
 * state-machine options, and which HTTP statuses and gRPC codes count as
 * errors; sized, explained and written as tables.h's `struct
 * sentc_breaker`.
 */
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "codegen.h"
#include "diag.h"
#include "explain.h"
#include "kind.h"

static struct ir_breaker *current_breaker(struct checker *c) { return rule_current(c); }

const char breaker_example[] = "breaker error_ratio 50% { min_requests 20; window 10s; }";

/* ---- check ---- */

static void check_max_rt(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_DURATION, "max_rt 200ms;");
  if (v && value_duration(s, v, 1, SENTC_MAX_RT_MS, "max_rt 200ms;", &b->max_rt_ms) &&
      b->kind != SENTC_BREAKER_SLOW_RATIO) {
    diag_error(s->loc, "'max_rt' applies only to a slow_ratio breaker");
    b->max_rt_ms = 0;
  }
}

static void check_min_requests(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_INT, "min_requests 20;");
  if (v)
    value_uint(s, v, 1, SENTC_MAX_RATE_COUNT, "min_requests 20;", &b->min_requests);
}

/* The window comes before its buckets are checked: see breaker_check. */
static void check_window(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_DURATION, "window 10s;");
  if (v)
    value_duration(s, v, 1, SENTC_MAX_WINDOW_MS, "window 10s;", &b->window.window_ms);
}

static void check_open(void *ctx, const struct stmt *s) {
  struct ir_breaker *b = current_breaker(ctx);
  const struct value *v = single_arg(s, V_DURATION, "open 5s;");
  if (v)
    value_duration(s, v, 1, SENTC_MAX_WINDOW_MS, "open 5s;", &b->open_ms);
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
 * checked once the whole block has been read (see breaker_check). */
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
  {"name", check_rule_name},
  {"mode", check_rule_mode},
  {"scope", check_rule_scope},
  {"fallback", check_rule_fallback},
  {NULL, NULL},
};
const struct schema_block breaker_block = {"a breaker", breaker_rules};

/* In the order of tables.h's SENTC_BREAKER_KIND_LIST. */
static const char *const breaker_kinds[] = {"slow_ratio", "error_ratio", "error_count", NULL};

/* The threshold after the kind: a ratio, or a count for error_count. */
static int check_threshold(const struct stmt *s, const struct value *v, struct ir_breaker *b) {
  if (b->kind == SENTC_BREAKER_ERROR_COUNT)
    return value_uint(s, v, 1, SENTC_MAX_RATE_COUNT, "breaker error_count 50;", &b->count);
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

void breaker_check(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s))
    return;
  int kind = value_word(s, v, breaker_kinds, "breaker error_ratio 50%;");
  if (kind < 0)
    return;
  struct ir_breaker b = {.kind = (enum sentc_breaker_kind)kind};
  if (!check_threshold(s, v->next, &b) || !args_done(s, v->next->next))
    return;
  set_defaults(&b);
  struct ir_breaker *r = rule_begin(c, SENTC_KIND_BREAKER, s);
  b.rule = r->rule;
  *r = b;
  if (s->has_block)
    check_block_once(c, s->body, &breaker_block, NULL);
  const struct stmt *buckets = find_stmt(s->body, "buckets");
  if (buckets)
    check_buckets_into(buckets, &r->window);
  else
    r->window.buckets = largest_divisor(r->window.window_ms, 10);
  if (r->kind == SENTC_BREAKER_SLOW_RATIO && !r->max_rt_ms && !find_stmt(s->body, "max_rt")) {
    diag_error(s->loc, "a slow_ratio breaker needs 'max_rt'");
    diag_hint("say what is slow: breaker slow_ratio 50%% { max_rt 200ms; }");
  }
  rule_end(c);
}

KIND_NOTHING_TO_SETTLE(breaker)

KIND_NOTHING_TO_WARN(breaker)

/* ---- size and explain ---- */

struct state_bytes breaker_size(const struct ir_policy *p, size_t i) {
  const struct ir_breaker *b = &p->breaker[i];
  return state_cells(b->rule.scope, 1, sentc_layout_breaker_cell(b->window.buckets), 1,
                     b->probes);
}

static void put_errors(FILE *out, const struct ir_breaker *b) {
  fputs("      errors: HTTP status ", out);
  for (size_t i = 0; i < b->n_error_ranges; i++) {
    fprintf(out, "%s%u", i ? ", " : "", b->error_ranges[i].lo);
    if (b->error_ranges[i].hi != b->error_ranges[i].lo)
      fprintf(out, "-%u", b->error_ranges[i].hi);
  }
  fputs("; grpc-status", out);
  const char *sep = " ";
  for (unsigned code = 0; code < 32; code++)
    if (b->grpc_errors & (1u << code)) {
      fprintf(out, "%s%u", sep, code);
      sep = ", ";
    }
  fputs("; a stream that ends without a response\n", out);
}

struct state_bytes breaker_explain(FILE *out, const struct ir_policy *p, size_t i) {
  const struct ir_breaker *b = &p->breaker[i];
  fprintf(out, "    %s (line %d): opens when ", b->rule.name, b->rule.loc.line);
  if (b->kind == SENTC_BREAKER_ERROR_COUNT) {
    fprintf(out, "%u requests fail", b->count);
  } else {
    fprintf(out, "%g%% of requests are %s", b->ratio * 100,
            b->kind == SENTC_BREAKER_SLOW_RATIO ? "slow" : "errors");
    if (b->kind == SENTC_BREAKER_SLOW_RATIO) {
      fputs(" (slower than ", out);
      explain_ms(out, b->max_rt_ms);
      fputc(')', out);
    }
  }
  fputs(" in ", out);
  explain_window(out, b->window);
  fprintf(out, ", once it has seen %u requests;\n      stays open ", b->min_requests);
  explain_ms(out, b->open_ms);
  fprintf(out, ", then closes after %u successful probe%s\n", b->probes, b->probes == 1 ? "" : "s");
  if (b->kind != SENTC_BREAKER_SLOW_RATIO)
    put_errors(out, b);
  return explain_rule_tail(out, p, SENTC_KIND_BREAKER, &b->rule, breaker_size(p, i));
}

/* ---- emit ---- */

static const char *const kind_names[] = {SENTC_BREAKER_KIND_LIST(SENTC_ENUM_NAME)};

void breaker_emit(FILE *out, const struct ir_policy *p) {
  for (size_t i = 0; i < p->n_breaker; i++) {
    const struct ir_breaker *b = &p->breaker[i];
    fprintf(out, "\n/* line %u: the statuses that count as errors */\n", codegen_line(b->rule.loc));
    fprintf(out, "static const struct sentc_status_range breaker_%zu_errors[] = {", i);
    for (size_t r = 0; r < b->n_error_ranges; r++)
      fprintf(out, "%s{.lo = %u, .hi = %u}", r ? ", " : "", b->error_ranges[r].lo,
              b->error_ranges[r].hi);
    fputs("};\n", out);
  }
  fputs("\nstatic const struct sentc_breaker breaker[] = {\n", out);
  for (size_t i = 0; i < p->n_breaker; i++) {
    const struct ir_breaker *b = &p->breaker[i];
    fprintf(out, "  /* %zu, line %u */\n  {", i, codegen_line(b->rule.loc));
    codegen_rule(out, &b->rule);
    fprintf(out, ",\n   .kind = %s, .ratio = %.17g, .count = %u, .max_rt_ms = %u, .min_requests = %u,\n   ",
            kind_names[b->kind], b->ratio, b->count, b->max_rt_ms, b->min_requests);
    codegen_window(out, "window", b->window);
    fprintf(out, ", .open_ms = %u, .probes = %u,\n   .grpc_errors = 0x%xu", b->open_ms, b->probes,
            b->grpc_errors);
    codegen_array(out, "error_ranges", b->n_error_ranges, "breaker_%zu_errors", i);
    fputs("},\n", out);
  }
  fputs("};\n", out);
}

/* "breaker_error_ratio", "breaker_slow_ratio", "breaker_error_count". */
void breaker_name(const struct ir_policy *p, size_t i, char *out, size_t room) {
  kind_default_name(out, room, "breaker", (const char *const[]){breaker_kinds[p->breaker[i].kind], NULL});
}
