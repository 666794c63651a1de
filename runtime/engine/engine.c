/*
 * engine.c: one verdict per request, in two phases (see engine.h), and the
 * stream's life after it.
 *
 * Phase one checks the system rule, then every rule of every matching
 * resource (resources in file order; in each, the kinds in the registry's
 * order, tables.h, each kind in file order) without touching any state;
 * the first enforced rule that would block decides.  Only when nothing
 * blocks does phase two commit, in the same order, recording every effect
 * on the stream; if a commit's re-check fails (another worker got there
 * first, once state is shared), what the request already committed is
 * undone and that rule blocks it.  So a request blocked anywhere leaves no
 * pass and no permit behind, and counts as a block of the blocking rule
 * only.
 *
 * Shadow rules (docs/language.md, "Rule names and modes") are checked in
 * the same order, but the first one that would block only marks the
 * request: it goes upstream, counted as that rule's shadow block, and no
 * shadow rule takes anything for it (as if it had been blocked), while the
 * enforced rules still decide and commit.  (A shadow rule whose commit
 * re-check fails marks the request then; the shadow rules before it keep
 * what they took.)
 *
 * Metrics are counted in memory and sent on the tick, at most once a
 * second (metrics.h); the tick runs while there is something to send and
 * ten seconds more, so that steady traffic never re-arms it.
 *
 * The engine runs the live copy of the policy (config.h): the plugin
 * configuration may switch rules, resources or all of it off (such rules
 * are not checked and take nothing), change modes and thresholds.
 *
 * Each kind's work is its own file's (kinds.h); this file only runs them,
 * through the switches below, which the registry writes.  Rules in scope
 * cluster are the rate-limit service's (cluster.h): the kinds skip them,
 * and a request that passed every local rule asks the service about them
 * (phase three) and is held until it answers.
 */
#include <stdlib.h>
#include "bound.h"
#include "cluster.h"
#include "core.h"
#include "match.h"
#include "names.h"
#include "normalize.h"
#include "platform.h"
#include "reply.h"

/* ---- dispatch: one case per kind, from the registry ---- */

/* Every kind, the system's protection included. */
#define ALL_KINDS(X) SENTC_RULE_KINDS(X) X(SYSTEM, system, 0, 0, 0)
/* Whether the policy has kind K at all: in main.wasm a kind it has not is
 * left out of the module (tables.h, SENTC_USES), its cases never taken. */
#define KIND_USED(K) SENTC_USES(SENTC_USE_KIND(SENTC_KIND_##K))
/* Whether anything looks at responses: only breakers and the system
 * protection complete (kinds.h).  Without them a stream's response and
 * end need no statuses, no gRPC-ness and no time. */
#define RESPONSES_USED (KIND_USED(BREAKER) || KIND_USED(SYSTEM))
/* Whether the policy sends RateLimit headers (tables.h). */
#define RATELIMIT_USED SENTC_USES(SENTC_USE_RATELIMIT)
/* A case that returns KIND_CALL(kind), which each dispatcher defines. */
#define KIND_CASE(K, k, status, grpc, tcp) \
  case SENTC_KIND_##K:                     \
    if (KIND_USED(K))                      \
      return KIND_CALL(k);                 \
    break;

#define KIND_CALL(k) sentc_##k##_blocks(E, rule, ask)
static int kind_blocks(struct sentc_engine *E, enum sentc_kind kind, uint32_t rule,
                       struct sentc_ask *ask) {
  switch (kind) { ALL_KINDS(KIND_CASE) case SENTC_N_KINDS: break; }
  return 0;
}
#undef KIND_CALL

#define KIND_CALL(k) sentc_##k##_commit(E, rule, ask, effect)
static int kind_commit(struct sentc_engine *E, enum sentc_kind kind, uint32_t rule,
                       struct sentc_ask *ask, struct sentc_effect *effect) {
  switch (kind) { ALL_KINDS(KIND_CASE) case SENTC_N_KINDS: break; }
  return SENTC_COMMIT_NOTHING;
}
#undef KIND_CALL

#define KIND_CALL(k) sentc_##k##_release(E, effect, how)
static void kind_release(struct sentc_engine *E, const struct sentc_effect *effect,
                         enum sentc_release how) {
  switch ((enum sentc_kind)effect->kind) { ALL_KINDS(KIND_CASE) case SENTC_N_KINDS: break; }
  SENTC_ASSERT(0);
}
#undef KIND_CALL

#define KIND_CALL(k) sentc_##k##_complete(E, effect, outcome)
static void kind_complete(struct sentc_engine *E, const struct sentc_effect *effect,
                          const struct sentc_outcome *outcome) {
  switch ((enum sentc_kind)effect->kind) { ALL_KINDS(KIND_CASE) case SENTC_N_KINDS: break; }
  SENTC_ASSERT(0);
}
#undef KIND_CALL

/* ---- start and stop ---- */

/* Metrics are sent at most this often; the tick keeps running this many
 * periods after the last one with something to send. */
#define FLUSH_MS 1000
#define QUIET_TICKS 10


void sentc_engine_stop(struct sentc_engine *E) {
  if (!E)
    return;
  sentc_metrics_flush(&E->metrics);
#define STOP(K, k, status, grpc, tcp) \
  if (KIND_USED(K))                   \
    sentc_##k##_stop(E);
  ALL_KINDS(STOP)
#undef STOP
  sentc_cluster_stop(E);
  sentc_metrics_stop(&E->metrics);
  sentc_stream_free(&E->streams);
  sentc_store_close(&E->store);
  sentc_config_stop(&E->config);
  free(E->matched);
  free(E->path);
  free(E->block_logged_at);
  sentc_reply_close(&E->reply);
  free(E);
}

/* Reserves every kind's cells (in the registry's order, which every VM
 * shares: proxy cells are named by their rank), then allocates them. */
