/*
 * metrics.c: the module's metrics (see metrics.h): counted in memory per
 * VM, sent to the host at the flush.  Names are put together by hand:
 * stdio would pull WASI file calls into main.wasm.
 */
#include <stdlib.h>
#include <string.h>
#include "bound.h"
#include "metrics.h"
#include "names.h"
#include "platform.h"

#define METRIC_WORD(M, word, type) [SENTC_METRIC_##M] = #word,
#define METRIC_TYPE(M, word, type) [SENTC_METRIC_##M] = SENTC_PLATFORM_##type,
static const char *const words[SENTC_N_METRICS] = {SENTC_METRIC_LIST(METRIC_WORD)};
static const uint8_t types[SENTC_N_METRICS] = {SENTC_METRIC_LIST(METRIC_TYPE)};

/* sentc.<owner>.<word>[.<rule>]: resource and rule names are at most 128
 * bytes (the checker's limit). */
static int32_t define_name(enum sentc_metric metric, const char *owner, const char *rule) {
  char name[512];
  size_t len = 0;
  const char *parts[] = {"sentc.", owner, ".", words[metric], rule ? "." : "", rule ? rule : ""};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    size_t n = strlen(parts[i]);
    if (len + n >= sizeof name)
      return -1;
    memcpy(name + len, parts[i], n);
    len += n;
  }
  return sentc_platform_metric_define(types[metric], name, len);
}

static int32_t define(const struct sentc_metrics *m, int holder, uint32_t item,
                      enum sentc_metric metric) {
  const struct sentc_policy *p = m->policy;
  if (holder == SENTC_HOLDER_FILTER)
    return define_name(metric, "filter", NULL);
  if (holder == SENTC_HOLDER_RESOURCE)
    return define_name(metric, p->resources[item].name.text, NULL);
  if (holder == SENTC_KIND_SYSTEM)
    return define_name(metric, "system", sentc_names_check[item]);
  const struct sentc_rule *rule = sentc_tables_rule(p, (enum sentc_kind)holder, item);
  return define_name(metric, p->resources[rule->resource].name.text, rule->name);
}

static struct sentc_series *series(struct sentc_metrics *m, int holder, uint32_t item,
                                   enum sentc_metric metric) {
  struct sentc_holder *h = &m->holders[holder];
  SENTC_ASSERT(item < h->n && metric >= h->first && metric < h->first + h->width);
  return &h->series[(size_t)item * h->width + (metric - h->first)];
}

/* The host's id of a series, defining it the first time. */
static int32_t id_of(struct sentc_metrics *m, int holder, uint32_t item, enum sentc_metric metric) {
  struct sentc_series *s = series(m, holder, item, metric);
  if (s->id == SENTC_SERIES_UNDEFINED || s->id == SENTC_SERIES_WANTED)
    s->id = define(m, holder, item, metric);
  return s->id;
}

int sentc_metrics_start(struct sentc_metrics *m, const struct sentc_policy *p) {
  *m = (struct sentc_metrics){.policy = p};
  for (int h = 0; h < SENTC_N_HOLDERS; h++) {
    struct sentc_holder *holder = &m->holders[h];
    if (h == SENTC_HOLDER_FILTER)
      *holder = (struct sentc_holder){.n = 1, .width = SENTC_N_METRICS - SENTC_FILTER_METRICS_FIRST,
                                      .first = SENTC_FILTER_METRICS_FIRST};
    else if (h == SENTC_HOLDER_RESOURCE)
      *holder = (struct sentc_holder){.n = p->n_resources, .width = 2,
                                      .first = SENTC_RESOURCE_METRICS_FIRST};
    else
      *holder = (struct sentc_holder){
          .n = h == SENTC_KIND_SYSTEM ? SENTC_N_SYSTEM_CHECKS : sentc_tables_count(p, h),
          .width = SENTC_METRIC_SLOW + 1 - SENTC_RULE_METRICS_FIRST,
          .first = SENTC_RULE_METRICS_FIRST};
    size_t n = (size_t)holder->n * holder->width;
    if (!(holder->series = malloc((n ? n : 1) * sizeof *holder->series)))
      return -1;
    for (size_t i = 0; i < n; i++)
      holder->series[i] = (struct sentc_series){SENTC_SERIES_UNDEFINED, 0};
  }
  /* passed, blocked and the filter's own read 0 from the start (rate()
   * over a series born at its first event would miss that event). */
  for (uint32_t w = 0; w < m->holders[SENTC_HOLDER_FILTER].width; w++)
    id_of(m, SENTC_HOLDER_FILTER, 0, (enum sentc_metric)(SENTC_FILTER_METRICS_FIRST + w));
  for (uint32_t i = 0; i < p->n_resources; i++)
    id_of(m, SENTC_HOLDER_RESOURCE, i, SENTC_METRIC_PASSED);
  for (int k = 0; k < SENTC_N_KINDS; k++)
    if (k != SENTC_KIND_SYSTEM || p->system.present)
      for (uint32_t j = 0; j < m->holders[k].n; j++)
        id_of(m, k, j, SENTC_METRIC_BLOCKED);
  return 0;
}

void sentc_metrics_stop(struct sentc_metrics *m) {
  for (int h = 0; h < SENTC_N_HOLDERS; h++)
    free(m->holders[h].series);
  *m = (struct sentc_metrics){0};
}

void sentc_metrics_count(struct sentc_metrics *m, int holder, uint32_t item,
                         enum sentc_metric metric, int32_t delta) {
  struct sentc_series *s = series(m, holder, item, metric);
  s->pending += delta;
  if (s->id == SENTC_SERIES_UNDEFINED)
    s->id = SENTC_SERIES_WANTED;
  m->dirty = 1;
}

static void send_values(struct sentc_metrics *m) {
  for (uint32_t i = 0; i < m->n_values; i++) {
    int32_t id = id_of(m, (int)m->values[i].holder, m->values[i].item,
                       (enum sentc_metric)m->values[i].metric);
    if (id >= 0)
      sentc_platform_metric_record(id, m->values[i].value);
  }
  m->n_values = 0;
}

void sentc_metrics_record(struct sentc_metrics *m, int holder, uint32_t item,
                          enum sentc_metric metric, uint32_t value) {
  (void)series(m, holder, item, metric);          /* bounds */
  if (m->n_values == SENTC_METRICS_VALUES)
    send_values(m);
  m->values[m->n_values++] = (struct sentc_metric_value){(uint32_t)holder, item, metric, value};
  m->dirty = 1;
}

void sentc_metrics_flush(struct sentc_metrics *m) {
  if (!m->dirty)
    return;
  for (int h = 0; h < SENTC_N_HOLDERS; h++) {
    struct sentc_holder *holder = &m->holders[h];
    for (uint32_t item = 0; item < holder->n; item++)
      for (uint32_t w = 0; w < holder->width; w++) {
        struct sentc_series *s = &holder->series[(size_t)item * holder->width + w];
        if (!s->pending && s->id != SENTC_SERIES_WANTED)
          continue;
        int32_t id = id_of(m, h, item, (enum sentc_metric)(holder->first + w));
        if (id >= 0 && s->pending)
          sentc_platform_metric_add(id, s->pending);
        s->pending = 0;
      }
  }
  send_values(m);
  m->dirty = 0;
}
