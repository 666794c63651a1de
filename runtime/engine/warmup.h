/*
 * warmup.h: Sentinel's warm-up (Guava SmoothWarmingUp, as sentinel-golang's
 * tc_warm_up.go computes it), with the second generalised to the rule's
 * window: `count` per window after `warmup_ms`, count/cold when cold.
 *
 *   warning = warmup_s * count / (cold - 1)
 *   max     = warning + 2 * warmup_s * count / (1 + cold)
 *   slope   = (cold - 1) / count / (max - warning)
 *
 * Stored tokens grow by count per window of idleness (capped at max) and
 * shrink by the previous window's passes; above `warning` the allowed rate
 * is 1 / ((stored - warning) * slope + 1 / count), else count.  A fresh rule
 * starts with max tokens: cold.  warmup_s is the period in windows.
 */
#ifndef SENTC_WARMUP_H
#define SENTC_WARMUP_H

#include <stdint.h>
#include "../layout.h"     /* struct sentc_warmup */

struct sentc_warmup_curve {
  double count, cold, warning, max, slope;
  uint32_t window_ms;
};

void sentc_warmup_curve(struct sentc_warmup_curve *curve, double count, uint32_t window_ms,
                        uint32_t warmup_ms, double cold);

/* Refills the tokens at `now` and returns the requests allowed per window. */
double sentc_warmup_allowed(const struct sentc_warmup_curve *curve,
                            struct sentc_warmup *state, int64_t now);

/* Counts a pass at `now` (n = 1), or takes back one counted at `now`
 * (n = -1): while its window is still the current one, else nothing (the
 * previous window's passes are what the refill used or will use). */
void sentc_warmup_count(const struct sentc_warmup_curve *curve,
                        struct sentc_warmup *state, int64_t now, int n);

#endif
