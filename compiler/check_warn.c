/*
 * check_warn.c: the warnings of docs/language.md, looked for in a policy
 * that has no errors: a fallback never used, a resource with no rules, a
 * ratelimit_service no rule asks, and
 * what each rule kind warns of its own (kind.h: a rule that another rule
 * of the same resource always makes unreachable).
 */
#include "check_ctx.h"
#include "diag.h"
#include "kind.h"
#include "ratelimit.h"

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
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    if (r->rules[k].n)
      return 1;
  return 0;
}

void check_warn(struct checker *c) {
  const struct ir_policy *p = c->policy;
  unused_fallbacks(p);
  ratelimit_warn(p);
  for (size_t i = 0; i < p->n_resources; i++) {
    const struct ir_resource *r = &p->resources[i];
    if (!has_rules(r)) {
      diag_warning(r->loc, "resource '%s' has no rules", r->name.text);
      diag_hint("it is counted but never blocks: add a rule such as 'flow 100/s;'");
    }
    for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
      kinds[k].warn(p, r);
  }
}
