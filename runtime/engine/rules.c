/*
 * rules.c: every rule kind on its state cells (see rules.h and, for the
 * formulas, docs/semantics.md).  Checks load a cell into `view`; commits,
 * undos and releases go through sentc_state_update with a change function,
 * so each runs as load, change, compare-and-swap store.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "breaker.h"
#include "cells.h"
#include "hotspot.h"
#include "pace.h"
#include "rules.h"
#include "state.h"
#include "warmup.h"
#include "window.h"

/* The system rule's window (cells.h: struct sentc_system_cell). */
static const struct sentc_window system_window = {1000, SENTC_SYSTEM_BUCKETS};

static const struct sentc_policy *policy;
static sentc_cell *flow_cells, *concurrency_cells, *breaker_cells, system_cell;
static struct sentc_warmup_curve *curves;
static struct sentc_hot_table *hot_tables;
static void *view;     /* a loaded cell, for checks */

/* A cell in the rule's scope, with its in-flight field at `permit` (or none, -1). */
static sentc_cell reserve(uint32_t size, int scope, int32_t permit) {
  uint32_t offset = (uint32_t)permit;
  return sentc_state_reserve_in(size, scope, &offset, permit >= 0);
}

static int reserve_cells(void) {
  flow_cells = sentc_zalloc(policy->n_flows, sizeof *flow_cells);
  curves = sentc_zalloc(policy->n_flows, sizeof *curves);
  concurrency_cells = sentc_zalloc(policy->n_concurrency, sizeof *concurrency_cells);
  breaker_cells = sentc_zalloc(policy->n_breakers, sizeof *breaker_cells);
  hot_tables = sentc_zalloc(policy->n_hotspots, sizeof *hot_tables);
  if (!flow_cells || !curves || !concurrency_cells || !breaker_cells || !hot_tables)
    return -1;
  for (uint32_t i = 0; i < policy->n_flows; i++) {
    const struct sentc_flow *f = &policy->flows[i];
    flow_cells[i] = reserve(sentc_flow_cell_size(f->window.buckets), f->rule.scope, -1);
    if (f->flags & SENTC_FLOW_WARMUP)
      sentc_warmup_curve(&curves[i], f->count, f->window.window_ms, f->warmup_ms, f->cold_factor);
  }
  for (uint32_t i = 0; i < policy->n_concurrency; i++)
    concurrency_cells[i] = reserve(sizeof(struct sentc_concurrency_cell), policy->concurrency[i].rule.scope,
                                   offsetof(struct sentc_concurrency_cell, in_flight));
  for (uint32_t i = 0; i < policy->n_breakers; i++)
    breaker_cells[i] = reserve(sentc_breaker_cell_size(policy->breakers[i].window.buckets),
                               policy->breakers[i].rule.scope,
                               offsetof(struct sentc_breaker_cell, probes_out));
  for (uint32_t i = 0; i < policy->n_hotspots; i++)
    if (sentc_hot_table_init(&hot_tables[i], policy->hotspots[i].capacity,
                             policy->hotspots[i].rule.scope,
                             policy->hotspots[i].mode == SENTC_HOTSPOT_CONCURRENCY) != 0)
      return -1;
  /* system protects the whole proxy (LANGUAGE.md): one process-wide cell,
   * touched only when the policy has a system block (engine.c). */
  if (policy->system.present)
    system_cell = reserve(sizeof(struct sentc_system_cell), SENTC_SCOPE_PROXY,
                          offsetof(struct sentc_system_cell, in_flight));
  return 0;
}

int sentc_rules_start(const struct sentc_policy *p) {
  policy = p;
  sentc_state_reset();
  sentc_state_namespace(&p->name, p->hash);
  if (reserve_cells() != 0 || sentc_state_seal() != 0)
    return -1;
  view = malloc(sentc_state_max_size());
  return view ? 0 : -1;
}