static int start_kinds(struct sentc_engine *E) {
#define START(K, k, status, grpc, tcp)          \
  if (KIND_USED(K) && sentc_##k##_start(E) != 0) \
    return -1;
  ALL_KINDS(START)
#undef START
  return sentc_store_seal(&E->store);
}

/* Whether rule `j` of kind `k` is in its resource's slice, with a
 * fallback, a scope and a mode the runtime knows. */
static int rule_sane(const struct sentc_policy *p, enum sentc_kind k, uint32_t j) {
  const struct sentc_rule *rule = sentc_tables_rule(p, k, j);
  if (rule->resource >= p->n_resources)
    return 0;
  struct sentc_slice own = p->resources[rule->resource].rules[k];
  return j >= own.first && j - own.first < own.n &&
         (rule->fallback == SENTC_BUILTIN_FALLBACK ||
          (rule->fallback >= 0 && (uint32_t)rule->fallback < p->n_fallbacks)) &&
         (rule->scope == SENTC_SCOPE_PROXY || rule->scope == SENTC_SCOPE_WORKER ||
          rule->scope == SENTC_SCOPE_CLUSTER) &&
         (rule->mode == SENTC_ENFORCE || rule->mode == SENTC_SHADOW);
}

/* The runtime trusts the tables' indices on every request, so they are
 * checked once, here: every slice within its kind's array, every rule's
 * resource, fallback, scope and mode, every watcher a flow rule.  (Each
 * kind checks its own fields at its start.) */
static int tables_sane(const struct sentc_policy *p) {
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = 0; j < sentc_tables_count(p, k); j++)
      if (!rule_sane(p, k, j))
        return 0;
  for (uint32_t i = 0; i < p->n_resources; i++) {
    const struct sentc_resource *r = &p->resources[i];
    for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
      if ((uint64_t)r->rules[k].first + r->rules[k].n > sentc_tables_count(p, k))
        return 0;
    for (uint32_t w = 0; w < r->n_watchers; w++)
      if (r->watchers[w] >= p->n_flow)
        return 0;
  }
  return (p->mode == SENTC_ENFORCE || p->mode == SENTC_SHADOW) && sentc_cluster_sane(p) &&
         (!p->system.present || p->system.fallback == SENTC_BUILTIN_FALLBACK ||
          (p->system.fallback >= 0 && (uint32_t)p->system.fallback < p->n_fallbacks));
}

struct sentc_engine *sentc_engine_start(const struct sentc_policy *p, const char **error) {
  if (p->tables_version != SENTC_TABLES_VERSION) {
    *error = "the policy's tables were made for another sentc runtime; recompile the policy";
    return NULL;
  }
  if (!tables_sane(p)) {
    *error = "the policy's tables are inconsistent; recompile the policy";
    return NULL;
  }
  *error = "out of memory, or a rule's table is inconsistent";
  struct sentc_engine *E = calloc(1, sizeof *E);
  if (!E)
    return NULL;
  if (sentc_config_start(&E->config, p) != 0) {
    free(E);
    return NULL;
  }
  E->policy = p = &E->config.live;
  E->held_list = -1;
  E->log_level = SENTC_LOG_INFO;
  E->matched = sentc_core_array(p->n_resources, sizeof *E->matched);
  E->block_logged_at = sentc_core_array((size_t)p->n_resources + 1, sizeof *E->block_logged_at);
  if (!E->matched || !E->block_logged_at || sentc_reply_open(&E->reply, p) != 0 ||
      sentc_store_open(&E->store, &p->name, p->hash) != 0 || start_kinds(E) != 0 ||
      sentc_cluster_start(E) != 0 || sentc_metrics_start(&E->metrics, p) != 0) {
    if (sentc_store_over_budget(&E->store))
      *error = "the policy's state per worker is over the budget of 256 MiB; recompile it";
    sentc_engine_stop(E);
    return NULL;
  }
  for (uint32_t i = 0; i <= p->n_resources; i++)
    E->block_logged_at[i] = INT64_MIN;
  E->unavailable_logged_at = INT64_MIN;
  E->quiet_ticks = QUIET_TICKS;     /* nothing to send yet: no ticks */
  /* Proxy hotspot slots are found by hash in every VM: one key for all. */
  sentc_platform_random(&E->hash_key, sizeof E->hash_key);
  sentc_store_agree(&E->store, &E->hash_key, sizeof E->hash_key);
  sentc_stream_init(&E->streams);
  return E;
}

void sentc_engine_log_level(struct sentc_engine *E, int level) { E->log_level = level; }

/* A callback starts: the engine's time for the host's raw reading. */
static int64_t begin(struct sentc_engine *E, int64_t raw_ms) {
  if (raw_ms == SENTC_NOW_UNREAD)
    raw_ms = sentc_platform_now_ms();
  int64_t now = sentc_clock_now(&E->clock, &E->store.shared, raw_ms);
  sentc_store_begin(&E->store, now);
  return now;
}

/* How often the module logs a repeated condition (a resource blocking,
 * shared state unavailable): the first time, then once a period. */
#define LOG_PERIOD_MS 60000

static int log_due(int64_t *last, int64_t now) {
  if (*last != INT64_MIN && now - *last < LOG_PERIOD_MS)
    return 0;
  *last = now;
  return 1;
}

/* A callback ends: what the store gave up is counted, and logged at warn
 * once a period (engine.h). */
