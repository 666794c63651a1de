/*
 * engine.c: one verdict per request, in two phases (see engine.h), and the
 * stream's life after it.
 *
 * Phase one checks the system rule, then every rule of every matching
 * resource (resources in file order; in each, flow, concurrency, hotspot,
 * breaker, each kind in file order) without touching any state; the first
 * rule that would block decides.  Only when nothing blocks does phase two
 * commit, recording every effect on the stream; if a commit's re-check
 * fails (another worker got there first, once state is shared), what the
 * request already committed is undone and that rule blocks it.  So a
 * request blocked anywhere leaves no pass and no permit behind, and counts
 * as a block of the blocking rule only.
 */
#include <string.h>
#include "cells.h"
#include "engine.h"
#include "hotspot.h"
#include "keys.h"
#include "match.h"
#include "platform.h"
#include "reply.h"
#include "rules.h"
#include "state.h"
#include "stream.h"

static const struct sentc_policy *policy;
static struct sentc_client_ip_policy client_ip;
static uint32_t *matched;                 /* n_resources slots */
static int32_t held_list = -1;            /* streams waiting for their turn */
static uint32_t wake_ms;                  /* tick period asked for, 0 = none */

/* Counters: per resource "passed"; per rule "blocked.LABEL". */
static int32_t *passed_counter, *flow_blocked, *concurrency_blocked, *hotspot_blocked,
    *breaker_blocked;
static int32_t system_blocked[4];
static const char *const system_labels[4] = {"qps", "concurrency", "avg_rt", "adaptive"};

/* The hotspot keys of the request being decided, found in phase one. */
struct key {
  const char *text;
  size_t len;
  uint64_t hash;
};
static struct key *keys;                  /* n_hotspots slots */
static char key_buffer[512];

static int32_t define_counter(const struct sentc_string *resource, const char *event,
                              const char *label) {
  char name[512];
  size_t len = 0;
  const char *parts[] = {"sentc.", resource->text, ".", event, label ? "." : "",
                         label ? label : ""};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    size_t n = strlen(parts[i]);
    if (len + n >= sizeof name)
      return -1;
    memcpy(name + len, parts[i], n);
    len += n;
  }
  return sentc_counter_define(name, len);
}

static int allocate(void) {
  matched = sentc_zalloc(policy->n_resources, sizeof *matched);
  keys = sentc_zalloc(policy->n_hotspots, sizeof *keys);
  passed_counter = sentc_zalloc(policy->n_resources, sizeof *passed_counter);
  flow_blocked = sentc_zalloc(policy->n_flows, sizeof *flow_blocked);
  concurrency_blocked = sentc_zalloc(policy->n_concurrency, sizeof *concurrency_blocked);
  hotspot_blocked = sentc_zalloc(policy->n_hotspots, sizeof *hotspot_blocked);
  breaker_blocked = sentc_zalloc(policy->n_breakers, sizeof *breaker_blocked);
  return matched && keys && passed_counter && flow_blocked && concurrency_blocked &&
         hotspot_blocked && breaker_blocked ? 0 : -1;
}

static void define_slice(const struct sentc_string *name, struct sentc_slice s,
                         const struct sentc_rule *(*rule)(uint32_t), int32_t *counters) {
  for (uint32_t j = s.first; j < s.first + s.n; j++)
    counters[j] = define_counter(name, "blocked", rule(j)->label);
}

static const struct sentc_rule *flow_rule(uint32_t i) { return &policy->flows[i].rule; }
static const struct sentc_rule *concurrency_rule(uint32_t i) { return &policy->concurrency[i].rule; }
static const struct sentc_rule *hotspot_rule(uint32_t i) { return &policy->hotspots[i].rule; }
static const struct sentc_rule *breaker_rule(uint32_t i) { return &policy->breakers[i].rule; }

static void define_counters(void) {
  for (uint32_t i = 0; i < policy->n_resources; i++) {
    const struct sentc_resource *r = &policy->resources[i];
    passed_counter[i] = define_counter(&r->name, "passed", NULL);
    define_slice(&r->name, r->flows, flow_rule, flow_blocked);
    define_slice(&r->name, r->concurrency, concurrency_rule, concurrency_blocked);
    define_slice(&r->name, r->hotspots, hotspot_rule, hotspot_blocked);
    define_slice(&r->name, r->breakers, breaker_rule, breaker_blocked);
  }
  static const struct sentc_string system = {"system", 6};
  for (int i = 0; i < 4; i++)
    system_blocked[i] = policy->system.present ? define_counter(&system, "blocked", system_labels[i]) : -1;
}