static void *load(sentc_cell cell) {
  sentc_state_load(cell, view);
  return view;
}

static int64_t ms_up(int64_t us) { return (us + 999) / 1000; }

/* The result of a commit's update.  When a proxy cell could not be written
 * (shared data contended beyond the retry bound), the policy's on_error
 * decides: allow lets the request by holding nothing (an effect with
 * nothing to give back), deny blocks it. */
static int settled(int result, struct sentc_effect *e) {
  if (result != SENTC_STATE_UNAVAILABLE)
    return result;
  if (policy->on_error == SENTC_ON_ERROR_DENY)
    return -1;
  *e = (struct sentc_effect){.kind = SENTC_EF_CHECK};
  return 1;
}

/* ---- flow ---- */

/* The rule's allowed requests per window at `now` (warm-up lowers it). */
static double flow_threshold(uint32_t i, struct sentc_flow_cell *c, int64_t now) {
  const struct sentc_flow *f = &policy->flows[i];
  if (f->flags & SENTC_FLOW_WARMUP)
    return sentc_warmup_allowed(&curves[i], &c->warm, now);
  return f->count;
}

static int64_t flow_interval_us(uint32_t i, struct sentc_flow_cell *c, int64_t now) {
  return sentc_pace_interval_us(flow_threshold(i, c, now), policy->flows[i].window.window_ms);
}

/* 1 if the flow blocks on cell copy `c`, with the retry time. */
static int flow_blocks_on(uint32_t i, struct sentc_flow_cell *c, int64_t now, int64_t *retry_ms) {
  const struct sentc_flow *f = &policy->flows[i];
  if (f->flags & SENTC_FLOW_THROTTLE) {
    int64_t interval = flow_interval_us(i, c, now), max_queue = (int64_t)f->max_queue_ms * 1000;
    if (sentc_pace_wait(&c->pace, now * 1000, interval, max_queue) >= 0)
      return 0;
    *retry_ms = ms_up(c->pace.latest_us + interval - max_queue - now * 1000);
    return 1;
  }
  double threshold = flow_threshold(i, c, now);
  if (sentc_window_sum(&f->window, c->ring, now, SENTC_EV_PASS) + 1 <= threshold)
    return 0;
  *retry_ms = sentc_window_expiry(&f->window, c->ring, now, SENTC_EV_PASS) - now;
  return 1;
}

int sentc_flow_blocks(uint32_t i, int64_t now, int64_t *retry_ms) {
  return flow_blocks_on(i, load(flow_cells[i]), now, retry_ms);
}

static void flow_count(uint32_t i, struct sentc_flow_cell *c, int64_t now, int n) {
  const struct sentc_flow *f = &policy->flows[i];
  if (n > 0)
    sentc_window_add(&f->window, c->ring, now, SENTC_EV_PASS, 1);
  else
    sentc_window_take_back(&f->window, c->ring, now, SENTC_EV_PASS);
  if (f->flags & SENTC_FLOW_WARMUP)
    sentc_warmup_count(&curves[i], &c->warm, now, n);
}

struct flow_change {
  uint32_t rule;
  int64_t now, slot_us;
};

static int flow_take(void *value, void *arg) {
  struct flow_change *a = arg;
  struct sentc_flow_cell *c = value;
  int64_t retry;
  if (flow_blocks_on(a->rule, c, a->now, &retry))
    return -1;
  if (policy->flows[a->rule].flags & SENTC_FLOW_THROTTLE)
    a->slot_us = sentc_pace_take(&c->pace, a->now * 1000, flow_interval_us(a->rule, c, a->now));
  /* An `of` rule's window holds the other resource's passes only (Sentinel's
   * relation strategy): its own requests are checked against it, not counted. */
  if (policy->flows[a->rule].of < 0)
    flow_count(a->rule, c, a->now, 1);
  return 0;
}

