/*
 * check_match.c: the statements of a match block (see check_match.h).
 *
 * First cut: method and exact/prefix paths.
 */
#include <string.h>
#include "check_match.h"
#include "diag.h"
#include "schema.h"
#include "../runtime/tables.h"

#define MAX_PATH_LEN 4096

struct match_ctx {
  struct arena *arena;
  struct ir_match *match;
  size_t paths_cap;
};

static const char *const method_names[] = {
  "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL
};
static const uint32_t method_bits[] = {
  SENTC_GET, SENTC_HEAD, SENTC_POST, SENTC_PUT, SENTC_DELETE, SENTC_CONNECT,
  SENTC_OPTIONS, SENTC_TRACE, SENTC_PATCH,
};

static void unknown_method(const struct value *v) {
  diag_error(v->loc, "unknown HTTP method '%s'", v->text);
  char upper[16] = "";
  for (size_t k = 0; k < v->text_len && k < sizeof upper - 1; k++)
    upper[k] = (char)(v->text[k] >= 'a' && v->text[k] <= 'z' ? v->text[k] - 32 : v->text[k]);
  const char *close = diag_closest(upper, method_names);
  if (close)
    diag_hint("did you mean '%s'? (methods are upper case)", close);
}

static void check_method(void *ctx, const struct stmt *s) {
  struct match_ctx *c = ctx;
  if (!stmt_no_block(s) || args_bad(s))
    return;
  if (!s->args) {
    diag_error(s->loc, "'method' needs at least one method name");
    diag_hint("for example: method GET HEAD;");
    return;
  }
  for (const struct value *v = s->args; v; v = v->next) {
    if (!arg_need(s, v, V_NAME, "method GET HEAD;"))
      return;
    int i = 0;
    while (method_names[i] && strcmp(method_names[i], v->text) != 0)
      i++;
    if (!method_names[i]) {
      unknown_method(v);
      return;
    }
    c->match->methods |= method_bits[i];
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

static void check_path(void *ctx, const struct stmt *s) {
  struct match_ctx *c = ctx;
  if (!stmt_no_block(s) || args_bad(s))
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
  if (!arg_need(s, v, V_STRING, "path prefix \"/api/\";") || !valid_path(v) ||
      !args_done(s, v->next))
    return;
  struct ir_match *m = c->match;
  struct ir_path *p = arena_push(c->arena, &m->paths, &m->n_paths, &c->paths_cap, sizeof *p);
  *p = (struct ir_path){kind, 0, {v->text, v->text_len}, v->loc};
}

static const struct schema_rule match_rules[] = {
  {"method", check_method},
  {"path", check_path},
  {NULL, NULL},
};
static const struct schema_block match_block = {"a match block", match_rules};

void check_match(struct arena *arena, const struct stmt *s, struct ir_match *m) {
  if (args_bad(s) || !args_done(s, s->args) || !stmt_need_block(s))
    return;
  if (m->present) {
    diag_error(s->loc, "a resource has at most one match block");
    diag_hint("the first one is at line %d", m->loc.line);
    return;
  }
  m->present = 1;
  m->loc = s->loc;
  struct match_ctx c = {arena, m, 0};
  check_block(&c, s->body, &match_block);
}
