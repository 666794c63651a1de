/*
 * window.h: sliding-window statistics, after Sentinel's LeapArray.
 *
 * A window of W ms is a ring of K buckets of W/K ms.  The bucket for time t
 * is ring[(t / (W/K)) % K]; a bucket whose start is not t's bucket start is
 * stale and is reset when it is next written (lazy reset), so an event costs
 * O(1) whatever the traffic and an idle window needs no timer.  A read sums
 * the buckets whose span [start, start + W) still contains now, as
 * sentinel-golang's GetSum does.
 */
#ifndef SENTC_WINDOW_H
#define SENTC_WINDOW_H

#include <stdint.h>
#include "../tables.h"

enum sentc_event { SENTC_EV_PASS, SENTC_EV_BLOCK, SENTC_EVENTS };

/* One bucket of a window's ring. */
struct sentc_bucket {
  int64_t start;           /* start of the bucket's span; stale when old */
  uint32_t count[SENTC_EVENTS];
};

/* Counts `n` events of kind `event` at time `now` in `ring` (window->buckets long). */
void sentc_window_add(const struct sentc_window *window, struct sentc_bucket *ring,
                      int64_t now, enum sentc_event event, uint32_t n);

/* Events of kind `event` in the window that ends at `now`. */
uint32_t sentc_window_sum(const struct sentc_window *window,
                          const struct sentc_bucket *ring, int64_t now,
                          enum sentc_event event);

#endif