static void end(struct sentc_engine *E, int64_t now) {
  uint64_t gave_up = sentc_store_gave_up(&E->store);
  if (gave_up == E->gave_up_counted)
    return;
  uint64_t more = gave_up - E->gave_up_counted;
  E->gave_up_counted = gave_up;
  sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0, SENTC_METRIC_STATE_UNAVAILABLE,
                      more > INT32_MAX ? INT32_MAX : (int32_t)more);
  if (sentc_core_logs(E, SENTC_LOG_WARN) && log_due(&E->unavailable_logged_at, now)) {
    struct sentc_text t = sentc_core_line(E);
    sentc_text_str(&t, "shared state unavailable: an update was given up after its retries; "
                       "on_error ");
    sentc_text_str(&t, E->policy->on_error == SENTC_ON_ERROR_DENY ? "deny: the request was blocked"
                                                                  : "allow: the request passed");
    sentc_text_str(&t, " (sentc.filter.state_unavailable counts them; logged once a minute)");
    sentc_core_log(E, SENTC_LOG_WARN, &t);
  }
}

/* ---- what decides ---- */

/* What blocks, holds or shadows a request: a rule of a resource, or a
 * system check. */
struct blocker {
  enum sentc_kind kind;
  int32_t resource;          /* -1: system */
  uint32_t rule;             /* system: the check; UINT32_MAX: none to count */
  int64_t retry_ms;
};

/* The longest wait a commit asked for, and whose. */
struct hold {
  int64_t wait_us;
  struct blocker by;
};

/* A request's decision so far. */
struct decision {
  struct blocker block;      /* the enforced rule that blocks it */
  struct blocker shadow;     /* the first shadow rule that would have */
  int shadowed;
  struct hold hold;
};

static int is_shadow(const struct sentc_engine *E, enum sentc_kind kind, uint32_t rule) {
  return (kind == SENTC_KIND_SYSTEM ? E->policy->mode
                                    : sentc_tables_rule(E->policy, kind, rule)->mode) ==
         SENTC_SHADOW;
}

/* Switched off by the plugin configuration: the rule, its resource or
 * everything. */
static int is_off(const struct sentc_engine *E, enum sentc_kind kind, int32_t resource,
                  uint32_t rule) {
  const struct sentc_policy *p = E->policy;
  return p->off || (kind != SENTC_KIND_SYSTEM &&
                    (p->resources[resource].off || sentc_tables_rule(p, kind, rule)->off));
}

static void write_blocker(struct sentc_text *t, const struct sentc_policy *p,
                          const struct blocker *b) {
  if (b->resource >= 0)
    sentc_text_string(t, &p->resources[b->resource].name);
  else
    sentc_text_str(t, "system");
  sentc_text_str(t, "/");
  if (b->kind != SENTC_KIND_SYSTEM)
    sentc_text_str(t, sentc_tables_rule(p, b->kind, b->rule)->name);
  else
    sentc_text_str(t, b->rule < SENTC_N_SYSTEM_CHECKS ? sentc_names_check[b->rule] : "on_error");
  sentc_text_str(t, " kind=");
  sentc_text_str(t, sentc_names_kind[b->kind]);
}

/* The decision's debug line (engine.h): "sentc: VERB RESOURCE/RULE
 * kind=KIND" and `extra` = `number` when given. */
static void note(struct sentc_engine *E, const char *verb, const struct blocker *b,
                 const char *extra, uint64_t number) {
  if (!sentc_core_logs(E, SENTC_LOG_DEBUG))
    return;
  struct sentc_text t = sentc_core_line(E);
  sentc_text_str(&t, verb);
  sentc_text_str(&t, " ");
  write_blocker(&t, E->policy, b);
  if (extra) {
    sentc_text_str(&t, " ");
    sentc_text_str(&t, extra);
    sentc_text_str(&t, "=");
    sentc_text_uint(&t, number);
  }
  sentc_core_log(E, SENTC_LOG_DEBUG, &t);
}

/* A resource's (or the system's) first block in a period, at info:
 * "sentc: RESOURCE blocking: RESOURCE/RULE kind=KIND status=S, and
 * maybe more within a minute" (engine.h). */
static void note_first_block(struct sentc_engine *E, const struct blocker *b, int64_t now,
                             uint32_t status) {
  int64_t *last = &E->block_logged_at[b->resource >= 0 ? (uint32_t)b->resource
                                                        : E->policy->n_resources];
  if (!sentc_core_logs(E, SENTC_LOG_INFO) || !log_due(last, now))
    return;
  struct sentc_text t = sentc_core_line(E);
  sentc_text_str(&t, "blocking: ");
  write_blocker(&t, E->policy, b);
  if (status) {
    sentc_text_str(&t, " status=");
    sentc_text_uint(&t, status);
  }
  sentc_text_str(&t, " (the first block of ");
  if (b->resource >= 0)
    sentc_text_string(&t, &E->policy->resources[b->resource].name);
  else
    sentc_text_str(&t, "system");
  sentc_text_str(&t, " this minute; the metrics count them all)");
  sentc_core_log(E, SENTC_LOG_INFO, &t);
}

/* ---- phase one ---- */

/* Checks one rule: 1 when an enforced rule blocks the request (d->block
 * says which); a shadow rule's would-be block is remembered instead (the
 * first only: later shadow rules are not checked), its quota forgotten. */
static int check_rule(struct sentc_engine *E, enum sentc_kind kind, int32_t resource,
                      uint32_t rule, struct sentc_ask *ask, struct decision *d) {
  int shadow = is_shadow(E, kind, rule);
  if ((shadow && d->shadowed) || is_off(E, kind, resource, rule))
    return 0;
  struct sentc_quota quota = ask->quota;
  int had_quota = ask->has_quota;
  ask->retry_ms = 0;            /* a kind that knows no time leaves it: retry-after 1 */
  int hit = kind_blocks(E, kind, rule, ask);
  if (!hit)
    return 0;
  struct blocker b = {kind, resource, kind == SENTC_KIND_SYSTEM ? (uint32_t)hit - 1 : rule,
                      ask->retry_ms};
  if (!shadow) {
    d->block = b;
    return 1;
  }
  d->shadow = b;
  d->shadowed = 1;
  ask->quota = quota;
  ask->has_quota = had_quota;
  return 0;
}

