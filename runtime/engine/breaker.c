/*
 * breaker.c: the breaker rule kind (kinds.h), the circuit breaker state
 * machine of sentinel-golang core/circuitbreaker, on one cell per rule
 * (layout.h: struct sentc_breaker_cell; the half-open probes out are a
 * permit field, store.h).
 *
 * closed: every request passes; each completion is counted in the window
 *   (complete, error, slow); once the window holds min_requests
 *   completions, the breaker opens when errors >= count (error_count) or
 *   errors / completions >= ratio (error_ratio), slow / completions >= ratio
 *   (slow_ratio), the comparisons sentinel-golang makes.
 * open: every request is blocked until `open_ms` has passed; the next
 *   request then turns it half-open and passes as a probe.
 * half-open: at most `probes` probes are let through; a bad probe (error,
 *   slow, or no response) reopens it for another `open_ms`; when `probes`
 *   probes have succeeded it closes with an empty window.  Completions of
 *   requests that passed before it opened are counted but decide nothing.
 *   A probe's permit is given back only by its own end, whatever the state
 *   then (in scope proxy only its VM can: a reset by another would leave
 *   its share counted for good), so probes still out from an earlier
 *   half-open count until they end.
 *
 * Transitions are logged and counted (metrics.h: breaker_opened, _closed,
 * the breaker_open gauge) by the VM whose update made them, so a proxy
 * breaker's are counted once; errors and slow responses as each breaker
 * sees them.
 */
#include <stddef.h>
#include <stdlib.h>
#include "breaker.h"
#include "core.h"
#include "window.h"

struct sentc_breaker_state {
  sentc_cell *cells;
};

/* What a breaker effect holds (struct sentc_effect.flags). */
enum { PROBE = 1 };

int sentc_breaker_start(struct sentc_engine *E) {
  const struct sentc_policy *p = E->policy;
  struct sentc_breaker_state *s = calloc(1, sizeof *s);
  E->breaker = s;
  if (!s || !(s->cells = sentc_core_array(p->n_breaker, sizeof *s->cells)))
    return -1;
  for (uint32_t i = 0; i < p->n_breaker; i++) {
    struct sentc_permit probes_out = {offsetof(struct sentc_breaker_cell, probes_out),
                                      p->breaker[i].probes};
    if (!sentc_window_sane(&p->breaker[i].window))
      return -1;
    s->cells[i] = sentc_store_reserve(&E->store, sentc_layout_breaker_cell(p->breaker[i].window.buckets),
                                      p->breaker[i].rule.scope, &probes_out, 1);
  }
  return 0;
}

void sentc_breaker_stop(struct sentc_engine *E) {
  if (E->breaker)
    free(E->breaker->cells);
  free(E->breaker);
  E->breaker = NULL;
}

/* ---- the state machine, on a cell's copy (breaker.h) ---- */

int sentc_breaker_admits(const struct sentc_breaker *rule, const struct sentc_breaker_cell *cell,
                  int64_t now) {
  switch (cell->state) {
  case SENTC_OPEN:
    return now >= cell->open_until;
  case SENTC_HALF_OPEN:
    return cell->probes_out + cell->probes_ok < rule->probes;
  default:
    return 1;
  }
}

int sentc_breaker_enter(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell, int64_t now) {
  if (!sentc_breaker_admits(rule, cell, now))
    return -1;
  if (cell->state == SENTC_CLOSED)
    return 0;
  if (cell->state == SENTC_OPEN) {
    cell->state = SENTC_HALF_OPEN;
    cell->probes_ok = 0;
  }
  cell->probes_out++;
  return 1;
}

void sentc_breaker_leave(struct sentc_breaker_cell *cell, int probe) {
  if (!probe || cell->probes_out == 0)
    return;
  if (--cell->probes_out == 0 && cell->probes_ok == 0 && cell->state == SENTC_HALF_OPEN)
    cell->state = SENTC_OPEN;    /* open_until has passed: the next request probes */
}

static void open_breaker(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                         int64_t now) {
  cell->state = SENTC_OPEN;
  cell->open_until = now + rule->open_ms;
  cell->probes_ok = 0;
}

static int threshold_reached(const struct sentc_breaker *rule,
                             const struct sentc_breaker_cell *cell, int64_t now) {
  uint32_t total = sentc_window_sum(&rule->window, cell->ring, now, SENTC_EV_COMPLETE);
  if (total == 0 || total < rule->min_requests)
    return 0;
  if (rule->kind == SENTC_BREAKER_ERROR_COUNT)
    return sentc_window_sum(&rule->window, cell->ring, now, SENTC_EV_ERROR) >= rule->count;
  enum sentc_event bad = rule->kind == SENTC_BREAKER_SLOW_RATIO ? SENTC_EV_SLOW : SENTC_EV_ERROR;
  double ratio = (double)sentc_window_sum(&rule->window, cell->ring, now, bad) / total;
  return ratio >= rule->ratio - 1e-9;
}

