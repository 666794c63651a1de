/*
 * check_names.c: the names of resources and fallbacks, and references to
 * them settled after the whole file is read (see check_ctx.h).
 *
 * An open-addressing hash table keeps lookups constant-time, so checking a
 * policy of many resources stays linear.
 */
#include <stdio.h>
#include <string.h>
#include "check_ctx.h"
#include "check_values.h"
#include "diag.h"
#include "util.h"

static uint64_t hash_bytes(const char *text, size_t len) {
  uint64_t h = 1469598103934665603ull;            /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
  return h;
}

/* The slot holding `text`, or the empty slot where it would go. */
static size_t slot_of(const struct name_table *t, const char *text, size_t len) {
  size_t i = hash_bytes(text, len) & (t->cap - 1);
  while (t->slots[i].text &&
         !(t->slots[i].len == len && memcmp(t->slots[i].text, text, len) == 0))
    i = (i + 1) & (t->cap - 1);
  return i;
}

int names_find(const struct name_table *t, const char *text, size_t len) {
  if (!t->cap)
    return -1;
  size_t i = slot_of(t, text, len);
  return t->slots[i].text ? t->slots[i].index : -1;
}

int *names_index(struct name_table *t, const char *text, size_t len) {
  if (!t->cap)
    return NULL;
  size_t i = slot_of(t, text, len);
  return t->slots[i].text ? &t->slots[i].index : NULL;
}

static void grow(struct arena *arena, struct name_table *t) {
  struct name_table bigger = {.cap = t->cap ? t->cap * 2 : 64};
  bigger.slots = arena_alloc(arena, bigger.cap * sizeof *bigger.slots);
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].text)
      bigger.slots[slot_of(&bigger, t->slots[i].text, t->slots[i].len)] = t->slots[i];
  bigger.n = t->n;
  *t = bigger;
}

void names_add(struct arena *arena, struct name_table *t, const char *text, size_t len,
               int index) {
  if ((t->n + 1) * 2 > t->cap)
    grow(arena, t);
  size_t i = slot_of(t, text, len);
  t->slots[i].text = text;
  t->slots[i].len = len;
  t->slots[i].index = index;
  t->n++;
}

void ref_add(struct checker *c, enum ref_kind kind, enum ref_owner owner, size_t index,
             const struct value *name) {
  struct ref *r = arena_push(c->arena, &c->refs, &c->n_refs, &c->cap.refs, sizeof *r);
  *r = (struct ref){kind, owner, owner == OWN_RULE ? c->rule_kind : SENTC_KIND_SYSTEM, index, name};
}

int valid_name(const struct value *v) {
  if (v->text_len == 0 || v->text_len > SENTC_MAX_NAME_LEN) {
    diag_error(v->loc, "a name must have 1 to %d characters", SENTC_MAX_NAME_LEN);
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
  if (!utf8_valid(v->text, v->text_len)) {
    diag_error(v->loc, "a name must be UTF-8 text");
    diag_hint("names appear in metric names and response headers");
    return 0;
  }
  return 1;
}
