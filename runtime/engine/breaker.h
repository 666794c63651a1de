/*
 * breaker.h: the circuit breaker state machine (sentinel-golang
 * core/circuitbreaker), on a state cell's copy.
 *
 * closed: every request passes; each completion is counted in the window
 *   (complete, error, slow); once the window holds min_requests
 *   completions, the breaker opens when errors >= count (error_count) or
 *   errors / completions >= ratio (error_ratio), slow / completions >= ratio
 *   (slow_ratio), the comparisons sentinel-golang makes.
 * open: every request is blocked until `open_ms` has passed; the next
 *   request then turns it half-open and passes as a probe.
 * half-open: at most `probes` probes are let through; a bad probe (error,
 *   slow, or no response) reopens it for another `open_ms`; when `probes`
 *   probes have succeeded it closes with an empty window.  Completions of
 *   requests that passed before it opened are counted but decide nothing.
 */
#ifndef SENTC_BREAKER_H
#define SENTC_BREAKER_H

#include <stdint.h>
#include "../tables.h"
#include "window.h"

enum sentc_breaker_state { SENTC_CLOSED, SENTC_OPEN, SENTC_HALF_OPEN };

struct sentc_breaker_cell {
  uint8_t state;
  uint32_t probes_out;    /* half-open: probes admitted, not yet completed */
  uint32_t probes_ok;     /* half-open: probes that succeeded */
  int64_t open_until;     /* open: when a probe may pass */
  struct sentc_bucket ring[];
};

/* Would a request pass at `now`?  Changes nothing. */
int sentc_breaker_admits(const struct sentc_breaker *rule,
                         const struct sentc_breaker_cell *cell, int64_t now);

/* Lets a request in: -1 if it may not pass after all, 1 if it is a probe,
 * else 0. */
int sentc_breaker_enter(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                        int64_t now);

/* Takes back an entry that the rest of its request's commit undid. */
void sentc_breaker_leave(struct sentc_breaker_cell *cell, int probe);

/* A request that passed completed after `rt_ms`; `error` per the rule's
 * statuses (or no response at all). */
void sentc_breaker_complete(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                            int64_t now, uint32_t rt_ms, int error, int probe);

/* Whether an HTTP status / grpc-status is an error for this rule. */
int sentc_breaker_is_error(const struct sentc_breaker *rule, int http_status, int grpc_status);

#endif
