/*
 * check_fallback.c: fallback responses (LANGUAGE.md, "fallback"): named
 * ones at the top level, inline ones in a resource, and the resource's
 * `fallback NAME;`.  Header values and bodies are split here into template
 * pieces around ${resource}, ${kind} and ${retry_after}, so the runtime
 * only concatenates; what a fallback may send is bounded here, with every
 * placeholder at its longest, by the limits the runtime sizes its reply
 * buffer for (runtime/layout.h), so a reply is never cut.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "diag.h"
#include "schema.h"
#include "source.h"
#include "util.h"
#include "../runtime/layout.h"

_Static_assert(MAX_HEADERS == SENTC_REPLY_HEADERS_MAX, "the runtime sends every header");
_Static_assert(MAX_BODY_BYTES == SENTC_REPLY_BODY_MAX, "the runtime sends the whole body");

struct fallback_ctx {
  struct checker *checker;
  struct ir_fallback *fallback;
  size_t headers_cap;
};

static const char *const placeholders[] = {"resource", "kind", "retry_after", NULL};
static const enum sentc_piece_kind placeholder_kinds[] = {
  SENTC_PIECE_RESOURCE, SENTC_PIECE_KIND, SENTC_PIECE_RETRY_AFTER,
};

static void push_piece(struct arena *arena, struct ir_template *t, size_t *cap,
                       enum sentc_piece_kind kind, const char *text, size_t len) {
  if (kind == SENTC_PIECE_TEXT && len == 0)
    return;
  struct ir_piece *p = arena_push(arena, &t->pieces, &t->n_pieces, cap, sizeof *p);
  p->kind = kind;
  p->text = (struct ir_string){text, len};
}

/* Splits text into pieces; reports an unknown or unclosed ${...} at `loc`. */
static int split_template(struct arena *arena, const char *text, size_t len, struct loc loc,
                          struct ir_template *out) {
  size_t cap = 0, start = 0;
  *out = (struct ir_template){0};
  for (size_t i = 0; i + 1 < len; i++) {
    if (text[i] != '$' || text[i + 1] != '{')
      continue;
    const char *close = memchr(text + i + 2, '}', len - i - 2);
    if (!close) {
      diag_error(loc, "'${' has no closing '}'");
      diag_hint("placeholders are ${resource}, ${kind} and ${retry_after}");
      return 0;
    }
    size_t name_len = (size_t)(close - (text + i + 2));
    char name[32] = "";
    if (name_len < sizeof name)
      memcpy(name, text + i + 2, name_len);
    int k = 0;
    while (placeholders[k] && (strlen(placeholders[k]) != name_len ||
                               strcmp(placeholders[k], name) != 0))
      k++;
    if (!placeholders[k]) {
      diag_error(loc, "unknown placeholder '${%.*s}'", (int)(name_len > 32 ? 32 : name_len),
                 text + i + 2);
      const char *near = diag_closest(name, placeholders);
      if (near)
        diag_hint("did you mean '${%s}'?", near);
      else
        diag_hint("placeholders are ${resource}, ${kind} and ${retry_after}");
      return 0;
    }
    push_piece(arena, out, &cap, SENTC_PIECE_TEXT, text + start, i - start);
    push_piece(arena, out, &cap, placeholder_kinds[k], "", 0);
    start = i = (size_t)(close - text);
    start++;
  }
  push_piece(arena, out, &cap, SENTC_PIECE_TEXT, text + start, len - start);
  return 1;
}

/* The most bytes a template can become: ${resource} at the longest name. */
static uint64_t template_max(const struct ir_template *t) {
  uint64_t bytes = 0;
  for (size_t i = 0; i < t->n_pieces; i++)
    bytes += sentc_layout_piece_max(t->pieces[i].kind, (uint32_t)t->pieces[i].text.len,
                                    SENTC_MAX_NAME_LEN);
  return bytes;
}

static const char placeholder_hint[] =
    "placeholders count at their longest: ${resource} %d bytes, ${kind} %u, ${retry_after} %u";

static void check_status(void *ctx, const struct stmt *s) {
  struct fallback_ctx *f = ctx;
  const struct value *v = single_arg(s, V_INT, "status 429;");
  uint32_t status;
  if (v && value_uint(s, v, 200, 599, "status 429;", &status))
    f->fallback->status = (int)status;
}

