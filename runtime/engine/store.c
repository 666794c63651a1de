/*
 * store.c: the state store (see store.h).  Worker cells live in one arena
 * in this VM's memory, with a version per cell so that the compare-and-swap
 * contract is honoured exactly as shared data would; proxy cells are handed
 * to shared.c.  The choice is one branch per call, so scope worker costs
 * what it cost before proxy cells existed; and in main.wasm the branch is
 * known when the policy has no proxy cells (tables.h, SENTC_USES: PROXY
 * below), and shared.c is then left out of the module.  Cells reserved
 * together (sentc_store_reserve_n) are one record, a run: a hotspot rule's
 * 10,000 slots cost a VM the same bookkeeping as one cell, plus a version
 * each in scope worker.
 */
#include <stdlib.h>
#include <string.h>
#include "../layout.h"
#include "bound.h"
#include "store.h"

/* Store attempts for a proxy cell before on_error decides. */
#define PROXY_ATTEMPTS 32

/* Whether the policy has proxy cells at all (tables.h). */
#define PROXY SENTC_USES(SENTC_USE_PROXY)
/* Whether it may have runs of several cells: only hotspot rules reserve
 * them (hotdir.c); without, run i is cell i. */
#define RUNS SENTC_USES(SENTC_USE_KIND(SENTC_KIND_HOTSPOT))

int sentc_store_open(struct sentc_store *s, const struct sentc_string *name, uint64_t hash) {
  *s = (struct sentc_store){0};
  return PROXY ? sentc_shared_open(&s->shared, name, hash) : 0;
}

sentc_cell sentc_store_reserve_n(struct sentc_store *s, uint32_t size, int scope,
                                 const struct sentc_permit *permits, uint32_t n_permits,
                                 uint32_t count) {
  SENTC_ASSERT(!s->arena && count > 0);
  if (s->n_runs == s->room_runs) {
    uint32_t room = s->room_runs ? 2 * s->room_runs : 16;
    struct sentc_store_run *grown = realloc(s->runs, room * sizeof *grown);
    if (!grown) {
      s->lost_reservation = 1;
      return UINT32_MAX;
    }
    s->runs = grown;
    s->room_runs = room;
  }
  size = sentc_layout_cell_bytes(size);
  uint64_t bytes = (uint64_t)size * count;
  if (scope != SENTC_SCOPE_PROXY &&
      s->arena_size + s->noted_bytes + bytes > SENTC_STATE_BUDGET_BYTES) {
    s->over_budget = 1;     /* refused before an offset could wrap */
    return UINT32_MAX;
  }
  if (count > UINT32_MAX - 1 - s->n_cells) {
    s->lost_reservation = 1;  /* no ids left (UINT32_MAX says none) */
    return UINT32_MAX;
  }
  struct sentc_store_run *r = &s->runs[s->n_runs];
  *r = (struct sentc_store_run){s->n_cells, count, (uint32_t)s->arena_size, size,
                                s->n_worker_cells, -1};
  if (PROXY && scope == SENTC_SCOPE_PROXY) {
    uint32_t shared = sentc_shared_reserve(&s->shared, size, permits, n_permits, count);
    if (shared == UINT32_MAX) {
      s->lost_reservation = 1;
      return UINT32_MAX;
    }
    r->shared = (int32_t)shared;
  } else {
    s->arena_size += bytes;
    s->n_worker_cells += count;
  }
  if (size > s->max_size)
    s->max_size = size;
  if (count == 1 && s->n_direct == s->n_runs)
    s->n_direct++;
  s->n_runs++;
  s->n_cells += count;
  return r->first;
}

void sentc_store_note(struct sentc_store *s, uint64_t bytes) {
  s->noted_bytes += bytes;
  if (s->arena_size + s->noted_bytes > SENTC_STATE_BUDGET_BYTES)
    s->over_budget = 1;
}

int sentc_store_over_budget(const struct sentc_store *s) { return s->over_budget; }

int sentc_store_seal(struct sentc_store *s) {
  if (s->over_budget || s->lost_reservation)
    return -1;
  s->arena = calloc(s->arena_size ? s->arena_size : 1, 1);
  s->versions = calloc(s->n_worker_cells ? s->n_worker_cells : 1, sizeof *s->versions);
  s->scratch = calloc(s->max_size ? s->max_size : 1, 1);
  s->view = calloc(s->max_size ? s->max_size : 1, 1);
  return s->arena && s->versions && s->scratch && s->view && !s->lost_reservation &&
                 (!PROXY || sentc_shared_seal(&s->shared) == 0)
             ? 0
             : -1;
}

