/*
 * check_match.c: the statements of a match block (see check_match.h).
 *
 * Each statement adds alternatives to the ir_match (hosts, paths, ports) or
 * a predicate (method bits, headers).  Policy paths are normalized here by
 * the runtime's own normalize.c, so they are spelled as requests will be.
 * Once the block is read, the header predicates are checked against each
 * other: a match that can never hold is an error, not a silent dead rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_match.h"
#include "check_values.h"
#include "diag.h"
#include "schema.h"
#include "util.h"
#include "../runtime/tables.h"

#define MAX_PATH_LEN 4096

struct match_ctx {
  struct arena *arena;
  struct ir_match *match;
  size_t hosts_cap, paths_cap, headers_cap, ports_cap;
};

/* ---- method ---- */

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

/* ---- host ---- */

static void lower_case(char *text, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (text[i] >= 'A' && text[i] <= 'Z')
      text[i] = (char)(text[i] + 32);
}

static int valid_host(const struct value *v) {
  const char *text = v->text;
  size_t len = v->text_len;
  if (len >= 2 && text[0] == '*' && text[1] == '.') {
    text += 2;
    len -= 2;
  }
  if (len == 0 || memchr(text, '*', len)) {
    diag_error(v->loc, "a host is a name such as \"api.example.com\" or \"*.example.com\"");
    diag_hint("'*' may only stand first, as in \"*.example.com\"; leave out 'host' to match "
              "every host");
    return 0;
  }
  if (text[0] != '[' && memchr(text, ':', len)) {
    diag_error(v->loc, "a host to match has no port");
    diag_hint("ports are ignored when hosts are compared: write \"%.*s\"",
              (int)((const char *)memchr(text, ':', len) - v->text), v->text);
    return 0;
  }
  if (memchr(text, '/', len) || memchr(text, ' ', len) || memchr(text, 0, len)) {
    diag_error(v->loc, "a host holds no '/', space or NUL byte");
    return 0;
  }
  return 1;
}

static void check_host(void *ctx, const struct stmt *s) {
  struct match_ctx *c = ctx;
  if (!stmt_no_block(s) || args_bad(s) ||
      !arg_need(s, s->args, V_STRING, "host \"api.example.com\" \"*.example.com\";"))
    return;
  for (const struct value *v = s->args; v; v = v->next) {
    if (!arg_need(s, v, V_STRING, "host \"api.example.com\" \"*.example.com\";") ||
        !valid_host(v))
      return;
    struct ir_match *m = c->match;
    struct ir_host *h = arena_push(c->arena, &m->hosts, &m->n_hosts, &c->hosts_cap, sizeof *h);
    h->wildcard = v->text[0] == '*';
    size_t skip = h->wildcard ? 1 : 0;      /* keep the '.' of "*.example.com" */
    size_t len = v->text_len - skip;
    if (len > 1 && v->text[v->text_len - 1] == '.')
      len--;                                /* "example.com." is "example.com" */
    char *name = arena_strndup(c->arena, v->text + skip, len);
    lower_case(name, len);
    h->name = (struct ir_string){name, len};
    h->loc = v->loc;
  }
}

/* ---- path and grpc ---- */

/* An optional NAME before a statement's string (path prefix "/x/", header
 * "x" present): its index among `words` with *v moved past it, 0 (the
 * first word, the default) when there is none, or -1 after reporting an
 * unknown `what` with the closest word, else `hint`. */
static int leading_word(const struct value **v, const char *const *words, const char *what,
                        const char *hint) {
  const struct value *w = *v;
  if (!w || w->kind != V_NAME)
    return 0;
  int k = 0;
  while (words[k] && strcmp(words[k], w->text) != 0)
    k++;
  if (!words[k]) {
    diag_error(w->loc, "unknown %s '%s'", what, w->text);
    const char *close = diag_closest(w->text, words);
    if (close)
      diag_hint("did you mean '%s'?", close);
    else
      diag_hint("%s", hint);
    return -1;
  }
  *v = w->next;
  return k;
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
  if (memchr(v->text, '?', v->text_len) || memchr(v->text, '#', v->text_len)) {
    diag_error(v->loc, "a path to match holds no query or fragment");
    diag_hint("requests are matched on their path with the query and fragment cut off");
    return 0;
  }
  return 1;
}