static int check(struct sentc_engine *E, struct sentc_ask *ask, uint32_t n, struct decision *d) {
  if (ask->request->protocol == SENTC_HTTP && check_rule(E, SENTC_KIND_SYSTEM, -1, 0, ask, d))
    return 1;
  for (uint32_t i = 0; i < n; i++) {
    const struct sentc_resource *r = &E->policy->resources[E->matched[i]];
    for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
      for (uint32_t j = r->rules[k].first; j < r->rules[k].first + r->rules[k].n; j++)
        if (!sentc_cluster_rule(E->policy, k, j) && check_rule(E, k, (int32_t)E->matched[i], j, ask, d))
          return 1;
  }
  return 0;
}

/* ---- phase two ---- */

/* Records an effect; without memory for it, gives it back and lets the
 * policy's on_error decide (-1: block). */
static int record(struct sentc_engine *E, struct sentc_stream *s, const struct sentc_effect *e) {
  if (sentc_stream_record(&E->streams, s, e) == 0)
    return 0;
  if (e->kind != SENTC_EFFECT_ENTERED)
    kind_release(E, e, SENTC_RELEASE_UNDO);
  return sentc_core_unavailable(E) == SENTC_COMMIT_BLOCK ? -1 : 0;
}

/* Commits one rule, recording its effect; -1 when an enforced rule's
 * re-check blocks (d->block says which).  A shadow rule's failed re-check
 * marks the request shadowed instead; its quota and wait count for
 * nothing. */
static int commit_rule(struct sentc_engine *E, enum sentc_kind kind, int32_t resource,
                       uint32_t rule, struct sentc_ask *ask, struct sentc_stream *s,
                       struct decision *d) {
  int shadow = is_shadow(E, kind, rule);
  if ((shadow && d->shadowed) || is_off(E, kind, resource, rule))
    return 0;
  struct sentc_quota quota = ask->quota;
  int had_quota = ask->has_quota;
  struct sentc_effect e;
  ask->wait_us = 0;
  int result = kind_commit(E, kind, rule, ask, &e);
  /* The system's commit blocks only when its state was unreachable and
   * on_error is deny: no check to blame. */
  struct blocker b = {kind, resource, kind == SENTC_KIND_SYSTEM ? UINT32_MAX : rule, 0};
  if (result == SENTC_COMMIT_OK && record(E, s, &e) != 0)
    result = SENTC_COMMIT_BLOCK;
  if (shadow) {
    ask->quota = quota;
    ask->has_quota = had_quota;
    if (result == SENTC_COMMIT_BLOCK) {
      d->shadow = b;
      d->shadowed = 1;
    }
    return 0;
  }
  if (result == SENTC_COMMIT_BLOCK) {
    d->block = b;
    return -1;
  }
  if (ask->wait_us > d->hold.wait_us)
    d->hold = (struct hold){ask->wait_us, {kind, resource, rule, 0}};
  return 0;
}

/* A resource's rules, then the flow rules that count its passes (`of`):
 * those too take nothing when they are off, or in shadow for a request a
 * shadow rule marked. */
static int commit_resource(struct sentc_engine *E, uint32_t index, struct sentc_ask *ask,
                           struct sentc_stream *s, struct decision *d) {
  const struct sentc_resource *r = &E->policy->resources[index];
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = r->rules[k].first; j < r->rules[k].first + r->rules[k].n; j++)
      if (!sentc_cluster_rule(E->policy, k, j) &&
          commit_rule(E, k, (int32_t)index, j, ask, s, d) != 0)
        return -1;
  for (uint32_t w = 0; w < r->n_watchers; w++) {
    uint32_t rule = r->watchers[w];
    if ((d->shadowed && is_shadow(E, SENTC_KIND_FLOW, rule)) ||
        is_off(E, SENTC_KIND_FLOW, (int32_t)E->policy->flow[rule].rule.resource, rule))
      continue;
    struct sentc_effect e;
    sentc_flow_count_of(E, rule, ask->now, &e);
    if (record(E, s, &e) != 0) {
      d->block = (struct blocker){SENTC_KIND_FLOW, (int32_t)index, UINT32_MAX, 0};
      return -1;
    }
  }
  return 0;
}

static void undo(struct sentc_engine *E, struct sentc_stream *s) {
  while (s->n_effects > 0) {
    const struct sentc_effect *e = sentc_stream_pop(s);
    if (e->kind != SENTC_EFFECT_ENTERED)
      kind_release(E, e, SENTC_RELEASE_UNDO);
  }
}

static int commit(struct sentc_engine *E, struct sentc_ask *ask, uint32_t n,
                  struct sentc_stream *s, struct decision *d) {
  if (ask->request->protocol == SENTC_HTTP &&
      commit_rule(E, SENTC_KIND_SYSTEM, -1, 0, ask, s, d) != 0)
    return -1;
  for (uint32_t i = 0; i < n; i++)
    if (commit_resource(E, E->matched[i], ask, s, d) != 0) {
      undo(E, s);
      return -1;
    }
  return 0;
}

/* ---- in flight ---- */

/* The stream went upstream: each resource it entered counts it in flight
 * (its ENTERED effects, recorded at its pass) until its end. */
static void go_upstream(struct sentc_engine *E, struct sentc_stream *s) {
  s->upstream = 1;
  for (uint32_t i = 0; i < s->n_effects; i++) {
    const struct sentc_effect *e = sentc_stream_effect(s, i);
    if (e->kind == SENTC_EFFECT_ENTERED)
      sentc_metrics_count(&E->metrics, SENTC_HOLDER_RESOURCE, e->rule, SENTC_METRIC_IN_FLIGHT, 1);
  }
}

