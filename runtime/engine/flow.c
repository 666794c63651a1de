/*
 * flow.c: the flow rule kind (kinds.h): a request rate per window, with
 * Sentinel's three shapings (docs/semantics.md, "flow"): reject over the
 * threshold, throttle (the leaky bucket, pace.c), warm-up (warmup.c), and
 * warm-up with throttle; `of R` counts another resource's passes.  Each
 * rule is one cell (layout.h: struct sentc_flow_cell).
 */
#include <stdlib.h>
#include "core.h"
#include "pace.h"
#include "warmup.h"
#include "window.h"

struct sentc_flow_state {
  sentc_cell *cells;
  struct sentc_warmup_curve *curves;
};

/* What a flow effect holds (struct sentc_effect.flags): a pass counted
 * (`at`: when), a pace slot (`at`: the slot, us; `hash`: where the bucket
 * was before it, us; `slot`: the ms from the pass to its slot, so that a
 * pass counted too is taken back at the time it was counted). */
enum { COUNTED = 1, PACED = 2 };

/* The rule's shapings, of those some flow rule of the policy has at all
 * (tables.h, SENTC_USES): main.wasm leaves the others' code out. */
static unsigned shapings(const struct sentc_flow *f) {
  return f->flags & ((SENTC_USES(SENTC_USE_THROTTLE) ? SENTC_FLOW_THROTTLE : 0u) |
                     (SENTC_USES(SENTC_USE_WARMUP) ? SENTC_FLOW_WARMUP : 0u));
}

static const struct sentc_flow *rule_of(const struct sentc_engine *E, uint32_t i) {
  return &E->policy->flow[i];
}

int sentc_flow_start(struct sentc_engine *E) {
  const struct sentc_policy *p = E->policy;
  struct sentc_flow_state *s = calloc(1, sizeof *s);
  E->flow = s;
  if (!s)
    return -1;
  s->cells = sentc_core_array(p->n_flow, sizeof *s->cells);
  s->curves = sentc_core_array(p->n_flow, sizeof *s->curves);
  if (!s->cells || !s->curves)
    return -1;
  for (uint32_t i = 0; i < p->n_flow; i++) {
    const struct sentc_flow *f = &p->flow[i];
    if (!sentc_window_sane(&f->window) || (f->of >= 0 && (uint32_t)f->of >= p->n_resources))
      return -1;
    s->cells[i] = sentc_store_reserve(&E->store, sentc_layout_flow_cell(f->window.buckets),
                                      f->rule.scope, NULL, 0);
  }
  sentc_flow_configured(E);
  return 0;
}

void sentc_flow_configured(struct sentc_engine *E) {
  const struct sentc_policy *p = E->policy;
  for (uint32_t i = 0; i < p->n_flow; i++) {
    const struct sentc_flow *f = &p->flow[i];
    if (shapings(f) & SENTC_FLOW_WARMUP)
      sentc_warmup_curve(&E->flow->curves[i], f->count, f->window.window_ms, f->warmup_ms,
                         f->cold_factor);
  }
}

void sentc_flow_stop(struct sentc_engine *E) {
  if (E->flow) {
    free(E->flow->cells);
    free(E->flow->curves);
  }
  free(E->flow);
  E->flow = NULL;
}

static int64_t ms_up(int64_t us) { return (us + 999) / 1000; }

/* The rule's allowed requests per window at `now` (warm-up lowers it). */
static double threshold(struct sentc_engine *E, uint32_t i, struct sentc_flow_cell *c, int64_t now) {
  const struct sentc_flow *f = rule_of(E, i);
  if (shapings(f) & SENTC_FLOW_WARMUP)
    return sentc_warmup_allowed(&E->flow->curves[i], &c->warm, now);
  return f->count;
}

static int64_t interval_us(struct sentc_engine *E, uint32_t i, struct sentc_flow_cell *c, int64_t now) {
  return sentc_pace_interval_us(threshold(E, i, c, now), rule_of(E, i)->window.window_ms);
}

/* 1 if the flow blocks on cell copy `c`, with the retry time. */
static int blocks_on(struct sentc_engine *E, uint32_t i, struct sentc_flow_cell *c, int64_t now,
                     int64_t *retry_ms) {
  const struct sentc_flow *f = rule_of(E, i);
  if (shapings(f) & SENTC_FLOW_THROTTLE) {
    int64_t interval = interval_us(E, i, c, now), max_queue = (int64_t)f->max_queue_ms * 1000;
    if (sentc_pace_wait(&c->pace, now * 1000, interval, max_queue) >= 0)
      return 0;
    *retry_ms = ms_up(c->pace.latest_us + interval - max_queue - now * 1000);
    return 1;
  }
  if (sentc_window_sum(&f->window, c->ring, now, SENTC_EV_PASS) + 1 <= threshold(E, i, c, now))
    return 0;
  *retry_ms = sentc_window_expiry(&f->window, c->ring, now, SENTC_EV_PASS) - now;
  return 1;
}

/* The rule's quota on cell copy `c` (kinds.h): the window's passes
 * against the threshold, or nothing left when it blocks. */
static void offer(struct sentc_engine *E, uint32_t i, struct sentc_flow_cell *c,
                  struct sentc_ask *ask, int blocked) {
  if (!ask->want_quota)
    return;
  const struct sentc_flow *f = rule_of(E, i);
  uint32_t limit = (uint32_t)threshold(E, i, c, ask->now);
  uint32_t passed = sentc_window_sum(&f->window, c->ring, ask->now, SENTC_EV_PASS);
  int64_t reset = blocked ? ask->retry_ms
                          : sentc_window_expiry(&f->window, c->ring, ask->now, SENTC_EV_PASS) - ask->now;
  struct sentc_quota q = {.kind = SENTC_KIND_FLOW, .rule = i, .limit = limit,
                          .window_ms = f->window.window_ms,
                          .remaining = blocked || passed >= limit ? 0 : limit - passed,
                          .reset_ms = reset < 0 ? 0 : (uint32_t)reset};
  sentc_ask_quota(ask, &q);
}

