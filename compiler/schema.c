/*
 * schema.c: block walking and argument checks (see schema.h).
 */
#include <string.h>
#include "diag.h"
#include "schema.h"

/* Where each keyword of the language belongs, for a misplaced one. */
static const struct { const char *keyword, *block; } homes[] = {
  {"policy", "the top level"}, {"resource", "the top level"},
  {"match", "a resource"}, {"flow", "a resource"},
  {"method", "a match block"}, {"path", "a match block"},
  {"buckets", "a flow rule's block"}, {"scope", "the policy block"},
  {NULL, NULL},
};

/* The LANGUAGE.md keywords this version of sentc does not take yet. */
static const char *const not_yet[] = {
  "fallback", "include", "mode", "ratelimit_headers", "client_ip", "on_error", "system",
  "concurrency", "breaker", "hotspot", "host", "header", "grpc", "throttle", "warmup",
  "cold", "of", NULL
};

static void unknown_keyword(const struct stmt *s, const struct schema_block *kind) {
  for (size_t i = 0; homes[i].keyword; i++) {
    if (strcmp(homes[i].keyword, s->keyword) == 0) {
      diag_error(s->loc, "'%s' does not belong in %s", s->keyword, kind->what);
      diag_hint("'%s' goes in %s", s->keyword, homes[i].block);
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
  for (const struct schema_rule *r = kind->rules; r->keyword && n < 31; r++)
    names[n++] = r->keyword;
  names[n] = NULL;
  diag_error(s->loc, "unknown statement '%s' in %s", s->keyword, kind->what);
  const char *close = diag_closest(s->keyword, names);
  if (close)
    diag_hint("did you mean '%s'?", close);
}

void check_block(void *ctx, const struct stmt *body, const struct schema_block *kind) {
  for (const struct stmt *s = body; s; s = s->next) {
    const struct schema_rule *r = kind->rules;
    while (r->keyword && strcmp(r->keyword, s->keyword) != 0)
      r++;
    if (r->keyword)
      r->check(ctx, s);
    else
      unknown_keyword(s, kind);
  }
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
