/*
 * hotspot.c: the hotspot value directory and the seeded hash (see hotspot.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "cells.h"
#include "hotspot.h"

static uint64_t key0 = 0x736f6d6570736575ull, key1 = 0x646f72616e646f6dull;

void sentc_hash_seed(uint64_t k0, uint64_t k1) {
  key0 = k0;
  key1 = k1;
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4]) {
  v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
  v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
  v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
  v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m) {
  v[3] ^= m;
  sip_round(v);
  sip_round(v);
  v[0] ^= m;
}

uint64_t sentc_hash(const char *data, size_t len) {
  uint64_t v[4] = {key0 ^ 0x736f6d6570736575ull, key1 ^ 0x646f72616e646f6dull,
                   key0 ^ 0x6c7967656e657261ull, key1 ^ 0x7465646279746573ull};
  size_t whole = len & ~(size_t)7;
  for (size_t i = 0; i < whole; i += 8) {
    uint64_t m;
    memcpy(&m, data + i, 8);
    sip_absorb(v, m);
  }
  uint64_t last = (uint64_t)len << 56;
  for (size_t i = whole; i < len; i++)
    last |= (uint64_t)(unsigned char)data[i] << (8 * (i - whole));
  sip_absorb(v, last);
  v[2] ^= 0xff;
  for (int i = 0; i < 4; i++)
    sip_round(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The LRU directory of a worker-scope table. */
static int directory_init(struct sentc_hot_table *t) {
  uint32_t index_size = sentc_hot_index_size(t->capacity);
  t->index_mask = index_size - 1;
  t->index = malloc(index_size * sizeof *t->index);
  t->chain = malloc(t->capacity * sizeof *t->chain);
  t->newer = malloc(t->capacity * sizeof *t->newer);
  t->older = malloc(t->capacity * sizeof *t->older);
  t->hashes = calloc(t->capacity, sizeof *t->hashes);
  if (!t->index || !t->chain || !t->newer || !t->older || !t->hashes)
    return -1;
  memset(t->index, 0xff, index_size * sizeof *t->index);
  sentc_state_note(sentc_hot_directory_bytes(t->capacity));
  return 0;
}

int sentc_hot_table_init(struct sentc_hot_table *t, uint32_t capacity, int scope, int permits) {
  if (capacity == 0)
    capacity = 1;
  *t = (struct sentc_hot_table){.capacity = capacity, .newest = -1, .oldest = -1};
  /* Proxy scope maps a value to its cell by hash alone, the same in every
   * VM: no directory to keep. */
  t->shared = scope == SENTC_SCOPE_PROXY;
  if (!t->shared && directory_init(t) != 0)
    return -1;
  uint32_t in_flight = offsetof(struct sentc_hot_value, in_flight);
  for (uint32_t i = 0; i < capacity; i++) {
    sentc_cell cell = sentc_state_reserve_in(sizeof(struct sentc_hot_value), scope, &in_flight,
                                             permits ? 1 : 0);
    if (i == 0)
      t->first_cell = cell;
  }
  return 0;
}

int32_t sentc_hot_find(const struct sentc_hot_table *t, uint64_t hash) {
  if (t->shared)
    return (int32_t)(hash % t->capacity);
  for (int32_t s = t->index[hash & t->index_mask]; s >= 0; s = t->chain[s])
    if (t->hashes[s] == hash)
      return s;
  return -1;
}

static void lru_unlink(struct sentc_hot_table *t, int32_t s) {
  if (t->newer[s] >= 0) t->older[t->newer[s]] = t->older[s]; else t->newest = t->older[s];
  if (t->older[s] >= 0) t->newer[t->older[s]] = t->newer[s]; else t->oldest = t->newer[s];
}

static void lru_push_newest(struct sentc_hot_table *t, int32_t s) {
  t->newer[s] = -1;
  t->older[s] = t->newest;
  if (t->newest >= 0) t->newer[t->newest] = s; else t->oldest = s;
  t->newest = s;
}

static void index_remove(struct sentc_hot_table *t, int32_t s) {
  int32_t *link = &t->index[t->hashes[s] & t->index_mask];
  while (*link != s)
    link = &t->chain[*link];
  *link = t->chain[s];
}

static int reset_value(void *value, void *arg) {
  struct sentc_hot_value *v = value;
  *v = (struct sentc_hot_value){.hash = *(uint64_t *)arg};
  return 0;
}

int32_t sentc_hot_use(struct sentc_hot_table *t, uint64_t hash) {
  int32_t s = sentc_hot_find(t, hash);
  if (t->shared)
    return s;
  if (s >= 0) {
    lru_unlink(t, s);
    lru_push_newest(t, s);
    return s;
  }
  if (t->used < t->capacity) {
    s = (int32_t)t->used++;
  } else {
    s = t->oldest;
    lru_unlink(t, s);
    index_remove(t, s);
  }
  t->hashes[s] = hash;
  uint32_t bucket = hash & t->index_mask;
  t->chain[s] = t->index[bucket];
  t->index[bucket] = s;
  lru_push_newest(t, s);
  sentc_state_update(t->first_cell + (uint32_t)s, reset_value, &hash);
  return s;
}

void sentc_hot_claim(struct sentc_hot_value *v, uint64_t hash) {
  if (v->hash != hash)
    *v = (struct sentc_hot_value){.hash = hash, .in_flight = v->in_flight};
}
