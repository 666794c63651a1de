/*
 * check_resolve.c: what can only be settled once every statement is read
 * (a name may be used before its definition, and the policy block may come
 * last): references to fallbacks and resources, each rule's scope, each
 * rule's effective fallback (its own, else its resource's, else the
 * policy's, else the built-in one), the rule kinds a TCP resource may not
 * have, and what each kind settles of its own (kind.h).
 */
#include <stdio.h>
#include <stdlib.h>
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

static int by_place(const void *x, const void *y) {
  const struct loc *a = &(*(const struct ir_rule *const *)x)->loc,
                   *b = &(*(const struct ir_rule *const *)y)->loc;
  if (a->file != b->file)
    return a->file < b->file ? -1 : 1;
  if (a->line != b->line)
    return a->line < b->line ? -1 : 1;
  return a->col < b->col ? -1 : a->col > b->col;
}

/* Every rule of r gets a name unique in r: two `name`s alike are an error;
 * a default that is taken gets "_2", "_3"... in file order
 * (docs/language.md).  Hash tables of the names taken and of the next
 * suffix of each default keep it linear in the number of rules. */
static void name_rules(struct checker *c, struct ir_resource *r) {
  struct ir_policy *p = c->policy;
  size_t n = 0;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    n += r->rules[k].n;
  if (n == 0)
    return;
  struct ir_rule **rules = arena_alloc(c->arena, n * sizeof *rules);
  n = 0;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = r->rules[k].first; i < r->rules[k].first + r->rules[k].n; i++)
      rules[n++] = ir_rule_at(p, k, i);
  qsort(rules, n, sizeof *rules, by_place);
  struct name_table taken = {0}, next = {0};
  for (size_t i = 0; i < n; i++) {
    if (!rules[i]->name)
      continue;
    int first = names_find(&taken, rules[i]->name, strlen(rules[i]->name));
    if (first >= 0) {
      diag_error(rules[i]->name_loc, "resource '%s' already has a rule named '%s'", r->name.text,
                 rules[i]->name);
      diag_hint("the first one is at line %d; names are how metrics and the plugin "
                "configuration tell rules apart", rules[first]->loc.line);
      continue;
    }
    names_add(c->arena, &taken, rules[i]->name, strlen(rules[i]->name), (int)i);
  }
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = r->rules[k].first; i < r->rules[k].first + r->rules[k].n; i++) {
      struct ir_rule *rule = ir_rule_at(p, k, i);
      if (rule->name)
        continue;
      char base[SENTC_MAX_NAME_LEN + 1], name[SENTC_MAX_NAME_LEN + 16];
      kinds[k].default_name(p, i, base, sizeof base);
      int *suffix = names_index(&next, base, strlen(base));
      if (!suffix) {
        names_add(c->arena, &next, arena_strndup(c->arena, base, strlen(base)), strlen(base), 2);
        suffix = names_index(&next, base, strlen(base));
      }
      snprintf(name, sizeof name, "%s", base);
      while (names_find(&taken, name, strlen(name)) >= 0)
        snprintf(name, sizeof name, "%s_%d", base, (*suffix)++);
      rule->name = arena_strndup(c->arena, name, strlen(name));
      names_add(c->arena, &taken, rule->name, strlen(rule->name), 0);
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

