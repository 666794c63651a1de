/*
 * metrics.c: the module's counters (see metrics.h).  Names are put
 * together by hand: stdio would pull WASI file calls into main.wasm.
 */
#include <stdlib.h>
#include <string.h>
#include "metrics.h"
#include "names.h"
#include "platform.h"

/* sentc.<a>.<b>[.<c>]: resource and rule names are at most 128 bytes. */
static int32_t define(const char *a, const char *b, const char *c) {
  char name[512];
  size_t len = 0;
  const char *parts[] = {"sentc.", a, ".", b, c ? "." : "", c ? c : ""};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    size_t n = strlen(parts[i]);
    if (len + n >= sizeof name)
      return -1;
    memcpy(name + len, parts[i], n);
    len += n;
  }
  return sentc_platform_counter_define(name, len);
}

static void count(int32_t counter) {
  if (counter >= 0)
    sentc_platform_counter_add(counter, 1);
}

int sentc_metrics_start(struct sentc_metrics *m, const struct sentc_policy *p) {
  *m = (struct sentc_metrics){.unavailable = -1};
  m->passed = calloc(p->n_resources ? p->n_resources : 1, sizeof *m->passed);
#define ALLOCATE(K, k, status, grpc, tcp) \
  m->blocked[SENTC_KIND_##K] = calloc(p->n_##k ? p->n_##k : 1, sizeof(int32_t));
  SENTC_RULE_KINDS(ALLOCATE)
#undef ALLOCATE
  if (!m->passed)
    return -1;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    if (!m->blocked[k])
      return -1;
  for (uint32_t i = 0; i < p->n_resources; i++) {
    const struct sentc_resource *r = &p->resources[i];
    m->passed[i] = define(r->name.text, "passed", NULL);
    for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
      for (uint32_t j = r->rules[k].first; j < r->rules[k].first + r->rules[k].n; j++)
        m->blocked[k][j] = define(r->name.text, "blocked", sentc_tables_rule(p, k, j)->name);
  }
  for (int c = 0; c < SENTC_N_SYSTEM_CHECKS; c++)
    m->system_blocked[c] = p->system.present ? define("system", "blocked", sentc_names_check[c]) : -1;
  return 0;
}

void sentc_metrics_stop(struct sentc_metrics *m) {
  free(m->passed);
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    free(m->blocked[k]);
  *m = (struct sentc_metrics){.unavailable = -1};
}

void sentc_metrics_pass(const struct sentc_metrics *m, uint32_t resource) {
  count(m->passed[resource]);
}

void sentc_metrics_block(const struct sentc_metrics *m, enum sentc_kind kind, uint32_t rule) {
  count(kind == SENTC_KIND_SYSTEM ? m->system_blocked[rule] : m->blocked[kind][rule]);
}

void sentc_metrics_unavailable(struct sentc_metrics *m, uint64_t gave_up) {
  if (gave_up == m->unavailable_counted)
    return;
  if (m->unavailable < 0)
    m->unavailable = define("filter", "state_unavailable", NULL);
  if (m->unavailable >= 0)
    sentc_platform_counter_add(m->unavailable, (uint32_t)(gave_up - m->unavailable_counted));
  m->unavailable_counted = gave_up;
}