int sentc_flow_blocks(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask) {
  struct sentc_flow_cell *c = sentc_store_view(&E->store, E->flow->cells[i]);
  if (!blocks_on(E, i, c, ask->now, &ask->retry_ms))
    return 0;
  offer(E, i, c, ask, 1);
  return 1;
}

/* Counts a pass (n = 1) or takes one back (n = -1) at `now`. */
static void count(struct sentc_engine *E, uint32_t i, struct sentc_flow_cell *c, int64_t now, int n) {
  const struct sentc_flow *f = rule_of(E, i);
  if (n > 0)
    sentc_window_add(&f->window, c->ring, now, SENTC_EV_PASS, 1);
  else
    sentc_window_take_back(&f->window, c->ring, now, SENTC_EV_PASS);
  if (shapings(f) & SENTC_FLOW_WARMUP)
    sentc_warmup_count(&E->flow->curves[i], &c->warm, now, n);
}

struct change {
  struct sentc_engine *E;
  uint32_t rule;
  int64_t now, slot_us, before_us;
  struct sentc_ask *ask;        /* a commit's: its quota is offered */
};

static int take(void *value, void *arg) {
  struct change *a = arg;
  struct sentc_flow_cell *c = value;
  int64_t retry;
  if (blocks_on(a->E, a->rule, c, a->now, &retry))
    return -1;
  if (shapings(rule_of(a->E, a->rule)) & SENTC_FLOW_THROTTLE) {
    a->before_us = c->pace.latest_us;
    a->slot_us = sentc_pace_take(&c->pace, a->now * 1000, interval_us(a->E, a->rule, c, a->now));
  }
  /* An `of` rule's window holds the other resource's passes only (Sentinel's
   * relation strategy): its own requests are checked against it, not counted. */
  if (rule_of(a->E, a->rule)->of < 0)
    count(a->E, a->rule, c, a->now, 1);
  offer(a->E, a->rule, c, a->ask, 0);
  return 0;
}

int sentc_flow_commit(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask,
                      struct sentc_effect *e) {
  struct change a = {E, i, ask->now, 0, 0, ask};
  int result = sentc_core_commit(E, sentc_store_update(&E->store, E->flow->cells[i], take, &a));
  if (result != SENTC_COMMIT_OK)
    return result;
  const struct sentc_flow *f = rule_of(E, i);
  int paced = shapings(f) & SENTC_FLOW_THROTTLE, counted = f->of < 0;
  if (!paced && !counted)
    return SENTC_COMMIT_NOTHING;
  *e = (struct sentc_effect){.kind = SENTC_KIND_FLOW, .flags = (paced ? PACED : 0) | (counted ? COUNTED : 0),
                             .rule = i, .at = paced ? a.slot_us : ask->now};
  if (paced) {
    e->hash = (uint64_t)a.before_us;
    e->slot = (int32_t)(uint32_t)(a.slot_us / 1000 - ask->now);   /* at most max_queue_ms */
  }
  if (paced && a.slot_us > ask->now * 1000)
    ask->wait_us = a.slot_us - ask->now * 1000;
  return SENTC_COMMIT_OK;
}

static int count_pass(void *value, void *arg) {
  struct change *a = arg;
  count(a->E, a->rule, value, a->now, 1);
  return 0;
}

void sentc_flow_count_of(struct sentc_engine *E, uint32_t i, int64_t now, struct sentc_effect *e) {
  struct change a = {E, i, now, 0, 0, NULL};
  sentc_store_update(&E->store, E->flow->cells[i], count_pass, &a);
  *e = (struct sentc_effect){.kind = SENTC_KIND_FLOW, .flags = COUNTED, .rule = i, .at = now};
}

struct untake {
  struct sentc_engine *E;
  const struct sentc_effect *effect;
};

/* Gives back what the effect holds: its pace slot (when it is still the
 * last one, the bucket goes back to where it was before it: warm-up or
 * not, whatever the interval then) and its counted pass (at the time it
 * was counted). */
static int untake(void *value, void *arg) {
  struct untake *u = arg;
  const struct sentc_effect *e = u->effect;
  struct sentc_flow_cell *c = value;
  int64_t counted_at = e->at;
  if (SENTC_USES(SENTC_USE_THROTTLE) && (e->flags & PACED)) {
    sentc_pace_give_back(&c->pace, e->at, e->at - (int64_t)e->hash);
    counted_at = e->at / 1000 - (uint32_t)e->slot;
  }
  if (e->flags & COUNTED)
    count(u->E, e->rule, c, counted_at, -1);
  return 0;
}

void sentc_flow_release(struct sentc_engine *E, const struct sentc_effect *e,
                        enum sentc_release how) {
  /* A pass stays counted once its request went upstream; a pace slot is
   * given back by a request that never used it. */
  if (how == SENTC_RELEASE_UNDO ||
      (how == SENTC_RELEASE_HELD && SENTC_USES(SENTC_USE_THROTTLE) && (e->flags & PACED))) {
    struct untake u = {E, e};
    sentc_store_update(&E->store, E->flow->cells[e->rule], untake, &u);
  }
}

SENTC_KIND_NO_COMPLETE(flow)
