/*
 * metrics.h: the counters a policy's module keeps, as Envoy shows them
 * (with its `wasmcustom.` prefix):
 *
 *   sentc.<resource>.passed           requests that passed the resource
 *   sentc.<resource>.blocked.<rule>   requests that rule blocked
 *   sentc.system.blocked.<check>      system protection's blocks
 *   sentc.filter.state_unavailable    shared-data updates given up (on_error)
 *
 * Names are made once at start; counting is a host call per event (the
 * platform's counter), so the ids live here.
 */
#ifndef SENTC_METRICS_H
#define SENTC_METRICS_H

#include <stdint.h>
#include "../tables.h"

struct sentc_metrics {
  int32_t *passed;                             /* per resource */
  int32_t *blocked[SENTC_N_RULE_KINDS];        /* per rule of each kind */
  int32_t system_blocked[SENTC_N_SYSTEM_CHECKS];
  int32_t unavailable;
  uint64_t unavailable_counted;                /* give-ups counted so far */
};

/* Defines every counter of `policy`: 0, or -1 without memory. */
int sentc_metrics_start(struct sentc_metrics *m, const struct sentc_policy *policy);
void sentc_metrics_stop(struct sentc_metrics *m);

void sentc_metrics_pass(const struct sentc_metrics *m, uint32_t resource);
/* A block by rule `rule` of `kind`; for SENTC_KIND_SYSTEM, `rule` is the
 * check (enum sentc_system_check). */
void sentc_metrics_block(const struct sentc_metrics *m, enum sentc_kind kind, uint32_t rule);
/* Counts the store's give-ups since the last call (`gave_up`: all so far). */
void sentc_metrics_unavailable(struct sentc_metrics *m, uint64_t gave_up);

#endif