static void check_grpc_status(void *ctx, const struct stmt *s) {
  struct fallback_ctx *f = ctx;
  const struct value *v = single_arg(s, V_INT, "grpc_status 8;");
  uint32_t code;
  if (v && value_uint(s, v, 0, MAX_GRPC_STATUS, "grpc_status 8;", &code))
    f->fallback->grpc_status = (int)code;
}

static int valid_header_value(const struct value *v) {
  for (size_t i = 0; i < v->text_len; i++)
    if (v->text[i] == '\r' || v->text[i] == '\n' || v->text[i] == 0) {
      diag_error(v->loc, "a header value cannot hold a line break or a NUL byte");
      return 0;
    }
  return 1;
}

static void check_header(void *ctx, const struct stmt *s) {
  struct fallback_ctx *f = ctx;
  struct ir_fallback *fb = f->fallback;
  const char *example = "header \"retry-after\" \"${retry_after}\";";
  const struct value *name = s->args;
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, name, V_STRING, example) ||
      !arg_need(s, name->next, V_STRING, example) || !args_done(s, name->next->next) ||
      !valid_header_name(name, 0) || !valid_header_value(name->next))
    return;
  if (fb->n_headers >= MAX_HEADERS) {
    diag_error(s->loc, "a fallback has at most %d headers", MAX_HEADERS);
    return;
  }
  struct ir_template value;
  if (!split_template(f->checker->arena, name->next->text, name->next->text_len, name->next->loc,
                      &value))
    return;
  uint64_t bytes = name->text_len + template_max(&value);
  for (size_t i = 0; i < fb->n_headers; i++)
    bytes += fb->headers[i].name.len + template_max(&fb->headers[i].value);
  if (bytes > SENTC_REPLY_HEADER_BYTES_MAX) {
    diag_error(s->loc, "with this header the fallback's headers can take %" PRIu64 " bytes, "
               "over the limit of %u (60 KiB)", bytes, SENTC_REPLY_HEADER_BYTES_MAX);
    diag_hint(placeholder_hint, SENTC_MAX_NAME_LEN, SENTC_KIND_NAME_MAX, SENTC_RETRY_AFTER_MAX);
    return;
  }
  struct ir_reply_header *h =
      arena_push(f->checker->arena, &fb->headers, &fb->n_headers, &f->headers_cap, sizeof *h);
  char *lower = arena_strndup(f->checker->arena, name->text, name->text_len);
  for (char *p = lower; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p + 32);
  h->name = (struct ir_string){lower, name->text_len};
  h->value = value;
}

/* The text of `body file "path"`, read relative to the file that names it. */
static char *read_body_file(const struct value *v, size_t *len) {
  char path[4096];
  char *text = source_read_near(v->loc.file, v->text, v->text_len, MAX_BODY_BYTES, path,
                                sizeof path, len);
  if (!text) {
    diag_error(v->loc, "cannot read '%s': %s", errno == EILSEQ ? v->text : path,
               source_read_error(errno, MAX_BODY_BYTES));
    diag_hint("%s", errno == EPERM ? SOURCE_CONFINE_HINT
                                   : "the path is relative to the file that names it");
  }
  return text;
}

static void check_body(void *ctx, const struct stmt *s) {
  struct fallback_ctx *f = ctx;
  const char *example = "body \"text\";  or  body file \"errors/429.json\";";
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s))
    return;
  int from_file = v && v->kind == V_NAME && strcmp(v->text, "file") == 0;
  if (from_file)
    v = v->next;
  if (!arg_need(s, v, V_STRING, example) || !args_done(s, v->next))
    return;
  if (v->kind == V_NAME) {
    diag_error(v->loc, "'body' takes a quoted string or 'file', not '%s'", v->text);
    diag_hint("for example: %s", example);
    return;
  }
  const char *text = v->text;
  size_t len = v->text_len;
  char *file_text = NULL;
  if (from_file && !(text = file_text = read_body_file(v, &len)))
    return;
  text = arena_strndup(f->checker->arena, text, len);
  free(file_text);
  if (!split_template(f->checker->arena, text, len, v->loc, &f->fallback->body))
    return;
  uint64_t bytes = template_max(&f->fallback->body);
  if (bytes > SENTC_REPLY_BODY_MAX) {
    diag_error(v->loc, "this body can take %" PRIu64 " bytes, over the limit of %u (1 MiB)",
               bytes, SENTC_REPLY_BODY_MAX);
    diag_hint(placeholder_hint, SENTC_MAX_NAME_LEN, SENTC_KIND_NAME_MAX, SENTC_RETRY_AFTER_MAX);
    return;
  }
  f->fallback->has_body = 1;
}

