/*
 * state.c: the local (worker) state store (see state.h): every cell lives
 * in one arena in this VM's memory, with a version per cell so that the
 * compare-and-swap contract is honoured exactly as shared data would.
 */
#include <stdlib.h>
#include <string.h>
#include "state.h"

struct cell {
  uint32_t offset, size, version;
};

static struct cell *cells;
static uint32_t n_cells, room_cells;
static uint32_t arena_size, max_size;
static unsigned char *arena, *scratch;

sentc_cell sentc_state_reserve(uint32_t size) {
  if (n_cells == room_cells) {
    uint32_t room = room_cells ? 2 * room_cells : 64;
    struct cell *grown = realloc(cells, room * sizeof *cells);
    if (!grown)
      return UINT32_MAX;
    cells = grown;
    room_cells = room;
  }
  size = (size + 7u) & ~7u;
  cells[n_cells] = (struct cell){arena_size, size, 0};
  arena_size += size;
  if (size > max_size)
    max_size = size;
  return n_cells++;
}

int sentc_state_seal(void) {
  arena = calloc(arena_size ? arena_size : 1, 1);
  scratch = calloc(max_size ? max_size : 1, 1);
  return arena && scratch ? 0 : -1;
}

void sentc_state_reset(void) {
  free(cells);
  free(arena);
  free(scratch);
  cells = NULL;
  arena = scratch = NULL;
  n_cells = room_cells = arena_size = max_size = 0;
}

uint32_t sentc_state_load(sentc_cell cell, void *out) {
  memcpy(out, arena + cells[cell].offset, cells[cell].size);
  return cells[cell].version;
}

int sentc_state_store(sentc_cell cell, const void *in, uint32_t version) {
  if (cells[cell].version != version)
    return -1;
  memcpy(arena + cells[cell].offset, in, cells[cell].size);
  cells[cell].version++;
  return 0;
}

int sentc_state_update(sentc_cell cell, sentc_change change, void *arg) {
  for (;;) {
    uint32_t version = sentc_state_load(cell, scratch);
    int result = change(scratch, arg);
    if (result != 0 || sentc_state_store(cell, scratch, version) == 0)
      return result;
  }
}

uint32_t sentc_state_max_size(void) { return max_size; }