static uint32_t max_effects(void) {
  return sentc_stream_max_effects(policy->n_flows, policy->n_concurrency, policy->n_hotspots,
                                  policy->n_breakers);
}

int sentc_engine_start(const struct sentc_policy *p) {
  if (p->tables_version != SENTC_TABLES_VERSION)
    return -1;
  policy = p;
  client_ip = (struct sentc_client_ip_policy){p->client_ip, p->xff_hops};
  if (allocate() != 0 || sentc_rules_start(p) != 0)
    return -1;
  /* Proxy hotspot slots are found by hash in every VM: one seed for all. */
  uint64_t seed[2];
  sentc_random_bytes(seed, sizeof seed);
  sentc_state_agree(seed, sizeof seed);
  sentc_hash_seed(seed[0], seed[1]);
  sentc_streams_init(max_effects());
  held_list = -1;
  wake_ms = 0;
  define_counters();
  return 0;
}

static void count(int32_t counter) {
  if (counter >= 0)
    sentc_counter_add(counter, 1);
}

/* ---- phase one ---- */

struct blocker {
  const char *kind;           /* NULL: nothing blocks */
  const struct sentc_resource *resource;
  const struct sentc_rule *rule;
  int32_t counter;
  int64_t retry_ms;
};

static void blocked_by(struct blocker *b, const char *kind, const struct sentc_resource *r,
                       const struct sentc_rule *rule, int32_t counter) {
  b->kind = kind;
  b->resource = r;
  b->rule = rule;
  b->counter = counter;
}

/* The hotspot key of rule j, hashed; NULL text when the request has none. */
static void find_key(uint32_t j, const struct sentc_request *request) {
  struct key *k = &keys[j];
  k->text = sentc_key_of(&policy->hotspots[j], request, &client_ip, key_buffer,
                         sizeof key_buffer, &k->len);
  if (k->text)
    k->hash = sentc_hash(k->text, k->len) ^ j;
}

static int resource_blocks(const struct sentc_resource *r, const struct sentc_request *request,
                           int64_t now, struct blocker *b) {
  for (uint32_t j = r->flows.first; j < r->flows.first + r->flows.n; j++)
    if (sentc_flow_blocks(j, now, &b->retry_ms))
      return blocked_by(b, "flow", r, flow_rule(j), flow_blocked[j]), 1;
  for (uint32_t j = r->concurrency.first; j < r->concurrency.first + r->concurrency.n; j++)
    if (sentc_concurrency_blocks(j))
      return blocked_by(b, "concurrency", r, concurrency_rule(j), concurrency_blocked[j]), 1;
  for (uint32_t j = r->hotspots.first; j < r->hotspots.first + r->hotspots.n; j++) {
    find_key(j, request);
    if (keys[j].text && sentc_hotspot_blocks(j, keys[j].text, keys[j].len, keys[j].hash, now, &b->retry_ms))
      return blocked_by(b, "hotspot", r, hotspot_rule(j), hotspot_blocked[j]), 1;
  }
  for (uint32_t j = r->breakers.first; j < r->breakers.first + r->breakers.n; j++)
    if (sentc_breaker_blocks(j, now, &b->retry_ms))
      return blocked_by(b, "breaker", r, breaker_rule(j), breaker_blocked[j]), 1;
  return 0;
}

static void check(const struct sentc_request *request, uint32_t n, int64_t now, struct blocker *b) {
  *b = (struct blocker){0};
  const char *system = request->protocol == SENTC_HTTP ? sentc_system_blocks(now) : NULL;
  if (system) {
    int label = 0;
    while (strcmp(system_labels[label], system) != 0)
      label++;
    b->kind = "system";
    b->counter = system_blocked[label];
    return;
  }
  for (uint32_t i = 0; i < n; i++)
    if (resource_blocks(&policy->resources[matched[i]], request, now, b))
      return;
}

/* ---- phase two ---- */

struct commit {
  struct sentc_stream *stream;
  int64_t now, wait_us;
};

/* `wait_us` is read only after the commit in the call's arguments has set it
 * (argument evaluation order is unspecified). */
static int record(struct commit *c, int result, struct sentc_effect *e, const int64_t *wait_us) {
  if (result != 0)
    return -1;
  c->stream->effects[c->stream->n_effects++] = *e;
  if (wait_us && *wait_us > c->wait_us)
    c->wait_us = *wait_us;
  return 0;
}

