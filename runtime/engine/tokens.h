/*
 * tokens.h: the per-value token bucket of hotspot rules (Sentinel's param
 * flow, sentinel-golang core/hotspot/traffic_shaping.go).
 *
 * A value seen for the first time gets count + burst tokens and spends one.
 * Later, once more than a whole window has passed since the last refill,
 * it gets elapsed * count / window more (whole tokens), capped at
 * count + burst; within the window it spends what is left.  A request that
 * finds no token is blocked; a rate of 0 (`item "x" 0/s`) blocks every
 * request, burst or not (docs/language.md; Sentinel would still give it the burst).
 */
#ifndef SENTC_TOKENS_H
#define SENTC_TOKENS_H

#include <stdint.h>
#include "../layout.h"     /* struct sentc_tokens */

/* Spends one token at `now` if there is one: returns 0 (and updates
 * `bucket`) or -1 (blocked; `bucket` unchanged). */
int sentc_tokens_take(struct sentc_tokens *bucket, int64_t now, uint32_t count,
                      uint32_t burst, uint32_t window_ms);

/* When a blocked value will have a token again (engine ms). */
int64_t sentc_tokens_next(const struct sentc_tokens *bucket, uint32_t window_ms);

#endif