static void leave(struct sentc_engine *E, struct sentc_stream *s) {
  if (!s->upstream)
    return;
  s->upstream = 0;
  for (uint32_t i = 0; i < s->n_effects; i++) {
    const struct sentc_effect *e = sentc_stream_effect(s, i);
    if (e->kind == SENTC_EFFECT_ENTERED)
      sentc_metrics_count(&E->metrics, SENTC_HOLDER_RESOURCE, e->rule, SENTC_METRIC_IN_FLIGHT, -1);
  }
}

/* ---- ticks ---- */

static void want_wake(struct sentc_engine *E, uint32_t ms) {
  if (ms == E->wake_ms)
    return;
  E->wake_ms = ms;
  sentc_platform_wake_every(ms);
}

/* Ticks at the next held stream's turn, as often as the state store needs
 * (liveness stamps), and every second while metrics are to be sent, or
 * none. */
static void schedule(struct sentc_engine *E, int64_t now) {
  uint32_t store_ms = sentc_store_wake_ms(&E->store);
  int64_t next = store_ms ? now + store_ms : INT64_MAX;
  for (int32_t i = E->held_list; i >= 0; i = sentc_stream_at(&E->streams, i)->next_held)
    if (sentc_stream_at(&E->streams, i)->resume_at < next)
      next = sentc_stream_at(&E->streams, i)->resume_at;
  if (sentc_cluster_deadline(E) < next)
    next = sentc_cluster_deadline(E);
  if (next == INT64_MAX && (E->metrics.dirty || E->quiet_ticks < QUIET_TICKS))
    want_wake(E, store_ms && store_ms < FLUSH_MS ? store_ms : FLUSH_MS);
  else if (next == INT64_MAX)
    want_wake(E, 0);
  else if (next - now >= FLUSH_MS && (E->metrics.dirty || E->quiet_ticks < QUIET_TICKS))
    want_wake(E, FLUSH_MS);
  else
    want_wake(E, next - now < 1 ? 1 : (uint32_t)(next - now));
}

static void hold_stream(struct sentc_engine *E, struct sentc_stream *s, int64_t resume_at,
                        const struct blocker *by) {
  s->held = 1;
  s->resume_at = resume_at;
  s->held_kind = (uint8_t)by->kind;
  s->held_rule = by->rule;
  s->next_held = E->held_list;
  E->held_list = sentc_stream_index(&E->streams, s);
}

static void unhold(struct sentc_engine *E, struct sentc_stream *s) {
  int32_t me = sentc_stream_index(&E->streams, s);
  for (int32_t *link = &E->held_list; *link >= 0;
       link = &sentc_stream_at(&E->streams, *link)->next_held)
    if (*link == me) {
      *link = s->next_held;
      break;
    }
  s->held = 0;
}

void sentc_engine_flush(struct sentc_engine *E) {
  sentc_metrics_flush(&E->metrics);
}

/* A held stream's turn has come: it goes upstream. */
static void resume(struct sentc_engine *E, struct sentc_stream *s, int64_t now) {
  unhold(E, s);
  sentc_metrics_record(&E->metrics, s->held_kind, s->held_rule, SENTC_METRIC_QUEUE_WAIT,
                       (uint32_t)(now - s->pass_at));
  s->pass_at = now;
  go_upstream(E, s);
  sentc_platform_resume(s->id);
}

static void cluster_outcome(struct sentc_engine *E, const struct sentc_cluster_outcome *o,
                            int64_t now);

void sentc_engine_tick(struct sentc_engine *E, int64_t raw_ms) {
  int64_t now = begin(E, raw_ms);
  sentc_store_tick(&E->store);
  struct sentc_cluster_outcome o;
  while (sentc_cluster_overdue(E, now, &o))
    cluster_outcome(E, &o, now);
  for (int32_t i = E->held_list, next; i >= 0; i = next) {
    struct sentc_stream *s = sentc_stream_at(&E->streams, i);
    next = s->next_held;
    if (s->resume_at <= now && !sentc_cluster_asking(E, s->id))
      resume(E, s, now);
  }
  end(E, now);
  /* Ticks may come faster for held streams: metrics go at most every
   * FLUSH_MS (a tick late by a little still sends). */
  if (now - E->flushed_at >= FLUSH_MS - FLUSH_MS / 10) {
    E->quiet_ticks = E->metrics.dirty ? 0 : E->quiet_ticks + 1;
    sentc_metrics_flush(&E->metrics);
    E->flushed_at = now;
  }
  schedule(E, now);
}

/* ---- the verdict ---- */

static void reject(struct sentc_engine *E, const struct sentc_request *request,
                   const struct sentc_ask *ask, const struct blocker *b,
                   struct sentc_verdict *verdict) {
  const struct sentc_policy *p = E->policy;
  if (b->rule != UINT32_MAX)
    sentc_metrics_count(&E->metrics, b->kind, b->rule, SENTC_METRIC_BLOCKED, 1);
  verdict->blocked = 1;
  if (request->protocol == SENTC_TCP) {     /* a connection gets no reply: it is closed */
    verdict->action = SENTC_BLOCK;
    note_first_block(E, b, ask->now, 0);
    note(E, "blocked", b, NULL, 0);
    return;
  }
  struct sentc_block block = {
    .resource = b->resource >= 0 ? p->resources[b->resource].name.text : "system",
    .kind = b->kind,
    .fallback = b->kind == SENTC_KIND_SYSTEM ? p->system.fallback
                                             : sentc_tables_rule(p, b->kind, b->rule)->fallback,
    .retry_after_ms = b->retry_ms,
    .grpc = request->protocol == SENTC_HTTP && sentc_request_grpc(request),
    .ratelimit = RATELIMIT_USED ? p->ratelimit_headers : SENTC_RATELIMIT_OFF,
    .quota = RATELIMIT_USED && ask->has_quota ? &ask->quota : NULL,
  };
  sentc_reply_render(&verdict->reply, &E->reply, p, &block);
  verdict->action = verdict->reply.forward ? SENTC_CONTINUE : SENTC_BLOCK;
  note_first_block(E, b, ask->now, verdict->reply.forward ? 0 : verdict->reply.status);
  if (verdict->reply.forward)
    note(E, "forwarded", b, NULL, 0);
  else
    note(E, "blocked", b, "status", verdict->reply.status);
}