static void check_details(void *ctx, const struct stmt *s) {
  struct fallback_ctx *f = ctx;
  const struct value *v = single_arg(s, V_STRING, "details \"sentinel_blocked\";");
  if (!v)
    return;
  for (size_t i = 0; i < v->text_len; i++)
    if ((unsigned char)v->text[i] <= 0x20 || v->text[i] == 0x7f) {
      diag_error(v->loc, "response code details cannot hold spaces or control characters");
      diag_hint("Envoy logs them as one word: write \"sentinel_blocked\"");
      return;
    }
  f->fallback->details = (struct ir_string){v->text, v->text_len};
}

static void check_forward(void *ctx, const struct stmt *s) {
  struct fallback_ctx *f = ctx;
  if (no_args(s))
    f->fallback->forward = 1;
}

static const struct schema_rule fallback_rules[] = {
  {"status", check_status},
  {"header", check_header},
  {"body", check_body},
  {"grpc_status", check_grpc_status},
  {"details", check_details},
  {"forward", check_forward},
  {NULL, NULL},
};
const struct schema_block fallback_block = {"a fallback", fallback_rules};

/* A forwarded request gets no response from us: say so if one is described. */
static void check_forward_alone(const struct stmt *s, const struct ir_fallback *fb) {
  if (!fb->forward || (!fb->status && fb->grpc_status < 0 && !fb->has_body))
    return;
  diag_error(s->loc, "a fallback with 'forward' sends the request upstream: it cannot also "
                     "set a status or a body");
  diag_hint("keep 'forward' and 'header', or drop 'forward'");
}

/* Records a fallback from block `s`; returns its index. */
static int define_fallback(struct checker *c, const struct stmt *s, const struct value *name) {
  struct ir_policy *p = c->policy;
  int index = (int)p->n_fallbacks;
  struct ir_fallback *fb =
      arena_push(c->arena, &p->fallbacks, &p->n_fallbacks, &c->cap.fallbacks, sizeof *fb);
  fb->grpc_status = -1;
  fb->loc = name ? name->loc : s->loc;
  if (name)
    fb->name = (struct ir_string){name->text, name->text_len};
  else
    fb->name = (struct ir_string){"", 0};
  struct fallback_ctx f = {c, fb, 0};
  check_block_once(&f, s->body, &fallback_block, (const char *const[]){"header", NULL});
  check_forward_alone(s, &p->fallbacks[index]);
  return index;
}

void check_fallback_def(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s) || !arg_need(s, v, V_NAME, "fallback busy { status 429; }") ||
      !valid_name(v) || !args_done(s, v->next) || !stmt_need_block(s))
    return;
  int other = names_find(&c->fallback_names, v->text, v->text_len);
  if (other >= 0) {
    const struct loc *first = &c->policy->fallbacks[other].loc;
    diag_error(v->loc, "fallback '%s' is defined twice", v->text);
    diag_hint("the first definition is at %s:%d", source_path(first->file), first->line);
    return;
  }
  names_add(c->arena, &c->fallback_names, v->text, v->text_len, (int)c->policy->n_fallbacks);
  define_fallback(c, s, v);
}

void check_resource_fallback(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  size_t index = (size_t)(c->resource - c->policy->resources);
  if (args_bad(s))
    return;
  if (c->resource_fallback) {
    diag_error(s->loc, "a resource has at most one fallback");
    diag_hint("the first one is at line %d; a rule may name its own: "
              "flow 10/s { fallback other; }", c->resource_fallback->loc.line);
    return;
  }
  c->resource_fallback = s;
  if (s->has_block) {
    if (args_done(s, s->args))
      c->resource->fallback = define_fallback(c, s, NULL);
    return;
  }
  const struct value *v = single_arg(s, V_NAME, "fallback busy;  or  fallback { status 503; }");
  if (v)
    ref_add(c, REF_FALLBACK, OWN_RESOURCE, index, v);
}