static int commit_resource(uint32_t index, struct commit *c, struct blocker *b) {
  const struct sentc_resource *r = &policy->resources[index];
  struct sentc_effect e;
  int64_t wait;
  for (uint32_t j = r->flows.first; j < r->flows.first + r->flows.n; j++)
    if (record(c, sentc_flow_commit(j, c->now, &e, &wait), &e, &wait))
      return blocked_by(b, "flow", r, flow_rule(j), flow_blocked[j]), -1;
  for (uint32_t k = 0; k < r->n_watchers; k++) {
    sentc_flow_count_of(r->watchers[k], c->now, &e);
    record(c, 0, &e, NULL);
  }
  for (uint32_t j = r->concurrency.first; j < r->concurrency.first + r->concurrency.n; j++)
    if (record(c, sentc_concurrency_commit(j, &e), &e, NULL))
      return blocked_by(b, "concurrency", r, concurrency_rule(j), concurrency_blocked[j]), -1;
  for (uint32_t j = r->hotspots.first; j < r->hotspots.first + r->hotspots.n; j++)
    if (keys[j].text &&
        record(c, sentc_hotspot_commit(j, keys[j].text, keys[j].len, keys[j].hash, c->now, &e, &wait), &e, &wait))
      return blocked_by(b, "hotspot", r, hotspot_rule(j), hotspot_blocked[j]), -1;
  for (uint32_t j = r->breakers.first; j < r->breakers.first + r->breakers.n; j++)
    if (record(c, sentc_breaker_commit(j, c->now, &e), &e, NULL))
      return blocked_by(b, "breaker", r, breaker_rule(j), breaker_blocked[j]), -1;
  return 0;
}

static void undo(struct sentc_stream *s) {
  while (s->n_effects > 0)
    sentc_effect_undo(&s->effects[--s->n_effects]);
}

static int commit(const struct sentc_request *request, uint32_t n, struct commit *c,
                  struct blocker *b) {
  struct sentc_effect e;
  if (request->protocol == SENTC_HTTP && policy->system.present &&
      record(c, sentc_system_commit(c->now, &e), &e, NULL) != 0) {
    b->kind = "system";       /* its state was unreachable and on_error is deny */
    b->counter = -1;
    return -1;
  }
  for (uint32_t i = 0; i < n; i++)
    if (commit_resource(matched[i], c, b) != 0) {
      undo(c->stream);
      return -1;
    }
  return 0;
}

/* The flow rule with the fewest requests left, for the rate-limit headers. */
static void note_ratelimit(struct sentc_stream *s, uint32_t n, int64_t now) {
  for (uint32_t i = 0; i < n; i++) {
    const struct sentc_resource *r = &policy->resources[matched[i]];
    for (uint32_t j = r->flows.first; j < r->flows.first + r->flows.n; j++) {
      uint32_t remaining, reset;
      sentc_flow_ratelimit(j, now, &remaining, &reset);
      if (s->ratelimit && remaining >= s->rl_remaining)
        continue;
      const struct sentc_flow *f = &policy->flows[j];
      s->ratelimit = 1;
      s->rl_limit = f->count;
      s->rl_window_s = (f->window.window_ms + 999) / 1000;
      s->rl_remaining = remaining;
      s->rl_reset_s = reset;
    }
  }
}

/* ---- holding ---- */

static void want_wake(uint32_t ms) {
  if (ms == wake_ms)
    return;
  wake_ms = ms;
  sentc_wake_every(ms);
}

/* Ticks at the next held stream's turn, or as often as the state store
 * needs (liveness stamps), or none. */
static void schedule(int64_t now) {
  uint32_t store_ms = sentc_state_wake_ms();
  int64_t next = store_ms ? now + store_ms : INT64_MAX;
  for (int32_t i = held_list; i >= 0; i = sentc_stream_at(i)->next_held)
    if (sentc_stream_at(i)->resume_at < next)
      next = sentc_stream_at(i)->resume_at;
  if (next == INT64_MAX)
    want_wake(0);
  else
    want_wake(next - now < 1 ? 1 : (uint32_t)(next - now));
}

static void hold(struct sentc_stream *s, int64_t resume_at) {
  s->held = 1;
  s->resume_at = resume_at;
  s->next_held = held_list;
  held_list = sentc_stream_index(s);
}

static void unhold(struct sentc_stream *s) {
  int32_t me = sentc_stream_index(s);
  for (int32_t *link = &held_list; *link >= 0; link = &sentc_stream_at(*link)->next_held)
    if (*link == me) {
      *link = s->next_held;
      break;
    }
  s->held = 0;
}