/* A request that a shadow rule would have blocked went upstream anyway:
 * counted as the rule's shadow block, marked for the upstream. */
static void shadowed(struct sentc_engine *E, const struct sentc_request *request,
                     const struct blocker *b, struct sentc_verdict *verdict) {
  if (b->rule != UINT32_MAX)
    sentc_metrics_count(&E->metrics, b->kind, b->rule, SENTC_METRIC_SHADOW_BLOCKED, 1);
  verdict->shadowed = 1;
  if (request->protocol == SENTC_HTTP) {
    struct sentc_block block = {
      .resource = b->resource >= 0 ? E->policy->resources[b->resource].name.text : "system",
      .kind = b->kind};
    sentc_reply_shadow(&verdict->reply, &E->reply, &block);
  }
  note(E, "shadow", b, NULL, 0);
}

/* A refused connection is remembered until it ends, so that its data,
 * should any come before the close, goes nowhere (engine.h). */
static void refuse(struct sentc_engine *E, uint32_t id) {
  struct sentc_stream *s = sentc_stream_open(&E->streams, id);
  if (s)
    s->refused = 1;
}

int sentc_engine_refused(struct sentc_engine *E, uint32_t id) {
  struct sentc_stream *s = sentc_stream_find(&E->streams, id);
  return s && s->refused;
}

static void blocked(struct sentc_engine *E, uint32_t id, const struct sentc_request *request,
                    const struct sentc_ask *ask, const struct blocker *b,
                    struct sentc_verdict *verdict) {
  reject(E, request, ask, b, verdict);
  if (verdict->action == SENTC_BLOCK && request->protocol == SENTC_TCP)
    refuse(E, id);
}

/* The request passed: each resource it entered, matched[0..n), counts it. */
static void count_passes(struct sentc_engine *E, const uint32_t *matched, uint32_t n) {
  int trace = sentc_core_logs(E, SENTC_LOG_TRACE);
  for (uint32_t i = 0; i < n; i++) {
    sentc_metrics_count(&E->metrics, SENTC_HOLDER_RESOURCE, matched[i], SENTC_METRIC_PASSED, 1);
    if (trace) {
      struct sentc_text t = sentc_core_line(E);
      sentc_text_str(&t, "passed ");
      sentc_text_string(&t, &E->policy->resources[matched[i]].name);
      sentc_core_log(E, SENTC_LOG_TRACE, &t);
    }
  }
}

/* The request's normalized path (match.h), into the engine's buffer, made
 * on the first path that needs it (most VMs never see one): 0, or -1
 * without memory for it. */
static int path_of(struct sentc_engine *E, const struct sentc_request *request,
                   struct sentc_path_view *path) {
  if (sentc_match_path(request, E->path, path) == 0)
    return 0;
  E->path = malloc(SENTC_PATH_MAX);
  return E->path ? sentc_match_path(request, E->path, path) : -1;
}

static void decide(struct sentc_engine *E, uint32_t id, const struct sentc_request *request,
                   int64_t now, struct sentc_verdict *verdict) {
  const struct sentc_policy *p = E->policy;
  struct sentc_path_view path;
  int pathless = path_of(E, request, &path) != 0;
  uint32_t n = sentc_match_resources(p, request, &path, E->matched);
  struct sentc_ask ask = {.request = request, .path = &path, .now = now,
                          .want_quota = RATELIMIT_USED &&
                                        p->ratelimit_headers != SENTC_RATELIMIT_OFF &&
                                        request->protocol == SENTC_HTTP};
  struct decision d = {0};
  verdict->action = SENTC_CONTINUE;
  verdict->blocked = verdict->shadowed = 0;
  sentc_reply_clear(&verdict->reply);
  if ((request->unreadable || pathless) && !p->off) {
    /* The host could not hand over its method, path, host or peer (of those
     * matching read, request.h), or there was no memory to normalize its
     * path into: what it would match is unknown, and never a silent pass
     * when on_error says deny (engine.h). */
    sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0, SENTC_METRIC_ATTRIBUTES_UNAVAILABLE, 1);
    if (p->on_error == SENTC_ON_ERROR_DENY) {
      d.block = (struct blocker){SENTC_KIND_SYSTEM, -1, UINT32_MAX, 0};
      blocked(E, id, request, &ask, &d.block, verdict);
      return;
    }
  }
  if (pathless)
    return;     /* on_error allow: through uncounted, holding nothing, as without memory for a stream */
  if (check(E, &ask, n, &d)) {
    blocked(E, id, request, &ask, &d.block, verdict);
    return;
  }
  struct sentc_stream *s = sentc_stream_open(&E->streams, id);
  if (!s)
    return;     /* no memory for one more stream: let it through uncounted */
  s->grpc = (uint8_t)(RESPONSES_USED && sentc_request_grpc(request));
  ask.has_quota = 0;   /* what phase one's shadow checks left is forgotten */
  if (commit(E, &ask, n, s, &d) != 0) {
    sentc_stream_close(&E->streams, s);
    ask.has_quota = 0;
    blocked(E, id, request, &ask, &d.block, verdict);
    return;
  }
  /* Phase three: the rate-limit service has the last word (cluster.h). */
  struct sentc_cluster_block cb;
  int asked = sentc_cluster_ask(E, id, &ask, E->matched, n, &cb);
  if (asked == SENTC_CLUSTER_DENY) {
    undo(E, s);
    sentc_stream_close(&E->streams, s);
    ask.has_quota = 0;
    d.block = (struct blocker){cb.kind, cb.resource, cb.rule, cb.retry_ms};
    blocked(E, id, request, &ask, &d.block, verdict);
    return;
  }
  for (uint32_t i = 0; i < n; i++) {
    struct sentc_effect entered = {.kind = SENTC_EFFECT_ENTERED, .rule = E->matched[i]};
    sentc_stream_record(&E->streams, s, &entered);   /* without memory: not in flight */
  }
  if (asked == SENTC_CLUSTER_NONE)
    count_passes(E, E->matched, n);
  if (d.shadowed)
    shadowed(E, request, &d.shadow, verdict);
  s->has_quota = (uint8_t)ask.has_quota;
  s->quota = ask.quota;
  s->pass_at = now;
  if (d.hold.wait_us > 0) {
    int64_t wait_ms = (d.hold.wait_us + 999) / 1000;
    hold_stream(E, s, now + wait_ms, &d.hold.by);
    sentc_metrics_count(&E->metrics, d.hold.by.kind, d.hold.by.rule, SENTC_METRIC_QUEUED, 1);
    verdict->action = SENTC_HOLD;
    note(E, "held", &d.hold.by, "wait_ms", (uint64_t)wait_ms);
  } else if (asked == SENTC_CLUSTER_NONE) {
    go_upstream(E, s);
  }
  if (asked == SENTC_CLUSTER_ASKING)
    verdict->action = SENTC_HOLD;    /* until the answer (sentc_engine_grpc_*) */
}