/* Each segment of a template is literal, "{name}", or a last "**": what is
 * wrong with text[0, len) as a template (0 when nothing): 1 for a "**"
 * before the end, 2 for a segment that is none of the three. */
static int template_error(const char *t, size_t len) {
  const char *end = t + len;
  while (t < end) {
    const char *seg = ++t;              /* after the '/' */
    while (t < end && *t != '/')
      t++;
    size_t n = (size_t)(t - seg);
    int braced = n >= 2 && seg[0] == '{' && seg[n - 1] == '}';
    if (n == 2 && seg[0] == '*' && seg[1] == '*') {
      if (t == end)
        continue;
      return 1;
    }
    if (braced ? n == 2 || memchr(seg + 1, '{', n - 2) || memchr(seg + 1, '}', n - 2)
               : memchr(seg, '{', n) || memchr(seg, '}', n) || memchr(seg, '*', n))
      return 2;
  }
  return 0;
}

static int valid_template(const struct value *v) {
  int error = template_error(v->text, v->text_len);
  if (error == 1) {
    diag_error(v->loc, "'**' may only be the last segment of a template");
    diag_hint("use {name} for one segment in the middle of a path");
  } else if (error == 2) {
    diag_error(v->loc, "a template segment is literal text, {name} or a last '**'");
    diag_hint("{name} stands for one whole segment, as in \"/users/{id}/orders/**\"");
  }
  return error == 0;
}

/* Does a path given as exact or prefix hold a template segment ("{id}" or
 * "**")?  It is matched literally, which is rarely what was meant. */
static int looks_like_template(const struct value *v) {
  const char *t = v->text, *end = t + v->text_len;
  while (t < end) {
    const char *seg = ++t;
    while (t < end && *t != '/')
      t++;
    size_t n = (size_t)(t - seg);
    if ((n == 2 && seg[0] == '*' && seg[1] == '*') ||
        (n >= 3 && seg[0] == '{' && seg[n - 1] == '}' && !memchr(seg + 1, '{', n - 2) &&
         !memchr(seg + 1, '}', n - 2)))
      return 1;
  }
  return 0;
}

static void warn_literal_template(enum sentc_path_kind kind, const struct value *v) {
  diag_warning(v->loc, "this %s path is matched literally: {name} and '**' stand for segments "
               "only in a path template", kind == SENTC_PATH_EXACT ? "exact" : "prefix");
  /* As a template: a prefix takes any rest of the path (a last "**"). */
  size_t len = v->text_len;
  int ends_rest = len >= 3 && memcmp(v->text + len - 3, "/**", 3) == 0;
  const char *tail = kind == SENTC_PATH_EXACT || ends_rest ? ""
                     : v->text[len - 1] == '/' ? "**" : "/**";
  char *as_template = xmalloc(len + 4);
  snprintf(as_template, len + 4, "%s%s", v->text, tail);
  if (template_error(as_template, strlen(as_template)) == 0)
    diag_hint("to match any segment there, write: path template \"%s\"", as_template);
  free(as_template);
}

static void add_path(struct match_ctx *c, enum sentc_path_kind kind, int grpc, const char *text,
                     size_t len, struct loc loc) {
  char *normal = arena_alloc(c->arena, len + 1);
  size_t n = sentc_normalize_path(text, len, normal, len);
  struct ir_match *m = c->match;
  struct ir_path *p = arena_push(c->arena, &m->paths, &m->n_paths, &c->paths_cap, sizeof *p);
  *p = (struct ir_path){kind, grpc, {normal, n}, loc};
}

static const char *const path_kinds[] = {"exact", "prefix", "template", NULL};

static void check_path(void *ctx, const struct stmt *s) {
  if (!stmt_no_block(s) || args_bad(s))
    return;
  const struct value *v = s->args;
  int k = leading_word(&v, path_kinds, "kind of path match",
                       "write path \"/x\" (exact), path prefix \"/x/\" or path template \"/x/{id}\"");
  if (k < 0)
    return;
  enum sentc_path_kind kind = (enum sentc_path_kind)k;
  if (!arg_need(s, v, V_STRING, "path prefix \"/api/\";") || !valid_path(v) ||
      (kind == SENTC_PATH_TEMPLATE && !valid_template(v)) || !args_done(s, v->next))
    return;
  if (kind != SENTC_PATH_TEMPLATE && looks_like_template(v))
    warn_literal_template(kind, v);
  add_path(ctx, kind, 0, v->text, v->text_len, v->loc);
}

