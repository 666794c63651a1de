/*
 * proctime.h: engine time that every VM of the process agrees on.
 *
 * clock.c makes each VM's clock monotonic on its own: after a backward jump
 * each VM stands still from its own last reading, so VMs end up apart by
 * up to the time between their last readings, for good.  State shared
 * between VMs (proxy cells: window buckets, pace slots, breaker open_until,
 * liveness stamps) needs one time line, so when the policy has proxy cells
 * the engine's time is raw + a process-wide offset kept in shared data
 * ("clock" key).  A VM that sees the raw clock go back below its own last
 * reading raises the offset (compare-and-swap) so that time stands still
 * at the jump, as clock.c does; every VM re-reads the offset when it sees a
 * jump and at least every SENTC_PROCTIME_SYNC_MS, so after a jump VMs
 * disagree for at most that long, and by at most the jump.
 */
#ifndef SENTC_PROCTIME_H
#define SENTC_PROCTIME_H

#include <stdint.h>
#include "clock.h"

#define SENTC_PROCTIME_SYNC_MS 100

/* Engine time for a raw reading (ms): `local`'s monotonic clock when the
 * policy has no proxy cells, else the process time. */
int64_t sentc_engine_time(struct sentc_clock *local, int64_t raw_ms);

#endif
