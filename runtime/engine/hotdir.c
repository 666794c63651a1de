/*
 * hotdir.c: the hotspot value directory (see hotdir.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "../layout.h"
#include "bound.h"
#include "hotdir.h"

/* The LRU directory of a worker-scope table. */
static int directory_init(struct sentc_hotdir *d, struct sentc_store *store) {
  uint32_t index_size = sentc_layout_hot_index(d->capacity);
  d->index_mask = index_size - 1;
  d->index = malloc(index_size * sizeof *d->index);
  d->chain = malloc(d->capacity * sizeof *d->chain);
  d->newer = malloc(d->capacity * sizeof *d->newer);
  d->older = malloc(d->capacity * sizeof *d->older);
  d->hashes = calloc(d->capacity, sizeof *d->hashes);
  if (!d->index || !d->chain || !d->newer || !d->older || !d->hashes)
    return -1;
  memset(d->index, 0xff, index_size * sizeof *d->index);
  sentc_store_note(store, sentc_layout_hot_directory(d->capacity));
  return 0;
}

int sentc_hotdir_init(struct sentc_hotdir *d, struct sentc_store *store, uint32_t capacity,
                      int scope, int permits, uint32_t most) {
  if (capacity == 0)
    capacity = 1;
  *d = (struct sentc_hotdir){.capacity = capacity, .newest = -1, .oldest = -1, .last = {.slot = -1}};
  /* Proxy scope maps a value to its cell by hash alone, the same in every
   * VM: no directory to keep. */
  d->shared = scope == SENTC_SCOPE_PROXY;
  if (!d->shared && directory_init(d, store) != 0)
    return -1;
  struct sentc_permit in_flight = {offsetof(struct sentc_hot_value, in_flight), most};
  d->first_cell = sentc_store_reserve_n(store, sizeof(struct sentc_hot_value), scope, &in_flight,
                                        permits ? 1 : 0, capacity);
  return 0;
}

void sentc_hotdir_free(struct sentc_hotdir *d) {
  free(d->index);
  free(d->chain);
  free(d->newer);
  free(d->older);
  free(d->hashes);
  *d = (struct sentc_hotdir){0};
}

int32_t sentc_hotdir_find(const struct sentc_hotdir *d, uint64_t hash) {
  if (d->shared)
    return (int32_t)(hash % d->capacity);
  for (int32_t s = d->index[hash & d->index_mask]; s >= 0; s = d->chain[s])
    if (d->hashes[s] == hash)
      return s;
  return -1;
}

static void lru_unlink(struct sentc_hotdir *d, int32_t s) {
  if (d->newer[s] >= 0) d->older[d->newer[s]] = d->older[s]; else d->newest = d->older[s];
  if (d->older[s] >= 0) d->newer[d->older[s]] = d->newer[s]; else d->oldest = d->newer[s];
}

static void lru_push_newest(struct sentc_hotdir *d, int32_t s) {
  d->newer[s] = -1;
  d->older[s] = d->newest;
  if (d->newest >= 0) d->newer[d->newest] = s; else d->oldest = s;
  d->newest = s;
}

static void lru_push_oldest(struct sentc_hotdir *d, int32_t s) {
  d->older[s] = -1;
  d->newer[s] = d->oldest;
  if (d->oldest >= 0) d->older[d->oldest] = s; else d->newest = s;
  d->oldest = s;
}

static void index_add(struct sentc_hotdir *d, int32_t s) {
  uint32_t bucket = d->hashes[s] & d->index_mask;
  d->chain[s] = d->index[bucket];
  d->index[bucket] = s;
}

static void index_remove(struct sentc_hotdir *d, int32_t s) {
  int32_t *link = &d->index[d->hashes[s] & d->index_mask];
  while (*link != s)
    link = &d->chain[*link];
  *link = d->chain[s];
}

/* A slot's cell handed to a new value: what it held is kept in
 * d->last.cell, for an undo. */
struct reset {
  struct sentc_hotdir *d;
  uint64_t hash;
};

static int reset_value(void *value, void *arg) {
  struct reset *r = arg;
  memcpy(&r->d->last.cell, value, sizeof r->d->last.cell);
  struct sentc_hot_value *v = value;
  *v = (struct sentc_hot_value){.hash = r->hash};
  return 0;
}

static int restore_value(void *value, void *arg) {
  memcpy(value, arg, sizeof(struct sentc_hot_value));
  return 0;
}

int32_t sentc_hotdir_use(struct sentc_hotdir *d, struct sentc_store *store, uint64_t hash) {
  int32_t s = sentc_hotdir_find(d, hash);
  d->last.slot = -1;
  if (d->shared)
    return s;
  if (s >= 0) {
    lru_unlink(d, s);
    lru_push_newest(d, s);
    return s;
  }
  d->last.evicted = d->used == d->capacity;
  if (!d->last.evicted) {
    s = (int32_t)d->used++;
  } else {
    s = d->oldest;
    d->last.hash = d->hashes[s];
    lru_unlink(d, s);
    index_remove(d, s);
  }
  SENTC_ASSERT(s >= 0 && (uint32_t)s < d->capacity);
  d->last.slot = s;
  d->hashes[s] = hash;
  index_add(d, s);
  lru_push_newest(d, s);
  struct reset r = {d, hash};
  sentc_store_update(store, d->first_cell + (uint32_t)s, reset_value, &r);
  return s;
}

void sentc_hotdir_undo(struct sentc_hotdir *d, struct sentc_store *store) {
  int32_t s = d->last.slot;
  if (s < 0)
    return;
  d->last.slot = -1;
  lru_unlink(d, s);
  index_remove(d, s);
  if (!d->last.evicted) {
    SENTC_ASSERT((uint32_t)s + 1 == d->used);
    d->used--;
  } else {
    d->hashes[s] = d->last.hash;
    index_add(d, s);
    lru_push_oldest(d, s);
  }
  /* A free slot too: what the commit took there goes with it. */
  sentc_store_update(store, d->first_cell + (uint32_t)s, restore_value, &d->last.cell);
}
