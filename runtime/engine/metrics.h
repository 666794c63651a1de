/*
 * metrics.h: the metrics a policy's module keeps, as Envoy shows them
 * (with its `wasmcustom.` prefix; docs/metrics.md is the operator's list,
 * with the tags Envoy extracts: resource and rule):
 *
 *   sentc.RES.passed                 counter    requests sent upstream through RES
 *   sentc.RES.in_flight              gauge      of those, not yet ended
 *   sentc.RES.blocked.RULE           counter    requests RULE blocked
 *   sentc.RES.shadow_blocked.RULE    counter    requests RULE (in shadow) would have blocked
 *   sentc.RES.queued.RULE            counter    requests RULE held for their turn
 *   sentc.RES.queue_wait_ms.RULE     histogram  how long they were held
 *   sentc.RES.breaker_open.RULE      gauge      breakers of RULE open or half-open
 *   sentc.RES.breaker_opened.RULE    counter    its transitions to open
 *   sentc.RES.breaker_closed.RULE    counter    its transitions back to closed
 *   sentc.RES.errors.RULE            counter    responses it counted as errors
 *   sentc.RES.slow.RULE              counter    responses it counted as slow
 *   sentc.system.blocked.CHECK, sentc.system.shadow_blocked.CHECK
 *   sentc.filter.state_unavailable   counter    shared-data updates given up (on_error)
 *   sentc.filter.attributes_unavailable  counter  request attributes the host could not
 *                                       hand over (a huge header...; on_error)
 *   sentc.filter.config_applied, sentc.filter.config_rejected
 *
 * A request costs no host call: counts are kept in memory and sent on the
 * tick (sentc_metrics_flush, at most once a second: the lag the docs
 * state).  `passed`, `blocked` and the filter's are defined at start, so
 * that they read 0 before the first event; the others at the first flush
 * after they were first counted (a gauge that went up and down again reads
 * 0).  Gauges are sent
 * as increments, so every worker's VM adds to the same gauge.
 */
#ifndef SENTC_METRICS_H
#define SENTC_METRICS_H

#include <stdint.h>
#include "../tables.h"

/* Every metric: its word in the name, its type (platform.h). */
#define SENTC_METRIC_LIST(X)                                                        \
  X(PASSED, passed, COUNTER) X(IN_FLIGHT, in_flight, GAUGE)                         \
  X(BLOCKED, blocked, COUNTER) X(SHADOW_BLOCKED, shadow_blocked, COUNTER)           \
  X(QUEUED, queued, COUNTER) X(QUEUE_WAIT, queue_wait_ms, HISTOGRAM)                \
  X(BREAKER_OPEN, breaker_open, GAUGE) X(BREAKER_OPENED, breaker_opened, COUNTER)   \
  X(BREAKER_CLOSED, breaker_closed, COUNTER) X(ERRORS, errors, COUNTER)             \
  X(SLOW, slow, COUNTER)                                                            \
  X(STATE_UNAVAILABLE, state_unavailable, COUNTER)                                  \
  X(ATTRIBUTES_UNAVAILABLE, attributes_unavailable, COUNTER)                        \
  X(CONFIG_APPLIED, config_applied, COUNTER) X(CONFIG_REJECTED, config_rejected, COUNTER)

#define SENTC_METRIC_ENUM(M, word, type) SENTC_METRIC_##M,
enum sentc_metric { SENTC_METRIC_LIST(SENTC_METRIC_ENUM) SENTC_N_METRICS };
#undef SENTC_METRIC_ENUM

/* Who has metrics: the rules of each kind (SENTC_KIND_SYSTEM: the system
 * checks), the resources, the filter; and which: */
enum { SENTC_HOLDER_RESOURCE = SENTC_N_KINDS, SENTC_HOLDER_FILTER, SENTC_N_HOLDERS };
#define SENTC_RULE_METRICS_FIRST SENTC_METRIC_BLOCKED           /* to SLOW */
#define SENTC_RESOURCE_METRICS_FIRST SENTC_METRIC_PASSED        /* and IN_FLIGHT */
#define SENTC_FILTER_METRICS_FIRST SENTC_METRIC_STATE_UNAVAILABLE  /* to the last */

/* One metric as this VM keeps it: the host's id once defined, and what is
 * counted but not sent yet. */
struct sentc_series {
  int32_t id;                         /* -1: unavailable, or: */
  int32_t pending;
};
#define SENTC_SERIES_UNDEFINED (-2)
#define SENTC_SERIES_WANTED (-3)      /* counted (maybe to a net 0): define it */

/* Histogram values wait here until the flush. */
#define SENTC_METRICS_VALUES 64

struct sentc_metrics {
  const struct sentc_policy *policy;
  struct sentc_holder {
    struct sentc_series *series;      /* n items x width metrics */
    uint32_t n, width, first;         /* first: its first enum sentc_metric */
  } holders[SENTC_N_HOLDERS];
  struct sentc_metric_value { uint32_t holder, item, metric, value; } values[SENTC_METRICS_VALUES];
  uint32_t n_values;
  int dirty;                          /* something to send */
};

/* Allocates and defines the metrics of `policy` (names: metrics.c): 0, or
 * -1 without memory. */
int sentc_metrics_start(struct sentc_metrics *m, const struct sentc_policy *policy);
void sentc_metrics_stop(struct sentc_metrics *m);

/* Counts `delta` on metric `metric` of item `item` of `holder`: a rule
 * (holder: its kind; SENTC_KIND_SYSTEM: item is the check), a resource
 * (SENTC_HOLDER_RESOURCE) or the filter (SENTC_HOLDER_FILTER, item 0). */
void sentc_metrics_count(struct sentc_metrics *m, int holder, uint32_t item,
                         enum sentc_metric metric, int32_t delta);

/* Records a value of a histogram, likewise. */
void sentc_metrics_record(struct sentc_metrics *m, int holder, uint32_t item,
                          enum sentc_metric metric, uint32_t value);

/* Sends what was counted since the last flush. */
void sentc_metrics_flush(struct sentc_metrics *m);

#endif
