/*
 * statesize.h: the bytes of runtime state a resolved policy takes, for
 * --explain.  Not an estimate: the sizes come from the runtime's own cell
 * layouts and formulas (runtime/layout.h), so they change when the
 * runtime's do, and tests/state_size.test checks them against what
 * main.wasm reports it reserved.  Each kind's rules are sized by its own
 * file (kind.h, `size`) with state_cells below.
 *
 * A scope worker rule's cells are kept by every worker; a scope proxy
 * rule's cells once per Envoy process, in shared data (at most: with each
 * permit field's list of VM shares full); a hotspot directory is kept by
 * every worker whatever the scope.
 */
#ifndef SENTC_STATESIZE_H
#define SENTC_STATESIZE_H

#include <stddef.h>
#include "ir.h"
#include "../runtime/layout.h"

struct state_bytes {
  uint64_t worker;      /* in every worker's memory */
  uint64_t shared;      /* in the process's shared data */
};

/* `n` cells of `size` with `n_permits` permit fields counting at most
 * `most` permits each (the rule's limit), kept where `scope` says. */
static inline struct state_bytes state_cells(enum sentc_scope scope, uint64_t n, uint32_t size,
                                             uint32_t n_permits, uint32_t most) {
  int shared = scope == SENTC_SCOPE_PROXY;
  uint64_t bytes = n * sentc_layout_stored_bytes(size, shared, n_permits, most);
  return shared ? (struct state_bytes){0, bytes} : (struct state_bytes){bytes, 0};
}

/* The system statistics: one process-wide cell, with a system block only. */
static inline struct state_bytes state_system(const struct ir_system *s) {
  if (!s->present)
    return (struct state_bytes){0};
  /* Nothing bounds its in flight at commit: a share list per VM slot. */
  return state_cells(SENTC_SCOPE_PROXY, 1, sizeof(struct sentc_system_cell), 1, UINT32_MAX);
}

/* The bytes one stream in flight takes (allocated 64 streams at a time),
 * with room for SENTC_STREAM_INLINE effects (the rules it commits and the
 * resources it enters); a request that meets more takes
 * sizeof(struct sentc_effect) more for each. */
static inline uint32_t state_stream(void) { return sentc_layout_stream_bytes(0); }

static inline void state_add(struct state_bytes *total, struct state_bytes more) {
  total->worker += more.worker;
  total->shared += more.shared;
}

/* Reports a policy whose state per worker is over the budget (an error)
 * or near it (a warning): statesize.c. */
void state_check_budget(const struct ir_policy *p);

#endif
