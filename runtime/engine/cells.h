/*
 * cells.h: the layout of every rule's state cells and the bytes each rule's
 * state takes, in one place for both sides that need them: the runtime,
 * which reserves exactly these (rules.c, state.c, shared.c, hotspot.c,
 * engine.c), and the compiler, whose `--explain` prints them
 * (compiler/statesize.h).  So the figure an operator reads is the one
 * main.wasm reserves; tests/state_size.test compares the two on real
 * policies, against the line main.wasm logs at start (abi.c).
 *
 * Cells hold only fixed-width fields and no pointers, so their sizes are
 * the same natively (the compiler) and in wasm32 (main.wasm).  The stream
 * entry does hold a pointer: its size is pinned below so that both builds
 * prove it the same.
 */
#ifndef SENTC_CELLS_H
#define SENTC_CELLS_H

#include <stdint.h>
#include "breaker.h"
#include "hotspot.h"
#include "pace.h"
#include "stream.h"
#include "vmreg.h"
#include "warmup.h"
#include "window.h"

/* A flow rule: its pacing (throttle), its warm-up tokens and its window. */
struct sentc_flow_cell {
  struct sentc_pace pace;
  struct sentc_warmup warm;
  struct sentc_bucket ring[];
};

struct sentc_concurrency_cell {
  uint32_t in_flight;
};

/* The system rule's statistics: one second in ten buckets, as Sentinel's
 * inbound node keeps them.  Reserved whether or not the policy has a
 * system block (a worker cell then, never written). */
#define SENTC_SYSTEM_BUCKETS 10
struct sentc_system_cell {
  uint32_t in_flight;
  struct sentc_bucket ring[SENTC_SYSTEM_BUCKETS];
};

/* A cell's bytes as the store lays it out: rounded up to 8. */
static inline uint32_t sentc_cell_bytes(uint32_t size) { return (size + 7u) & ~7u; }

/* In shared data (scope proxy) each permit field of a cell is followed by
 * one {token, count} share per VM slot (shared.c, vmreg.h). */
#define SENTC_PERMIT_SHARES_BYTES ((uint32_t)(SENTC_VM_SLOTS * 2 * sizeof(uint32_t)))

/* What a cell of `size` with `n_permits` permit fields takes where it is
 * kept: in this worker's arena, or (`shared`) in the process's shared data. */
static inline uint32_t sentc_cell_stored_bytes(uint32_t size, int shared, uint32_t n_permits) {
  return sentc_cell_bytes(size) + (shared ? n_permits * SENTC_PERMIT_SHARES_BYTES : 0);
}

static inline uint32_t sentc_flow_cell_size(uint32_t buckets) {
  return (uint32_t)(sizeof(struct sentc_flow_cell) + buckets * sizeof(struct sentc_bucket));
}

static inline uint32_t sentc_breaker_cell_size(uint32_t buckets) {
  return (uint32_t)(sizeof(struct sentc_breaker_cell) + buckets * sizeof(struct sentc_bucket));
}

/* A hotspot directory's index: a power of two at least twice the capacity,
 * so chains stay short. */
static inline uint32_t sentc_hot_index_size(uint32_t capacity) {
  uint32_t size = 1;
  while (size < 2 * capacity)
    size <<= 1;
  return size;
}

/* A worker-scope hotspot's directory (hotspot.h): the index, and per slot
 * its chain link, LRU links and hash.  Proxy scope has none. */
static inline uint64_t sentc_hot_directory_bytes(uint32_t capacity) {
  return (uint64_t)sentc_hot_index_size(capacity) * sizeof(int32_t) +
         (uint64_t)capacity * (3 * sizeof(int32_t) + sizeof(uint64_t));
}

/* Effects one request can commit at most: system, then per rule (a flow
 * rule may count its own pass and, as an `of` watcher, another's). */
static inline uint32_t sentc_stream_max_effects(uint32_t n_flows, uint32_t n_concurrency,
                                                uint32_t n_hotspots, uint32_t n_breakers) {
  return 1 + 2 * n_flows + n_concurrency + n_hotspots + n_breakers;
}

#define SENTC_STREAM_ENTRY_BYTES 80
_Static_assert(sizeof(struct sentc_stream) == SENTC_STREAM_ENTRY_BYTES,
               "the stream entry must be as big natively as in wasm32");

/* A stream in flight: its entry and room for every effect it may commit. */
static inline uint32_t sentc_stream_bytes(uint32_t max_effects) {
  return (uint32_t)(sizeof(struct sentc_stream) + max_effects * sizeof(struct sentc_effect));
}

#endif
