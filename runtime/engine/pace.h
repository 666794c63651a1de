/*
 * pace.h: Sentinel's leaky bucket (flow `throttle`, hotspot `throttle`).
 *
 * Requests are spaced `interval` apart: the next may pass at
 * latest + interval.  One that arrives later passes at once (latest = now);
 * one that arrives earlier waits until then, unless that wait is longer than
 * the queue allows, in which case it is blocked (sentinel-golang
 * tc_throttling.go; `throttle 0ms` therefore blocks instead of waiting).
 * Microseconds, so that 3/s spaces by 333.334 ms and not 333.
 */
#ifndef SENTC_PACE_H
#define SENTC_PACE_H

#include <stdint.h>
#include "../layout.h"     /* struct sentc_pace */

/* The spacing for `count` requests per `window_ms` (rounded up, as Sentinel). */
int64_t sentc_pace_interval_us(double count, uint32_t window_ms);

/* How long a request arriving at now_us would wait, or -1 if it must be
 * blocked.  Changes nothing. */
int64_t sentc_pace_wait(const struct sentc_pace *pace, int64_t now_us,
                        int64_t interval_us, int64_t max_queue_us);

/* Admits the request (the wait must not be -1): moves latest_us to its slot
 * and returns that slot's time. */
int64_t sentc_pace_take(struct sentc_pace *pace, int64_t now_us, int64_t interval_us);

/* A request that held `slot_us` gives it back: only the last slot can be
 * given back without moving the ones queued behind it. */
void sentc_pace_give_back(struct sentc_pace *pace, int64_t slot_us, int64_t interval_us);

#endif
