/*
 * scratch.c: the per-callback bump region (see scratch.h).  4 KiB holds
 * what a request's callback is handed (its path, method, a few header
 * values) many times over; a bigger request's values are malloc'd, and
 * freed at the reset, so a VM's memory grows only with the requests it
 * really gets.
 */
#include <stdlib.h>
#include "scratch.h"

#define REGION 4096
#define MAX_SPILLS 16

static _Alignas(16) unsigned char region[REGION];
static size_t used;
static void *spills[MAX_SPILLS];
static int n_spills;

void *sentc_scratch_alloc(size_t size) {
  size_t rounded = (size + 15) & ~(size_t)15;
  if (rounded <= REGION - used) {
    void *p = region + used;
    used += rounded;
    return p;
  }
  if (n_spills == MAX_SPILLS)
    return NULL;
  void *p = malloc(size ? size : 1);
  if (p)
    spills[n_spills++] = p;
  return p;
}

struct sentc_scratch_mark sentc_scratch_mark(void) {
  return (struct sentc_scratch_mark){used, n_spills};
}

void sentc_scratch_release(struct sentc_scratch_mark mark) {
  used = mark.used;
  while (n_spills > mark.n_spills)
    free(spills[--n_spills]);
}

void sentc_scratch_reset(void) { sentc_scratch_release((struct sentc_scratch_mark){0, 0}); }
