/*
 * engine.c: one verdict per request, in two phases (see engine.h), and the
 * stream's life after it.
 *
 * Phase one checks the system rule, then every rule of every matching
 * resource (resources in file order; in each, the kinds in the registry's
 * order, tables.h, each kind in file order) without touching any state;
 * the first rule that would block decides.  Only when nothing blocks does
 * phase two commit, in the same order, recording every effect on the
 * stream; if a commit's re-check fails (another worker got there first,
 * once state is shared), what the request already committed is undone and
 * that rule blocks it.  So a request blocked anywhere leaves no pass and no
 * permit behind, and counts as a block of the blocking rule only.
 *
 * Each kind's work is its own file's (kinds.h); this file only runs them,
 * through the switches below, which the registry writes.
 */
#include <stdlib.h>
#include "bound.h"
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

void sentc_engine_stop(struct sentc_engine *E) {
  if (!E)
    return;
#define STOP(K, k, status, grpc, tcp) \
  if (KIND_USED(K))                   \
    sentc_##k##_stop(E);
  ALL_KINDS(STOP)
#undef STOP
  sentc_metrics_stop(&E->metrics);
  sentc_stream_free(&E->streams);
  sentc_store_close(&E->store);
  free(E->matched);
  free(E->path);
  free(E->reply);
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

/* Whether rule `j` of kind `k` is in its array, with a fallback and a
 * scope the runtime knows. */
static int rule_sane(const struct sentc_policy *p, enum sentc_kind k, uint32_t j) {
  const struct sentc_rule *rule = sentc_tables_rule(p, k, j);
  return (rule->fallback == SENTC_BUILTIN_FALLBACK ||
          (rule->fallback >= 0 && (uint32_t)rule->fallback < p->n_fallbacks)) &&
         (rule->scope == SENTC_SCOPE_PROXY || rule->scope == SENTC_SCOPE_WORKER);
}

/* The runtime trusts the tables' indices on every request, so they are
 * checked once, here: every slice within its kind's array, every rule's
 * fallback and scope, every watcher a flow rule.  (Each kind checks its
 * own fields at its start.) */
static int tables_sane(const struct sentc_policy *p) {
  uint32_t counts[SENTC_N_RULE_KINDS] = {
#define COUNT_OF(K, k, status, grpc, tcp) [SENTC_KIND_##K] = p->n_##k,
    SENTC_RULE_KINDS(COUNT_OF)
#undef COUNT_OF
  };
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = 0; j < counts[k]; j++)
      if (!rule_sane(p, k, j))
        return 0;
  for (uint32_t i = 0; i < p->n_resources; i++) {
    const struct sentc_resource *r = &p->resources[i];
    for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
      if ((uint64_t)r->rules[k].first + r->rules[k].n > counts[k])
        return 0;
    for (uint32_t w = 0; w < r->n_watchers; w++)
      if (r->watchers[w] >= p->n_flow)
        return 0;
  }
  return !p->system.present || p->system.fallback == SENTC_BUILTIN_FALLBACK ||
         (p->system.fallback >= 0 && (uint32_t)p->system.fallback < p->n_fallbacks);
}

static uint32_t max_effects(const struct sentc_policy *p) {
  uint32_t rules = 0;
#define COUNT(K, k, status, grpc, tcp) rules += p->n_##k;
  SENTC_RULE_KINDS(COUNT)
#undef COUNT
  return sentc_layout_max_effects(rules, p->n_flow);
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
  E->policy = p;
  E->held_list = -1;
  E->log_level = SENTC_LOG_INFO;
  E->matched = sentc_core_array(p->n_resources, sizeof *E->matched);
  E->path = malloc(SENTC_PATH_MAX);
  E->reply = malloc(SENTC_REPLY_MAX);
  if (!E->matched || !E->path || !E->reply || sentc_store_open(&E->store, &p->name, p->hash) != 0 ||
      start_kinds(E) != 0 || sentc_metrics_start(&E->metrics, p) != 0) {
    sentc_engine_stop(E);
    return NULL;
  }
  /* Proxy hotspot slots are found by hash in every VM: one key for all. */
  sentc_platform_random(&E->hash_key, sizeof E->hash_key);
  sentc_store_agree(&E->store, &E->hash_key, sizeof E->hash_key);
  sentc_stream_init(&E->streams, max_effects(p));
  return E;
}

void sentc_engine_log_level(struct sentc_engine *E, int level) { E->log_level = level; }

/* A callback starts: the engine's time for the host's raw reading. */
static int64_t begin(struct sentc_engine *E, int64_t raw_ms) {
  int64_t now = sentc_clock_now(&E->clock, &E->store.shared, raw_ms);
  sentc_store_begin(&E->store, now);
  return now;
}