void sentc_engine_tick(int64_t now) {
  sentc_state_now(now);
  sentc_state_tick();
  for (int32_t i = held_list, next; i >= 0; i = next) {
    struct sentc_stream *s = sentc_stream_at(i);
    next = s->next_held;
    if (s->resume_at > now)
      continue;
    unhold(s);
    s->pass_at = now;
    sentc_resume_stream(s->id);
  }
  schedule(now);
}

/* ---- the verdict ---- */

static void reject(const struct sentc_request *request, const struct blocker *b,
                   struct sentc_verdict *verdict) {
  count(b->counter);
  const char *resource = b->resource ? b->resource->name.text : "system";
  int32_t fallback = b->rule ? b->rule->fallback : policy->system.fallback;
  struct sentc_block block = {resource, b->kind, fallback, b->retry_ms, request->grpc,
                              policy->ratelimit_headers};
  verdict->blocked = 1;
  if (policy->mode == SENTC_SHADOW) {
    sentc_reply_shadow(&verdict->reply, &block);
    verdict->action = SENTC_CONTINUE;
    return;
  }
  sentc_reply_render(&verdict->reply, policy, &block);
  verdict->action = verdict->reply.forward ? SENTC_CONTINUE : SENTC_BLOCK;
}

void sentc_engine_request(uint32_t id, const struct sentc_request *request, int64_t now,
                          struct sentc_verdict *verdict) {
  sentc_state_now(now);
  uint32_t n = sentc_match_resources(policy, request, matched);
  struct blocker b;
  *verdict = (struct sentc_verdict){.action = SENTC_CONTINUE};
  check(request, n, now, &b);
  if (b.kind)
    return reject(request, &b, verdict);
  struct sentc_stream *s = sentc_stream_open(id);
  if (!s)
    return;     /* no memory for one more stream: let it through uncounted */
  s->grpc = (uint8_t)request->grpc;
  struct commit c = {s, now, 0};
  if (commit(request, n, &c, &b) != 0) {
    sentc_stream_close(s);
    return reject(request, &b, verdict);
  }
  for (uint32_t i = 0; i < n; i++)
    count(passed_counter[matched[i]]);
  if (policy->ratelimit_headers)
    note_ratelimit(s, n, now);
  s->pass_at = now;
  if (c.wait_us > 0) {
    hold(s, now + (c.wait_us + 999) / 1000);
    verdict->action = SENTC_HOLD;
  }
  schedule(now);
}

/* ---- the response and the end ---- */

static void complete(struct sentc_stream *s, int64_t now, int grpc_status, int no_response) {
  if (s->completed)
    return;
  s->completed = 1;
  s->awaiting_trailers = 0;
  uint32_t rt = no_response ? (uint32_t)(now - s->pass_at) : s->rt_ms;
  for (uint16_t i = 0; i < s->n_effects; i++)
    sentc_effect_complete(&s->effects[i], now, rt, s->status, grpc_status, no_response);
}

void sentc_engine_response(uint32_t id, int status, int grpc_status, int64_t now,
                           struct sentc_reply *add) {
  add->n_headers = 0;
  sentc_state_now(now);
  struct sentc_stream *s = sentc_stream_find(id);
  if (!s || s->held || s->completed || s->awaiting_trailers)
    return;
  s->status = status;
  s->rt_ms = (uint32_t)(now - s->pass_at);
  if (s->grpc && grpc_status < 0 && status == 200)
    s->awaiting_trailers = 1;
  else
    complete(s, now, grpc_status, 0);
  if (s->ratelimit)
    sentc_reply_ratelimit(add, s->rl_limit, s->rl_window_s, s->rl_remaining, s->rl_reset_s);
}

void sentc_engine_trailers(uint32_t id, int grpc_status, int64_t now) {
  sentc_state_now(now);
  struct sentc_stream *s = sentc_stream_find(id);
  if (s && s->awaiting_trailers)
    complete(s, now, grpc_status, grpc_status < 0);
}

void sentc_engine_end(uint32_t id, int64_t now) {
  struct sentc_stream *s = sentc_stream_find(id);
  if (!s)
    return;
  sentc_state_now(now);
  int held = s->held;
  if (held)
    unhold(s);
  else
    complete(s, now, -1, 1);
  for (uint16_t i = 0; i < s->n_effects; i++)
    sentc_effect_release(&s->effects[i], held);
  sentc_stream_close(s);
  schedule(now);
}
