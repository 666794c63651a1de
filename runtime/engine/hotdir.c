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
  *d = (struct sentc_hotdir){.capacity = capacity, .newest = -1, .oldest = -1};
  /* Proxy scope maps a value to its cell by hash alone, the same in every
   * VM: no directory to keep. */
  d->shared = scope == SENTC_SCOPE_PROXY;
  if (!d->shared && directory_init(d, store) != 0)
    return -1;
  struct sentc_permit in_flight = {offsetof(struct sentc_hot_value, in_flight), most};
  for (uint32_t i = 0; i < capacity; i++) {
    sentc_cell cell = sentc_store_reserve(store, sizeof(struct sentc_hot_value), scope,
                                          &in_flight, permits ? 1 : 0);
    if (i == 0)
      d->first_cell = cell;
  }
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

static void index_remove(struct sentc_hotdir *d, int32_t s) {
  int32_t *link = &d->index[d->hashes[s] & d->index_mask];
  while (*link != s)
    link = &d->chain[*link];
  *link = d->chain[s];
}

static int reset_value(void *value, void *arg) {
  struct sentc_hot_value *v = value;
  *v = (struct sentc_hot_value){.hash = *(uint64_t *)arg};
  return 0;
}

int32_t sentc_hotdir_use(struct sentc_hotdir *d, struct sentc_store *store, uint64_t hash) {
  int32_t s = sentc_hotdir_find(d, hash);
  if (d->shared)
    return s;
  if (s >= 0) {
    lru_unlink(d, s);
    lru_push_newest(d, s);
    return s;
  }
  if (d->used < d->capacity) {
    s = (int32_t)d->used++;
  } else {
    s = d->oldest;
    lru_unlink(d, s);
    index_remove(d, s);
  }
  SENTC_ASSERT(s >= 0 && (uint32_t)s < d->capacity);
  d->hashes[s] = hash;
  uint32_t bucket = hash & d->index_mask;
  d->chain[s] = d->index[bucket];
  d->index[bucket] = s;
  lru_push_newest(d, s);
  sentc_store_update(store, d->first_cell + (uint32_t)s, reset_value, &hash);
  return s;
}