int sentc_flow_commit(uint32_t i, int64_t now, struct sentc_effect *e, int64_t *wait_us) {
  struct flow_change a = {i, now, 0};
  int result = settled(sentc_state_update(flow_cells[i], flow_take, &a), e);
  if (result != 0) {
    *wait_us = 0;
    return result > 0 ? 0 : -1;
  }
  int paced = policy->flows[i].flags & SENTC_FLOW_THROTTLE;
  int counted = policy->flows[i].of < 0;
  *e = (struct sentc_effect){.kind = paced ? SENTC_EF_PACE : counted ? SENTC_EF_FLOW : SENTC_EF_CHECK, .rule = i,
                             .at = paced ? a.slot_us : now};
  *wait_us = paced && a.slot_us > now * 1000 ? a.slot_us - now * 1000 : 0;
  return 0;
}

static int flow_count_pass(void *value, void *arg) {
  struct flow_change *a = arg;
  flow_count(a->rule, value, a->now, 1);
  return 0;
}

void sentc_flow_count_of(uint32_t i, int64_t now, struct sentc_effect *e) {
  struct flow_change a = {i, now, 0};
  sentc_state_update(flow_cells[i], flow_count_pass, &a);
  *e = (struct sentc_effect){.kind = SENTC_EF_FLOW, .rule = i, .at = now};
}

static int flow_untake(void *value, void *arg) {
  const struct sentc_effect *e = arg;
  struct sentc_flow_cell *c = value;
  if (e->kind == SENTC_EF_PACE) {
    int64_t interval = sentc_pace_interval_us(policy->flows[e->rule].count,
                                              policy->flows[e->rule].window.window_ms);
    if (c->pace.latest_us == e->at && !(policy->flows[e->rule].flags & SENTC_FLOW_WARMUP))
      sentc_pace_give_back(&c->pace, e->at, interval);
    if (policy->flows[e->rule].of < 0)    /* `of`: the pass was not counted */
      flow_count(e->rule, c, e->at / 1000, -1);
  } else {
    flow_count(e->rule, c, e->at, -1);
  }
  return 0;
}

void sentc_flow_ratelimit(uint32_t i, int64_t now, uint32_t *remaining, uint32_t *reset_s) {
  const struct sentc_flow *f = &policy->flows[i];
  struct sentc_flow_cell *c = load(flow_cells[i]);
  uint32_t passed = sentc_window_sum(&f->window, c->ring, now, SENTC_EV_PASS);
  *remaining = passed >= f->count ? 0 : f->count - passed;
  *reset_s = (uint32_t)((sentc_window_expiry(&f->window, c->ring, now, SENTC_EV_PASS) - now + 999) / 1000);
}

/* ---- concurrency ---- */

int sentc_concurrency_blocks(uint32_t i) {
  struct sentc_concurrency_cell *c = load(concurrency_cells[i]);
  return c->in_flight + 1 > policy->concurrency[i].limit;
}

static int permit_take(void *value, void *arg) {
  struct sentc_concurrency_cell *c = value;
  if (c->in_flight + 1 > *(uint32_t *)arg)
    return -1;
  c->in_flight++;
  return 0;
}

static int permit_give(void *value, void *arg) {
  (void)arg;
  struct sentc_concurrency_cell *c = value;
  if (c->in_flight > 0)
    c->in_flight--;
  return 0;
}

int sentc_concurrency_commit(uint32_t i, struct sentc_effect *e) {
  uint32_t limit = policy->concurrency[i].limit;
  int result = settled(sentc_state_update(concurrency_cells[i], permit_take, &limit), e);
  if (result != 0)
    return result > 0 ? 0 : -1;
  *e = (struct sentc_effect){.kind = SENTC_EF_CONCURRENCY, .rule = i};
  return 0;
}

/* ---- hotspot ---- */

