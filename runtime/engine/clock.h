/*
 * clock.h: the engine's time, in milliseconds, that never runs backwards.
 *
 * Envoy hands Proxy-Wasm modules wall-clock time, which can stand still or
 * jump back (NTP steps, VM migration).  Windows keyed on such a clock would
 * either unblock everything or lock a resource out until the clock catches
 * up.  The engine instead sees a clock that stops at the instant of a
 * backward jump and then advances at the raw clock's pace again.
 */
#ifndef SENTC_CLOCK_H
#define SENTC_CLOCK_H

#include <stdint.h>

struct sentc_clock {
  int64_t last_raw;   /* last raw reading, ms */
  int64_t offset;     /* added to raw readings: sum of backward jumps */
  int started;
};

/* Engine time for a raw reading (ms). */
int64_t sentc_clock_now(struct sentc_clock *clock, int64_t raw_ms);

#endif
