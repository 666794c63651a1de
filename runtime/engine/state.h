/*
 * state.h: the one door to every rule's mutable state.
 *
 * Each rule keeps its state in cells: small fixed-size byte blocks, sized
 * once at start from the tables.  A cell is read by value (copied out with
 * its version) and written back by value with compare-and-swap on that
 * version: a write fails when someone else wrote the cell in between, and
 * the caller re-reads and retries.  This is exactly what Proxy-Wasm shared
 * data offers (get returns bytes + cas, set takes the cas), so moving a
 * rule's state from this worker's memory into shared data (scope proxy)
 * needs a second implementation of this interface, not new rule logic.
 * Only the local (worker) store exists today: state.c.
 */
#ifndef SENTC_STATE_H
#define SENTC_STATE_H

#include <stdint.h>

typedef uint32_t sentc_cell;

/* Reserves a cell of `size` zeroed bytes; call only before sentc_state_seal.
 * Returns its id. */
sentc_cell sentc_state_reserve(uint32_t size);

/* Allocates every reserved cell, once.  Returns 0, or -1 without memory. */
int sentc_state_seal(void);

/* Forgets every cell (engine restart, unit tests). */
void sentc_state_reset(void);

/* Copies cell `cell` into `out` (its size) and returns its version. */
uint32_t sentc_state_load(sentc_cell cell, void *out);

/* Writes `in` to the cell if its version is still `version`: 0, else -1
 * (someone wrote it in between: load again and redo the change). */
int sentc_state_store(sentc_cell cell, const void *in, uint32_t version);

/* A change to a cell's value: 0 to write it back, -1 to leave the cell as
 * it is (the change no longer applies). */
typedef int (*sentc_change)(void *value, void *arg);

/* Load, change, store, retried until the store succeeds.  Returns what the
 * change returned the last time it ran. */
int sentc_state_update(sentc_cell cell, sentc_change change, void *arg);

/* The size of the largest cell: scratch buffers for loads are this big. */
uint32_t sentc_state_max_size(void);

#endif
