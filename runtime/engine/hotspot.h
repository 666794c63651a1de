/*
 * hotspot.h: which values a hotspot rule tracks, at most `capacity` of them.
 *
 * A value is known by its seeded 64-bit hash (SipHash-2-4 with a key drawn
 * at start from the platform's random source, so nobody can aim collisions
 * at one bucket).  The directory maps hashes to `capacity` slots with a
 * chained index and an LRU list; when it is full the least recently used
 * value is forgotten and its slot reused.  Each slot's counters are a state
 * cell (state.h) that also stores the hash, so a reader can tell that a
 * slot changed hands.  The directory itself is this worker's: it holds no
 * counts, only where a value's cell is.
 *
 * A scope proxy rule's cells are shared by every VM, so every VM must put a
 * value in the same slot without talking: its slot is hash % capacity (the
 * hash seed is the same in every VM, state.h sentc_state_agree), and a
 * value arriving at a slot that holds another takes it over, as an LRU
 * eviction would.  No directory then.
 */
#ifndef SENTC_HOTSPOT_H
#define SENTC_HOTSPOT_H

#include <stddef.h>
#include <stdint.h>
#include "pace.h"
#include "state.h"
#include "tokens.h"

struct sentc_hot_value {
  uint64_t hash;
  struct sentc_tokens tokens;
  struct sentc_pace pace;
  uint32_t in_flight;
};

struct sentc_hot_table {
  uint32_t capacity, used, index_mask;
  int32_t *index;          /* hash -> first slot of its chain, -1 */
  int32_t *chain;          /* next slot with the same index */
  int32_t *newer, *older;  /* LRU list */
  int32_t newest, oldest;
  uint64_t *hashes;
  sentc_cell first_cell;   /* slot i's cell is first_cell + i */
  uint8_t shared;          /* scope proxy: slot = hash % capacity */
};

void sentc_hash_seed(uint64_t k0, uint64_t k1);
uint64_t sentc_hash(const char *data, size_t len);

/* Reserves the table's cells in `scope` (enum sentc_scope), their in_flight
 * a permit field when `permits`, and allocates its directory. 0 or -1. */
int sentc_hot_table_init(struct sentc_hot_table *table, uint32_t capacity, int scope,
                         int permits);

/* The slot holding `hash`, or -1.  Changes nothing. */
int32_t sentc_hot_find(const struct sentc_hot_table *table, uint64_t hash);

/* The slot for `hash`, made most recently used; a new value takes a free
 * slot or the least recently used one, whose cell is reset to `hash`. */
int32_t sentc_hot_use(struct sentc_hot_table *table, uint64_t hash);

/* Makes a slot's value (a cell copy) `hash`'s: unchanged if it already is,
 * else fresh; in-flight permits stay with the slot, whose releases give
 * them back whoever holds it (in a proxy table, until they end). */
void sentc_hot_claim(struct sentc_hot_value *value, uint64_t hash);

#endif
