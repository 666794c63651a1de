/*
 * scratch.h: memory the host writes into during one callback.
 *
 * Every proxy_get_header_map_value or proxy_get_property makes the host
 * allocate in the module (proxy_on_memory_allocate).  Serving those from a
 * bump region that is reset when the callback returns means no malloc and
 * no free per request; a rare request bigger than the region gets malloc'd
 * blocks, freed at the same reset.
 */
#ifndef SENTC_SCRATCH_H
#define SENTC_SCRATCH_H

#include <stddef.h>

void *sentc_scratch_alloc(size_t size);

/* Everything allocated since the last reset is released. */
void sentc_scratch_reset(void);

/* Where the region stands now, and releasing what was allocated since:
 * for values copied out at once (shared data), so that a callback making
 * many such calls does not fill the region. */
struct sentc_scratch_mark {
  size_t used;
  int n_spills;
};
struct sentc_scratch_mark sentc_scratch_mark(void);
void sentc_scratch_release(struct sentc_scratch_mark mark);

#endif
