/*
 * ast.c: the arena that holds a compilation's syntax tree and strings.
 *
 * One compilation allocates many small nodes and frees them all at the end;
 * an arena makes that one call, and keeps error paths (and the fuzzer) free
 * of leaks without ownership bookkeeping.
 */
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "util.h"

struct chunk {
  struct chunk *prev;
  size_t used, size;
  max_align_t data[];
};

struct arena {
  struct chunk *top;
};

struct arena *arena_new(void) { return xcalloc(1, sizeof(struct arena)); }

void arena_free(struct arena *arena) {
  if (!arena)
    return;
  for (struct chunk *c = arena->top, *prev; c; c = prev) {
    prev = c->prev;
    free(c);
  }
  free(arena);
}

void *arena_alloc(struct arena *arena, size_t size) {
  size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  struct chunk *c = arena->top;
  if (!c || c->size - c->used < size) {
    size_t chunk_size = size > 65536 ? size : 65536;
    c = xmalloc(sizeof *c + chunk_size);
    c->prev = arena->top;
    c->used = 0;
    c->size = chunk_size;
    arena->top = c;
  }
  void *p = (char *)c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

char *arena_strndup(struct arena *arena, const char *s, size_t len) {
  char *p = arena_alloc(arena, len + 1);
  memcpy(p, s, len);
  return p;
}

void *arena_push(struct arena *arena, void *array, size_t *n, size_t *cap, size_t size) {
  void **slot = array;
  if (*n == *cap) {
    size_t new_cap = *cap ? *cap * 2 : 8;
    void *grown = arena_alloc(arena, new_cap * size);
    if (*n)
      memcpy(grown, *slot, *n * size);
    *slot = grown;
    *cap = new_cap;
  }
  return (char *)*slot + (*n)++ * size;
}

const char *value_kind_name(enum value_kind kind) {
  static const char *names[] = {
    [V_NAME] = "a name", [V_STRING] = "a string", [V_INT] = "an integer",
    [V_NUMBER] = "a number", [V_PERCENT] = "a percentage", [V_DURATION] = "a duration",
    [V_RATE] = "a rate", [V_RANGE] = "a range",
  };
  return names[kind];
}
