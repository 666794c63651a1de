/*
 * check.c: the language's rules, applied to the uniform syntax tree: the
 * top level and resources here; each construct in its own check_*.c.
 *
 * Each block kind has a schema (schema.h): the statements it allows, each
 * with the function that checks one and records it in the IR.  Checking
 * goes on after an error, so one run reports everything it can; names used
 * before their definition are settled afterwards (check_resolve.c), then
 * the warnings are looked for (check_warn.c).  Matches are check_match.c's.
 */
#include <string.h>
#include "check.h"
#include "check_ctx.h"
#include "check_match.h"
#include "check_values.h"
#include "diag.h"
#include "kind.h"
#include "schema.h"
#include "source.h"
#include "statesize.h"

static void check_resource_match(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  check_match(c->arena, s, &c->resource->match);
}

static void check_resource_mode(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  if (c->resource->mode_given) {
    diag_error(s->loc, "'mode' is given twice in a resource");
    return;
  }
  if (mode_word(s, "mode shadow;", &c->resource->mode) == 0)
    c->resource->mode_given = 1;
}

/* A resource: its match, a rule of each kind the registry lists, its
 * default fallback. */
static const struct schema_rule resource_rules[] = {
  {"match", check_resource_match},
#define KIND_ROW(K, k, status, grpc, tcp) {#k, k##_check},
  SENTC_RULE_KINDS(KIND_ROW)
#undef KIND_ROW
  {"fallback", check_resource_fallback},
  {"mode", check_resource_mode},
  {NULL, NULL},
};
const struct schema_block resource_block = {"a resource", resource_rules};

static void check_resource(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s) || !arg_need(s, v, V_NAME, "resource checkout { ... }") ||
      !valid_name(v) || !args_done(s, v->next) || !stmt_need_block(s))
    return;
  if (strcmp(v->text, "system") == 0 || strcmp(v->text, "filter") == 0) {
    diag_error(v->loc, "'%s' cannot name a resource: it names the filter's own metrics",
               v->text);
    diag_hint("sentc.%s.* counts %s; pick another name", v->text,
              v->text[0] == 's' ? "system protection's blocks" : "the filter's own failures");
    return;
  }
  struct ir_policy *p = c->policy;
  int other = names_find(&c->resource_names, v->text, v->text_len);
  if (other >= 0) {
    diag_error(v->loc, "resource '%s' is defined twice", v->text);
    diag_hint("the first definition is at %s:%d", source_path(p->resources[other].loc.file),
              p->resources[other].loc.line);
    return;
  }
  names_add(c->arena, &c->resource_names, v->text, v->text_len, (int)p->n_resources);
  struct ir_resource *r =
      arena_push(c->arena, &p->resources, &p->n_resources, &c->cap.resources, sizeof *r);
  r->name = (struct ir_string){v->text, v->text_len};
  r->loc = v->loc;
  r->match.loc = v->loc;
  r->fallback = -1;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    r->rules[k].first = ir_count(p, k);
  c->resource = r;
  c->resource_fallback = NULL;
  check_block(c, s->body, &resource_block);
  c->resource = NULL;
}

static const struct schema_rule top_rules[] = {
  {"policy", check_policy_stmt},
  {"fallback", check_fallback_def},
  {"resource", check_resource},
  {NULL, NULL},
};
const struct schema_block top_block = {"the top level", top_rules};

const struct schema_block *const schema_blocks[] = {
  &top_block, &policy_block, &system_block, &fallback_block, &resource_block, &http_block,
  &tcp_block,
#define KIND_BLOCK(K, k, status, grpc, tcp) &k##_block,
  SENTC_RULE_KINDS(KIND_BLOCK)
#undef KIND_BLOCK
  NULL,
};

/* The file's base name without its extension: the default policy name. */
static const char *base_name(struct arena *arena, const char *path) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  if (len > 128)
    len = 128;
  char *name = arena_strndup(arena, base, len);
  for (char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '-'))
      *p = '_';
  return *name ? name : "policy";
}

struct ir_policy *check_policy(struct stmt *file_stmts, int file, struct arena *arena) {
  struct checker c = {.arena = arena};
  c.policy = arena_alloc(arena, sizeof *c.policy);
  c.policy->scope = SENTC_SCOPE_PROXY;
  c.policy->fallback = -1;
  c.policy->system.fallback = -1;
  c.policy->loc = (struct loc){file, 1, 1, 1, 1};
  check_block(&c, file_stmts, &top_block);
  if (!c.policy->name.text) {
    const char *name = base_name(arena, source_path(file));
    c.policy->name = (struct ir_string){name, strlen(name)};
  }
  check_resolve(&c);
  if (diag_errors() == 0)
    state_check_budget(c.policy);
  if (diag_errors() == 0)
    check_warn(&c);
  return c.policy;
}
