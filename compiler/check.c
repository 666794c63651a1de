/*
 * check.c: the language's rules, applied to the uniform syntax tree.
 *
 * Each block kind has a table of the statements it allows, with a function
 * that checks one statement of that kind and records it in the IR.  An
 * unknown keyword gets a did-you-mean from the table of the block it is in,
 * or a pointer to the block where it belongs.  Checking goes on after an
 * error, so one run reports everything it can.
 */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "diag.h"
#include "source.h"
#include "../runtime/tables.h"

/* Limits the docs promise (docs/language.md). */
#define MAX_NAME_LEN 128
#define MAX_RATE_COUNT 1000000000.0
#define MAX_WINDOW_MS (24 * 3600 * 1000)
#define MAX_BUCKETS 1000
#define MAX_PATH_LEN 4096

struct checker {
  struct arena *arena;
  struct ir_policy *policy;
  size_t resources_cap, flows_cap, paths_cap;
  struct ir_resource *resource;   /* the resource being checked */
  struct ir_flow *flow;            /* the flow rule whose block is being checked */
  const struct stmt *policy_stmt;
};

typedef void check_fn(struct checker *c, const struct stmt *s);

struct rule {
  const char *keyword;
  check_fn *check;
  const char *block;             /* where it belongs, for misplaced keywords */
};

struct block_kind {
  const char *what;              /* "a resource", "the top level" */
  const struct rule *rules;
};

static void check_block(struct checker *c, const struct stmt *body, const struct block_kind *kind);

/* ---- arguments ---- */

static int any_bad(const struct stmt *s) {
  for (const struct value *v = s->args; v; v = v->next)
    if (v->bad)
      return 1;
  return 0;
}

/* Reports arguments past the first `max`; says so when they look like the
 * next statement, run on for want of a ';'. */
static int no_more_args(const struct stmt *s, const struct value *extra) {
  if (!extra)
    return 1;
  diag_error(extra->loc, "'%s' takes no more arguments here", s->keyword);
  if (extra->loc.line > s->loc.line)
    diag_hint("is a ';' missing at the end of line %d?", extra->loc.line - 1);
  return 0;
}

static int need_kind(const struct stmt *s, const struct value *v, enum value_kind kind,
                     const char *example) {
  if (!v) {
    diag_error(s->loc, "'%s' needs %s", s->keyword, value_kind_name(kind));
    diag_hint("for example: %s", example);
    return 0;
  }
  if (v->kind != kind && !(kind == V_NAME && v->kind == V_STRING)) {
    diag_error(v->loc, "'%s' needs %s here, not %s", s->keyword, value_kind_name(kind),
               value_kind_name(v->kind));
    diag_hint("for example: %s", example);
    return 0;
  }
  return 1;
}

static int no_block(const struct stmt *s) {
  if (!s->has_block)
    return 1;
  diag_error(s->loc, "'%s' takes no block", s->keyword);
  return 0;
}

static int need_block(const struct stmt *s) {
  if (s->has_block)
    return 1;
  diag_error(s->loc, "'%s' needs a block { ... }", s->keyword);
  return 0;
}

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

/* ---- match ---- */

static const char *const method_names[] = {
  "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL
};
static const uint32_t method_bits[] = {
  SENTC_GET, SENTC_HEAD, SENTC_POST, SENTC_PUT, SENTC_DELETE, SENTC_CONNECT,
  SENTC_OPTIONS, SENTC_TRACE, SENTC_PATCH,
};

static void check_method(struct checker *c, const struct stmt *s) {
  if (!no_block(s) || any_bad(s))
    return;
  if (!s->args) {
    diag_error(s->loc, "'method' needs at least one method name");
    diag_hint("for example: method GET HEAD;");
    return;
  }
  for (const struct value *v = s->args; v; v = v->next) {
    if (!need_kind(s, v, V_NAME, "method GET HEAD;"))
      return;
    int i = 0;
    while (method_names[i] && strcmp(method_names[i], v->text) != 0)
      i++;
    if (!method_names[i]) {
      diag_error(v->loc, "unknown HTTP method '%s'", v->text);
      char upper[16] = "";
      for (size_t k = 0; k < v->text_len && k < sizeof upper - 1; k++)
        upper[k] = (char)(v->text[k] >= 'a' && v->text[k] <= 'z' ? v->text[k] - 32 : v->text[k]);
      const char *close = diag_closest(upper, method_names);
      if (close)
        diag_hint("did you mean '%s'? (methods are upper case)", close);
      return;
    }
    c->resource->match.methods |= method_bits[i];
  }
}