/* A callback ends: what the store gave up is counted. */
static void end(struct sentc_engine *E) {
  sentc_metrics_unavailable(&E->metrics, sentc_store_gave_up(&E->store));
}

/* ---- phase one ---- */

/* What blocks (or holds) a request: a rule of a resource, or a system
 * check. */
struct blocker {
  enum sentc_kind kind;
  int32_t resource;          /* -1: system */
  uint32_t rule;             /* system: the check; UINT32_MAX: none to count */
  int64_t retry_ms;
};

/* The decision's debug line (engine.h): "sentc: VERB RESOURCE/RULE
 * kind=KIND" and `extra` = `number` when given. */
static void note(struct sentc_engine *E, const char *verb, const struct blocker *b,
                 const char *extra, uint64_t number) {
  if (!sentc_core_logs(E, SENTC_LOG_DEBUG))
    return;
  const struct sentc_policy *p = E->policy;
  struct sentc_text t = sentc_core_line(E);
  sentc_text_str(&t, verb);
  sentc_text_str(&t, " ");
  if (b->resource >= 0)
    sentc_text_string(&t, &p->resources[b->resource].name);
  else
    sentc_text_str(&t, "system");
  sentc_text_str(&t, "/");
  if (b->kind != SENTC_KIND_SYSTEM)
    sentc_text_str(&t, sentc_tables_rule(p, b->kind, b->rule)->name);
  else
    sentc_text_str(&t, b->rule < SENTC_N_SYSTEM_CHECKS ? sentc_names_check[b->rule] : "on_error");
  sentc_text_str(&t, " kind=");
  sentc_text_str(&t, sentc_names_kind[b->kind]);
  if (extra) {
    sentc_text_str(&t, " ");
    sentc_text_str(&t, extra);
    sentc_text_str(&t, "=");
    sentc_text_uint(&t, number);
  }
  sentc_core_log(E, SENTC_LOG_DEBUG, &t);
}

static int resource_blocks(struct sentc_engine *E, uint32_t index, struct sentc_ask *ask,
                           struct blocker *b) {
  const struct sentc_resource *r = &E->policy->resources[index];
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = r->rules[k].first; j < r->rules[k].first + r->rules[k].n; j++)
      if (kind_blocks(E, k, j, ask)) {
        *b = (struct blocker){k, (int32_t)index, j, ask->retry_ms};
        return 1;
      }
  return 0;
}

static int check(struct sentc_engine *E, struct sentc_ask *ask, uint32_t n, struct blocker *b) {
  if (ask->request->protocol == SENTC_HTTP) {
    int check = kind_blocks(E, SENTC_KIND_SYSTEM, 0, ask);
    if (check) {
      *b = (struct blocker){SENTC_KIND_SYSTEM, -1, (uint32_t)check - 1, 0};
      return 1;
    }
  }
  for (uint32_t i = 0; i < n; i++)
    if (resource_blocks(E, E->matched[i], ask, b))
      return 1;
  return 0;
}

/* ---- phase two ---- */

/* The longest wait a commit asked for, and whose. */
struct hold {
  int64_t wait_us;
  struct blocker by;
};

/* Commits one rule, recording its effect; -1 when its re-check blocks. */
static int commit_rule(struct sentc_engine *E, enum sentc_kind kind, int32_t resource,
                       uint32_t rule, struct sentc_ask *ask, struct sentc_stream *s,
                       struct hold *hold) {
  struct sentc_effect e;
  ask->wait_us = 0;
  int result = kind_commit(E, kind, rule, ask, &e);
  if (result == SENTC_COMMIT_BLOCK)
    return -1;
  if (result == SENTC_COMMIT_OK)
    sentc_stream_record(&E->streams, s, &e);
  if (ask->wait_us > hold->wait_us)
    *hold = (struct hold){ask->wait_us, {kind, resource, rule, 0}};
  return 0;
}

/* A resource's rules, then the flow rules that count its passes (`of`). */
static int commit_resource(struct sentc_engine *E, uint32_t index, struct sentc_ask *ask,
                           struct sentc_stream *s, struct hold *hold, struct blocker *b) {
  const struct sentc_resource *r = &E->policy->resources[index];
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = r->rules[k].first; j < r->rules[k].first + r->rules[k].n; j++)
      if (commit_rule(E, k, (int32_t)index, j, ask, s, hold) != 0) {
        *b = (struct blocker){k, (int32_t)index, j, 0};
        return -1;
      }
  for (uint32_t w = 0; w < r->n_watchers; w++) {
    struct sentc_effect e;
    sentc_flow_count_of(E, r->watchers[w], ask->now, &e);
    sentc_stream_record(&E->streams, s, &e);
  }
  return 0;
}

static void undo(struct sentc_engine *E, struct sentc_stream *s) {
  while (s->n_effects > 0)
    kind_release(E, &s->effects[--s->n_effects], SENTC_RELEASE_UNDO);
}

