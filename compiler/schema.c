/*
 * schema.c: block walking and argument checks (see schema.h).
 */
#include <string.h>
#include "../runtime/tables.h"
#include "diag.h"
#include "schema.h"

/* Where each keyword of the language belongs, for a misplaced one (the
 * first row for a keyword wins; tests/unit/check_kinds.c holds every
 * keyword of every block to having one). */
static const struct { const char *keyword, *block; } homes[] = {
  {"policy", "the top level"}, {"resource", "the top level"},
  {"include", "the top level"},
  {"fallback", "the top level, the policy block, a resource or a rule's block"},
  {"scope", "the policy block or a rule's block"}, {"name", "a rule's block"}, {"mode", "the policy block, a resource or a rule's block"},
  {"ratelimit_headers", "the policy block"}, {"client_ip", "the policy block"},
  {"on_error", "the policy block or the ratelimit_service block"},
  {"system", "the policy block"}, {"ratelimit_service", "the policy block"},
  {"cluster", "the ratelimit_service block"}, {"domain", "the ratelimit_service block"},
  {"timeout", "the ratelimit_service block"},
  {"qps", "the system block"}, {"avg_rt", "the system block"},
  {"adaptive", "the system block"},
  {"match", "a resource"},
  {"concurrency", "a resource or the system block"},
  {"host", "a match block"}, {"method", "a match block"}, {"path", "a match block"},
  {"header", "a match block or a fallback"}, {"grpc", "a match block"},
  {"port", "a match block"},
  {"buckets", "a flow rule's or a breaker's block"},
  {"throttle", "a flow or hotspot rule's block"}, {"warmup", "a flow rule's block"},
  {"cold", "a flow rule's block"}, {"of", "a flow rule's block"},
  {"max_rt", "a breaker's block"}, {"min_requests", "a breaker's block"},
  {"window", "a breaker's block"}, {"open", "a breaker's block"},
  {"probes", "a breaker's block"}, {"errors", "a breaker's block"},
  {"grpc_errors", "a breaker's block"},
  {"burst", "a hotspot rule's block"}, {"capacity", "a hotspot rule's block"},
  {"item", "a hotspot rule's block"},
  {"status", "a fallback"}, {"body", "a fallback"}, {"grpc_status", "a fallback"},
  {"details", "a fallback"}, {"forward", "a fallback"},
  /* Every rule kind of the registry is a resource's statement. */
#define KIND_HOME(K, k, status, grpc, tcp) {#k, "a resource"},
  SENTC_RULE_KINDS(KIND_HOME)
#undef KIND_HOME
  {NULL, NULL},
};

const char *schema_home(const char *keyword) {
  for (size_t i = 0; homes[i].keyword; i++)
    if (strcmp(homes[i].keyword, keyword) == 0)
      return homes[i].block;
  return NULL;
}

static void unknown_keyword(const struct stmt *s, const struct schema_block *kind) {
  const char *home = schema_home(s->keyword);
  if (home) {
    diag_error(s->loc, "'%s' does not belong in %s", s->keyword, kind->what);
    diag_hint("'%s' goes in %s", s->keyword, home);
    return;
  }
  const char *names[32];
  size_t n = 0;
  for (const struct schema_rule *r = kind->rules; r->keyword && n < 31; r++)
    names[n++] = r->keyword;
  names[n] = NULL;
  diag_error(s->loc, "unknown statement '%s' in %s", s->keyword, kind->what);
  const char *close = diag_closest(s->keyword, names);
  if (close)
    diag_hint("did you mean '%s'?", close);
}

/* The earlier statement of the block with the same keyword, if any. */
static const struct stmt *earlier(const struct stmt *body, const struct stmt *s) {
  for (const struct stmt *e = body; e != s; e = e->next)
    if (strcmp(e->keyword, s->keyword) == 0)
      return e;
  return NULL;
}

static int listed(const char *const *list, const char *word) {
  for (; list && *list; list++)
    if (strcmp(*list, word) == 0)
      return 1;
  return 0;
}

/* once: whether statements may appear only once; repeatable: exceptions. */
static void walk(void *ctx, const struct stmt *body, const struct schema_block *kind, int once,
                 const char *const *repeatable) {
  for (const struct stmt *s = body; s; s = s->next) {
    const struct schema_rule *r = kind->rules;
    while (r->keyword && strcmp(r->keyword, s->keyword) != 0)
      r++;
    const struct stmt *first =
        r->keyword && once && !listed(repeatable, s->keyword) ? earlier(body, s) : NULL;
    if (first) {
      diag_error(s->loc, "'%s' is given twice in %s", s->keyword, kind->what);
      diag_hint("the first one is at line %d", first->loc.line);
    } else if (r->keyword) {
      r->check(ctx, s);
    } else {
      unknown_keyword(s, kind);
    }
  }
}

void check_block(void *ctx, const struct stmt *body, const struct schema_block *kind) {
  walk(ctx, body, kind, 0, NULL);
}

void check_block_once(void *ctx, const struct stmt *body, const struct schema_block *kind,
                      const char *const *repeatable) {
  walk(ctx, body, kind, 1, repeatable);
}

int args_bad(const struct stmt *s) {
  for (const struct value *v = s->args; v; v = v->next)
    if (v->bad)
      return 1;
  return 0;
}

int args_done(const struct stmt *s, const struct value *extra) {
  if (!extra)
    return 1;
  diag_error(extra->loc, "'%s' takes no more arguments here", s->keyword);
  if (extra->loc.line > s->loc.line)
    diag_hint("is a ';' missing at the end of line %d?", extra->loc.line - 1);
  return 0;
}

int arg_need(const struct stmt *s, const struct value *v, enum value_kind kind,
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

int stmt_no_block(const struct stmt *s) {
  if (!s->has_block)
    return 1;
  diag_error(s->loc, "'%s' takes no block", s->keyword);
  return 0;
}

int stmt_need_block(const struct stmt *s) {
  if (s->has_block)
    return 1;
  diag_error(s->loc, "'%s' needs a block { ... }", s->keyword);
  return 0;
}