/* ---- the rate-limit service's answer (scope cluster) ---- */

/* What the answer decides for the stream that asked, as decide() would
 * have: blocked by an enforced cluster rule (what the local rules
 * committed is undone, and the rule's fallback answers the held stream),
 * or passed (its passes counted, the service's quota reported, marked if a
 * shadow cluster rule would have blocked it, and upstream unless a
 * throttle still holds it; such a stream goes on the tick, unmarked). */
static void cluster_outcome(struct sentc_engine *E, const struct sentc_cluster_outcome *o,
                            int64_t now) {
  struct sentc_stream *s = sentc_stream_find(&E->streams, o->stream);
  if (!s)
    return;
  struct sentc_request request = {.protocol = SENTC_HTTP, .grpc = s->grpc};
  struct sentc_ask ask = {.request = &request, .now = now,
                          .want_quota = E->policy->ratelimit_headers != SENTC_RATELIMIT_OFF,
                          .has_quota = s->has_quota, .quota = s->quota};
  struct blocker b = {o->by.kind, o->by.resource, o->by.rule, o->by.retry_ms};
  struct sentc_verdict verdict = {.action = SENTC_CONTINUE};
  if (o->blocks && !is_shadow(E, b.kind, b.rule)) {
    ask.has_quota = o->has_quota && ask.want_quota;
    ask.quota = o->quota;
    if (s->held)
      unhold(E, s);
    undo(E, s);
    sentc_stream_close(&E->streams, s);
    reject(E, &request, &ask, &b, &verdict);
    sentc_platform_settle(o->stream, &verdict);
    return;
  }
  if (o->blocks)
    shadowed(E, &request, &b, &verdict);
  if (o->has_quota)
    sentc_ask_quota(&ask, &o->quota);
  count_passes(E, o->matched, o->n_matched);
  s->has_quota = (uint8_t)ask.has_quota;
  s->quota = ask.quota;
  if (s->held && s->resume_at > now)
    return;              /* a throttle still holds it: the tick resumes it */
  if (s->held) {
    unhold(E, s);
    sentc_metrics_record(&E->metrics, s->held_kind, s->held_rule, SENTC_METRIC_QUEUE_WAIT,
                         (uint32_t)(now - s->pass_at));
  }
  s->pass_at = now;
  go_upstream(E, s);
  if (verdict.reply.n_headers)
    sentc_platform_settle(o->stream, &verdict);   /* with x-sentinel-shadow */
  else
    sentc_platform_resume(o->stream);
}

static void grpc_outcome(struct sentc_engine *E, uint32_t token, const void *message, size_t len,
                         uint32_t status, int64_t raw_ms) {
  int64_t now = begin(E, raw_ms);
  struct sentc_cluster_outcome o;
  if (sentc_cluster_outcome(E, token, message, len, status, &o))
    cluster_outcome(E, &o, now);
  end(E, now);
  schedule(E, now);
}

void sentc_engine_grpc_receive(struct sentc_engine *E, uint32_t token, const void *message,
                               size_t len, int64_t raw_ms) {
  grpc_outcome(E, token, message, len, 0, raw_ms);
}

void sentc_engine_grpc_close(struct sentc_engine *E, uint32_t token, uint32_t status,
                             int64_t raw_ms) {
  grpc_outcome(E, token, NULL, 0, status, raw_ms);
}

void sentc_engine_request(struct sentc_engine *E, uint32_t id, const struct sentc_request *request,
                          int64_t raw_ms, struct sentc_verdict *verdict) {
  int64_t now = begin(E, raw_ms);
  decide(E, id, request, now, verdict);
  end(E, now);
  schedule(E, now);
}

/* ---- the response and the end ---- */

static void complete(struct sentc_engine *E, struct sentc_stream *s, int64_t now,
                     int grpc_status, int no_response) {
  if (s->completed)
    return;
  s->completed = 1;
  s->awaiting_trailers = 0;
  struct sentc_outcome o = {.now = now,
                            .rt_ms = no_response ? (uint32_t)(now - s->pass_at) : s->rt_ms,
                            .http_status = s->status,
                            .grpc_status = grpc_status,
                            .no_response = no_response};
  for (uint32_t i = 0; i < s->n_effects; i++) {
    const struct sentc_effect *e = sentc_stream_effect(s, i);
    if (e->kind != SENTC_EFFECT_ENTERED)
      kind_complete(E, e, &o);
  }
}

