/*
 * statesize.h: the bytes of runtime state each rule of a resolved policy
 * takes, for --explain.  Not an estimate: the sizes come from the
 * runtime's own cell layouts and formulas (runtime/engine/cells.h), so
 * they change when the runtime's do, and tests/state_size.test checks them
 * against what main.wasm reports it reserved.
 *
 * A scope worker rule's cells are kept by every worker; a scope proxy
 * rule's cells once per Envoy process, in shared data (with a share per VM
 * slot for each permit field); a hotspot directory is kept by every worker
 * whatever the scope.
 */
#ifndef SENTC_STATESIZE_H
#define SENTC_STATESIZE_H

#include <stddef.h>
#include "ir.h"
#include "../runtime/engine/cells.h"

struct state_bytes {
  uint64_t worker;      /* in every worker's memory */
  uint64_t shared;      /* in the process's shared data */
};

/* `n` cells of `size` with `n_permits` permit fields, kept where `scope` says. */
static inline struct state_bytes state_cells(enum ir_scope scope, uint64_t n, uint32_t size,
                                             uint32_t n_permits) {
  int shared = scope == IR_SCOPE_PROXY;
  uint64_t bytes = n * sentc_cell_stored_bytes(size, shared, n_permits);
  return shared ? (struct state_bytes){0, bytes} : (struct state_bytes){bytes, 0};
}

static inline struct state_bytes state_flow(const struct ir_flow *f) {
  return state_cells(f->rule.scope, 1, sentc_flow_cell_size(f->window.buckets), 0);
}

static inline struct state_bytes state_concurrency(const struct ir_concurrency *c) {
  return state_cells(c->rule.scope, 1, sizeof(struct sentc_concurrency_cell), 1);
}

static inline struct state_bytes state_breaker(const struct ir_breaker *b) {
  return state_cells(b->rule.scope, 1, sentc_breaker_cell_size(b->window.buckets), 1);
}

/* A cell per value it may track, and in worker scope the directory finding
 * them (proxy scope maps values to cells by hash alone). */
static inline struct state_bytes state_hotspot(const struct ir_hotspot *h) {
  uint32_t capacity = h->capacity ? h->capacity : 1;
  struct state_bytes s = state_cells(h->rule.scope, capacity, sizeof(struct sentc_hot_value),
                                     h->concurrency ? 1 : 0);
  if (h->rule.scope == IR_SCOPE_WORKER)
    s.worker += sentc_hot_directory_bytes(capacity);
  return s;
}

/* The system statistics: one process-wide cell, with a system block only. */
static inline struct state_bytes state_system(const struct ir_system *s) {
  if (!s->present)
    return (struct state_bytes){0};
  return state_cells(IR_SCOPE_PROXY, 1, sizeof(struct sentc_system_cell), 1);
}

/* The bytes one stream in flight takes (allocated 64 streams at a time). */
static inline uint32_t state_stream(const struct ir_policy *p) {
  return sentc_stream_bytes(sentc_stream_max_effects((uint32_t)p->n_flows,
                                                     (uint32_t)p->n_concurrency,
                                                     (uint32_t)p->n_hotspots,
                                                     (uint32_t)p->n_breakers));
}

static inline void state_add(struct state_bytes *total, struct state_bytes more) {
  total->worker += more.worker;
  total->shared += more.shared;
}

#endif