static int valid_path(const struct value *v) {
  if (v->text_len == 0 || v->text[0] != '/') {
    diag_error(v->loc, "a path must start with '/'");
    return 0;
  }
  if (v->text_len > MAX_PATH_LEN || memchr(v->text, 0, v->text_len)) {
    diag_error(v->loc, "a path must be at most %d bytes and hold no NUL byte", MAX_PATH_LEN);
    return 0;
  }
  return 1;
}

static void check_path(struct checker *c, const struct stmt *s) {
  if (!no_block(s) || any_bad(s))
    return;
  const struct value *v = s->args;
  enum ir_path_kind kind = IR_PATH_EXACT;
  if (v && v->kind == V_NAME) {
    if (strcmp(v->text, "prefix") == 0) {
      kind = IR_PATH_PREFIX;
    } else if (strcmp(v->text, "exact") != 0) {
      static const char *const kinds[] = {"prefix", "exact", NULL};
      diag_error(v->loc, "unknown kind of path match '%s'", v->text);
      const char *close = diag_closest(v->text, kinds);
      if (close)
        diag_hint("did you mean '%s'?", close);
      else
        diag_hint("write path \"/x\" (exact) or path prefix \"/x/\"");
      return;
    }
    v = v->next;
  }
  if (!need_kind(s, v, V_STRING, "path prefix \"/api/\";") || !valid_path(v) ||
      !no_more_args(s, v->next))
    return;
  struct ir_match *m = &c->resource->match;
  struct ir_path *p = arena_push(c->arena, &m->paths, &m->n_paths, &c->paths_cap, sizeof *p);
  *p = (struct ir_path){kind, 0, {v->text, v->text_len}, v->loc};
}

static const struct rule match_rules[] = {
  {"method", check_method, NULL},
  {"path", check_path, NULL},
  {NULL, NULL, NULL},
};
static const struct block_kind match_block = {"a match block", match_rules};

