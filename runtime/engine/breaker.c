/*
 * breaker.c: the breaker state machine (see breaker.h).
 */
#include "breaker.h"

int sentc_breaker_admits(const struct sentc_breaker *rule,
                         const struct sentc_breaker_cell *cell, int64_t now) {
  switch (cell->state) {
  case SENTC_OPEN:
    return now >= cell->open_until;
  case SENTC_HALF_OPEN:
    return cell->probes_out + cell->probes_ok < rule->probes;
  default:
    return 1;
  }
}

int sentc_breaker_enter(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                        int64_t now) {
  if (!sentc_breaker_admits(rule, cell, now))
    return -1;
  if (cell->state == SENTC_CLOSED)
    return 0;
  if (cell->state == SENTC_OPEN) {
    cell->state = SENTC_HALF_OPEN;
    cell->probes_ok = 0;
    cell->probes_out = 0;
  }
  cell->probes_out++;
  return 1;
}

void sentc_breaker_leave(struct sentc_breaker_cell *cell, int probe) {
  if (!probe || cell->state != SENTC_HALF_OPEN || cell->probes_out == 0)
    return;
  if (--cell->probes_out == 0 && cell->probes_ok == 0)
    cell->state = SENTC_OPEN;    /* open_until has passed: the next request probes */
}

static void open_breaker(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                         int64_t now) {
  cell->state = SENTC_OPEN;
  cell->open_until = now + rule->open_ms;
  cell->probes_out = cell->probes_ok = 0;
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

void sentc_breaker_complete(const struct sentc_breaker *rule, struct sentc_breaker_cell *cell,
                            int64_t now, uint32_t rt_ms, int error, int probe) {
  int slow = rule->kind == SENTC_BREAKER_SLOW_RATIO && rt_ms > rule->max_rt_ms;
  sentc_window_complete(&rule->window, cell->ring, now, rt_ms);
  if (error)
    sentc_window_add(&rule->window, cell->ring, now, SENTC_EV_ERROR, 1);
  if (slow)
    sentc_window_add(&rule->window, cell->ring, now, SENTC_EV_SLOW, 1);
  int bad = rule->kind == SENTC_BREAKER_SLOW_RATIO ? slow : error;
  if (cell->state == SENTC_HALF_OPEN && probe) {
    if (cell->probes_out > 0)
      cell->probes_out--;
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
