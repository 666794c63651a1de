/*
 * window.h: sliding-window statistics, after Sentinel's LeapArray.
 *
 * A window of W ms is a ring of K buckets of W/K ms.  The bucket for time t
 * is ring[(t / (W/K)) % K]; a bucket whose start is not t's bucket start is
 * stale and is reset when it is next written (lazy reset), so an event costs
 * O(1) whatever the traffic and an idle window needs no timer.  A read sums
 * the buckets whose span [start, start + W) still contains now, as
 * sentinel-golang's GetSum does.  Rings live inside state cells (state.h):
 * these functions work on a cell's copy.  The events and the bucket are
 * laid out in layout.h.
 */
#ifndef SENTC_WINDOW_H
#define SENTC_WINDOW_H

#include <stdint.h>
#include "../layout.h"

/* Whether a window can be kept: at least one bucket, buckets that divide
 * it (every bucket the same span). */
int sentc_window_sane(const struct sentc_window *window);

/* Counts `n` events of kind `event` at time `now` in `ring` (window->buckets long). */
void sentc_window_add(const struct sentc_window *window, struct sentc_bucket *ring,
                      int64_t now, enum sentc_event event, uint32_t n);

/* Events of kind `event` in the window that ends at `now`. */
uint32_t sentc_window_sum(const struct sentc_window *window,
                          const struct sentc_bucket *ring, int64_t now,
                          enum sentc_event event);

/* Records one completion of response time `rt_ms` (COMPLETE, RT, min_rt). */
void sentc_window_complete(const struct sentc_window *window, struct sentc_bucket *ring,
                           int64_t now, uint32_t rt_ms);

/* The largest count of `event` in one live bucket, and the smallest
 * min_rt of the live buckets that completed anything (UINT32_MAX if none). */
uint32_t sentc_window_max_bucket(const struct sentc_window *window,
                                 const struct sentc_bucket *ring, int64_t now,
                                 enum sentc_event event);
uint32_t sentc_window_min_rt(const struct sentc_window *window,
                             const struct sentc_bucket *ring, int64_t now);

/* When the oldest live bucket holding `event`s leaves the window (ms of
 * engine time), or `now` when none does. */
int64_t sentc_window_expiry(const struct sentc_window *window,
                            const struct sentc_bucket *ring, int64_t now,
                            enum sentc_event event);

/* Takes back one `event` counted at time `at`, if its bucket is still live. */
void sentc_window_take_back(const struct sentc_window *window, struct sentc_bucket *ring,
                            int64_t at, enum sentc_event event);

/* Forgets everything (a breaker closing starts afresh). */
void sentc_window_clear(const struct sentc_window *window, struct sentc_bucket *ring);

#endif