static void check_match(struct checker *c, const struct stmt *s) {
  if (any_bad(s) || !no_more_args(s, s->args) || !need_block(s))
    return;
  struct ir_match *m = &c->resource->match;
  if (m->loc.line != c->resource->loc.line || m->loc.col != c->resource->loc.col) {
    diag_error(s->loc, "a resource has at most one match block");
    diag_hint("the first one is at line %d", m->loc.line);
    return;
  }
  m->loc = s->loc;
  c->paths_cap = 0;
  check_block(c, s->body, &match_block);
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

static void check_buckets(struct checker *c, const struct stmt *s) {
  struct ir_flow *flow = c->flow;
  const struct value *v = s->args;
  if (!no_block(s) || any_bad(s) || !need_kind(s, v, V_INT, "buckets 10;") ||
      !no_more_args(s, v->next))
    return;
  if (v->number < 1 || v->number > MAX_BUCKETS) {
    diag_error(v->loc, "buckets must be from 1 to %d", MAX_BUCKETS);
    return;
  }
  uint16_t k = (uint16_t)v->number;
  if (flow->window.window_ms % k != 0) {
    diag_error(v->loc, "%u buckets do not divide the %ums window evenly", k,
               flow->window.window_ms);
    diag_hint("pick a bucket count that divides %u", flow->window.window_ms);
    return;
  }
  flow->window.buckets = k;
}

static const struct rule flow_rules[] = {
  {"buckets", check_buckets, NULL},
  {NULL, NULL, NULL},
};
static const struct block_kind flow_block = {"a flow rule", flow_rules};

static void check_flow(struct checker *c, const struct stmt *s) {
  const struct value *v = s->args;
  if (any_bad(s) || !need_kind(s, v, V_RATE, "flow 100/s;") || !valid_rate(v) ||
      !no_more_args(s, v->next))
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

static const struct rule resource_rules[] = {
  {"match", check_match, NULL},
  {"flow", check_flow, NULL},
  {NULL, NULL, NULL},
};
static const struct block_kind resource_block = {"a resource", resource_rules};

static struct ir_resource *find_resource(struct checker *c, const struct value *name) {
  for (size_t i = 0; i < c->policy->n_resources; i++) {
    struct ir_resource *r = &c->policy->resources[i];
    if (r->name.len == name->text_len && memcmp(r->name.text, name->text, name->text_len) == 0)
      return r;
  }
  return NULL;
}

static void check_resource(struct checker *c, const struct stmt *s) {
  const struct value *v = s->args;
  if (any_bad(s) || !need_kind(s, v, V_NAME, "resource checkout { ... }") ||
      !valid_name(v) || !no_more_args(s, v->next) || !need_block(s))
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

static void check_scope(struct checker *c, const struct stmt *s) {
  const struct value *v = s->args;
  if (!no_block(s) || any_bad(s) || !need_kind(s, v, V_NAME, "scope proxy;") ||
      !no_more_args(s, v->next))
    return;
  if (strcmp(v->text, "proxy") == 0)
    c->policy->scope = IR_SCOPE_PROXY;
  else if (strcmp(v->text, "worker") == 0)
    c->policy->scope = IR_SCOPE_WORKER;
  else
    diag_error(v->loc, "scope is 'proxy' or 'worker', not '%s'", v->text);
}

static const struct rule policy_rules[] = {
  {"scope", check_scope, NULL},
  {NULL, NULL, NULL},
};
static const struct block_kind policy_block = {"the policy block", policy_rules};

static void check_policy_stmt(struct checker *c, const struct stmt *s) {
  const struct value *v = s->args;
  if (any_bad(s) || !need_block(s))
    return;
  if (c->policy_stmt) {
    diag_error(s->loc, "there is already a policy block");
    diag_hint("the first one is at line %d", c->policy_stmt->loc.line);
    return;
  }
  c->policy_stmt = s;
  if (v) {
    if (!need_kind(s, v, V_NAME, "policy shop { ... }") || !valid_name(v) ||
        !no_more_args(s, v->next))
      return;
    c->policy->name = (struct ir_string){v->text, v->text_len};
  }
  check_block(c, s->body, &policy_block);
}

static const struct rule top_rules[] = {
  {"policy", check_policy_stmt, NULL},
  {"resource", check_resource, NULL},
  {NULL, NULL, NULL},
};
static const struct block_kind top_block = {"the top level", top_rules};

/* Keywords of other blocks, to say where a misplaced one belongs. */
static const struct rule elsewhere[] = {
  {"match", NULL, "a resource"}, {"flow", NULL, "a resource"},
  {"method", NULL, "a match block"}, {"path", NULL, "a match block"},
  {"buckets", NULL, "a flow rule's block"}, {"scope", NULL, "the policy block"},
  {"resource", NULL, "the top level"}, {"policy", NULL, "the top level"},
  {NULL, NULL, NULL},
};

/* The LANGUAGE.md keywords this version of sentc does not take yet. */
static const char *const not_yet[] = {
  "fallback", "include", "mode", "ratelimit_headers", "client_ip", "on_error", "system",
  "concurrency", "breaker", "hotspot", "host", "header", "grpc", "throttle", "warmup",
  "cold", "of", NULL
};

static void unknown_keyword(const struct stmt *s, const struct block_kind *kind) {
  for (const struct rule *r = elsewhere; r->keyword; r++) {
    if (strcmp(r->keyword, s->keyword) == 0) {
      diag_error(s->loc, "'%s' does not belong in %s", s->keyword, kind->what);
      diag_hint("'%s' goes in %s", s->keyword, r->block);
      return;
    }
  }
  for (const char *const *k = not_yet; *k; k++) {
    if (strcmp(*k, s->keyword) == 0) {
      diag_error(s->loc, "'%s' is not supported by this version of sentc yet", s->keyword);
      return;
    }
  }
  const char *names[32];
  size_t n = 0;
  for (const struct rule *r = kind->rules; r->keyword && n < 31; r++)
    names[n++] = r->keyword;
  names[n] = NULL;
  diag_error(s->loc, "unknown statement '%s' in %s", s->keyword, kind->what);
  const char *close = diag_closest(s->keyword, names);
  if (close)
    diag_hint("did you mean '%s'?", close);
}

static void check_block(struct checker *c, const struct stmt *body, const struct block_kind *kind) {
  for (const struct stmt *s = body; s; s = s->next) {
    const struct rule *r = kind->rules;
    while (r->keyword && strcmp(r->keyword, s->keyword) != 0)
      r++;
    if (r->keyword)
      r->check(c, s);
    else
      unknown_keyword(s, kind);
  }
}

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