/* grpc "shop.Cart" is path prefix "/shop.Cart/"; "shop.Cart/Checkout" is
 * path "/shop.Cart/Checkout"; both also need a gRPC content-type. */
static void check_grpc(void *ctx, const struct stmt *s) {
  if (!stmt_no_block(s) || args_bad(s) ||
      !arg_need(s, s->args, V_STRING, "grpc \"shop.Cart\" \"shop.Cart/Checkout\";"))
    return;
  for (const struct value *v = s->args; v; v = v->next) {
    if (!arg_need(s, v, V_STRING, "grpc \"shop.Cart\";"))
      return;
    const char *slash = memchr(v->text, '/', v->text_len);
    const char *last = v->text_len ? v->text + v->text_len - 1 : NULL;
    if (!v->text_len || v->text[0] == '/' || (slash && (slash == last ||
        memchr(slash + 1, '/', (size_t)(last - slash)))) || memchr(v->text, 0, v->text_len) ||
        v->text_len > MAX_PATH_LEN - 2) {
      diag_error(v->loc, "a gRPC match is \"package.Service\" or \"package.Service/Method\"");
      diag_hint("no leading '/': grpc \"shop.Cart\" matches path prefix \"/shop.Cart/\"");
      return;
    }
    char path[MAX_PATH_LEN + 2];
    int n = snprintf(path, sizeof path, "/%.*s%s", (int)v->text_len, v->text, slash ? "" : "/");
    add_path(ctx, slash ? SENTC_PATH_EXACT : SENTC_PATH_PREFIX, 1, path, (size_t)n, v->loc);
  }
}

/* ---- header ---- */

static const char *const header_ops[] = {"exact", "prefix", "present", "absent", NULL};

static void check_header(void *ctx, const struct stmt *s) {
  struct match_ctx *c = ctx;
  const char *example = "header \"x-env\" \"canary\";";
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, s->args, V_STRING, example))
    return;
  const struct value *name = s->args, *v = name->next;
  if (!valid_header_name(name, 1))
    return;
  int k = leading_word(&v, header_ops, "header test",
                       "a header test is a value, prefix \"v\", present or absent");
  if (k < 0)
    return;
  enum sentc_header_op op = (enum sentc_header_op)k;
  int has_value = op == SENTC_HEADER_EXACT || op == SENTC_HEADER_PREFIX;
  if ((has_value && !arg_need(s, v, V_STRING, example)) ||
      !args_done(s, has_value ? v->next : v))
    return;
  struct ir_match *m = c->match;
  if (m->n_headers >= MAX_MATCH_HEADERS) {
    diag_error(s->loc, "a match has at most %d header statements", MAX_MATCH_HEADERS);
    return;
  }
  struct ir_header *h = arena_push(c->arena, &m->headers, &m->n_headers, &c->headers_cap,
                                   sizeof *h);
  char *lower = arena_strndup(c->arena, name->text, name->text_len);
  lower_case(lower, name->text_len);
  h->name = (struct ir_string){lower, name->text_len};
  h->op = op;
  if (has_value)
    h->value = (struct ir_string){v->text, v->text_len};
  h->loc = s->loc;
}

/* ---- tcp ---- */

static void check_port(void *ctx, const struct stmt *s) {
  struct match_ctx *c = ctx;
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, s->args, V_INT, "port 5432;"))
    return;
  for (const struct value *v = s->args; v; v = v->next) {
    if (!arg_need(s, v, V_INT, "port 5432 5433;"))
      return;
    if (v->number < 1 || v->number > 65535) {
      diag_error(v->loc, "a port is a number from 1 to 65535");
      return;
    }
    struct ir_match *m = c->match;
    uint16_t *p = arena_push(c->arena, &m->ports, &m->n_ports, &c->ports_cap, sizeof *p);
    *p = (uint16_t)v->number;
  }
}

static void port_outside_tcp(void *ctx, const struct stmt *s) {
  (void)ctx;
  diag_error(s->loc, "'port' is only for TCP resources");
  diag_hint("write match tcp { port 5432; } for a TCP (network filter) resource");
}