static int commit(struct sentc_engine *E, struct sentc_ask *ask, uint32_t n,
                  struct sentc_stream *s, struct hold *hold, struct blocker *b) {
  if (ask->request->protocol == SENTC_HTTP &&
      commit_rule(E, SENTC_KIND_SYSTEM, -1, 0, ask, s, hold) != 0) {
    /* Its state was unreachable and on_error is deny: no check to blame. */
    *b = (struct blocker){SENTC_KIND_SYSTEM, -1, UINT32_MAX, 0};
    return -1;
  }
  for (uint32_t i = 0; i < n; i++)
    if (commit_resource(E, E->matched[i], ask, s, hold, b) != 0) {
      undo(E, s);
      return -1;
    }
  return 0;
}

/* The flow rule with the fewest requests left, for the rate-limit headers. */
static void note_ratelimit(struct sentc_engine *E, struct sentc_stream *s, uint32_t n, int64_t now) {
  const struct sentc_policy *p = E->policy;
  for (uint32_t i = 0; i < n; i++) {
    struct sentc_slice flows = p->resources[E->matched[i]].rules[SENTC_KIND_FLOW];
    for (uint32_t j = flows.first; j < flows.first + flows.n; j++) {
      uint32_t limit, remaining, reset;
      sentc_flow_quota(E, j, now, &limit, &remaining, &reset);
      if (s->ratelimit && remaining >= s->rl_remaining)
        continue;
      s->ratelimit = 1;
      s->rl_limit = limit;
      s->rl_window_s = (p->flow[j].window.window_ms + 999) / 1000;
      s->rl_remaining = remaining;
      s->rl_reset_s = reset;
    }
  }
}

/* ---- holding ---- */

static void want_wake(struct sentc_engine *E, uint32_t ms) {
  if (ms == E->wake_ms)
    return;
  E->wake_ms = ms;
  sentc_platform_wake_every(ms);
}

/* Ticks at the next held stream's turn, or as often as the state store
 * needs (liveness stamps), or none. */
static void schedule(struct sentc_engine *E, int64_t now) {
  uint32_t store_ms = sentc_store_wake_ms(&E->store);
  int64_t next = store_ms ? now + store_ms : INT64_MAX;
  for (int32_t i = E->held_list; i >= 0; i = sentc_stream_at(&E->streams, i)->next_held)
    if (sentc_stream_at(&E->streams, i)->resume_at < next)
      next = sentc_stream_at(&E->streams, i)->resume_at;
  if (next == INT64_MAX)
    want_wake(E, 0);
  else
    want_wake(E, next - now < 1 ? 1 : (uint32_t)(next - now));
}