/* The rate for this value: its `item`, else the rule's. */
static void hot_rate(const struct sentc_hotspot *h, const char *key, size_t len,
                     uint32_t *count, uint32_t *window_ms) {
  *count = h->count;
  *window_ms = h->window_ms;
  for (uint32_t i = 0; i < h->n_items; i++)
    if (h->items[i].value.len == len && memcmp(h->items[i].value.text, key, len) == 0) {
      *count = h->items[i].count;
      *window_ms = h->items[i].window_ms;
      return;
    }
}

struct hot_change {
  const struct sentc_hotspot *rule;
  uint32_t count, window_ms;
  uint64_t hash;
  int64_t now, wait_us, retry_ms;
  int take;                     /* commit (else just check) */
};

static int hot_apply(void *value, void *arg) {
  struct hot_change *a = arg;
  struct sentc_hot_value *v = value;
  const struct sentc_hotspot *h = a->rule;
  sentc_hot_claim(v, a->hash);
  if (h->mode == SENTC_HOTSPOT_CONCURRENCY) {
    if (v->in_flight + 1 > h->count)
      return -1;
    v->in_flight += a->take;
    return 0;
  }
  if (h->throttle) {
    int64_t interval = sentc_pace_interval_us(a->count, a->window_ms);
    int64_t wait = sentc_pace_wait(&v->pace, a->now * 1000, interval, (int64_t)h->max_queue_ms * 1000);
    if (wait < 0) {
      a->retry_ms = ms_up(v->pace.latest_us + interval - (int64_t)h->max_queue_ms * 1000 - a->now * 1000);
      return -1;
    }
    if (a->take)
      a->wait_us = sentc_pace_take(&v->pace, a->now * 1000, interval) - a->now * 1000;
    return 0;
  }
  struct sentc_tokens tokens = v->tokens;
  if (sentc_tokens_take(&tokens, a->now, a->count, h->burst, a->window_ms) != 0) {
    a->retry_ms = sentc_tokens_next(&v->tokens, a->window_ms) - a->now;
    return -1;
  }
  if (a->take)
    v->tokens = tokens;
  return 0;
}

int sentc_hotspot_blocks(uint32_t i, const char *key, size_t len, uint64_t hash, int64_t now,
                         int64_t *retry_ms) {
  struct hot_change a = {.rule = &policy->hotspots[i], .hash = hash, .now = now};
  hot_rate(a.rule, key, len, &a.count, &a.window_ms);
  int32_t slot = sentc_hot_find(&hot_tables[i], hash);
  /* A blocked value is in use too (Sentinel's LRU moves a value up on every
   * lookup): left at its old rank, a flood of new values would evict it and
   * it would come back with a fresh bucket, escaping its limit. */
  if (slot >= 0)
    load(hot_tables[i].first_cell + (uint32_t)sentc_hot_use(&hot_tables[i], hash));
  else
    memset(view, 0, sizeof(struct sentc_hot_value));
  if (hot_apply(view, &a) == 0)
    return 0;
  *retry_ms = a.retry_ms;
  return 1;
}

int sentc_hotspot_commit(uint32_t i, const char *key, size_t len, uint64_t hash, int64_t now,
                         struct sentc_effect *e, int64_t *wait_us) {
  struct hot_change a = {.rule = &policy->hotspots[i], .hash = hash, .now = now, .take = 1};
  hot_rate(a.rule, key, len, &a.count, &a.window_ms);
  int32_t slot = sentc_hot_use(&hot_tables[i], hash);
  int result = settled(sentc_state_update(hot_tables[i].first_cell + (uint32_t)slot, hot_apply, &a), e);
  if (result != 0) {
    *wait_us = 0;
    return result > 0 ? 0 : -1;
  }
  *e = (struct sentc_effect){.kind = SENTC_EF_HOTSPOT, .rule = i, .slot = slot, .hash = hash,
                             .at = a.rule->throttle ? now * 1000 + a.wait_us : now};
  *wait_us = a.wait_us > 0 ? a.wait_us : 0;
  return 0;
}

