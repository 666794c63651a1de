/*
 * hotdir.h: which values a hotspot rule tracks, at most `capacity` of them.
 *
 * A value is known by its seeded 64-bit hash (hash.h).  In scope worker the
 * directory maps hashes to `capacity` slots with a chained index and an LRU
 * list; when it is full the least recently used value is forgotten and its
 * slot reused.  Each slot's counters are a state cell (store.h: struct
 * sentc_hot_value in layout.h) that also stores the hash, so a reader can
 * tell that a slot changed hands.  The directory itself is this worker's:
 * it holds no counts, only where a value's cell is.
 *
 * A scope proxy rule's cells are shared by every VM, so every VM must put a
 * value in the same slot without talking: its slot is hash % capacity (the
 * hash key is the same in every VM, store.h sentc_store_agree), and a
 * value arriving at a slot that holds another takes it over, as an LRU
 * eviction would.  No directory then.
 */
#ifndef SENTC_HOTDIR_H
#define SENTC_HOTDIR_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

struct sentc_hotdir {
  uint32_t capacity, used, index_mask;
  int32_t *index;          /* hash -> first slot of its chain, -1 */
  int32_t *chain;          /* next slot with the same index */
  int32_t *newer, *older;  /* LRU list */
  int32_t newest, oldest;
  uint64_t *hashes;
  sentc_cell first_cell;   /* slot i's cell is first_cell + i */
  uint8_t shared;          /* scope proxy: slot = hash % capacity */
};

/* Reserves the directory's cells in `scope` (enum sentc_scope), their
 * in_flight a permit field counting at most `most` when `permits`, and
 * allocates its index.  0/-1. */
int sentc_hotdir_init(struct sentc_hotdir *d, struct sentc_store *store, uint32_t capacity,
                      int scope, int permits, uint32_t most);
void sentc_hotdir_free(struct sentc_hotdir *d);

/* The slot holding `hash`, or -1.  Changes nothing. */
int32_t sentc_hotdir_find(const struct sentc_hotdir *d, uint64_t hash);

/* The slot for `hash`, made most recently used; a new value takes a free
 * slot or the least recently used one, whose cell is reset to `hash`. */
int32_t sentc_hotdir_use(struct sentc_hotdir *d, struct sentc_store *store, uint64_t hash);

#endif
