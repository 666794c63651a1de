/*
 * core.h: the engine's one explicit state (as lua_State is Lua's): the
 * policy it runs, its clock, its state store, its streams, its counters
 * and each rule kind's own state.  engine.c creates and frees it; every
 * part of the engine takes it, or the piece of it that it works on, as its
 * first argument, so two engines (unit tests) never share anything and a
 * stopped engine leaves nothing behind.
 *
 * Only the engine's own files include this; the ABI layer sees engine.h.
 */
#ifndef SENTC_CORE_H
#define SENTC_CORE_H

#include <stdint.h>
#include <stdlib.h>
#include "../tables.h"
#include "clock.h"
#include "config.h"
#include "engine.h"
#include "hash.h"
#include "kinds.h"
#include "metrics.h"
#include "reply.h"
#include "store.h"
#include "stream.h"
#include "text.h"

/* Each kind's state is its own file's business (kinds.h). */
#define SENTC_KIND_STATE(K, k, status, grpc, tcp) struct sentc_##k##_state;
SENTC_RULE_KINDS(SENTC_KIND_STATE)
#undef SENTC_KIND_STATE
struct sentc_system_state;
struct sentc_cluster_state;

struct sentc_engine {
  const struct sentc_policy *policy; /* the live policy: config.live (config.h) */
  struct sentc_config config;
  struct sentc_clock clock;
  struct sentc_store store;
  struct sentc_streams streams;
  struct sentc_metrics metrics;
  struct sentc_hash_key hash_key;    /* hotspot values' hash */
  uint32_t *matched;                 /* the resources a request entered */
  char *path;                        /* SENTC_PATH_MAX, made for the first path to normalize (engine.c) */
  struct sentc_reply_text reply;     /* replies are rendered here */
  int32_t held_list;                 /* streams waiting for their turn */
  uint32_t wake_ms;                  /* tick period asked for, 0 = none */
  int64_t flushed_at;                /* metrics last sent (engine.c) */
  uint32_t quiet_ticks;              /* ticks in a row with no metric to send */
  int log_level;                     /* the least severe level the host prints */
  int64_t *block_logged_at;          /* per resource, then system: its last block line */
  uint64_t gave_up_counted;          /* the store's give-ups counted so far */
  int64_t unavailable_logged_at;
  char line[384];                    /* a log line being written */
#define SENTC_KIND_FIELD(K, k, status, grpc, tcp) struct sentc_##k##_state *k;
  SENTC_RULE_KINDS(SENTC_KIND_FIELD)
#undef SENTC_KIND_FIELD
  struct sentc_system_state *system;
  struct sentc_cluster_state *cluster;   /* scope cluster's calls (cluster.c) */
};

/* Zeroed room for n items of `size` bytes, allocated once at start: never
 * NULL just because n is 0 (a policy without rules of some kind). */
static inline void *sentc_core_array(size_t n, size_t size) { return calloc(n ? n : 1, size); }

/* A log line in the engine's line buffer: sentc_core_line starts one
 * ("sentc: " written), sentc_core_log sends it at `level`.  Write lines
 * only when sentc_core_logs(E, level). */
static inline int sentc_core_logs(const struct sentc_engine *E, int level) {
  return level >= E->log_level;
}
static inline struct sentc_text sentc_core_line(struct sentc_engine *E) {
  struct sentc_text t = sentc_text_on(E->line, sizeof E->line);
  sentc_text_str(&t, "sentc: ");
  return t;
}
static inline void sentc_core_log(struct sentc_engine *E, int level, const struct sentc_text *t) {
  sentc_platform_log(level, E->line, (size_t)(t->at - E->line));
}

/* What a commit answers when its cell could not be written (shared data
 * contended beyond the retry bound): the policy's on_error decides. */
static inline int sentc_core_unavailable(const struct sentc_engine *E) {
  return E->policy->on_error == SENTC_ON_ERROR_DENY ? SENTC_COMMIT_BLOCK : SENTC_COMMIT_NOTHING;
}

/* A commit's store update, read as a commit's answer. */
static inline int sentc_core_commit(const struct sentc_engine *E, int update) {
  if (update == SENTC_STORE_UNAVAILABLE)
    return sentc_core_unavailable(E);
  return update == 0 ? SENTC_COMMIT_OK : SENTC_COMMIT_BLOCK;
}

#endif
