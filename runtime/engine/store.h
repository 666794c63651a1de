/*
 * store.h: the one door to every rule's mutable state.
 *
 * Each rule keeps its state in cells: small fixed-size byte blocks, sized
 * once at start from the tables (layout.h).  A cell is read by value
 * (copied out with its version) and written back by value with
 * compare-and-swap on that version: a write fails when someone else wrote
 * the cell in between, and the caller re-reads and retries.  This is
 * exactly what Proxy-Wasm shared data offers (get returns bytes + cas, set
 * takes the cas), so a cell is kept either in this worker's memory (scope
 * worker, store.c) or in the process-wide shared data (scope proxy,
 * shared.c), chosen per cell when it is reserved, with the same rule logic
 * on top.
 *
 * Permit fields: a uint32_t in-flight count inside a cell (concurrency
 * permits, half-open probes...).  In a proxy cell each VM's share of such a
 * field is kept apart with the VM's liveness stamp (vmreg.h), so that the
 * permits of a VM that disappeared stop counting; loads show the sum over
 * live VMs and stores apply the change to this VM's share.
 *
 * The store is one module: store.c, over shared.c, over vmreg.c and
 * keyspace.c; nothing below calls back up.
 */
#ifndef SENTC_STORE_H
#define SENTC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"
#include "shared.h"

typedef uint32_t sentc_cell;

/* sentc_store_update's answer when a proxy cell could not be written within
 * the retry bound: the caller applies the policy's on_error. */
#define SENTC_STORE_UNAVAILABLE (-2)

/* A change to a cell's value: 0 to write it back, -1 to leave the cell as
 * it is (the change no longer applies), SENTC_STORE_UNCHANGED when it
 * applies but changed nothing (no write: sentc_store_update returns 0). */
#define SENTC_STORE_UNCHANGED 1
typedef int (*sentc_change)(void *value, void *arg);

/* The record of a run of `count` alike cells (same size and permit
 * fields: a hotspot rule's slots), reserved together: ids first..first +
 * count - 1, resolved arithmetically, so that a rule's many slots cost one
 * record (a lone cell is a run of one). */
struct sentc_store_run {
  uint32_t first, count;   /* the cells' ids */
  uint32_t offset, size;   /* the first's place in the arena, each one's bytes */
  uint32_t version;        /* the first's version, in versions (worker cells) */
  int32_t shared;          /* the run in shared.c, or -1 for worker cells */
};

struct sentc_store {
  struct sentc_store_run *runs;
  uint32_t n_runs, room_runs;
  uint32_t n_direct;       /* runs before the first of more than one cell: run i is cell i */
  uint32_t n_cells, n_worker_cells;
  uint64_t arena_size;     /* never above SENTC_STATE_BUDGET_BYTES once sealed */
  uint32_t max_size;
  unsigned char *arena;
  uint32_t *versions;      /* each worker cell's */
  unsigned char *scratch;  /* the value an update works on */
  unsigned char *view;     /* the value a check looked at */
  int lost_reservation;    /* a reserve ran out of memory: sealing fails */
  int over_budget;         /* the per-worker state passed the budget: so does sealing */
  uint64_t noted_bytes;    /* per-worker state beside the cells */
  struct sentc_shared shared;
};

/* Starts an empty store for policy `name` with tables `hash` (proxy cells'
 * keys carry both, keyspace.h): 0, or -1 without memory. */
int sentc_store_open(struct sentc_store *s, const struct sentc_string *name, uint64_t hash);

/* Reserves `count` alike cells of `size` zeroed bytes each in `scope`
 * (enum sentc_scope), with `n_permits` permit fields (shared.h: where each
 * is and the most permits it counts); call only before sentc_store_seal.
 * Returns the first one's id: the others follow it (id + 1...), and the
 * store keeps one record for them all.  sentc_store_reserve: one cell. */
sentc_cell sentc_store_reserve_n(struct sentc_store *s, uint32_t size, int scope,
                                 const struct sentc_permit *permits, uint32_t n_permits,
                                 uint32_t count);
static inline sentc_cell sentc_store_reserve(struct sentc_store *s, uint32_t size, int scope,
                                             const struct sentc_permit *permits,
                                             uint32_t n_permits) {
  return sentc_store_reserve_n(s, size, scope, permits, n_permits, 1);
}

/* Per-worker bytes a rule allocated beside its cells (a hotspot
 * directory), counted in sentc_store_usage. */
void sentc_store_note(struct sentc_store *s, uint64_t bytes);

/* Allocates every reserved cell, once.  Returns 0, or -1 without memory
 * or when the per-worker state (cells and noted bytes) is over
 * SENTC_STATE_BUDGET_BYTES (layout.h): then sentc_store_over_budget. */
int sentc_store_seal(struct sentc_store *s);
int sentc_store_over_budget(const struct sentc_store *s);

/* Frees everything. */
void sentc_store_close(struct sentc_store *s);

/* A callback starts at engine time `now` (liveness stamps; proxy cells'
 * copies from earlier callbacks are forgotten). */
void sentc_store_begin(struct sentc_store *s, int64_t now);

/* Copies cell `cell` into `out` (its size) and returns its version. */
uint32_t sentc_store_load(struct sentc_store *s, sentc_cell cell, void *out);

/* The cell's value, loaded into the store's view buffer: valid until the
 * next sentc_store_view. */
void *sentc_store_view(struct sentc_store *s, sentc_cell cell);

/* Writes `in` to the cell if its version is still `version`: 0, else -1
 * (someone wrote it in between: load again and redo the change), or for a
 * proxy cell SENTC_SHARED_FULL (shared.h). */
int sentc_store_store(struct sentc_store *s, sentc_cell cell, const void *in, uint32_t version);

/* Load, change, store, retried until the store succeeds (a worker cell) or
 * a bounded number of times (a proxy cell: then SENTC_STORE_UNAVAILABLE, at
 * once when retrying cannot help: shared.h, SENTC_SHARED_FULL).  Returns
 * what the change returned the last time it ran. */
int sentc_store_update(struct sentc_store *s, sentc_cell cell, sentc_change change, void *arg);

/* What the store reserved, as main.wasm reports it at start and
 * `sentc --explain` predicts it (layout.h): worker cells' bytes plus the
 * noted bytes, kept by every worker; proxy cells' bytes as stored in
 * shared data, once per process. */
struct sentc_store_usage {
  uint64_t worker_bytes, shared_bytes;
  uint32_t worker_cells, shared_cells;
};
void sentc_store_usage(const struct sentc_store *s, struct sentc_store_usage *usage);

/* Makes `value` (len bytes, random) the same in every VM of the process
 * when the policy has proxy cells; left as it is otherwise. */
void sentc_store_agree(struct sentc_store *s, void *value, uint32_t len);

/* Shared-data updates given up so far (on_error answered them). */
uint64_t sentc_store_gave_up(const struct sentc_store *s);

/* Tick period the store needs, 0 when none; and the tick itself. */
uint32_t sentc_store_wake_ms(const struct sentc_store *s);
void sentc_store_tick(struct sentc_store *s);

#endif
