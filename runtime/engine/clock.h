/*
 * clock.h: the engine's time, in milliseconds, that never runs backwards,
 * and that every VM of the process agrees on when they share state.
 *
 * Envoy hands Proxy-Wasm modules wall-clock time, which can stand still or
 * jump back (NTP steps, VM migration).  Windows keyed on such a clock would
 * either unblock everything or lock a resource out until the clock catches
 * up.  The engine instead sees a clock that stops at the instant of a
 * backward jump and then advances at the raw clock's pace again.
 *
 * Made so by each VM on its own, VMs would end up apart after a jump by up
 * to the time between their last readings, for good, and state shared
 * between VMs (proxy cells: window buckets, pace slots, breaker open_until,
 * liveness stamps) needs one time line.  So when the policy has proxy
 * cells the engine's time is raw + a process-wide offset kept in shared
 * data (keyspace.h "clock").  A VM that sees the raw clock go back below
 * its own last reading raises the offset (compare-and-swap) so that time
 * stands still at the jump; every VM re-reads the offset when it sees a
 * jump and at least every SENTC_CLOCK_SYNC_MS, so after a jump VMs disagree
 * for at most that long, and by at most the jump.
 */
#ifndef SENTC_CLOCK_H
#define SENTC_CLOCK_H

#include <stdint.h>
#include "shared.h"

#define SENTC_CLOCK_SYNC_MS 100

struct sentc_clock {
  int started;
  int64_t last_raw;       /* this VM alone: last raw reading */
  int64_t local_offset;   /* ... and the sum of backward jumps */
  int64_t offset;         /* process-wide: the published offset */
  int64_t last_now;       /* the last engine time given */
  int64_t synced_raw;     /* the raw reading of the last sync */
};

/* Engine time for a raw reading (ms): this VM's monotonic clock when the
 * policy has no proxy cells, else the process's. */
int64_t sentc_clock_now(struct sentc_clock *clock, struct sentc_shared *shared, int64_t raw_ms);

#endif
