/*
 * state.h: the one door to every rule's mutable state.
 *
 * Each rule keeps its state in cells: small fixed-size byte blocks, sized
 * once at start from the tables.  A cell is read by value (copied out with
 * its version) and written back by value with compare-and-swap on that
 * version: a write fails when someone else wrote the cell in between, and
 * the caller re-reads and retries.  This is exactly what Proxy-Wasm shared
 * data offers (get returns bytes + cas, set takes the cas), so a cell is
 * kept either in this worker's memory (scope worker, state.c) or in the
 * process-wide shared data (scope proxy, shared.c), chosen per cell when it
 * is reserved, with the same rule logic on top.
 *
 * Permit fields: a uint32_t in-flight count inside a cell (concurrency
 * permits, half-open probes...).  In a proxy cell each VM's share of such a
 * field is kept apart with the VM's liveness stamp (vmreg.h), so that the
 * permits of a VM that disappeared stop counting; loads show the sum over
 * live VMs and stores apply the change to this VM's share.
 */
#ifndef SENTC_STATE_H
#define SENTC_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"

typedef uint32_t sentc_cell;

/* sentc_state_update's answer when a proxy cell could not be written within
 * the retry bound: the caller applies the policy's on_error. */
#define SENTC_STATE_UNAVAILABLE (-2)

/* Most permit fields one cell may have. */
#define SENTC_STATE_MAX_PERMITS 2

/* Reserves a cell of `size` zeroed bytes in `scope` (enum sentc_scope),
 * with `n_permits` permit fields at the given byte offsets; call only
 * before sentc_state_seal.  Returns its id. */
sentc_cell sentc_state_reserve_in(uint32_t size, int scope, const uint32_t *permit_offsets,
                                  uint32_t n_permits);

/* Names the policy whose cells these are: proxy cells' keys carry the name
 * and the tables' hash, so two policies, or two versions of one, never
 * share state.  Call after sentc_state_reset, before reserving. */
void sentc_state_namespace(const struct sentc_string *name, uint64_t hash);

/* Zeroed room for n items of `size` bytes, allocated once at start: never
 * NULL just because n is 0 (a policy without rules of some kind). */
void *sentc_zalloc(size_t n, size_t size);

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
 * it is (the change no longer applies), SENTC_STATE_UNCHANGED when it
 * applies but changed nothing (no write: sentc_state_update returns 0). */
#define SENTC_STATE_UNCHANGED 1
typedef int (*sentc_change)(void *value, void *arg);

/* Load, change, store, retried until the store succeeds (a worker cell) or
 * a bounded number of times (a proxy cell: then SENTC_STATE_UNAVAILABLE).
 * Returns what the change returned the last time it ran. */
int sentc_state_update(sentc_cell cell, sentc_change change, void *arg);

/* Per-worker bytes a rule allocated beside its cells (a hotspot
 * directory), counted in sentc_state_usage. */
void sentc_state_note(uint64_t bytes);

/* What the store reserved, as main.wasm reports it at start and
 * `sentc --explain` predicts it (cells.h): worker cells' bytes plus the
 * noted bytes, kept by every worker; proxy cells' bytes as stored in
 * shared data, once per process. */
struct sentc_state_usage {
  uint64_t worker_bytes, shared_bytes;
  uint32_t worker_cells, shared_cells;
};
void sentc_state_usage(struct sentc_state_usage *usage);

/* The size of the largest cell: scratch buffers for loads are this big. */
uint32_t sentc_state_max_size(void);

/* Makes `value` (len bytes, random) the same in every VM of the process
 * when the policy has proxy cells: the first VM publishes its value, the
 * others adopt it.  Left as it is otherwise. */
void sentc_state_agree(void *value, uint32_t len);

/* The engine time of the current callback (liveness stamps). */
void sentc_state_now(int64_t now);

/* Tick period the store needs (keeping this VM's liveness stamp fresh while
 * it holds permits), 0 when none; and the tick itself. */
uint32_t sentc_state_wake_ms(void);
void sentc_state_tick(void);

#endif
