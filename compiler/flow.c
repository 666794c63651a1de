/*
 * flow.c: the flow rule kind in the compiler (kind.h): `flow RATE [{...}]`
 * checked (docs/language.md, "flow"), settled, warned about, sized,
 * explained and written as tables.h's `struct sentc_flow`.
 */
#include <stdlib.h>
#include "check_ctx.h"
#include "check_values.h"
#include "codegen.h"
#include "diag.h"
#include "explain.h"
#include "kind.h"

const char flow_example[] = "flow 100/s { throttle 500ms; }";

/* ---- check ---- */

static struct ir_flow *current(void *ctx) { return rule_current(ctx); }

static void check_buckets(void *ctx, const struct stmt *s) {
  check_buckets_into(s, &current(ctx)->window);
}

static void check_throttle(void *ctx, const struct stmt *s) {
  struct ir_flow *f = current(ctx);
  const struct value *v = single_arg(s, V_DURATION, "throttle 500ms;");
  if (v && value_duration(s, v, 0, MAX_THROTTLE_MS, "throttle 500ms;", &f->max_queue_ms))
    f->throttle = 1;
}

static void check_warmup(void *ctx, const struct stmt *s) {
  struct ir_flow *f = current(ctx);
  const struct value *v = single_arg(s, V_DURATION, "warmup 30s;");
  if (v && value_duration(s, v, 1, SENTC_MAX_WINDOW_MS, "warmup 30s;", &f->warmup_ms))
    f->warmup = 1;
}

static void check_cold(void *ctx, const struct stmt *s) {
  struct ir_flow *f = current(ctx);
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
    ref_add(c, REF_RESOURCE, OWN_RULE, c->rule_index, v);
}

static const struct schema_rule flow_rules[] = {
  {"buckets", check_buckets},
  {"throttle", check_throttle},
  {"warmup", check_warmup},
  {"cold", check_cold},
  {"of", check_of},
  {"name", check_rule_name},
  {"mode", check_rule_mode},
  {"scope", check_rule_scope},
  {"fallback", check_rule_fallback},
  {NULL, NULL},
};
const struct schema_block flow_block = {"a flow rule", flow_rules};

