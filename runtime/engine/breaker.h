/*
 * breaker.h: the circuit breaker's state machine on a cell's copy, the part
 * of breaker.c (the breaker kind) that its unit tests drive directly.  The
 * states and transitions are described at the top of breaker.c.
 */
#ifndef SENTC_BREAKER_H
#define SENTC_BREAKER_H

#include <stdint.h>
#include "../layout.h"

/* Would a request pass at `now`?  Changes nothing. */
int sentc_breaker_admits(const struct sentc_breaker *rule,
                         const struct sentc_breaker_cell *cell, int64_t now);

/* Lets a request in: -1 if it may not pass after all, 1 if it is a probe,
 * else 0. */
int sentc_breaker_enter(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                        int64_t now);

/* Takes back an entry that the rest of its request's commit undid, or a
 * held one whose stream ended. */
void sentc_breaker_leave(struct sentc_breaker_cell *cell, int probe);

/* A request that passed completed after `rt_ms`; `error` per the rule's
 * statuses (or no response at all).  `entered` is the cell's open_until
 * when the request entered: open_until grows at every opening, so it names
 * the period the request was admitted in, and a completion from before the
 * last opening is counted but decides nothing. */
void sentc_breaker_observe(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                           int64_t entered, int64_t now, uint32_t rt_ms, int error, int probe);

/* Whether a response is an error for this rule: its HTTP status is in the
 * rule's `errors`, or its grpc-status (-1: none) in `grpc_errors`. */
int sentc_breaker_is_error(const struct sentc_breaker *rule, int http_status, int grpc_status);

#endif