static void http_only(void *ctx, const struct stmt *s) {
  (void)ctx;
  diag_error(s->loc, "'%s' does not apply to TCP connections", s->keyword);
  diag_hint("a `match tcp` block takes only 'port'");
}

/* ---- contradictions ---- */

static int starts_with(struct ir_string s, struct ir_string prefix) {
  return s.len >= prefix.len && memcmp(s.text, prefix.text, prefix.len) == 0;
}

/* Can a header value satisfy both a and b (same name)?  (Every pair is
 * compared: MAX_MATCH_HEADERS keeps that cheap.)  Not if one asks
 * for absence and the other for a value, or two values disagree. */
static const char *conflict(const struct ir_header *a, const struct ir_header *b) {
  int a_absent = a->op == SENTC_HEADER_ABSENT, b_absent = b->op == SENTC_HEADER_ABSENT;
  if (a_absent != b_absent)
    return "one says it is absent, the other needs it";
  if (a->op == SENTC_HEADER_EXACT && b->op == SENTC_HEADER_EXACT &&
      (a->value.len != b->value.len || memcmp(a->value.text, b->value.text, a->value.len)))
    return "a header has one value, not two different ones";
  if (a->op == SENTC_HEADER_EXACT && b->op == SENTC_HEADER_PREFIX && !starts_with(a->value, b->value))
    return "the exact value does not start with the prefix";
  if (a->op == SENTC_HEADER_PREFIX && b->op == SENTC_HEADER_EXACT && !starts_with(b->value, a->value))
    return "the exact value does not start with the prefix";
  if (a->op == SENTC_HEADER_PREFIX && b->op == SENTC_HEADER_PREFIX &&
      !starts_with(a->value, b->value) && !starts_with(b->value, a->value))
    return "no value starts with both prefixes";
  return NULL;
}

static void check_header_conflicts(const struct ir_match *m) {
  for (size_t j = 1; j < m->n_headers; j++) {
    const struct ir_header *b = &m->headers[j];
    for (size_t i = 0; i < j; i++) {
      const struct ir_header *a = &m->headers[i];
      const char *why = a->name.len == b->name.len &&
                        memcmp(a->name.text, b->name.text, a->name.len) == 0 ? conflict(a, b)
                                                                              : NULL;
      if (why) {
        diag_error(b->loc, "this match can never hold: header '%s' conflicts with %d:%d",
                   b->name.text, a->loc.line, a->loc.col);
        diag_hint("%s; every header statement must hold", why);
        break;
      }
    }
  }
}

/* ---- the blocks ---- */

static const struct schema_rule http_rules[] = {
  {"host", check_host}, {"method", check_method}, {"path", check_path},
  {"header", check_header}, {"grpc", check_grpc}, {"port", port_outside_tcp},
  {NULL, NULL},
};
const struct schema_block http_block = {"a match block", http_rules};

static const struct schema_rule tcp_rules[] = {
  {"port", check_port}, {"host", http_only}, {"method", http_only}, {"path", http_only},
  {"header", http_only}, {"grpc", http_only},
  {NULL, NULL},
};
const struct schema_block tcp_block = {"a `match tcp` block", tcp_rules};

/* `match` or `match tcp`; returns 0 after reporting anything else. */
static int read_protocol(const struct stmt *s, struct ir_match *m) {
  const struct value *v = s->args;
  if (!v)
    return 1;
  if (v->kind == V_NAME && strcmp(v->text, "tcp") == 0) {
    m->protocol = SENTC_TCP;
    return args_done(s, v->next);
  }
  diag_error(v->loc, "a match is `match { ... }` or `match tcp { ... }`");
  diag_hint("match { ... } is for HTTP requests, match tcp { port 5432; } for connections");
  return 0;
}

void check_match(struct arena *arena, const struct stmt *s, struct ir_match *m) {
  if (args_bad(s) || !stmt_need_block(s))
    return;
  if (m->present) {
    diag_error(s->loc, "a resource has at most one match block");
    diag_hint("the first one is at line %d", m->loc.line);
    return;
  }
  if (!read_protocol(s, m))
    return;
  m->present = 1;
  m->loc = s->loc;
  struct match_ctx c = {arena, m, 0, 0, 0, 0};
  check_block(&c, s->body, m->protocol == SENTC_TCP ? &tcp_block : &http_block);
  check_header_conflicts(m);
}