static void hold_stream(struct sentc_engine *E, struct sentc_stream *s, int64_t resume_at) {
  s->held = 1;
  s->resume_at = resume_at;
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

void sentc_engine_tick(struct sentc_engine *E, int64_t raw_ms) {
  int64_t now = begin(E, raw_ms);
  sentc_store_tick(&E->store);
  for (int32_t i = E->held_list, next; i >= 0; i = next) {
    struct sentc_stream *s = sentc_stream_at(&E->streams, i);
    next = s->next_held;
    if (s->resume_at > now)
      continue;
    unhold(E, s);
    s->pass_at = now;
    sentc_platform_resume(s->id);
  }
  schedule(E, now);
  end(E);
}

/* ---- the verdict ---- */

static void reject(struct sentc_engine *E, const struct sentc_request *request,
                   const struct blocker *b, struct sentc_verdict *verdict) {
  const struct sentc_policy *p = E->policy;
  if (b->rule != UINT32_MAX)
    sentc_metrics_block(&E->metrics, b->kind, b->rule);
  struct sentc_block block = {
    .resource = b->resource >= 0 ? p->resources[b->resource].name.text : "system",
    .kind = b->kind,
    .fallback = b->kind == SENTC_KIND_SYSTEM ? p->system.fallback
                                             : sentc_tables_rule(p, b->kind, b->rule)->fallback,
    .retry_after_ms = b->retry_ms,
    .grpc = request->protocol == SENTC_HTTP && sentc_request_grpc(request),
    .retry_after_header = p->ratelimit_headers,
  };
  verdict->blocked = 1;
  if (p->mode == SENTC_SHADOW) {
    if (request->protocol == SENTC_HTTP)
      sentc_reply_shadow(&verdict->reply, E->reply, &block);
    verdict->action = SENTC_CONTINUE;
    note(E, "shadow", b, NULL, 0);
    return;
  }
  if (request->protocol == SENTC_TCP) {     /* a connection gets no reply: it is closed */
    verdict->action = SENTC_BLOCK;
    note(E, "blocked", b, NULL, 0);
    return;
  }
  sentc_reply_render(&verdict->reply, E->reply, p, &block);
  verdict->action = verdict->reply.forward ? SENTC_CONTINUE : SENTC_BLOCK;
  if (verdict->reply.forward)
    note(E, "forwarded", b, NULL, 0);
  else
    note(E, "blocked", b, "status", verdict->reply.status);
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

static void decide(struct sentc_engine *E, uint32_t id, const struct sentc_request *request,
                   int64_t now, struct sentc_verdict *verdict) {
  uint32_t n = sentc_match_resources(E->policy, request, E->path, E->matched);
  struct sentc_ask ask = {.request = request, .now = now};
  struct blocker b;
  *verdict = (struct sentc_verdict){.action = SENTC_CONTINUE};
  if (check(E, &ask, n, &b)) {
    reject(E, request, &b, verdict);
    if (verdict->action == SENTC_BLOCK && request->protocol == SENTC_TCP)
      refuse(E, id);
    return;
  }
  struct sentc_stream *s = sentc_stream_open(&E->streams, id);
  if (!s)
    return;     /* no memory for one more stream: let it through uncounted */
  s->grpc = (uint8_t)sentc_request_grpc(request);
  struct hold hold = {0};
  if (commit(E, &ask, n, s, &hold, &b) != 0) {
    sentc_stream_close(&E->streams, s);
    reject(E, request, &b, verdict);
    if (verdict->action == SENTC_BLOCK && request->protocol == SENTC_TCP)
      refuse(E, id);
    return;
  }
  for (uint32_t i = 0; i < n; i++)
    sentc_metrics_pass(&E->metrics, E->matched[i]);
  if (E->policy->ratelimit_headers)
    note_ratelimit(E, s, n, now);
  s->pass_at = now;
  if (hold.wait_us > 0) {
    int64_t wait_ms = (hold.wait_us + 999) / 1000;
    hold_stream(E, s, now + wait_ms);
    verdict->action = SENTC_HOLD;
    note(E, "held", &hold.by, "wait_ms", (uint64_t)wait_ms);
  }
  schedule(E, now);
}

void sentc_engine_request(struct sentc_engine *E, uint32_t id, const struct sentc_request *request,
                          int64_t raw_ms, struct sentc_verdict *verdict) {
  decide(E, id, request, begin(E, raw_ms), verdict);
  end(E);
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
  for (uint32_t i = 0; i < s->n_effects; i++)
    kind_complete(E, &s->effects[i], &o);
}

void sentc_engine_response(struct sentc_engine *E, uint32_t id, int status, int grpc_status,
                           int64_t raw_ms, struct sentc_reply *add) {
  add->n_headers = 0;
  struct sentc_stream *s = sentc_stream_find(&E->streams, id);
  if (!s || s->held || s->completed || s->awaiting_trailers)
    return;
  int64_t now = begin(E, raw_ms);
  s->status = status;
  s->rt_ms = (uint32_t)(now - s->pass_at);
  if (s->grpc && grpc_status < 0 && status == 200)
    s->awaiting_trailers = 1;
  else
    complete(E, s, now, grpc_status, 0);
  if (s->ratelimit)
    sentc_reply_ratelimit(add, E->reply, s->rl_limit, s->rl_window_s, s->rl_remaining,
                          s->rl_reset_s);
  end(E);
}

void sentc_engine_trailers(struct sentc_engine *E, uint32_t id, int grpc_status, int64_t raw_ms) {
  struct sentc_stream *s = sentc_stream_find(&E->streams, id);
  if (!s || !s->awaiting_trailers)
    return;
  complete(E, s, begin(E, raw_ms), grpc_status, grpc_status < 0);
  end(E);
}

void sentc_engine_end(struct sentc_engine *E, uint32_t id, int64_t raw_ms) {
  struct sentc_stream *s = sentc_stream_find(&E->streams, id);
  if (!s)
    return;
  int64_t now = begin(E, raw_ms);
  int held = s->held;
  if (held)
    unhold(E, s);
  else if (!s->refused)
    complete(E, s, now, -1, 1);
  for (uint32_t i = 0; i < s->n_effects; i++)
    kind_release(E, &s->effects[i], held ? SENTC_RELEASE_HELD : SENTC_RELEASE_END);
  sentc_stream_close(&E->streams, s);
  schedule(E, now);
  end(E);
}

void sentc_engine_usage(const struct sentc_engine *E, struct sentc_engine_usage *usage) {
  struct sentc_store_usage u;
  sentc_store_usage(&E->store, &u);
  *usage = (struct sentc_engine_usage){
    .worker_bytes = u.worker_bytes, .shared_bytes = u.shared_bytes,
    .worker_cells = u.worker_cells, .shared_cells = u.shared_cells,
    .stream_bytes = sentc_stream_bytes(&E->streams), .streams_open = E->streams.n_open};
}
