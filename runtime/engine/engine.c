/*
 * engine.c: one verdict per request, in two phases (see engine.h).
 *
 * Phase one checks every rule of every matching resource without touching
 * any state; the first rule that would block decides.  Only when nothing
 * blocks does phase two commit the pass to every rule's window.  So a request
 * blocked by a later resource leaves no pass behind in an earlier one, and a
 * blocked request counts as a block of the blocking rule only.
 *
 * State is allocated once at start, sized from the tables: one bucket ring
 * per flow rule.
 */
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "match.h"
#include "platform.h"
#include "reply.h"
#include "window.h"

static const struct sentc_policy *policy;
static uint32_t *matched;                 /* n_resources slots */
static struct sentc_bucket **flow_ring;   /* per flow rule */

/* Counter ids: per resource "passed", per flow rule "blocked.LABEL". */
static int32_t *passed_counter;
static int32_t *flow_blocked_counter;

static int32_t define_counter(const struct sentc_string *resource, const char *event,
                              const char *label) {
  char name[512];
  size_t len = 0;
  const char *parts[] = {"sentc.", resource->text, ".", event, label ? "." : "",
                         label ? label : ""};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    size_t n = strlen(parts[i]);
    if (len + n >= sizeof name)
      return -1;
    memcpy(name + len, parts[i], n);
    len += n;
  }
  return sentc_counter_define(name, len);
}

static void *zalloc(size_t n, size_t size) { return calloc(n ? n : 1, size); }

static int allocate_state(void) {
  matched = zalloc(policy->n_resources, sizeof *matched);
  flow_ring = zalloc(policy->n_flows, sizeof *flow_ring);
  passed_counter = zalloc(policy->n_resources, sizeof *passed_counter);
  flow_blocked_counter = zalloc(policy->n_flows, sizeof *flow_blocked_counter);
  if (!matched || !flow_ring || !passed_counter || !flow_blocked_counter)
    return -1;
  for (uint32_t i = 0; i < policy->n_flows; i++) {
    flow_ring[i] = zalloc(policy->flows[i].window.buckets, sizeof **flow_ring);
    if (!flow_ring[i])
      return -1;
  }
  return 0;
}

static void define_counters(void) {
  for (uint32_t i = 0; i < policy->n_resources; i++) {
    const struct sentc_resource *r = &policy->resources[i];
    passed_counter[i] = define_counter(&r->name, "passed", NULL);
    for (uint32_t j = r->flows.first; j < r->flows.first + r->flows.n; j++)
      flow_blocked_counter[j] = define_counter(&r->name, "blocked", policy->flows[j].rule.label);
  }
}

int sentc_engine_start(const struct sentc_policy *p) {
  if (p->tables_version != SENTC_TABLES_VERSION)
    return -1;
  policy = p;
  if (allocate_state() != 0)
    return -1;
  define_counters();
  return 0;
}

static void count(int32_t counter) {
  if (counter >= 0)
    sentc_counter_add(counter, 1);
}

static int flow_admits(uint32_t flow, int64_t now) {
  const struct sentc_flow *f = &policy->flows[flow];
  return sentc_window_sum(&f->window, flow_ring[flow], now, SENTC_EV_PASS) + 1 <= f->count;
}

static void block_flow(const struct sentc_resource *r, uint32_t flow, int64_t now,
                       struct sentc_verdict *verdict) {
  sentc_window_add(&policy->flows[flow].window, flow_ring[flow], now, SENTC_EV_BLOCK, 1);
  count(flow_blocked_counter[flow]);
  verdict->blocked = 1;
  sentc_reply_builtin(&verdict->reply, r->name.text, "flow");
}

static void commit(uint32_t resource, int64_t now) {
  const struct sentc_resource *r = &policy->resources[resource];
  for (uint32_t j = r->flows.first; j < r->flows.first + r->flows.n; j++)
    sentc_window_add(&policy->flows[j].window, flow_ring[j], now, SENTC_EV_PASS, 1);
  count(passed_counter[resource]);
}

void sentc_engine_decide(const struct sentc_request *request, int64_t now,
                         struct sentc_verdict *verdict) {
  uint32_t n = sentc_match_resources(policy, request, matched);
  verdict->blocked = 0;
  for (uint32_t i = 0; i < n; i++) {
    const struct sentc_resource *r = &policy->resources[matched[i]];
    for (uint32_t j = r->flows.first; j < r->flows.first + r->flows.n; j++) {
      if (!flow_admits(j, now)) {
        block_flow(r, j, now, verdict);
        return;
      }
    }
  }
  for (uint32_t i = 0; i < n; i++)
    commit(matched[i], now);
}
