/*
 * hotspot.c: the hotspot rule kind in the compiler (kind.h): hot-key
 * limits (docs/language.md, "hotspot KEY (RATE | concurrency N)"): the key
 * a request is counted by, its rate or in-flight limit per value, and the
 * per-value options; sized, explained and written as tables.h's `struct
 * sentc_hotspot`.
 */
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "codegen.h"
#include "cwrite.h"
#include "diag.h"
#include "explain.h"
#include "kind.h"

#define DEFAULT_CAPACITY 10000

static struct ir_hotspot *current_hotspot(struct checker *c) { return rule_current(c); }

const char hotspot_example[] = "hotspot header \"x-user\" 5/s { burst 2; }";

/* ---- check ---- */

/* Options that only a rate can have. */
static int rate_form(const struct stmt *s, const struct ir_hotspot *h) {
  if (!h->concurrency)
    return 1;
  diag_error(s->loc, "'%s' applies only to a hotspot with a rate", s->keyword);
  diag_hint("a 'concurrency N' hotspot limits values in flight, with no rate to shape");
  return 0;
}

static void check_burst(void *ctx, const struct stmt *s) {
  struct ir_hotspot *h = current_hotspot(ctx);
  const struct value *v = single_arg(s, V_INT, "burst 10;");
  if (v && rate_form(s, h))
    value_uint(s, v, 0, SENTC_MAX_RATE_COUNT, "burst 10;", &h->burst);
}

static void check_capacity(void *ctx, const struct stmt *s) {
  struct ir_hotspot *h = current_hotspot(ctx);
  const struct value *v = single_arg(s, V_INT, "capacity 10000;");
  if (v)
    value_uint(s, v, 1, MAX_CAPACITY, "capacity 10000;", &h->capacity);
}

static void check_hotspot_throttle(void *ctx, const struct stmt *s) {
  struct ir_hotspot *h = current_hotspot(ctx);
  const struct value *v = single_arg(s, V_DURATION, "throttle 500ms;");
  if (v && rate_form(s, h) &&
      value_duration(s, v, 0, MAX_THROTTLE_MS, "throttle 500ms;", &h->max_queue_ms))
    h->throttle = 1;
}

/* item "partner-7" 50/s; */
static void check_item(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  struct ir_hotspot *h = current_hotspot(c);
  const char *example = "item \"partner-7\" 50/s;";
  const struct value *v = s->args;
  struct ir_item item = {0};
  if (!stmt_no_block(s) || args_bad(s) || !rate_form(s, h) ||
      !arg_need(s, v, V_STRING, example) ||
      !value_rate(s, v->next, example, &item.count, &item.window_ms) ||
      !args_done(s, v->next->next))
    return;
  if (h->n_items >= SENTC_MAX_ITEMS) {      /* before the look for a twin: bounded work */
    diag_error(s->loc, "a hotspot has at most %d items", SENTC_MAX_ITEMS);
    return;
  }
  for (size_t i = 0; i < h->n_items; i++) {
    if (h->items[i].value.len == v->text_len &&
        memcmp(h->items[i].value.text, v->text, v->text_len) == 0) {
      diag_error(v->loc, "item \"%s\" is given twice", v->text);
      diag_hint("the first one is at line %d", h->items[i].loc.line);
      return;
    }
  }
  item.value = (struct ir_string){v->text, v->text_len};
  item.loc = v->loc;
  *(struct ir_item *)arena_push(c->arena, &h->items, &h->n_items, &c->cap.items,
                                sizeof item) = item;
}

static const struct schema_rule hotspot_rules[] = {
  {"burst", check_burst},
  {"capacity", check_capacity},
  {"throttle", check_hotspot_throttle},
  {"item", check_item},
  {"name", check_rule_name},
  {"mode", check_rule_mode},
  {"scope", check_rule_scope},
  {"fallback", check_rule_fallback},
  {NULL, NULL},
};
const struct schema_block hotspot_block = {"a hotspot rule", hotspot_rules};

/* In the order of tables.h's SENTC_KEY_KIND_LIST. */
static const char *const keys[] = {
  "header", "query", "cookie", "client_ip", "host", "path", "method", NULL
};

