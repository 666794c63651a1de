/*
 * kinds.h: what every rule kind does, the same operations for each, so the
 * engine (engine.c) runs any kind the same way and the registry of kinds
 * (tables.h, SENTC_RULE_KINDS) is the one list of them.  Kind `k`'s
 * operations are sentc_<k>_*, all in runtime/engine/<k>.c; the policy's
 * system protection has the same operations in system.c.
 *
 *   start:    allocate the kind's state and reserve its cells (store.h);
 *   stop:     free it;
 *   blocks:   phase one: would rule `rule` block this request now?  Changes
 *             nothing.  1 and ask->retry_ms (until a retry may pass), or 0;
 *   commit:   phase two: take what the pass takes (a pass counted, a
 *             permit, a pace slot, a token, a breaker entry), re-checking
 *             on the cell it writes (compare-and-swap).  SENTC_COMMIT_OK and
 *             the effect to record (ask->wait_us: how long the request must
 *             be held), SENTC_COMMIT_NOTHING (passed, holding nothing), or
 *             SENTC_COMMIT_BLOCK (the re-check blocks: the rule blocks);
 *   release:  give an effect back: its request was undone, or its stream
 *             ended (still held, or after going upstream);
 *   complete: the passed request's response is known (breakers, system).
 */
#ifndef SENTC_KINDS_H
#define SENTC_KINDS_H

#include <stdint.h>
#include "../layout.h"
#include "match.h"
#include "request.h"

struct sentc_engine;

/* A rate rule's quota for a request, as its RateLimit headers report it
 * (docs/metrics.md): `limit` per `window_ms`, `remaining` after this
 * request, full again in `reset_ms`. */
struct sentc_quota {
  uint8_t kind;            /* whose: enum sentc_kind, with rule */
  uint32_t rule;
  uint32_t limit, window_ms, remaining, reset_ms;
};

/* One request being decided, as the kinds see it. */
struct sentc_ask {
  const struct sentc_request *request;
  const struct sentc_path_view *path;   /* its normalized path (match.h) */
  int64_t now;
  int64_t retry_ms;        /* blocks: until a retry may pass */
  int64_t wait_us;         /* commit: how long the request must be held */
  int want_quota;          /* RateLimit headers are on: rate rules offer quotas */
  int has_quota;
  struct sentc_quota quota;   /* the most restrictive offered */
};

/* A rate rule offers its quota (in `blocks`, when it blocks: nothing
 * remaining; in `commit`, after taking); the request keeps the one with
 * the fewest requests remaining. */
static inline void sentc_ask_quota(struct sentc_ask *ask, const struct sentc_quota *q) {
  if (ask->want_quota && (!ask->has_quota || q->remaining < ask->quota.remaining ||
                          (q->remaining == ask->quota.remaining && q->limit < ask->quota.limit))) {
    ask->quota = *q;
    ask->has_quota = 1;
  }
}

enum sentc_commit { SENTC_COMMIT_BLOCK = -1, SENTC_COMMIT_OK = 0, SENTC_COMMIT_NOTHING = 1 };

enum sentc_release {
  SENTC_RELEASE_UNDO,      /* the request did not pass after all */
  SENTC_RELEASE_END,       /* its stream ended after going upstream */
  SENTC_RELEASE_HELD       /* its stream ended while still held */
};

/* How a passed request's stream went. */
struct sentc_outcome {
  int64_t now;
  uint32_t rt_ms;          /* from its pass to its response (or its end) */
  int http_status, grpc_status;   /* -1 when unknown */
  int no_response;
};

#define SENTC_KIND_DECLARE(K, k, status, grpc, tcp)                                          \
  int sentc_##k##_start(struct sentc_engine *E);                                             \
  void sentc_##k##_stop(struct sentc_engine *E);                                             \
  int sentc_##k##_blocks(struct sentc_engine *E, uint32_t rule, struct sentc_ask *ask);      \
  int sentc_##k##_commit(struct sentc_engine *E, uint32_t rule, struct sentc_ask *ask,       \
                         struct sentc_effect *effect);                                       \
  void sentc_##k##_release(struct sentc_engine *E, const struct sentc_effect *effect,        \
                           enum sentc_release how);                                          \
  void sentc_##k##_complete(struct sentc_engine *E, const struct sentc_effect *effect,       \
                            const struct sentc_outcome *outcome);
SENTC_RULE_KINDS(SENTC_KIND_DECLARE)
SENTC_KIND_DECLARE(SYSTEM, system, 0, 0, 0)
#undef SENTC_KIND_DECLARE

/* A kind whose rules care nothing for the response defines its complete
 * with this. */
#define SENTC_KIND_NO_COMPLETE(k)                                                              \
  void sentc_##k##_complete(struct sentc_engine *E, const struct sentc_effect *effect,         \
                            const struct sentc_outcome *outcome) {                             \
    (void)E, (void)effect, (void)outcome;                                                      \
  }

/* system's `blocks` returns which check blocks (enum sentc_system_check)
 * plus one, or 0. */

/* flow's own, for the engine: a flow rule with `of R` counts R's passes
 * (R's `watchers`), recording the effect; and after a configuration
 * changed thresholds, its warm-up curves follow them. */
void sentc_flow_count_of(struct sentc_engine *E, uint32_t rule, int64_t now,
                         struct sentc_effect *effect);
void sentc_flow_configured(struct sentc_engine *E);

#endif