void sentc_breaker_observe(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                     int64_t now, uint32_t rt_ms, int error, int probe) {
  int slow = rule->kind == SENTC_BREAKER_SLOW_RATIO && rt_ms > rule->max_rt_ms;
  sentc_window_complete(&rule->window, cell->ring, now, rt_ms);
  if (error)
    sentc_window_add(&rule->window, cell->ring, now, SENTC_EV_ERROR, 1);
  if (slow)
    sentc_window_add(&rule->window, cell->ring, now, SENTC_EV_SLOW, 1);
  int bad = rule->kind == SENTC_BREAKER_SLOW_RATIO ? slow : error;
  if (probe && cell->probes_out > 0)
    cell->probes_out--;   /* whatever the state: only its VM can give it back */
  if (cell->state == SENTC_HALF_OPEN && probe) {
    if (bad) {
      open_breaker(rule, cell, now);
    } else if (++cell->probes_ok >= rule->probes) {
      cell->state = SENTC_CLOSED;
      cell->probes_ok = 0;
      sentc_window_clear(&rule->window, cell->ring);
    }
  } else if (cell->state == SENTC_CLOSED && threshold_reached(rule, cell, now)) {
    open_breaker(rule, cell, now);
  }
}

int sentc_breaker_is_error(const struct sentc_breaker *rule, int http_status, int grpc_status) {
  if (grpc_status >= 0)
    return grpc_status < 32 && (rule->grpc_errors >> grpc_status) & 1u;
  for (uint32_t i = 0; i < rule->n_error_ranges; i++)
    if (http_status >= rule->error_ranges[i].lo && http_status <= rule->error_ranges[i].hi)
      return 1;
  return 0;
}

/* ---- the kind's operations ---- */

int sentc_breaker_blocks(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask) {
  struct sentc_breaker_cell *c = sentc_store_view(&E->store, E->breaker->cells[i]);
  if (sentc_breaker_admits(&E->policy->breaker[i], c, ask->now))
    return 0;
  ask->retry_ms = c->state == SENTC_OPEN ? c->open_until - ask->now : 0;
  return 1;
}

/* An update of a breaker's cell, and what it did to the state (the last
 * run of the change is the one stored). */
struct change {
  const struct sentc_breaker *rule;
  int64_t now;
  int probe;
  uint32_t rt_ms;
  int error, no_response;
  uint8_t before, after;
  uint32_t total, bad;          /* the window when it opened */
};

static void note_state(struct change *a, const struct sentc_breaker_cell *c, uint8_t before) {
  a->before = before;
  a->after = c->state;
  if (a->after == SENTC_OPEN && before == SENTC_CLOSED) {
    const struct sentc_breaker *b = a->rule;
    a->total = sentc_window_sum(&b->window, c->ring, a->now, SENTC_EV_COMPLETE);
    a->bad = sentc_window_sum(&b->window, c->ring, a->now,
                              b->kind == SENTC_BREAKER_SLOW_RATIO ? SENTC_EV_SLOW : SENTC_EV_ERROR);
  }
}

/* "sentc: breaker RESOURCE/RULE open: REASON" at warn, half-open and
 * closed at info, after a change that moved the state was stored. */
static void log_transition(struct sentc_engine *E, const struct change *a) {
  int level = a->after == SENTC_OPEN ? SENTC_LOG_WARN : SENTC_LOG_INFO;
  if (a->after == a->before || !sentc_core_logs(E, level))
    return;
  const struct sentc_breaker *b = a->rule;
  struct sentc_text t = sentc_core_line(E);
  sentc_text_str(&t, "breaker ");
  sentc_text_string(&t, &E->policy->resources[b->rule.resource].name);
  sentc_text_str(&t, "/");
  sentc_text_str(&t, b->rule.name);
  sentc_text_str(&t, a->after == SENTC_OPEN        ? " open: "
                     : a->after == SENTC_HALF_OPEN ? " half-open"
                                                   : " closed");
  if (a->after == SENTC_OPEN && a->before == SENTC_HALF_OPEN) {
    sentc_text_str(&t, a->no_response ? "a probe got no response"
                       : b->kind == SENTC_BREAKER_SLOW_RATIO ? "a probe was slow"
                       : a->error ? "a probe failed" : "a probe went away");
  } else if (a->after == SENTC_OPEN) {
    if (b->kind == SENTC_BREAKER_ERROR_COUNT) {
      sentc_text_uint(&t, a->bad);
      sentc_text_str(&t, " errors");
    } else {
      sentc_text_str(&t, b->kind == SENTC_BREAKER_SLOW_RATIO ? "slow ratio " : "error ratio ");
      sentc_text_percent(&t, a->total ? (double)a->bad / a->total : 0);
    }
    sentc_text_str(&t, " of ");
    sentc_text_uint(&t, a->total);
    sentc_text_str(&t, " requests in ");
    sentc_text_uint(&t, b->window.window_ms);
    sentc_text_str(&t, "ms; open for ");
    sentc_text_uint(&t, b->open_ms);
    sentc_text_str(&t, "ms");
  }
  sentc_core_log(E, level, &t);
}

