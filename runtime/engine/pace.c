/*
 * pace.c: the leaky bucket (see pace.h).
 */
#include <math.h>
#include "pace.h"

int64_t sentc_pace_interval_us(double count, uint32_t window_ms) {
  if (count <= 0)
    return INT64_MAX / 4;
  return (int64_t)ceil(window_ms * 1000.0 / count);
}

int64_t sentc_pace_wait(const struct sentc_pace *pace, int64_t now_us,
                        int64_t interval_us, int64_t max_queue_us) {
  int64_t expected = pace->latest_us + interval_us;
  if (expected <= now_us)
    return 0;
  int64_t wait = expected - now_us;
  return wait > max_queue_us ? -1 : wait;
}

int64_t sentc_pace_take(struct sentc_pace *pace, int64_t now_us, int64_t interval_us) {
  int64_t expected = pace->latest_us + interval_us;
  pace->latest_us = expected <= now_us ? now_us : expected;
  return pace->latest_us;
}

void sentc_pace_give_back(struct sentc_pace *pace, int64_t slot_us, int64_t interval_us) {
  if (pace->latest_us == slot_us)
    pace->latest_us = slot_us - interval_us;
}