/* Option combinations that need the whole block. */
static void check_options(const struct stmt *s, struct ir_flow *f) {
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

void flow_check(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  uint32_t count, window_ms;
  if (args_bad(s) || !value_rate(s, v, "flow 100/s;", &count, &window_ms) ||
      !args_done(s, v->next))
    return;
  struct ir_flow *f = rule_begin(c, SENTC_KIND_FLOW, s);
  f->count = count;
  f->window = (struct ir_window){window_ms, default_buckets(window_ms)};
  f->of = -1;
  if (s->has_block)
    check_block_once(c, s->body, &flow_block, NULL);
  check_options(s, f);
  rule_end(c);
}

/* ---- settle and warn ---- */

void flow_settle(struct ir_policy *p, const struct ir_resource *r, size_t i) {
  if (r->match.protocol == SENTC_TCP && p->flow[i].throttle) {
    diag_error(p->flow[i].rule.loc, "'throttle' cannot hold a TCP connection");
    diag_hint("a TCP resource's flow rule rejects the connections over its rate");
  }
}

/* A plain flow rule: one counter compared with one limit. */
static int plain(const struct ir_flow *f) { return !f->throttle && !f->warmup; }

/* Plain flow rules on the same passes (same `of`, scope and window) block
 * in the order of their limits (kind.h): a later one can never block. */
static void flow_hint(const struct kind_rival *by) {
  diag_hint("the flow rule at line %d allows at most %u in the same %ums window",
            by->rule->loc.line, (unsigned)by->limit, (unsigned)by->group[2]);
}

void flow_warn(const struct ir_policy *p, const struct ir_resource *r) {
  struct ir_slice flows = r->rules[SENTC_KIND_FLOW];
  struct kind_rival *rivals = malloc((flows.n ? flows.n : 1) * sizeof *rivals);
  size_t n = 0;
  for (size_t i = flows.first; rivals && i < flows.first + flows.n; i++) {
    const struct ir_flow *f = &p->flow[i];
    if (plain(f))
      rivals[n++] = (struct kind_rival){{(uint64_t)(f->of + 1), f->rule.scope, f->window.window_ms},
                                        f->count, i, &f->rule, 0, NULL};
  }
  if (rivals)
    kind_warn_unreachable(rivals, n, "flow", flow_hint);
  free(rivals);
}

/* ---- size and explain ---- */

struct state_bytes flow_size(const struct ir_policy *p, size_t i) {
  const struct ir_flow *f = &p->flow[i];
  return state_cells(f->rule.scope, 1, sentc_layout_flow_cell(f->window.buckets), 0, 0);
}

struct state_bytes flow_explain(FILE *out, const struct ir_policy *p, size_t i) {
  const struct ir_flow *f = &p->flow[i];
  fprintf(out, "    %s (line %d): at most %u requests per ", f->rule.name, f->rule.loc.line,
          f->count);
  explain_window(out, f->window);
  if (f->of >= 0)
    fprintf(out, ", counting the traffic of resource '%s'", p->resources[f->of].name.text);
  if (f->warmup) {
    fprintf(out, "; after a cold period starts at 1/%g of it and warms up over ", f->cold_factor);
    explain_ms(out, f->warmup_ms);
  }
  if (f->throttle && f->max_queue_ms) {
    fputs("; paced evenly, holding a request up to ", out);
    explain_ms(out, f->max_queue_ms);
  } else if (f->throttle) {
    fputs("; paced evenly, blocking a request that would have to wait", out);
  } else {
    fputs("; blocks the excess", out);
  }
  fputc('\n', out);
  return explain_rule_tail(out, p, SENTC_KIND_FLOW, &f->rule, flow_size(p, i));
}

/* ---- emit ---- */

void flow_emit(FILE *out, const struct ir_policy *p) {
  fputs("\nstatic const struct sentc_flow flow[] = {\n", out);
  for (size_t i = 0; i < p->n_flow; i++) {
    const struct ir_flow *f = &p->flow[i];
    fprintf(out, "  /* %zu, line %u: %u per %ums in %u buckets */\n  {", i,
            codegen_line(f->rule.loc), f->count, f->window.window_ms, f->window.buckets);
    codegen_rule(out, &f->rule);
    const char *flags = f->throttle && f->warmup ? "SENTC_FLOW_THROTTLE | SENTC_FLOW_WARMUP"
                        : f->throttle            ? "SENTC_FLOW_THROTTLE"
                        : f->warmup              ? "SENTC_FLOW_WARMUP"
                                                 : "0";
    fprintf(out, ",\n   .count = %u, ", f->count);
    codegen_window(out, "window", f->window);
    fprintf(out, ", .flags = %s, .max_queue_ms = %u,\n   .warmup_ms = %u, .cold_factor = %.17g, .of = %d},\n",
            flags, f->max_queue_ms, f->warmup_ms, f->cold_factor, f->of);
  }
  fputs("};\n", out);
}

/* ---- name ---- */

/* "flow" for a rule per second of its own traffic, else with its window
 * and what it counts: "flow_1m", "flow_of_checkout", "flow_of_checkout_10s". */
void flow_name(const struct ir_policy *p, size_t i, char *out, size_t room) {
  const struct ir_flow *f = &p->flow[i];
  char window[32];
  value_ms_word(window, sizeof window, f->window.window_ms);
  const char *second = f->window.window_ms == 1000 ? NULL : window;
  if (f->of >= 0)
    kind_default_name(out, room, "flow", (const char *const[]){"of", p->resources[f->of].name.text, second, NULL});
  else
    kind_default_name(out, room, "flow", (const char *const[]){second, NULL});
}