/* Counts a transition: opened (from closed or half-open), closed, and the
 * gauge of breakers not closed. */
static void count_transition(struct sentc_engine *E, uint32_t i, const struct change *a) {
  if (a->after == a->before)
    return;
  if (a->after == SENTC_OPEN)
    sentc_metrics_count(&E->metrics, SENTC_KIND_BREAKER, i, SENTC_METRIC_BREAKER_OPENED, 1);
  if (a->after == SENTC_CLOSED)
    sentc_metrics_count(&E->metrics, SENTC_KIND_BREAKER, i, SENTC_METRIC_BREAKER_CLOSED, 1);
  if (a->before == SENTC_CLOSED || a->after == SENTC_CLOSED)
    sentc_metrics_count(&E->metrics, SENTC_KIND_BREAKER, i, SENTC_METRIC_BREAKER_OPEN,
                        a->after == SENTC_CLOSED ? -1 : 1);
}

/* Runs a change on rule i's cell; logs and counts the transition it made,
 * if stored. */
static int update(struct sentc_engine *E, uint32_t i, sentc_change change, struct change *a) {
  a->before = a->after = SENTC_CLOSED;
  int result = sentc_store_update(&E->store, E->breaker->cells[i], change, a);
  if (result == 0) {
    log_transition(E, a);
    count_transition(E, i, a);
  }
  return result;
}

static int enter_cell(void *value, void *arg) {
  struct change *a = arg;
  struct sentc_breaker_cell *c = value;
  uint8_t before = c->state;
  a->probe = sentc_breaker_enter(a->rule, c, a->now);
  if (a->probe < 0)
    return -1;
  note_state(a, c, before);
  return a->probe ? 0 : SENTC_STORE_UNCHANGED;   /* closed: nothing to write */
}

int sentc_breaker_commit(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask,
                         struct sentc_effect *e) {
  struct change a = {.rule = &E->policy->breaker[i], .now = ask->now};
  int result = sentc_core_commit(E, update(E, i, enter_cell, &a));
  if (result == SENTC_COMMIT_OK)
    *e = (struct sentc_effect){.kind = SENTC_KIND_BREAKER, .flags = a.probe ? PROBE : 0, .rule = i,
                               .at = ask->now};
  return result;
}

static int leave_cell(void *value, void *arg) {
  struct change *a = arg;
  struct sentc_breaker_cell *c = value;
  uint8_t before = c->state;
  sentc_breaker_leave(c, a->probe);
  note_state(a, c, before);
  return 0;
}

void sentc_breaker_release(struct sentc_engine *E, const struct sentc_effect *e,
                           enum sentc_release how) {
  if (how == SENTC_RELEASE_END)
    return;             /* completed: its response was counted */
  struct change a = {.rule = &E->policy->breaker[e->rule], .probe = e->flags & PROBE};
  update(E, e->rule, leave_cell, &a);
}

static int complete_cell(void *value, void *arg) {
  struct change *a = arg;
  struct sentc_breaker_cell *c = value;
  uint8_t before = c->state;
  sentc_breaker_observe(a->rule, c, a->now, a->rt_ms, a->error, a->probe);
  note_state(a, c, before);
  return 0;
}

void sentc_breaker_complete(struct sentc_engine *E, const struct sentc_effect *e,
                            const struct sentc_outcome *o) {
  const struct sentc_breaker *b = &E->policy->breaker[e->rule];
  struct change a = {.rule = b, .now = o->now, .probe = e->flags & PROBE, .rt_ms = o->rt_ms,
                     .no_response = o->no_response,
                     .error = o->no_response || sentc_breaker_is_error(b, o->http_status, o->grpc_status)};
  if (a.error && b->kind != SENTC_BREAKER_SLOW_RATIO)
    sentc_metrics_count(&E->metrics, SENTC_KIND_BREAKER, e->rule, SENTC_METRIC_ERRORS, 1);
  if (b->kind == SENTC_BREAKER_SLOW_RATIO && o->rt_ms > b->max_rt_ms)
    sentc_metrics_count(&E->metrics, SENTC_KIND_BREAKER, e->rule, SENTC_METRIC_SLOW, 1);
  update(E, e->rule, complete_cell, &a);
}