/* KEY: header/query/cookie take the name; *rest is the argument after it. */
static int check_key(const struct stmt *s, struct ir_hotspot *h, const struct value **rest) {
  const struct value *v = s->args;
  int key = value_word(s, v, keys, "hotspot header \"x-user-id\" 5/s;");
  if (key < 0)
    return 0;
  h->key = (enum sentc_key_kind)key;
  *rest = v->next;
  if (key > SENTC_KEY_COOKIE)
    return 1;
  if (!arg_need(s, v->next, V_STRING, "hotspot header \"x-user-id\" 5/s;"))
    return 0;
  const struct value *name = v->next;
  if (name->text_len == 0 || name->text_len > 256 || memchr(name->text, 0, name->text_len)) {
    diag_error(name->loc, "a key name must have 1 to 256 bytes and no NUL byte");
    return 0;
  }
  if (key == SENTC_KEY_HEADER && !valid_header_name(name, 1))
    return 0;
  char *text = (char *)name->text;
  if (key == SENTC_KEY_HEADER)          /* header names are case-insensitive */
    for (size_t i = 0; i < name->text_len; i++)
      if (text[i] >= 'A' && text[i] <= 'Z')
        text[i] = (char)(text[i] + 32);
  h->key_name = (struct ir_string){text, name->text_len};
  *rest = name->next;
  return 1;
}

/* RATE, or `concurrency N`. */
static int check_limit(const struct stmt *s, const struct value *v, struct ir_hotspot *h) {
  const char *example = "hotspot client_ip 5/s;  or  hotspot client_ip concurrency 2;";
  if (v && v->kind == V_NAME && strcmp(v->text, "concurrency") == 0) {
    h->concurrency = 1;
    return value_uint(s, v->next, 1, SENTC_MAX_CONCURRENCY, "hotspot client_ip concurrency 2;",
                      &h->count) &&
           args_done(s, v->next->next);
  }
  return value_rate(s, v, example, &h->count, &h->window_ms) && args_done(s, v->next);
}

void hotspot_check(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  if (args_bad(s))
    return;
  struct ir_hotspot h = {.capacity = DEFAULT_CAPACITY};
  const struct value *limit;
  if (!check_key(s, &h, &limit) || !check_limit(s, limit, &h))
    return;
  struct ir_hotspot *r = rule_begin(c, SENTC_KIND_HOTSPOT, s);
  h.rule = r->rule;
  *r = h;
  c->cap.items = 0;
  if (s->has_block)
    check_block_once(c, s->body, &hotspot_block, (const char *const[]){"item", NULL});
  rule_end(c);
}

KIND_NOTHING_TO_SETTLE(hotspot)

KIND_NOTHING_TO_WARN(hotspot)

/* ---- size and explain ---- */

/* A cell per value it may track, and in worker scope the directory finding
 * them (proxy scope maps values to cells by hash alone). */
struct state_bytes hotspot_size(const struct ir_policy *p, size_t i) {
  const struct ir_hotspot *h = &p->hotspot[i];
  uint32_t capacity = h->capacity ? h->capacity : 1;
  struct state_bytes s = state_cells(h->rule.scope, capacity, sizeof(struct sentc_hot_value),
                                     h->concurrency ? 1 : 0, h->count);
  if (h->rule.scope == SENTC_SCOPE_WORKER)
    s.worker += sentc_layout_hot_directory(capacity);
  return s;
}

static const char *key_words[] = {
  [SENTC_KEY_HEADER] = "header", [SENTC_KEY_QUERY] = "query parameter",
  [SENTC_KEY_COOKIE] = "cookie", [SENTC_KEY_CLIENT_IP] = "client IP", [SENTC_KEY_HOST] = "host",
  [SENTC_KEY_PATH] = "path", [SENTC_KEY_METHOD] = "method",
};