struct hot_give {
  const struct sentc_effect *effect;
  int held;                     /* a pace slot still unused */
  int undo;                     /* a token to give back */
};

static int hot_release(void *value, void *arg) {
  struct hot_give *g = arg;
  struct sentc_hot_value *v = value;
  const struct sentc_hotspot *h = &policy->hotspots[g->effect->rule];
  int permit_stays = h->mode == SENTC_HOTSPOT_CONCURRENCY && hot_tables[g->effect->rule].shared;
  if (v->hash != g->effect->hash && !permit_stays)
    return -1;                  /* the value was forgotten meanwhile */
  if (h->mode == SENTC_HOTSPOT_CONCURRENCY) {
    if (v->in_flight > 0)
      v->in_flight--;
  } else if (h->throttle) {
    if (g->held || g->undo)
      sentc_pace_give_back(&v->pace, g->effect->at,
                           sentc_pace_interval_us(h->count, h->window_ms));
  } else if (g->undo) {
    v->tokens.left++;
  }
  return 0;
}

static void hot_give_back(const struct sentc_effect *e, int held, int undo) {
  const struct sentc_hotspot *h = &policy->hotspots[e->rule];
  if (h->mode != SENTC_HOTSPOT_CONCURRENCY && !undo && !(held && h->throttle))
    return;             /* a spent token or a used pace slot stays spent: no load */
  struct hot_give g = {e, held, undo};
  sentc_state_update(hot_tables[e->rule].first_cell + (uint32_t)e->slot, hot_release, &g);
}

/* ---- breaker ---- */

int sentc_breaker_blocks(uint32_t i, int64_t now, int64_t *retry_ms) {
  struct sentc_breaker_cell *c = load(breaker_cells[i]);
  if (sentc_breaker_admits(&policy->breakers[i], c, now))
    return 0;
  *retry_ms = c->state == SENTC_OPEN ? c->open_until - now : 0;
  return 1;
}

struct breaker_change {
  uint32_t rule;
  int64_t now;
  int probe;
  uint32_t rt_ms;
  int error;
};

static int breaker_enter(void *value, void *arg) {
  struct breaker_change *a = arg;
  a->probe = sentc_breaker_enter(&policy->breakers[a->rule], value, a->now);
  if (a->probe < 0)
    return -1;
  return a->probe ? 0 : SENTC_STATE_UNCHANGED;   /* closed: nothing to write */
}

int sentc_breaker_commit(uint32_t i, int64_t now, struct sentc_effect *e) {
  struct breaker_change a = {.rule = i, .now = now};
  int result = settled(sentc_state_update(breaker_cells[i], breaker_enter, &a), e);
  if (result != 0)
    return result > 0 ? 0 : -1;
  *e = (struct sentc_effect){.kind = SENTC_EF_BREAKER, .rule = i, .probe = (uint8_t)a.probe, .at = now};
  return 0;
}

static int breaker_leave(void *value, void *arg) {
  sentc_breaker_leave(value, *(int *)arg);
  return 0;
}

static int breaker_complete(void *value, void *arg) {
  struct breaker_change *a = arg;
  sentc_breaker_complete(&policy->breakers[a->rule], value, a->now, a->rt_ms, a->error, a->probe);
  return 0;
}

/* ---- system ---- */

