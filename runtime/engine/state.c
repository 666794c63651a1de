/*
 * state.c: the state store (see state.h).  Worker cells live in one arena
 * in this VM's memory, with a version per cell so that the compare-and-swap
 * contract is honoured exactly as shared data would; proxy cells are handed
 * to shared.c.  The choice is one branch per call, so scope worker costs
 * what it cost before proxy cells existed.
 */
#include <stdlib.h>
#include <string.h>
#include "cells.h"
#include "shared.h"
#include "state.h"

/* Store attempts for a proxy cell before on_error decides. */
#define PROXY_ATTEMPTS 32

struct cell {
  uint32_t offset, size, version;
  int32_t shared;          /* index in shared.c, or -1 for a worker cell */
};

static struct cell *cells;
static uint32_t n_cells, room_cells;
static uint32_t arena_size, max_size;
static unsigned char *arena, *scratch;
static int lost_reservation;    /* a reserve ran out of memory: sealing fails */
static uint64_t noted_bytes;     /* per-worker state beside the cells (sentc_state_note) */

sentc_cell sentc_state_reserve_in(uint32_t size, int scope, const uint32_t *permit_offsets,
                                  uint32_t n_permits) {
  if (n_cells == room_cells) {
    uint32_t room = room_cells ? 2 * room_cells : 64;
    struct cell *grown = realloc(cells, room * sizeof *grown);
    if (!grown) {
      lost_reservation = 1;
      return UINT32_MAX;
    }
    cells = grown;
    room_cells = room;
  }
  size = sentc_cell_bytes(size);
  cells[n_cells] = (struct cell){arena_size, size, 0, -1};
  if (scope == SENTC_SCOPE_PROXY) {
    uint32_t shared = sentc_shared_reserve(size, permit_offsets, n_permits);
    if (shared == UINT32_MAX) {
      lost_reservation = 1;
      return UINT32_MAX;
    }
    cells[n_cells].shared = (int32_t)shared;
  } else
    arena_size += size;
  if (size > max_size)
    max_size = size;
  return n_cells++;
}

void sentc_state_namespace(const struct sentc_string *name, uint64_t hash) {
  sentc_shared_namespace(name, hash);
}

void *sentc_zalloc(size_t n, size_t size) { return calloc(n ? n : 1, size); }

int sentc_state_seal(void) {
  arena = sentc_zalloc(arena_size, 1);
  scratch = sentc_zalloc(max_size, 1);
  return arena && scratch && !lost_reservation && sentc_shared_seal() == 0 ? 0 : -1;
}

void sentc_state_reset(void) {
  free(cells);
  free(arena);
  free(scratch);
  cells = NULL;
  arena = scratch = NULL;
  n_cells = room_cells = arena_size = max_size = 0;
  lost_reservation = 0;
  noted_bytes = 0;
  sentc_shared_reset();
}

/* `reuse`: a proxy cell may start from the copy its check just got. */
static uint32_t load(sentc_cell cell, void *out, int reuse) {
  const struct cell *c = &cells[cell];
  if (c->shared >= 0)
    return sentc_shared_load((uint32_t)c->shared, out, reuse);
  memcpy(out, arena + c->offset, c->size);
  return c->version;
}

uint32_t sentc_state_load(sentc_cell cell, void *out) { return load(cell, out, 0); }

int sentc_state_store(sentc_cell cell, const void *in, uint32_t version) {
  struct cell *c = &cells[cell];
  if (c->shared >= 0)
    return sentc_shared_store((uint32_t)c->shared, in, version);
  if (c->version != version)
    return -1;
  memcpy(arena + c->offset, in, c->size);
  c->version++;
  return 0;
}

int sentc_state_update(sentc_cell cell, sentc_change change, void *arg) {
  int shared = cells[cell].shared;
  for (int attempt = 1;; attempt++) {
    uint32_t version = load(cell, scratch, attempt == 1);
    int result = change(scratch, arg);
    if (result == SENTC_STATE_UNCHANGED)
      return 0;
    if (result != 0 || sentc_state_store(cell, scratch, version) == 0)
      return result;
    if (shared >= 0 && attempt == PROXY_ATTEMPTS) {
      sentc_shared_give_up((uint32_t)shared, scratch);
      return SENTC_STATE_UNAVAILABLE;
    }
  }
}

uint32_t sentc_state_max_size(void) { return max_size; }

void sentc_state_agree(void *value, uint32_t len) { sentc_shared_agree(value, len); }

void sentc_state_note(uint64_t bytes) { noted_bytes += bytes; }

void sentc_state_usage(struct sentc_state_usage *usage) {
  uint32_t shared_cells = sentc_shared_cells();
  *usage = (struct sentc_state_usage){
    .worker_bytes = arena_size + noted_bytes, .worker_cells = n_cells - shared_cells,
    .shared_bytes = sentc_shared_bytes(), .shared_cells = shared_cells};
}
