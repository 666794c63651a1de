/*
 * check_warn.c: the warnings of LANGUAGE.md, looked for in a policy that
 * has no errors: a fallback never used, a resource with no rules, and a
 * rule that another rule of the same resource always makes unreachable.
 */
#include "check_ctx.h"
#include "diag.h"

static void unused_fallbacks(const struct ir_policy *p) {
  for (size_t i = 0; i < p->n_fallbacks; i++) {
    const struct ir_fallback *f = &p->fallbacks[i];
    if (f->used)
      continue;
    if (f->name.len)
      diag_warning(f->loc, "fallback '%s' is never used", f->name.text);
    else
      diag_warning(f->loc, "this fallback is never used");
    diag_hint("no rule answers with it: every rule that could has a fallback of its own, "
              "or none names it");
  }
}

static int has_rules(const struct ir_resource *r) {
  return r->flows.n || r->concurrency.n || r->breakers.n || r->hotspots.n;
}

/* A plain flow rule: one counter compared with one limit. */
static int plain_flow(const struct ir_flow *f) {
  return !f->throttle && !f->warmup;
}

/* Does flow a always block before flow b can (so b never blocks)?  The
 * two see the same passes, so the lower limit on the same window wins;
 * of equal ones the first. */
static int flow_shadows(const struct ir_flow *a, const struct ir_flow *b, int a_first) {
  return plain_flow(a) && plain_flow(b) && a->of == b->of && a->rule.scope == b->rule.scope &&
         a->window.window_ms == b->window.window_ms &&
         (a->count < b->count || (a->count == b->count && a_first));
}

static void unreachable_flows(const struct ir_policy *p, const struct ir_resource *r) {
  for (size_t j = r->flows.first; j < r->flows.first + r->flows.n; j++) {
    for (size_t i = r->flows.first; i < r->flows.first + r->flows.n; i++) {
      if (i != j && flow_shadows(&p->flows[i], &p->flows[j], i < j)) {
        diag_warning(p->flows[j].rule.loc, "this flow rule can never block");
        diag_hint("the flow rule at line %d allows at most %u in the same %ums window",
                  p->flows[i].rule.loc.line, p->flows[i].count, p->flows[i].window.window_ms);
        break;
      }
    }
  }
}

static void unreachable_concurrency(const struct ir_policy *p, const struct ir_resource *r) {
  for (size_t j = r->concurrency.first; j < r->concurrency.first + r->concurrency.n; j++) {
    for (size_t i = r->concurrency.first; i < r->concurrency.first + r->concurrency.n; i++) {
      const struct ir_concurrency *a = &p->concurrency[i], *b = &p->concurrency[j];
      if (i != j && a->rule.scope == b->rule.scope &&
          (a->limit < b->limit || (a->limit == b->limit && i < j))) {
        diag_warning(b->rule.loc, "this concurrency rule can never block");
        diag_hint("the concurrency rule at line %d allows at most %u in flight",
                  a->rule.loc.line, a->limit);
        break;
      }
    }
  }
}

void check_warn(struct checker *c) {
  const struct ir_policy *p = c->policy;
  unused_fallbacks(p);
  for (size_t i = 0; i < p->n_resources; i++) {
    const struct ir_resource *r = &p->resources[i];
    if (!has_rules(r)) {
      diag_warning(r->loc, "resource '%s' has no rules", r->name.text);
      diag_hint("it is counted but never blocks: add a rule such as 'flow 100/s;'");
    }
    unreachable_flows(p, r);
    unreachable_concurrency(p, r);
  }
}
