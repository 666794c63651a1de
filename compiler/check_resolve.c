/*
 * check_resolve.c: what can only be settled once every statement is read
 * (a name may be used before its definition, and the policy block may come
 * last): references to fallbacks and resources, each rule's scope, each
 * rule's effective fallback (its own, else its resource's, else the
 * policy's, else the built-in one), the rule kinds a TCP resource may not
 * have, and what each kind settles of its own (kind.h).
 */
#include <stdio.h>
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "diag.h"
#include "kind.h"

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
  case OWN_RULE:
    if (r->kind == REF_RESOURCE)       /* a flow rule's `of` */
      return &p->flow[r->index].of;
    return &ir_rule_at(p, r->rule_kind, r->index)->fallback;
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

/* Scope, mode and fallback of one rule of resource r. */
static void settle_rule(struct ir_policy *p, const struct ir_resource *r, struct ir_rule *rule) {
  if (!rule->scope_given)
    rule->scope = p->scope;
  if (!rule->mode_given)
    rule->mode = r->mode_given ? r->mode : p->mode;
  rule->resource = (size_t)(r - p->resources);
  if (rule->fallback == FALLBACK_INHERIT)
    rule->fallback = r->fallback >= 0 ? r->fallback : p->fallback;
  if (rule->fallback >= 0)
    p->fallbacks[rule->fallback].used = 1;
}

/* A TCP resource counts connections: only the kinds the registry marks
 * `tcp` apply.  Reported at the first rule of another kind in the file. */
static void tcp_kinds_only(const struct ir_policy *p, const struct ir_resource *r) {
  const struct ir_rule *bad = NULL;
  char allowed[128] = "";
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    if (kinds[k].tcp) {
      snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
               *allowed ? " and " : "", kinds[k].name);
      continue;
    }
    const struct ir_rule *first = r->rules[k].n ? ir_rule_at(p, k, r->rules[k].first) : NULL;
    if (first && (!bad || first->loc.line < bad->loc.line ||
                  (first->loc.line == bad->loc.line && first->loc.col < bad->loc.col)))
      bad = first;
  }
  if (bad) {
    diag_error(bad->loc, "a TCP resource takes only %s rules", allowed);
    diag_hint("'%s' counts connections, which have no response or request key", r->name.text);
  }
}

/* A rule of r already named `name`, other than `self`, or NULL. */
static const struct ir_rule *named(const struct ir_policy *p, const struct ir_resource *r,
                                   const char *name, const struct ir_rule *self) {
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = r->rules[k].first; i < r->rules[k].first + r->rules[k].n; i++) {
      const struct ir_rule *other = ir_rule_at(p, k, i);
      if (other != self && other->name && strcmp(other->name, name) == 0)
        return other;
    }
  return NULL;
}

/* Every rule of r gets a name unique in r: two `name`s alike are an error;
 * a default that is taken gets "_2", "_3"... (docs/language.md). */
static void name_rules(struct checker *c, struct ir_resource *r) {
  struct ir_policy *p = c->policy;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = r->rules[k].first; i < r->rules[k].first + r->rules[k].n; i++) {
      const struct ir_rule *rule = ir_rule_at(p, k, i), *first;
      if (rule->name && (first = named(p, r, rule->name, rule)) && first->loc.line < rule->loc.line) {
        diag_error(rule->name_loc, "resource '%s' already has a rule named '%s'", r->name.text,
                   rule->name);
        diag_hint("the first one is at line %d; names are how metrics and the plugin "
                  "configuration tell rules apart", first->loc.line);
      }
    }
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = r->rules[k].first; i < r->rules[k].first + r->rules[k].n; i++) {
      struct ir_rule *rule = ir_rule_at(p, k, i);
      if (rule->name)
        continue;
      char base[SENTC_MAX_NAME_LEN + 1], name[SENTC_MAX_NAME_LEN + 16];
      kinds[k].default_name(p, i, base, sizeof base);
      snprintf(name, sizeof name, "%s", base);
      for (unsigned n = 2; named(p, r, name, rule); n++)
        snprintf(name, sizeof name, "%s_%u", base, n);
      rule->name = arena_strndup(c->arena, name, strlen(name));
    }
}

static void settle_resource(struct checker *c, struct ir_resource *r) {
  struct ir_policy *p = c->policy;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = r->rules[k].first; i < r->rules[k].first + r->rules[k].n; i++) {
      settle_rule(p, r, ir_rule_at(p, k, i));
      kinds[k].settle(p, r, i);
    }
  name_rules(c, r);
  if (r->match.protocol == SENTC_TCP)
    tcp_kinds_only(p, r);
}

void check_resolve(struct checker *c) {
  struct ir_policy *p = c->policy;
  resolve_refs(c);
  for (size_t i = 0; i < p->n_resources; i++)
    settle_resource(c, &p->resources[i]);
  p->system.fallback = p->fallback;
  if (p->system.present && p->fallback >= 0)
    p->fallbacks[p->fallback].used = 1;
}

