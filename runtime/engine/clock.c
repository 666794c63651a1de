/*
 * clock.c: a monotonic view of a clock that may go backwards (see clock.h).
 */
#include "clock.h"

int64_t sentc_clock_now(struct sentc_clock *clock, int64_t raw_ms) {
  if (!clock->started) {
    clock->started = 1;
    clock->last_raw = raw_ms;
  }
  if (raw_ms < clock->last_raw)
    clock->offset += clock->last_raw - raw_ms;
  clock->last_raw = raw_ms;
  return raw_ms + clock->offset;
}