const char *sentc_system_blocks(int64_t now) {
  const struct sentc_system *s = &policy->system;
  if (!s->present)
    return NULL;
  struct sentc_system_cell *c = load(system_cell);
  if (s->qps && sentc_window_sum(&system_window, c->ring, now, SENTC_EV_PASS) + 1 > s->qps)
    return "qps";
  if (s->concurrency && c->in_flight + 1 > s->concurrency) {
    if (!s->adaptive)
      return "concurrency";
    /* Sentinel's BBR check: in flight beyond max completed/s x min RT. */
    uint32_t min_rt = sentc_window_min_rt(&system_window, c->ring, now);
    double max_per_s = sentc_window_max_bucket(&system_window, c->ring, now, SENTC_EV_COMPLETE) *
                       (1000.0 / (system_window.window_ms / system_window.buckets));
    if (c->in_flight > 1 && (min_rt == UINT32_MAX || c->in_flight > max_per_s * min_rt / 1000.0))
      return "adaptive";
  }
  if (s->avg_rt_ms) {
    uint32_t done = sentc_window_sum(&system_window, c->ring, now, SENTC_EV_COMPLETE);
    if (done && sentc_window_sum(&system_window, c->ring, now, SENTC_EV_RT) > (uint64_t)s->avg_rt_ms * done)
      return "avg_rt";
  }
  return NULL;
}

struct system_change {
  int64_t now;
  int n;              /* +1 enter, -1 leave/undo */
  int undo;
  int complete;
  uint32_t rt_ms;
};

static int system_apply(void *value, void *arg) {
  struct system_change *a = arg;
  struct sentc_system_cell *c = value;
  if (a->complete) {
    sentc_window_complete(&system_window, c->ring, a->now, a->rt_ms);
    return 0;
  }
  if (a->n > 0) {
    c->in_flight++;
    sentc_window_add(&system_window, c->ring, a->now, SENTC_EV_PASS, 1);
    return 0;
  }
  if (c->in_flight > 0)
    c->in_flight--;
  if (a->undo)
    sentc_window_take_back(&system_window, c->ring, a->now, SENTC_EV_PASS);
  return 0;
}

int sentc_system_commit(int64_t now, struct sentc_effect *e) {
  struct system_change a = {.now = now, .n = 1};
  *e = (struct sentc_effect){.kind = SENTC_EF_SYSTEM, .at = now};
  int result = settled(sentc_state_update(system_cell, system_apply, &a), e);
  return result < 0 ? -1 : 0;
}

/* ---- effects ---- */

static void release(const struct sentc_effect *e, int held, int undo) {
  switch (e->kind) {
  case SENTC_EF_SYSTEM: {
    struct system_change a = {.now = e->at, .n = -1, .undo = undo};
    sentc_state_update(system_cell, system_apply, &a);
    break;
  }
  case SENTC_EF_FLOW:
  case SENTC_EF_PACE:
    if (undo || (held && e->kind == SENTC_EF_PACE))
      sentc_state_update(flow_cells[e->rule], flow_untake, (void *)e);
    break;
  case SENTC_EF_CHECK:
    break;
  case SENTC_EF_CONCURRENCY:
    sentc_state_update(concurrency_cells[e->rule], permit_give, NULL);
    break;
  case SENTC_EF_HOTSPOT:
    hot_give_back(e, held, undo);
    break;
  case SENTC_EF_BREAKER:
    if (undo || held) {
      int probe = e->probe;
      sentc_state_update(breaker_cells[e->rule], breaker_leave, &probe);
    }
    break;
  }
}

void sentc_effect_undo(const struct sentc_effect *e) { release(e, 0, 1); }

void sentc_effect_release(const struct sentc_effect *e, int still_held) {
  release(e, still_held, 0);
}

void sentc_effect_complete(const struct sentc_effect *e, int64_t now, uint32_t rt_ms,
                           int http_status, int grpc_status, int no_response) {
  if (e->kind == SENTC_EF_SYSTEM) {
    struct system_change a = {.now = now, .complete = 1, .rt_ms = rt_ms};
    sentc_state_update(system_cell, system_apply, &a);
  } else if (e->kind == SENTC_EF_BREAKER) {
    const struct sentc_breaker *b = &policy->breakers[e->rule];
    struct breaker_change a = {.rule = e->rule, .now = now, .probe = e->probe, .rt_ms = rt_ms,
                               .error = no_response || sentc_breaker_is_error(b, http_status, grpc_status)};
    sentc_state_update(breaker_cells[e->rule], breaker_complete, &a);
  }
}