int sentc_engine_wants_status(const struct sentc_engine *E, uint32_t id) {
  struct sentc_stream *s = sentc_stream_find((struct sentc_streams *)&E->streams, id);
  return RESPONSES_USED && s && !s->held && (!s->completed || s->awaiting_trailers);
}

void sentc_engine_response(struct sentc_engine *E, uint32_t id, int status, int grpc_status,
                           int64_t raw_ms, struct sentc_reply *add) {
  sentc_reply_clear(add);
  struct sentc_stream *s = sentc_stream_find(&E->streams, id);
  if (!s || s->held || s->completed || s->awaiting_trailers)
    return;
  if (!RESPONSES_USED) {       /* only the RateLimit headers: no time needed */
    if (RATELIMIT_USED && s->has_quota)
      sentc_reply_ratelimit(add, &E->reply, E->policy, E->policy->ratelimit_headers, &s->quota);
    return;
  }
  int64_t now = begin(E, raw_ms);
  s->status = status;
  s->rt_ms = (uint32_t)(now - s->pass_at);
  /* A gRPC answer without grpc-status is decided at its trailers, whatever
   * its HTTP status; none (an end without them) is an error. */
  if (s->grpc && grpc_status < 0)
    s->awaiting_trailers = 1;
  else
    complete(E, s, now, grpc_status, 0);
  if (RATELIMIT_USED && s->has_quota)
    sentc_reply_ratelimit(add, &E->reply, E->policy, E->policy->ratelimit_headers, &s->quota);
  end(E, now);
  schedule(E, now);
}

void sentc_engine_trailers(struct sentc_engine *E, uint32_t id, int grpc_status, int64_t raw_ms) {
  struct sentc_stream *s = sentc_stream_find(&E->streams, id);
  if (!s || !s->awaiting_trailers)
    return;
  int64_t now = begin(E, raw_ms);
  complete(E, s, now, grpc_status, grpc_status < 0);
  end(E, now);
  schedule(E, now);
}

void sentc_engine_end(struct sentc_engine *E, uint32_t id, int64_t raw_ms) {
  struct sentc_stream *s = sentc_stream_find(&E->streams, id);
  if (!s)
    return;
  /* The time is needed to complete a breaker or the system protection, for
   * held streams (this one or others: the next tick), and for the store to
   * write shared data: at a stream's end only permits are given back there
   * (concurrency, hotspot concurrency; the system's, which completes too;
   * kinds.h); else it is not read at all. */
  int timed = RESPONSES_USED || E->held_list >= 0 ||
              (SENTC_USES(SENTC_USE_PROXY) && (KIND_USED(CONCURRENCY) || KIND_USED(HOTSPOT)));
  int64_t now = timed ? begin(E, raw_ms) : 0;
  int asking = sentc_cluster_asking(E, id), held = s->held || asking;
  if (asking)
    sentc_cluster_forget(E, id);     /* its answer, should it come, is ignored */
  if (s->held)
    unhold(E, s);
  else if (!held && !s->refused && RESPONSES_USED)
    complete(E, s, now, -1, 1);
  leave(E, s);
  for (uint32_t i = 0; i < s->n_effects; i++) {
    const struct sentc_effect *e = sentc_stream_effect(s, i);
    if (e->kind != SENTC_EFFECT_ENTERED)
      kind_release(E, e, held ? SENTC_RELEASE_HELD : SENTC_RELEASE_END);
  }
  sentc_stream_close(&E->streams, s);
  if (timed)
    end(E, now);
  schedule(E, now);   /* untimed: nothing held, no shared state, `now` unused */
}

/* ---- the plugin configuration ---- */

int sentc_engine_configure(struct sentc_engine *E, const char *text, size_t len, int64_t raw_ms) {
  int64_t now = begin(E, raw_ms);
  char why[320];
  struct sentc_text t = sentc_text_on(why, sizeof why);
  int result = sentc_config_apply(&E->config, text, len, &t);
  int level = result == 0 ? SENTC_LOG_INFO : SENTC_LOG_ERROR;
  if (result == 0)
    sentc_flow_configured(E);
  sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0,
                      result == 0 ? SENTC_METRIC_CONFIG_APPLIED : SENTC_METRIC_CONFIG_REJECTED, 1);
  if (sentc_core_logs(E, level)) {
    struct sentc_text line = sentc_core_line(E);
    sentc_text_str(&line, result == 0 ? "configuration applied: "
                                      : "configuration rejected, keeping the previous one: ");
    sentc_text_bytes(&line, why, (size_t)(t.at - why));
    sentc_core_log(E, level, &line);
  }
  /* Sent now: Envoy first tries a configuration on a copy of the VM that
   * never ticks (proxy-wasm-cpp-host's canary), the only one that sees a
   * rejected one.  And a new configuration comes with a new root context:
   * the tick period is asked for again, on it. */
  end(E, now);
  sentc_metrics_flush(&E->metrics);
  E->wake_ms = UINT32_MAX;
  schedule(E, now);
  return result;
}

void sentc_engine_usage(const struct sentc_engine *E, struct sentc_engine_usage *usage) {
  struct sentc_store_usage u;
  sentc_store_usage(&E->store, &u);
  *usage = (struct sentc_engine_usage){
    .worker_bytes = u.worker_bytes, .shared_bytes = u.shared_bytes,
    .worker_cells = u.worker_cells, .shared_cells = u.shared_cells,
    .stream_bytes = sentc_stream_bytes(), .streams_open = E->streams.n_open};
}
