/*
 * engine.c: one verdict per request, in two phases (see engine.h).
 *
 * Phase one checks every rule of every matching resource without touching
 * any state; the first rule that would block decides.  Only when nothing
 * blocks does phase two commit the pass to every rule's window.  So a request
 * blocked by a later resource leaves no pass behind in an earlier one, and a
 * blocked request counts as a block of the blocking rule only.
 */
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "match.h"
#include "platform.h"
#include "reply.h"
#include "window.h"

static const struct sentc_policy *policy;
static struct sentc_bucket *state;
static const struct sentc_resource **matched;  /* n_resources slots */

/* Counter ids: per resource "passed", per flow rule "blocked.LABEL". */
static int32_t *passed_counter;
static int32_t **blocked_counter;

static int32_t define_counter(const char *resource, const char *event, const char *label) {
  char name[512];
  size_t len = 0;
  const char *parts[] = {"sentc.", resource, ".", event, label ? "." : "", label ? label : ""};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    size_t n = strlen(parts[i]);
    if (len + n >= sizeof name)
      return -1;
    memcpy(name + len, parts[i], n);
    len += n;
  }
  return sentc_counter_define(name, len);
}

static int define_counters(void) {
  uint16_t n = policy->n_resources;
  passed_counter = calloc(n ? n : 1, sizeof *passed_counter);
  blocked_counter = calloc(n ? n : 1, sizeof *blocked_counter);
  if (!passed_counter || !blocked_counter)
    return -1;
  for (uint16_t i = 0; i < n; i++) {
    const struct sentc_resource *r = &policy->resources[i];
    passed_counter[i] = define_counter(r->name, "passed", NULL);
    blocked_counter[i] = calloc(r->n_flows ? r->n_flows : 1, sizeof **blocked_counter);
    if (!blocked_counter[i])
      return -1;
    for (uint16_t j = 0; j < r->n_flows; j++)
      blocked_counter[i][j] = define_counter(r->name, "blocked", r->flows[j].label);
  }
  return 0;
}

int sentc_engine_start(const struct sentc_policy *p, struct sentc_bucket *s) {
  if (p->tables_version != SENTC_TABLES_VERSION)
    return -1;
  policy = p;
  state = s;
  matched = calloc(p->n_resources ? p->n_resources : 1, sizeof *matched);
  if (!matched)
    return -1;
  return define_counters();
}

static void count(int32_t counter) {
  if (counter >= 0)
    sentc_counter_add(counter, 1);
}

static int flow_admits(const struct sentc_flow *flow, int64_t now) {
  return sentc_window_sum(&flow->window, state, now, SENTC_EV_PASS) + 1 <= flow->count;
}

static void block(const struct sentc_resource *r, uint16_t rule, int64_t now,
                  struct sentc_verdict *verdict) {
  const struct sentc_flow *flow = &r->flows[rule];
  sentc_window_add(&flow->window, state, now, SENTC_EV_BLOCK, 1);
  count(blocked_counter[r - policy->resources][rule]);
  verdict->blocked = 1;
  sentc_reply_builtin(&verdict->reply, r->name, "flow");
}

static void commit(const struct sentc_resource *r, int64_t now) {
  for (uint16_t j = 0; j < r->n_flows; j++)
    sentc_window_add(&r->flows[j].window, state, now, SENTC_EV_PASS, 1);
  count(passed_counter[r - policy->resources]);
}

void sentc_engine_decide(const struct sentc_request *request, int64_t now,
                         struct sentc_verdict *verdict) {
  uint32_t method = sentc_method_bit(request->method, request->method_len);
  size_t path_len = sentc_path_length(request->path, request->path_len);
  uint16_t n_matched = 0;

  verdict->blocked = 0;
  for (uint16_t i = 0; i < policy->n_resources; i++) {
    const struct sentc_resource *r = &policy->resources[i];
    if (!sentc_match_holds(&r->match, method, request->path, path_len))
      continue;
    for (uint16_t j = 0; j < r->n_flows; j++) {
      if (!flow_admits(&r->flows[j], now)) {
        block(r, j, now, verdict);
        return;
      }
    }
    matched[n_matched++] = r;
  }
  for (uint16_t i = 0; i < n_matched; i++)
    commit(matched[i], now);
}
