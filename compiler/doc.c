/*
 * doc.c: building the document tree of doc.h.
 */
#include <stdio.h>
#include <string.h>
#include "doc.h"

static struct doc *doc_new(struct arena *a, enum doc_kind kind) {
  struct doc *d = arena_alloc(a, sizeof *d);
  d->kind = kind;
  return d;
}

struct doc *doc_map(struct arena *a) { return doc_new(a, DOC_MAP); }
struct doc *doc_list(struct arena *a) { return doc_new(a, DOC_LIST); }
struct doc *doc_null(struct arena *a) { return doc_new(a, DOC_NULL); }

struct doc *doc_bool(struct arena *a, int value) {
  struct doc *d = doc_new(a, DOC_BOOL);
  d->boolean = value != 0;
  return d;
}

struct doc *doc_num(struct arena *a, const char *text, size_t len) {
  struct doc *d = doc_new(a, DOC_NUM);
  d->text = arena_strndup(a, text, len);
  d->len = len;
  return d;
}

struct doc *doc_int(struct arena *a, long long value) {
  char digits[24];
  int n = snprintf(digits, sizeof digits, "%lld", value);
  return doc_num(a, digits, (size_t)n);
}

struct doc *doc_strn(struct arena *a, const char *text, size_t len) {
  struct doc *d = doc_new(a, DOC_STR);
  d->text = arena_strndup(a, text, len);
  d->len = len;
  return d;
}

struct doc *doc_str(struct arena *a, const char *text) { return doc_strn(a, text, strlen(text)); }

static struct doc_item *doc_push(struct arena *a, struct doc *d) {
  return arena_push(a, &d->items, &d->n, &d->cap, sizeof *d->items);
}

struct doc *doc_setn(struct arena *a, struct doc *map, const char *key, size_t key_len,
                     struct doc *value) {
  struct doc_item *item = doc_push(a, map);
  item->key = arena_strndup(a, key, key_len);
  item->key_len = key_len;
  item->value = value;
  return value;
}

struct doc *doc_set(struct arena *a, struct doc *map, const char *key, struct doc *value) {
  return doc_setn(a, map, key, strlen(key), value);
}

struct doc *doc_add(struct arena *a, struct doc *list, struct doc *value) {
  doc_push(a, list)->value = value;
  return value;
}

struct doc *doc_map_at(struct arena *a, struct doc *map, const char *key) {
  return doc_set(a, map, key, doc_map(a));
}

struct doc *doc_list_at(struct arena *a, struct doc *map, const char *key) {
  return doc_set(a, map, key, doc_list(a));
}

struct doc *doc_map_in(struct arena *a, struct doc *list) { return doc_add(a, list, doc_map(a)); }
