/*
 * cluster.h: scope cluster in the engine (docs/cluster.md): a request that
 * passed every local rule and matches rules in scope cluster asks the
 * rate-limit service about all of them in one call, and is held until the
 * answer says whether it passes or which rule blocks it.
 *
 * engine.c runs it in a few hooks: the kinds skip cluster rules (the
 * service counts them, sentc_cluster_rule); after the local commits,
 * sentc_cluster_ask; when the call's outcome comes (or its deadline
 * passes on a tick), sentc_cluster_outcome / sentc_cluster_overdue; when a
 * stream ends while asking, sentc_cluster_forget.  This file keeps the
 * calls in flight, writes the question (rls.h) and reads the answer; what
 * a block or a pass then does to the stream stays engine.c's.
 */
#ifndef SENTC_CLUSTER_H
#define SENTC_CLUSTER_H

#include <stdint.h>
#include "../tables.h"
#include "kinds.h"
#include "request.h"

struct sentc_engine;

/* Whether the policy has rules in scope cluster (tables.h, SENTC_USES):
 * in main.wasm, a policy without them leaves this file's code out. */
#define SENTC_CLUSTER_USED SENTC_USES(SENTC_USE_CLUSTER)

/* Whether rule `rule` of `kind` is counted by the rate-limit service (and
 * so not by its kind's own checks). */
static inline int sentc_cluster_rule(const struct sentc_policy *p, enum sentc_kind kind,
                                     uint32_t rule) {
  return SENTC_CLUSTER_USED && sentc_tables_rule(p, kind, rule)->scope == SENTC_SCOPE_CLUSTER;
}

/* Whether the tables' cluster part holds together: every descriptor names
 * a flow or hotspot rule in scope cluster, each such rule has exactly one,
 * and the service is named.  Checked once at start, as engine.c's. */
int sentc_cluster_sane(const struct sentc_policy *p);

/* Allocates what asking takes (the question's buffer, the maps); 0, or -1
 * without memory.  And frees it, cancelling the calls in flight. */
int sentc_cluster_start(struct sentc_engine *E);
void sentc_cluster_stop(struct sentc_engine *E);

/* What blocks a request by the service's say: a cluster rule (`kind`,
 * `rule`) of resource `resource`, and when a retry may pass. */
struct sentc_cluster_block {
  enum sentc_kind kind;
  int32_t resource;
  uint32_t rule;
  int64_t retry_ms;
};

enum sentc_cluster_ask {
  SENTC_CLUSTER_NONE,        /* no cluster rule applies: the request goes on */
  SENTC_CLUSTER_ASKING,      /* the question is out: hold the stream */
  SENTC_CLUSTER_DENY         /* it could not be asked and on_error says deny: *b blocks */
};

/* After `ask`'s request on stream `stream` passed and committed every
 * local rule of resources matched[0..n): asks about their cluster rules
 * (enum sentc_cluster_ask).  It could not be asked (no memory, the host
 * refused the call) and on_error allows: NONE. */
int sentc_cluster_ask(struct sentc_engine *E, uint32_t stream, const struct sentc_ask *ask,
                      const uint32_t *matched, uint32_t n, struct sentc_cluster_block *b);

/* What a call's outcome decides for its stream: blocked by `by`, or it
 * passes; and what the service said is left, for the RateLimit headers
 * (the blocking rule's, or the least left of the rules asked). */
struct sentc_cluster_outcome {
  uint32_t stream;
  int blocks;
  struct sentc_cluster_block by;
  int has_quota;
  struct sentc_quota quota;
  const uint32_t *matched;   /* the resources the request entered, for its */
  uint32_t n_matched;        /* passes (valid until the next call here) */
};

/* The outcome of call `token`: its answer (`message`, `len`), or its
 * failure (message NULL, grpc-status `status`).  1 and *out for the stream
 * that waited for it, or 0 (no such call: the stream ended, or an answer
 * came twice): ignore it. */
int sentc_cluster_outcome(struct sentc_engine *E, uint32_t token, const void *message, size_t len,
                          uint32_t status, struct sentc_cluster_outcome *out);

/* A stream ended while it was asking: its call is cancelled and forgotten. */
void sentc_cluster_forget(struct sentc_engine *E, uint32_t stream);

/* Whether `stream` is waiting for the service. */
int sentc_cluster_asking(const struct sentc_engine *E, uint32_t stream);

/* The host should end a call by its timeout; should it not, the engine
 * does a while later (SENTC_CLUSTER_GRACE_MS): the earliest such deadline
 * (INT64_MAX: no call in flight), and, while a call is past it at `now`,
 * its outcome as a failure (1 and *out; it is cancelled), else 0. */
#define SENTC_CLUSTER_GRACE_MS 1000
int64_t sentc_cluster_deadline(const struct sentc_engine *E);
int sentc_cluster_overdue(struct sentc_engine *E, int64_t now, struct sentc_cluster_outcome *out);

#endif
