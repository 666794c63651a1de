/*
 * check_resolve.c: what can only be settled once every statement is read
 * (a name may be used before its definition, and the policy block may come
 * last): references to fallbacks and resources, each rule's scope, each
 * rule's effective fallback (its own, else its resource's, else the
 * policy's, else the built-in one), and the rule kinds a TCP resource may
 * not have.
 */
#include <string.h>
#include "check_ctx.h"
#include "diag.h"

/* The names in a table, NULL-terminated, for a did-you-mean. */
static const char **name_list(struct arena *arena, const struct name_table *t) {
  const char **names = arena_alloc(arena, (t->n + 1) * sizeof *names);
  size_t n = 0;
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].text)
      names[n++] = t->slots[i].text;
  return names;
}

static void unknown_name(struct checker *c, const struct ref *r, const struct name_table *t,
                         const char *what) {
  diag_error(r->name->loc, "unknown %s '%s'", what, r->name->text);
  const char *close = diag_closest(r->name->text, name_list(c->arena, t));
  if (close)
    diag_hint("did you mean '%s'?", close);
  else if (r->kind == REF_FALLBACK)
    diag_hint("define it at the top level: fallback %s { status 429; }", r->name->text);
  else
    diag_hint("define it at the top level: resource %s { ... }", r->name->text);
}

/* The field a reference fills in. */
static int *ref_target(struct ir_policy *p, const struct ref *r) {
  switch (r->owner) {
  case OWN_POLICY: return &p->fallback;
  case OWN_RESOURCE: return &p->resources[r->index].fallback;
  case OWN_FLOW:
    return r->kind == REF_RESOURCE ? &p->flows[r->index].of : &p->flows[r->index].rule.fallback;
  case OWN_CONCURRENCY: return &p->concurrency[r->index].rule.fallback;
  case OWN_BREAKER: return &p->breakers[r->index].rule.fallback;
  case OWN_HOTSPOT: return &p->hotspots[r->index].rule.fallback;
  }
  return NULL;
}

static void resolve_refs(struct checker *c) {
  for (size_t i = 0; i < c->n_refs; i++) {
    const struct ref *r = &c->refs[i];
    int fallback = r->kind == REF_FALLBACK;
    const struct name_table *t = fallback ? &c->fallback_names : &c->resource_names;
    int index = names_find(t, r->name->text, r->name->text_len);
    if (index < 0)
      unknown_name(c, r, t, fallback ? "fallback" : "resource");
    else
      *ref_target(c->policy, r) = index;
  }
}

/* Scope and fallback of one rule of resource r. */
static void settle_rule(struct ir_policy *p, const struct ir_resource *r, struct ir_rule *rule) {
  if (!rule->scope_given)
    rule->scope = p->scope;
  if (rule->fallback == FALLBACK_INHERIT)
    rule->fallback = r->fallback >= 0 ? r->fallback : p->fallback;
  if (rule->fallback >= 0)
    p->fallbacks[rule->fallback].used = 1;
}

static void tcp_only_flow_and_concurrency(const struct ir_policy *p, const struct ir_resource *r) {
  const struct ir_rule *bad = r->breakers.n ? &p->breakers[r->breakers.first].rule
                            : r->hotspots.n ? &p->hotspots[r->hotspots.first].rule : NULL;
  if (bad) {
    diag_error(bad->loc, "a TCP resource takes only flow and concurrency rules");
    diag_hint("'%s' counts connections, which have no response or request key", r->name.text);
  }
  for (size_t i = r->flows.first; i < r->flows.first + r->flows.n; i++) {
    if (p->flows[i].throttle) {
      diag_error(p->flows[i].rule.loc, "'throttle' cannot hold a TCP connection");
      diag_hint("a TCP resource's flow rule rejects the connections over its rate");
    }
  }
}

static void settle_resource(struct ir_policy *p, struct ir_resource *r) {
  for (size_t i = r->flows.first; i < r->flows.first + r->flows.n; i++)
    settle_rule(p, r, &p->flows[i].rule);
  for (size_t i = r->concurrency.first; i < r->concurrency.first + r->concurrency.n; i++)
    settle_rule(p, r, &p->concurrency[i].rule);
  for (size_t i = r->breakers.first; i < r->breakers.first + r->breakers.n; i++)
    settle_rule(p, r, &p->breakers[i].rule);
  for (size_t i = r->hotspots.first; i < r->hotspots.first + r->hotspots.n; i++)
    settle_rule(p, r, &p->hotspots[i].rule);
  if (r->match.protocol == IR_TCP)
    tcp_only_flow_and_concurrency(p, r);
}

void check_resolve(struct checker *c) {
  struct ir_policy *p = c->policy;
  resolve_refs(c);
  for (size_t i = 0; i < p->n_resources; i++)
    settle_resource(p, &p->resources[i]);
  p->system.fallback = p->fallback;
  if (p->system.present && p->fallback >= 0)
    p->fallbacks[p->fallback].used = 1;
}