void sentc_store_close(struct sentc_store *s) {
  free(s->runs);
  free(s->arena);
  free(s->versions);
  free(s->scratch);
  free(s->view);
  if (PROXY)
    sentc_shared_close(&s->shared);
  *s = (struct sentc_store){0};
}

void sentc_store_begin(struct sentc_store *s, int64_t now) {
  if (PROXY)
    sentc_shared_begin(&s->shared, now);
}

/* The run holding cell `cell`: run `cell` itself up to the first run of
 * more than one cell, else found by bisection over the runs' first ids. */
static const struct sentc_store_run *run_of(const struct sentc_store *s, sentc_cell cell) {
  SENTC_ASSERT(cell < s->n_cells);
  if (!RUNS || cell < s->n_direct)
    return &s->runs[cell];
  uint32_t lo = s->n_direct, hi = s->n_runs;  /* runs[lo].first <= cell < runs[hi].first */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->runs[mid].first <= cell)
      lo = mid;
    else
      hi = mid;
  }
  return &s->runs[lo];
}

/* Slot `slot` of run `r`; `reuse`: a proxy cell may start from the copy
 * its check just got. */
static uint32_t load(struct sentc_store *s, const struct sentc_store_run *r, uint32_t slot,
                     void *out, int reuse) {
  if (PROXY && r->shared >= 0)
    return sentc_shared_load(&s->shared, (uint32_t)r->shared, slot, out, reuse);
  memcpy(out, s->arena + r->offset + (size_t)slot * r->size, r->size);
  return s->versions[r->version + slot];
}

static int store(struct sentc_store *s, const struct sentc_store_run *r, uint32_t slot,
                 const void *in, uint32_t version) {
  if (PROXY && r->shared >= 0)
    return sentc_shared_store(&s->shared, (uint32_t)r->shared, slot, in, version);
  if (s->versions[r->version + slot] != version)
    return -1;
  memcpy(s->arena + r->offset + (size_t)slot * r->size, in, r->size);
  s->versions[r->version + slot]++;
  return 0;
}

uint32_t sentc_store_load(struct sentc_store *s, sentc_cell cell, void *out) {
  const struct sentc_store_run *r = run_of(s, cell);
  return load(s, r, cell - r->first, out, 0);
}

void *sentc_store_view(struct sentc_store *s, sentc_cell cell) {
  sentc_store_load(s, cell, s->view);
  return s->view;
}

int sentc_store_store(struct sentc_store *s, sentc_cell cell, const void *in, uint32_t version) {
  const struct sentc_store_run *r = run_of(s, cell);
  return store(s, r, cell - r->first, in, version);
}

int sentc_store_update(struct sentc_store *s, sentc_cell cell, sentc_change change, void *arg) {
  const struct sentc_store_run *r = run_of(s, cell);
  uint32_t slot = cell - r->first;
  for (int attempt = 1;; attempt++) {
    uint32_t version = load(s, r, slot, s->scratch, attempt == 1);
    int result = change(s->scratch, arg);
    if (result == SENTC_STORE_UNCHANGED)
      return 0;
    if (result != 0)
      return result;
    int stored = store(s, r, slot, s->scratch, version);
    if (stored == 0)
      return result;
    if (PROXY && r->shared >= 0 && (attempt == PROXY_ATTEMPTS || stored == SENTC_SHARED_FULL)) {
      sentc_shared_give_up(&s->shared, (uint32_t)r->shared, slot, s->scratch);
      return SENTC_STORE_UNAVAILABLE;
    }
  }
}

void sentc_store_agree(struct sentc_store *s, void *value, uint32_t len) {
  if (PROXY)
    sentc_shared_agree(&s->shared, value, len);
}

void sentc_store_usage(const struct sentc_store *s, struct sentc_store_usage *usage) {
  uint32_t shared_cells = PROXY ? sentc_shared_cells(&s->shared) : 0;
  *usage = (struct sentc_store_usage){
    .worker_bytes = s->arena_size + s->noted_bytes, .worker_cells = s->n_cells - shared_cells,
    .shared_bytes = PROXY ? sentc_shared_bytes(&s->shared) : 0, .shared_cells = shared_cells};
}

uint64_t sentc_store_gave_up(const struct sentc_store *s) { return s->shared.gave_up; }

uint32_t sentc_store_wake_ms(const struct sentc_store *s) {
  return PROXY ? sentc_shared_wake_ms(&s->shared) : 0;
}

void sentc_store_tick(struct sentc_store *s) {
  if (PROXY)
    sentc_shared_tick(&s->shared);
}
