/*
 * check.c: the language's rules, applied to the uniform syntax tree.
 *
 * Each block kind has a schema (schema.h): the statements it allows, each
 * with the function below that checks one and records it in the IR.
 * Checking goes on after an error, so one run reports everything it can.
 * Matches are checked in check_match.c.
 */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "check_match.h"
#include "diag.h"
#include "schema.h"
#include "source.h"

/* Limits the docs promise (docs/language.md). */
#define MAX_NAME_LEN 128
#define MAX_RATE_COUNT 1000000000.0
#define MAX_WINDOW_MS (24 * 3600 * 1000)
#define MAX_BUCKETS 1000

struct checker {
  struct arena *arena;
  struct ir_policy *policy;
  size_t resources_cap, flows_cap;
  struct ir_resource *resource;   /* the resource being checked */
  struct ir_flow *flow;            /* the flow rule whose block is being checked */
  const struct stmt *policy_stmt;
};

static int valid_name(const struct value *v) {
  if (v->text_len == 0 || v->text_len > MAX_NAME_LEN) {
    diag_error(v->loc, "a name must have 1 to %d characters", MAX_NAME_LEN);
    return 0;
  }
  for (size_t i = 0; i < v->text_len; i++) {
    unsigned char ch = (unsigned char)v->text[i];
    if (ch < 0x21 || ch == 0x7f || ch == '.' || ch == '"' || ch == '/') {
      diag_error(v->loc, "a name cannot contain spaces, control characters, '.', '/' or '\"'");
      diag_hint("names appear in metric names and response headers");
      return 0;
    }
  }
  return 1;
}

/* ---- flow ---- */

static uint16_t default_buckets(uint32_t window_ms) {
  if (window_ms <= 1000)
    return 2;
  return window_ms <= 60000 ? 10 : 60;
}

static int valid_rate(const struct value *v) {
  if (v->number != (double)(uint32_t)v->number || v->number > MAX_RATE_COUNT) {
    diag_error(v->loc, "a rate's count must be a whole number from 0 to 1000000000");
    return 0;
  }
  if (v->ms < 1 || v->ms > MAX_WINDOW_MS) {
    diag_error(v->loc, "a rate's window must be from 1ms to 24h");
    return 0;
  }
  return 1;
}

static void check_buckets(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  struct ir_window *window = &c->flow->window;
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, v, V_INT, "buckets 10;") ||
      !args_done(s, v->next))
    return;
  if (v->number < 1 || v->number > MAX_BUCKETS) {
    diag_error(v->loc, "buckets must be from 1 to %d", MAX_BUCKETS);
    return;
  }
  uint16_t k = (uint16_t)v->number;
  if (window->window_ms % k != 0) {
    diag_error(v->loc, "%u buckets do not divide the %ums window evenly", k, window->window_ms);
    diag_hint("pick a bucket count that divides %u", window->window_ms);
    return;
  }
  window->buckets = k;
}

static const struct schema_rule flow_rules[] = {
  {"buckets", check_buckets},
  {NULL, NULL},
};
static const struct schema_block flow_block = {"a flow rule", flow_rules};

static void check_flow(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s) || !arg_need(s, v, V_RATE, "flow 100/s;") || !valid_rate(v) ||
      !args_done(s, v->next))
    return;
  struct ir_policy *p = c->policy;
  struct ir_flow *flow = arena_push(c->arena, &p->flows, &p->n_flows, &c->flows_cap, sizeof *flow);
  size_t ordinal = ++c->resource->flows.n;
  flow->count = (uint32_t)v->number;
  flow->window.window_ms = (uint32_t)v->ms;
  flow->window.buckets = default_buckets(flow->window.window_ms);
  while (flow->window.window_ms % flow->window.buckets != 0)
    flow->window.buckets--;
  flow->of = -1;
  flow->rule.loc = s->loc;
  flow->rule.scope = p->scope;
  flow->rule.fallback = -1;
  if (ordinal == 1)
    strcpy(flow->rule.label, "flow");
  else
    snprintf(flow->rule.label, sizeof flow->rule.label, "flow_%zu", ordinal);
  if (s->has_block) {
    c->flow = flow;
    check_block(c, s->body, &flow_block);
    c->flow = NULL;
  }
}

/* ---- resource ---- */

static void check_resource_match(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  check_match(c->arena, s, &c->resource->match);
}

static const struct schema_rule resource_rules[] = {
  {"match", check_resource_match},
  {"flow", check_flow},
  {NULL, NULL},
};
static const struct schema_block resource_block = {"a resource", resource_rules};

static struct ir_resource *find_resource(struct checker *c, const struct value *name) {
  for (size_t i = 0; i < c->policy->n_resources; i++) {
    struct ir_resource *r = &c->policy->resources[i];
    if (r->name.len == name->text_len && memcmp(r->name.text, name->text, name->text_len) == 0)
      return r;
  }
  return NULL;
}

static void check_resource(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s) || !arg_need(s, v, V_NAME, "resource checkout { ... }") ||
      !valid_name(v) || !args_done(s, v->next) || !stmt_need_block(s))
    return;
  struct ir_resource *other = find_resource(c, v);
  if (other) {
    diag_error(v->loc, "resource '%s' is defined twice", v->text);
    diag_hint("the first definition is at line %d", other->loc.line);
    return;
  }
  struct ir_policy *p = c->policy;
  struct ir_resource *r =
      arena_push(c->arena, &p->resources, &p->n_resources, &c->resources_cap, sizeof *r);
  r->name = (struct ir_string){v->text, v->text_len};
  r->loc = v->loc;
  r->match.loc = v->loc;
  r->fallback = -1;
  r->flows.first = p->n_flows;
  c->resource = r;
  check_block(c, s->body, &resource_block);
  c->resource = NULL;
}

/* ---- policy ---- */

static void check_scope(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, v, V_NAME, "scope proxy;") ||
      !args_done(s, v->next))
    return;
  if (strcmp(v->text, "proxy") == 0)
    c->policy->scope = IR_SCOPE_PROXY;
  else if (strcmp(v->text, "worker") == 0)
    c->policy->scope = IR_SCOPE_WORKER;
  else
    diag_error(v->loc, "scope is 'proxy' or 'worker', not '%s'", v->text);
}

static const struct schema_rule policy_rules[] = {
  {"scope", check_scope},
  {NULL, NULL},
};
static const struct schema_block policy_block = {"the policy block", policy_rules};

static void check_policy_stmt(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s) || !stmt_need_block(s))
    return;
  if (c->policy_stmt) {
    diag_error(s->loc, "there is already a policy block");
    diag_hint("the first one is at line %d", c->policy_stmt->loc.line);
    return;
  }
  c->policy_stmt = s;
  if (v) {
    if (!arg_need(s, v, V_NAME, "policy shop { ... }") || !valid_name(v) ||
        !args_done(s, v->next))
      return;
    c->policy->name = (struct ir_string){v->text, v->text_len};
  }
  check_block(c, s->body, &policy_block);
}

static const struct schema_rule top_rules[] = {
  {"policy", check_policy_stmt},
  {"resource", check_resource},
  {NULL, NULL},
};
static const struct schema_block top_block = {"the top level", top_rules};

/* The file's base name without its extension: the default policy name. */
static const char *base_name(struct arena *arena, const char *path) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
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
  c.policy->scope = IR_SCOPE_PROXY;
  c.policy->fallback = -1;
  check_block(&c, file_stmts, &top_block);
  if (!c.policy->name.text) {
    const char *name = base_name(arena, source_path(file));
    c.policy->name = (struct ir_string){name, strlen(name)};
  }
  return c.policy;
}
