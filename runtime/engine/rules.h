/*
 * rules.h: each rule kind's check, commit, undo and release, on its state
 * cells (state.h).  engine.c runs them in two phases: every check first
 * (no side effect), then every commit, which re-checks against the cell it
 * writes (compare-and-swap) and fails if the re-check blocks; the engine
 * then undoes what that request already committed.  Each commit leaves an
 * effect (stream.h) that says exactly what to give back at the stream's end.
 */
#ifndef SENTC_RULES_H
#define SENTC_RULES_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"
#include "stream.h"

int sentc_rules_start(const struct sentc_policy *policy);

/* Phase one: 1 if the rule blocks at `now` (and *retry_ms: until a retry
 * may pass), else 0. */
int sentc_flow_blocks(uint32_t flow, int64_t now, int64_t *retry_ms);
int sentc_concurrency_blocks(uint32_t rule);
int sentc_hotspot_blocks(uint32_t rule, const char *key, size_t len, uint64_t hash,
                         int64_t now, int64_t *retry_ms);
int sentc_breaker_blocks(uint32_t rule, int64_t now, int64_t *retry_ms);
/* The system check's label (qps, concurrency, avg_rt, adaptive), or NULL. */
const char *sentc_system_blocks(int64_t now);

/* Phase two: 0 and the effect, or -1 when the re-check blocks.  *wait_us
 * is how long the request must be held (pacing), else 0. */
int sentc_system_commit(int64_t now, struct sentc_effect *effect);
int sentc_flow_commit(uint32_t flow, int64_t now, struct sentc_effect *effect, int64_t *wait_us);
void sentc_flow_count_of(uint32_t flow, int64_t now, struct sentc_effect *effect);
int sentc_concurrency_commit(uint32_t rule, struct sentc_effect *effect);
int sentc_hotspot_commit(uint32_t rule, const char *key, size_t len, uint64_t hash, int64_t now,
                         struct sentc_effect *effect, int64_t *wait_us);
int sentc_breaker_commit(uint32_t rule, int64_t now, struct sentc_effect *effect);

/* Takes an effect back: its commit is undone (the request did not pass). */
void sentc_effect_undo(const struct sentc_effect *effect);

/* The stream ended: permits back, and a slot still held is given back. */
void sentc_effect_release(const struct sentc_effect *effect, int still_held);

/* The passed request completed after rt_ms; `error` for breakers. */
void sentc_effect_complete(const struct sentc_effect *effect, int64_t now, uint32_t rt_ms,
                           int http_status, int grpc_status, int no_response);

/* Rate-limit state of a flow rule after a pass: limit, remaining, reset (s). */
void sentc_flow_ratelimit(uint32_t flow, int64_t now, uint32_t *remaining, uint32_t *reset_s);

#endif