struct state_bytes hotspot_explain(FILE *out, const struct ir_policy *p, size_t i) {
  const struct ir_hotspot *h = &p->hotspot[i];
  fprintf(out, "    %s (line %d): per value of the %s", h->rule.name, h->rule.loc.line,
          key_words[h->key]);
  if (h->key_name.len) {
    fputc(' ', out);
    cwrite_literal(out, h->key_name);
  }
  if (h->concurrency) {
    fprintf(out, ", at most %u in flight", h->count);
  } else {
    fprintf(out, ", at most %u per ", h->count);
    explain_ms(out, h->window_ms);
    if (h->throttle) {
      fputs(", paced, holding a request up to ", out);
      explain_ms(out, h->max_queue_ms);
    } else {
      fprintf(out, " plus a burst of %u", h->burst);
    }
  }
  if (h->rule.scope == SENTC_SCOPE_WORKER)
    fprintf(out, "; tracks at most %u values (least recently used forgotten)", h->capacity);
  else
    fprintf(out, "; values share %u slots by hash, across workers", h->capacity);
  for (size_t k = 0; k < h->n_items; k++) {
    fputs("\n      value ", out);
    cwrite_literal(out, h->items[k].value);
    fprintf(out, ": at most %u per ", h->items[k].count);
    explain_ms(out, h->items[k].window_ms);
  }
  fputc('\n', out);
  return explain_rule_tail(out, p, SENTC_KIND_HOTSPOT, &h->rule, hotspot_size(p, i));
}

/* ---- emit ---- */

static const char *const key_names[] = {SENTC_KEY_KIND_LIST(SENTC_ENUM_NAME)};
static const char *const mode_names[] = {SENTC_HOTSPOT_MODE_LIST(SENTC_ENUM_NAME)};

void hotspot_emit(FILE *out, const struct ir_policy *p) {
  for (size_t i = 0; i < p->n_hotspot; i++) {
    const struct ir_hotspot *h = &p->hotspot[i];
    if (!h->n_items)
      continue;
    fprintf(out, "\nstatic const struct sentc_item hotspot_%zu_items[] = {\n", i);
    for (size_t k = 0; k < h->n_items; k++) {
      fprintf(out, "  /* line %u */ {.value = ", codegen_line(h->items[k].loc));
      cwrite_string(out, h->items[k].value);
      fprintf(out, ", .count = %u, .window_ms = %u},\n", h->items[k].count,
              h->items[k].window_ms);
    }
    fputs("};\n", out);
  }
  fputs("\nstatic const struct sentc_hotspot hotspot[] = {\n", out);
  for (size_t i = 0; i < p->n_hotspot; i++) {
    const struct ir_hotspot *h = &p->hotspot[i];
    fprintf(out, "  /* %zu, line %u */\n  {", i, codegen_line(h->rule.loc));
    codegen_rule(out, &h->rule);
    fprintf(out, ",\n   .key = %s, .key_name = ", key_names[h->key]);
    cwrite_string(out, h->key_name);
    fprintf(out, ", .mode = %s,\n   .count = %u, .window_ms = %u, .burst = %u, .throttle = %d, "
                 ".max_queue_ms = %u, .capacity = %u",
            mode_names[h->concurrency ? SENTC_HOTSPOT_CONCURRENCY : SENTC_HOTSPOT_RATE],
            h->count, h->window_ms, h->burst, h->throttle, h->max_queue_ms, h->capacity);
    codegen_array(out, "items", h->n_items, "hotspot_%zu_items", i);
    fputs("},\n", out);
  }
  fputs("};\n", out);
}

/* "hotspot_" and the key: a header's name ("hotspot_x-user-id"), "query_" or
 * "cookie_" and the name, or the key word ("hotspot_client_ip"); the
 * concurrency form ends in "_concurrency". */
void hotspot_name(const struct ir_policy *p, size_t i, char *out, size_t room) {
  const struct ir_hotspot *h = &p->hotspot[i];
  const char *parts[4];
  size_t n = 0;
  if (h->key != SENTC_KEY_HEADER)
    parts[n++] = keys[h->key];
  if (h->key_name.len)
    parts[n++] = h->key_name.text;
  if (h->concurrency)
    parts[n++] = "concurrency";
  parts[n] = NULL;
  kind_default_name(out, room, "hotspot", parts);
}
