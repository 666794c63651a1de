/*
 * doc.h: a small document tree (maps, lists, strings, numbers, booleans,
 * null) that the deployment writers build and json.c / yaml.c print.
 * Building the Envoy and Istio documents as data, then printing them,
 * keeps quoting and indentation in one place and lets the same value (the
 * plugin configuration) appear as JSON text and as YAML.  Nodes live in
 * the compilation's arena.  Maps keep insertion order.
 */
#ifndef SENTC_DOC_H
#define SENTC_DOC_H

#include <stddef.h>
#include "ast.h"

enum doc_kind { DOC_NULL, DOC_BOOL, DOC_NUM, DOC_STR, DOC_LIST, DOC_MAP };

struct doc_item;

struct doc {
  enum doc_kind kind;
  const char *text;            /* DOC_STR bytes, DOC_NUM digits as written */
  size_t len;
  int boolean;
  struct doc_item *items;      /* DOC_LIST (key NULL) and DOC_MAP */
  size_t n, cap;
};

struct doc_item {
  const char *key;
  size_t key_len;
  struct doc *value;
};

struct doc *doc_map(struct arena *a);
struct doc *doc_list(struct arena *a);
struct doc *doc_null(struct arena *a);
struct doc *doc_bool(struct arena *a, int value);
struct doc *doc_int(struct arena *a, long long value);
struct doc *doc_num(struct arena *a, const char *text, size_t len);
struct doc *doc_str(struct arena *a, const char *text);
struct doc *doc_strn(struct arena *a, const char *text, size_t len);

/* Adds key: value to a map (keys are not checked for repeats); returns value. */
struct doc *doc_set(struct arena *a, struct doc *map, const char *key, struct doc *value);
struct doc *doc_setn(struct arena *a, struct doc *map, const char *key, size_t key_len,
                     struct doc *value);
/* Appends to a list; returns value. */
struct doc *doc_add(struct arena *a, struct doc *list, struct doc *value);
/* A new map or list set at key / appended to a list. */
struct doc *doc_map_at(struct arena *a, struct doc *map, const char *key);
struct doc *doc_list_at(struct arena *a, struct doc *map, const char *key);
struct doc *doc_map_in(struct arena *a, struct doc *list);

#endif
