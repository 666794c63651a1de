/*
 * system.c: the policy's system protection (kinds.h, with the operations of
 * a rule kind): proxy-wide adaptive protection over every HTTP request,
 * before any resource (sentinel-golang core/system; docs/semantics.md
 * "system").  One process-wide cell (layout.h: struct sentc_system_cell)
 * with the last second in ten buckets, reserved only when the policy has a
 * system block; its in_flight is a permit field (store.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include "core.h"
#include "window.h"

struct sentc_system_state {
  sentc_cell cell;
};

/* The system rule's window. */
static const struct sentc_window window = {1000, SENTC_SYSTEM_BUCKETS};

int sentc_system_start(struct sentc_engine *E) {
  E->system = calloc(1, sizeof *E->system);
  if (!E->system)
    return -1;
  /* It protects the whole proxy (docs/language.md): always scope proxy. */
  /* Its in flight is bounded by no re-check at commit (nor, `adaptive`, by
   * the limit): a share list per VM slot. */
  struct sentc_permit in_flight = {offsetof(struct sentc_system_cell, in_flight), UINT32_MAX};
  if (E->policy->system.present)
    E->system->cell = sentc_store_reserve(&E->store, sizeof(struct sentc_system_cell),
                                          SENTC_SCOPE_PROXY, &in_flight, 1);
  return 0;
}

void sentc_system_stop(struct sentc_engine *E) {
  free(E->system);
  E->system = NULL;
}

/* The check that blocks, plus one; 0 when none does. */
int sentc_system_blocks(struct sentc_engine *E, uint32_t rule, struct sentc_ask *ask) {
  (void)rule;
  const struct sentc_system *s = &E->policy->system;
  if (!s->present)
    return 0;
  int64_t now = ask->now;
  struct sentc_system_cell *c = sentc_store_view(&E->store, E->system->cell);
  if (s->qps && sentc_window_sum(&window, c->ring, now, SENTC_EV_PASS) + 1 > s->qps)
    return 1 + SENTC_SYSTEM_QPS;
  if (s->concurrency && c->in_flight + 1 > s->concurrency) {
    if (!s->adaptive)
      return 1 + SENTC_SYSTEM_CONCURRENCY;
    /* Sentinel's BBR check: in flight beyond max completed/s x min RT. */
    uint32_t min_rt = sentc_window_min_rt(&window, c->ring, now);
    double max_per_s = sentc_window_max_bucket(&window, c->ring, now, SENTC_EV_COMPLETE) *
                       (1000.0 / (window.window_ms / window.buckets));
    if (c->in_flight > 1 && (min_rt == UINT32_MAX || c->in_flight > max_per_s * min_rt / 1000.0))
      return 1 + SENTC_SYSTEM_ADAPTIVE;
  }
  if (s->avg_rt_ms) {
    uint32_t done = sentc_window_sum(&window, c->ring, now, SENTC_EV_COMPLETE);
    if (done && sentc_window_sum(&window, c->ring, now, SENTC_EV_RT) > (uint64_t)s->avg_rt_ms * done)
      return 1 + SENTC_SYSTEM_AVG_RT;
  }
  return 0;
}

struct change {
  int64_t now;
  int n;              /* +1 enter, -1 leave/undo */
  int undo;
  int complete;
  uint32_t rt_ms;
};

static int apply(void *value, void *arg) {
  struct change *a = arg;
  struct sentc_system_cell *c = value;
  if (a->complete) {
    sentc_window_complete(&window, c->ring, a->now, a->rt_ms);
    return 0;
  }
  if (a->n > 0) {
    c->in_flight++;
    sentc_window_add(&window, c->ring, a->now, SENTC_EV_PASS, 1);
    return 0;
  }
  if (c->in_flight > 0)
    c->in_flight--;
  if (a->undo)
    sentc_window_take_back(&window, c->ring, a->now, SENTC_EV_PASS);
  return 0;
}

int sentc_system_commit(struct sentc_engine *E, uint32_t rule, struct sentc_ask *ask,
                        struct sentc_effect *e) {
  (void)rule;
  if (!E->policy->system.present)
    return SENTC_COMMIT_NOTHING;
  struct change a = {.now = ask->now, .n = 1};
  int update = sentc_store_update(&E->store, E->system->cell, apply, &a);
  if (update == SENTC_STORE_UNAVAILABLE)
    return sentc_core_unavailable(E);
  *e = (struct sentc_effect){.kind = SENTC_KIND_SYSTEM, .at = ask->now};
  return SENTC_COMMIT_OK;
}

void sentc_system_release(struct sentc_engine *E, const struct sentc_effect *e,
                          enum sentc_release how) {
  struct change a = {.now = e->at, .n = -1, .undo = how == SENTC_RELEASE_UNDO};
  sentc_store_update(&E->store, E->system->cell, apply, &a);
}

void sentc_system_complete(struct sentc_engine *E, const struct sentc_effect *e,
                           const struct sentc_outcome *o) {
  (void)e;
  struct change a = {.now = o->now, .complete = 1, .rt_ms = o->rt_ms};
  sentc_store_update(&E->store, E->system->cell, apply, &a);
}
