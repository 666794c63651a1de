/*
 * concurrency.c: the concurrency rule kind in the compiler (kind.h):
 * `concurrency N [{...}]` checked (docs/language.md, "concurrency"),
 * warned about, sized, explained and written as tables.h's `struct
 * sentc_concurrency`.
 */
#include <stdlib.h>
#include "check_ctx.h"
#include "check_values.h"
#include "codegen.h"
#include "diag.h"
#include "explain.h"
#include "kind.h"

const char concurrency_example[] = "concurrency 32;";

static const struct schema_rule concurrency_rules[] = {
  {"name", check_rule_name},
  {"mode", check_rule_mode},
  {"scope", check_rule_scope},
  {"fallback", check_rule_fallback},
  {NULL, NULL},
};
const struct schema_block concurrency_block = {"a concurrency rule", concurrency_rules};

void concurrency_check(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  uint32_t limit;
  if (args_bad(s) || !value_uint(s, v, 0, SENTC_MAX_CONCURRENCY, "concurrency 32;", &limit) ||
      !args_done(s, v->next))
    return;
  struct ir_concurrency *r = rule_begin(c, SENTC_KIND_CONCURRENCY, s);
  r->limit = limit;
  if (s->has_block)
    check_block_once(c, s->body, &concurrency_block, NULL);
  rule_end(c);
}

KIND_NOTHING_TO_SETTLE(concurrency)

/* Concurrency rules in the same scope block in the order of their limits
 * (kind.h): a later one can never block. */
static void concurrency_hint(const struct kind_rival *by) {
  diag_hint("the concurrency rule at line %d allows at most %u in flight", by->rule->loc.line,
            (unsigned)by->limit);
}

void concurrency_warn(const struct ir_policy *p, const struct ir_resource *r) {
  struct ir_slice rules = r->rules[SENTC_KIND_CONCURRENCY];
  struct kind_rival *rivals = malloc((rules.n ? rules.n : 1) * sizeof *rivals);
  if (!rivals)
    return;
  for (size_t i = rules.first; i < rules.first + rules.n; i++) {
    const struct ir_concurrency *c = &p->concurrency[i];
    rivals[i - rules.first] =
        (struct kind_rival){{c->rule.scope, 0, 0}, c->limit, i, &c->rule, 0, NULL};
  }
  kind_warn_unreachable(rivals, rules.n, "concurrency", concurrency_hint);
  free(rivals);
}

struct state_bytes concurrency_size(const struct ir_policy *p, size_t i) {
  return state_cells(p->concurrency[i].rule.scope, 1, sizeof(struct sentc_concurrency_cell), 1,
                     p->concurrency[i].limit);
}

struct state_bytes concurrency_explain(FILE *out, const struct ir_policy *p, size_t i) {
  const struct ir_concurrency *c = &p->concurrency[i];
  fprintf(out, "    %s (line %d): at most %u in flight\n", c->rule.name, c->rule.loc.line,
          c->limit);
  return explain_rule_tail(out, p, SENTC_KIND_CONCURRENCY, &c->rule, concurrency_size(p, i));
}

void concurrency_emit(FILE *out, const struct ir_policy *p) {
  fputs("\nstatic const struct sentc_concurrency concurrency[] = {\n", out);
  for (size_t i = 0; i < p->n_concurrency; i++) {
    const struct ir_concurrency *c = &p->concurrency[i];
    fprintf(out, "  /* %zu, line %u: at most %u in flight */\n  {", i,
            codegen_line(c->rule.loc), c->limit);
    codegen_rule(out, &c->rule);
    fprintf(out, ", .limit = %u},\n", c->limit);
  }
  fputs("};\n", out);
}

void concurrency_name(const struct ir_policy *p, size_t i, char *out, size_t room) {
  (void)p;
  (void)i;
  kind_default_name(out, room, "concurrency", (const char *const[]){NULL});
}
