/*
 * cluster.c: scope cluster in the engine (see cluster.h).
 *
 * One question per request: a RateLimitRequest with one descriptor per
 * cluster rule the request meets, in the order the rules are checked
 * (resources in file order, kinds in the registry's, rules in file order),
 * so that statuses[i] of the answer is the i-th rule asked.  A hotspot
 * rule asks only when the request has its key (a key with an empty value
 * counts as none).  Each call in flight is one record, allocated when it
 * is made and freed with its outcome, with the rules it asked (to map the
 * statuses back) and the resources the request entered (it counts as
 * their pass only once the answer lets it through).  Records are found by
 * token (the outcome) and by stream
 * (the stream's end), and kept in the order they were made, which is
 * their deadlines' order.
 *
 * How an answer reads: overall_code OVER_LIMIT blocks the request by the
 * first rule asked whose status is OVER_LIMIT (an enforced one before a
 * shadow one; the first rule asked when the statuses say nothing); OK lets
 * it through, with the RateLimit numbers of the status that has the least
 * left; anything else (UNKNOWN, a message that does not parse, a failed
 * or timed-out call) is the service failing, and the ratelimit_service's
 * on_error decides: allow, or deny by the first rule asked.
 */
#include <stdlib.h>
#include <string.h>
#include "cluster.h"
#include "core.h"
#include "keys.h"
#include "rls.h"

#define INDEX 256u

struct call {
  uint32_t token, stream;
  int64_t deadline;
  struct call *next_token, *next_stream;   /* index chains */
  struct call *older, *newer;              /* the order calls were made */
  uint32_t n_asked, n_matched;
  uint32_t *asked;                         /* descriptors, then resources, */
  uint32_t *matched;                       /* after the record */
};

struct sentc_cluster_state {
  int32_t *descriptor_of[SENTC_N_RULE_KINDS];   /* rule -> descriptor, -1: local */
  uint8_t *service;                              /* the GrpcService naming the cluster */
  size_t service_len;
  uint8_t *question;                             /* a RateLimitRequest is written here */
  size_t question_room;
  uint32_t *asked;                               /* the descriptors a question asks */
  struct sentc_rls_status *statuses;             /* an answer is read here */
  uint32_t *matched;                             /* an outcome's resources */
  char value[SENTC_RLS_VALUE_MAX];               /* a hotspot's value, spelled */
  char key[512];                                 /* a key made up rather than found */
  struct call *by_token[INDEX], *by_stream[INDEX];
  struct call *oldest, *newest;
  int failing;                                   /* the last outcome was a failure */
};

/* ---- tables ---- */

/* The rules of a kind that scope cluster applies to (flow, hotspot). */
static uint32_t rules_of(const struct sentc_policy *p, enum sentc_kind k) {
  return k == SENTC_KIND_FLOW || k == SENTC_KIND_HOTSPOT ? sentc_tables_count(p, k) : 0;
}

int sentc_cluster_sane(const struct sentc_policy *p) {
  const struct sentc_rls *rls = &p->rls;
  uint32_t cluster_rules = 0;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    for (uint32_t j = 0; j < sentc_tables_count(p, k); j++)
      if (sentc_cluster_rule(p, k, j)) {
        if (k != SENTC_KIND_FLOW && k != SENTC_KIND_HOTSPOT)
          return 0;
        if (k == SENTC_KIND_HOTSPOT && p->hotspot[j].mode != SENTC_HOTSPOT_RATE)
          return 0;
        cluster_rules++;
      }
  }
  if (!rls->present)
    return cluster_rules == 0;
  if (rls->n_descriptors != cluster_rules || !rls->cluster.len || !rls->domain.len ||
      rls->timeout_ms == 0)
    return 0;
  for (uint32_t i = 0; i < rls->n_descriptors; i++) {
    const struct sentc_rls_descriptor *d = &rls->descriptors[i];
    if ((d->kind != SENTC_KIND_FLOW && d->kind != SENTC_KIND_HOTSPOT) ||
        d->rule >= rules_of(p, d->kind) || !sentc_cluster_rule(p, d->kind, d->rule) ||
        (d->kind == SENTC_KIND_HOTSPOT) != (d->value_key.len > 0) || d->unit == SENTC_RLS_UNKNOWN ||
        d->unit >= SENTC_N_RLS_UNITS)
      return 0;
    for (uint32_t k = 0; k < i; k++)
      if (rls->descriptors[k].kind == d->kind && rls->descriptors[k].rule == d->rule)
        return 0;
  }
  return 1;
}

int sentc_cluster_start(struct sentc_engine *E) {
  const struct sentc_policy *p = E->policy;
  if (!SENTC_CLUSTER_USED)
    return 0;                   /* E->cluster stays NULL: nothing will ask */
  struct sentc_cluster_state *c = calloc(1, sizeof *c);
  E->cluster = c;
  if (!c)
    return -1;
  const struct sentc_rls *rls = &p->rls;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    c->descriptor_of[k] = sentc_core_array(rules_of(p, k), sizeof(int32_t));
    if (!c->descriptor_of[k])
      return -1;
    memset(c->descriptor_of[k], 0xff, (rules_of(p, k) ? rules_of(p, k) : 1) * sizeof(int32_t));
  }
  for (uint32_t i = 0; i < rls->n_descriptors; i++)
    c->descriptor_of[rls->descriptors[i].kind][rls->descriptors[i].rule] = (int32_t)i;
  if (!rls->present)
    return 0;                   /* no rule in scope cluster: nothing will ask */
  c->question_room = 16 + rls->domain.len;
  for (uint32_t i = 0; i < rls->n_descriptors; i++)
    c->question_room += sentc_rls_descriptor_bytes(&rls->descriptors[i]);
  c->service_len = 16 + rls->cluster.len;
  c->question = malloc(c->question_room);
  c->service = malloc(c->service_len);
  c->asked = sentc_core_array(rls->n_descriptors, sizeof *c->asked);
  c->statuses = sentc_core_array(rls->n_descriptors, sizeof *c->statuses);
  c->matched = sentc_core_array(p->n_resources, sizeof *c->matched);
  if (!c->question || !c->service || !c->asked || !c->statuses || !c->matched)
    return -1;
  c->service_len = sentc_rls_grpc_service(&rls->cluster, c->service, c->service_len);
  return 0;
}

static void unlink_call(struct sentc_cluster_state *c, struct call *call) {
  struct call **link = &c->by_token[call->token % INDEX];
  while (*link != call)
    link = &(*link)->next_token;
  *link = call->next_token;
  link = &c->by_stream[call->stream % INDEX];
  while (*link != call)
    link = &(*link)->next_stream;
  *link = call->next_stream;
  *(call->older ? &call->older->newer : &c->oldest) = call->newer;
  *(call->newer ? &call->newer->older : &c->newest) = call->older;
}

void sentc_cluster_stop(struct sentc_engine *E) {
  struct sentc_cluster_state *c = E->cluster;
  if (!SENTC_CLUSTER_USED || !c)
    return;
  while (c->oldest) {
    struct call *call = c->oldest;
    sentc_platform_grpc_cancel(call->token);
    unlink_call(c, call);
    free(call);
  }
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    free(c->descriptor_of[k]);
  free(c->question);
  free(c->service);
  free(c->asked);
  free(c->statuses);
  free(c->matched);
  free(c);
  E->cluster = NULL;
}

/* ---- asking ---- */

/* The cluster rules of resource r the request asks about: their
 * descriptors appended to asked[*n], and added to the question.  A
 * hotspot whose key the host could not read is counted as such, and its
 * descriptor kept in *unreadable (the first one only). */
static void ask_resource(struct sentc_engine *E, struct sentc_rls_request *w, uint32_t r,
                         const struct sentc_ask *ask, uint32_t *asked, uint32_t *n,
                         int32_t *unreadable) {
  const struct sentc_policy *p = E->policy;
  struct sentc_cluster_state *c = E->cluster;
  static const enum sentc_kind cluster_kinds[] = {SENTC_KIND_FLOW, SENTC_KIND_HOTSPOT};
  for (size_t i = 0; i < sizeof cluster_kinds / sizeof cluster_kinds[0]; i++) {
    enum sentc_kind k = cluster_kinds[i];
    struct sentc_slice rules = p->resources[r].rules[k];
    for (uint32_t j = rules.first; j < rules.first + rules.n; j++) {
      int32_t d = c->descriptor_of[k][j];
      if (d < 0 || p->off || p->resources[r].off || sentc_tables_rule(p, k, j)->off)
        continue;               /* local, or switched off by the plugin configuration */
      const struct sentc_rls_descriptor *desc = &p->rls.descriptors[d];
      if (k == SENTC_KIND_HOTSPOT) {
        const struct sentc_client_ip_policy ip = {p->client_ip, p->xff_hops};
        size_t len = 0;
        const char *key = sentc_keys_of(&p->hotspot[j], ask->request, ask->path, &ip, c->key,
                                        sizeof c->key, &len);
        if (!key && len == SENTC_UNREADABLE) {
          sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0,
                              SENTC_METRIC_ATTRIBUTES_UNAVAILABLE, 1);
          if (*unreadable < 0)
            *unreadable = d;
        }
        if (!key || len == 0)
          continue;
        sentc_rls_add(w, desc, c->value, sentc_rls_value(key, len, c->value));
      } else {
        sentc_rls_add(w, desc, NULL, 0);
      }
      asked[(*n)++] = (uint32_t)d;
    }
  }
}

/* What blocks a request by descriptor d's rule. */
static struct sentc_cluster_block block_by(const struct sentc_policy *p, uint32_t d,
                                           int64_t retry_ms) {
  const struct sentc_rls_descriptor *desc = &p->rls.descriptors[d];
  return (struct sentc_cluster_block){desc->kind,
                                      (int32_t)sentc_tables_rule(p, desc->kind, desc->rule)->resource,
                                      desc->rule, retry_ms};
}

/* The service could not tell (the request could not ask it, or its
 * answer failed): what on_error decides, counted against descriptor
 * `first`, the first rule asked. */
static int cannot_tell(struct sentc_engine *E, uint32_t first, struct sentc_cluster_block *b) {
  if (E->policy->rls.on_error != SENTC_ON_ERROR_DENY)
    return SENTC_CLUSTER_NONE;
  *b = block_by(E->policy, first, 1000);
  return SENTC_CLUSTER_DENY;
}

int sentc_cluster_ask(struct sentc_engine *E, uint32_t stream, const struct sentc_ask *ask,
                      const uint32_t *matched, uint32_t n, struct sentc_cluster_block *b) {
  const struct sentc_policy *p = E->policy;
  struct sentc_cluster_state *c = E->cluster;
  if (!SENTC_CLUSTER_USED || !p->rls.present || ask->request->protocol != SENTC_HTTP)
    return SENTC_CLUSTER_NONE;
  uint32_t n_asked = 0;
  int32_t unreadable = -1;
  struct sentc_rls_request w;
  sentc_rls_start(&w, c->question, c->question_room, &p->rls.domain);
  for (uint32_t i = 0; i < n; i++)
    ask_resource(E, &w, matched[i], ask, c->asked, &n_asked, &unreadable);
  /* A key that could not be read is never a silent skip: the policy's
   * on_error decides (engine.h), as for a local hotspot. */
  if (unreadable >= 0 && sentc_core_unavailable(E) == SENTC_COMMIT_BLOCK) {
    *b = block_by(p, (uint32_t)unreadable, 0);
    return SENTC_CLUSTER_DENY;
  }
  if (n_asked == 0)
    return SENTC_CLUSTER_NONE;
  size_t len = sentc_rls_finish(&w, c->question);
  uint32_t token;
  sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0, SENTC_METRIC_RLS_ASKED, 1);
  if (len == 0 ||
      sentc_platform_grpc_call(c->service, c->service_len, SENTC_RLS_SERVICE, SENTC_RLS_METHOD,
                               c->question, len, p->rls.timeout_ms, &token) != 0) {
    sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0, SENTC_METRIC_RLS_FAILED, 1);
    return cannot_tell(E, c->asked[0], b);
  }
  struct call *call = malloc(sizeof *call + (n_asked + n) * sizeof(uint32_t));
  if (!call) {
    sentc_platform_grpc_cancel(token);
    sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0, SENTC_METRIC_RLS_FAILED, 1);
    return cannot_tell(E, c->asked[0], b);
  }
  *call = (struct call){.n_asked = n_asked, .n_matched = n, .asked = (uint32_t *)(call + 1)};
  call->matched = call->asked + n_asked;
  memcpy(call->asked, c->asked, n_asked * sizeof *c->asked);
  memcpy(call->matched, matched, n * sizeof *matched);
  call->token = token;
  call->stream = stream;
  call->deadline = ask->now + p->rls.timeout_ms + SENTC_CLUSTER_GRACE_MS;
  call->next_token = c->by_token[token % INDEX];
  c->by_token[token % INDEX] = call;
  call->next_stream = c->by_stream[stream % INDEX];
  c->by_stream[stream % INDEX] = call;
  call->older = c->newest;
  *(c->newest ? &c->newest->newer : &c->oldest) = call;
  c->newest = call;
  return SENTC_CLUSTER_ASKING;
}

/* ---- outcomes ---- */

static struct call *by_token(const struct sentc_cluster_state *c, uint32_t token) {
  struct call *call = c->by_token[token % INDEX];
  while (call && call->token != token)
    call = call->next_token;
  return call;
}

static struct call *by_stream(const struct sentc_cluster_state *c, uint32_t stream) {
  struct call *call = c->by_stream[stream % INDEX];
  while (call && call->stream != stream)
    call = call->next_stream;
  return call;
}

/* A warning when the service starts failing, and a note when it answers
 * again: one line per change, not one per request. */
static void note_health(struct sentc_engine *E, int failing, uint32_t status) {
  struct sentc_cluster_state *c = E->cluster;
  if (failing == c->failing)
    return;
  c->failing = failing;
  int level = failing ? SENTC_LOG_WARN : SENTC_LOG_INFO;
  if (!sentc_core_logs(E, level))
    return;
  struct sentc_text t = sentc_core_line(E);
  if (failing) {
    sentc_text_str(&t, "rate-limit service failed (grpc-status ");
    sentc_text_uint(&t, status);
    sentc_text_str(&t, "); on_error ");
    sentc_text_str(&t, E->policy->rls.on_error == SENTC_ON_ERROR_DENY ? "deny" : "allow");
    sentc_text_str(&t, " until it answers");
  } else {
    sentc_text_str(&t, "rate-limit service answers again");
  }
  sentc_core_log(E, level, &t);
}

/* The first rule asked whose status is OVER_LIMIT, an enforced one before
 * a shadow one; the first rule asked when no status says so. */
static uint32_t blocking(const struct sentc_engine *E, const struct call *call,
                         const struct sentc_rls_answer *a) {
  const struct sentc_policy *p = E->policy;
  uint32_t shadow = UINT32_MAX;
  for (uint32_t i = 0; i < call->n_asked && i < a->n_statuses && i < a->room; i++) {
    if (a->statuses[i].code != SENTC_RLS_OVER_LIMIT)
      continue;
    const struct sentc_rls_descriptor *d = &p->rls.descriptors[call->asked[i]];
    if (sentc_tables_rule(p, d->kind, d->rule)->mode == SENTC_ENFORCE)
      return i;
    if (shadow == UINT32_MAX)
      shadow = i;
  }
  return shadow == UINT32_MAX ? 0 : shadow;
}

static uint32_t unit_seconds(uint8_t unit) {
  static const uint32_t seconds[SENTC_N_RLS_UNITS] = {
#define UNIT_SECONDS(NAME, word, n) [SENTC_RLS_##NAME] = n,
    SENTC_RLS_UNIT_LIST(UNIT_SECONDS)
#undef UNIT_SECONDS
  };
  return unit < SENTC_N_RLS_UNITS ? seconds[unit] : 0;
}

/* Until the window of status `s` (NULL: none) of descriptor `d` resets,
 * ms: what the answer says, else a whole window of its unit. */
static int64_t reset_ms(const struct sentc_rls_status *s, const struct sentc_rls_descriptor *d) {
  if (s && s->has_reset)
    return s->reset_ms > INT32_MAX ? INT32_MAX : (int64_t)s->reset_ms;
  uint8_t unit = s && s->has_limit && s->unit != SENTC_RLS_UNKNOWN ? s->unit : d->unit;
  return (int64_t)unit_seconds(unit) * 1000;
}

/* What status `s` (NULL: none) of descriptor d says is left, as a
 * RateLimit quota; 0 when it says nothing (no current_limit). */
static int quota_of(const struct sentc_policy *p, uint32_t d, const struct sentc_rls_status *s,
                    struct sentc_quota *q) {
  const struct sentc_rls_descriptor *desc = &p->rls.descriptors[d];
  if (!s || !s->has_limit || s->unit == SENTC_RLS_UNKNOWN)
    return 0;
  int64_t reset = reset_ms(s, desc);
  *q = (struct sentc_quota){.kind = desc->kind, .rule = desc->rule, .limit = s->requests_per_unit,
                            .window_ms = unit_seconds(s->unit) * 1000, .remaining = s->remaining,
                            .reset_ms = (uint32_t)(reset > UINT32_MAX ? UINT32_MAX : reset)};
  return 1;
}

/* Reads the answer to `call` (message NULL: the call failed with `status`)
 * into *out, then forgets the call. */
static void settle(struct sentc_engine *E, struct call *call, const void *message, size_t len,
                   uint32_t status, struct sentc_cluster_outcome *out) {
  const struct sentc_policy *p = E->policy;
  struct sentc_cluster_state *c = E->cluster;
  struct sentc_rls_answer a = {.statuses = c->statuses, .room = p->rls.n_descriptors};
  int answered = message && sentc_rls_read(message, len, &a) == 0 &&
                 (a.overall == SENTC_RLS_OK || a.overall == SENTC_RLS_OVER_LIMIT);
  uint32_t known = call->n_asked < a.n_statuses ? call->n_asked : a.n_statuses;
  if (known > a.room)
    known = a.room;
  *out = (struct sentc_cluster_outcome){.stream = call->stream, .matched = c->matched,
                                        .n_matched = call->n_matched};
  memcpy(c->matched, call->matched, call->n_matched * sizeof *call->matched);
  note_health(E, !answered, message ? 2 : status);   /* 2: UNKNOWN, the answer made no sense */
  if (!answered) {
    sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0, SENTC_METRIC_RLS_FAILED, 1);
    out->blocks = cannot_tell(E, call->asked[0], &out->by) == SENTC_CLUSTER_DENY;
  } else if (a.overall == SENTC_RLS_OVER_LIMIT) {
    uint32_t i = blocking(E, call, &a);
    const struct sentc_rls_status *s = i < known ? &a.statuses[i] : NULL;
    out->blocks = 1;
    out->by = block_by(p, call->asked[i], reset_ms(s, &p->rls.descriptors[call->asked[i]]));
    out->has_quota = quota_of(p, call->asked[i], s, &out->quota);
    out->quota.remaining = 0;
  } else {
    for (uint32_t i = 0; i < known; i++) {       /* the least left */
      struct sentc_quota q;
      if (quota_of(p, call->asked[i], &a.statuses[i], &q) &&
          (!out->has_quota || q.remaining < out->quota.remaining)) {
        out->quota = q;
        out->has_quota = 1;
      }
    }
  }
  unlink_call(c, call);
  free(call);
}

int sentc_cluster_outcome(struct sentc_engine *E, uint32_t token, const void *message, size_t len,
                          uint32_t status, struct sentc_cluster_outcome *out) {
  struct call *call = SENTC_CLUSTER_USED && E->cluster ? by_token(E->cluster, token) : NULL;
  if (!call)
    return 0;
  settle(E, call, message, len, status, out);
  return 1;
}

void sentc_cluster_forget(struct sentc_engine *E, uint32_t stream) {
  struct call *call = SENTC_CLUSTER_USED && E->cluster ? by_stream(E->cluster, stream) : NULL;
  if (!call)
    return;
  sentc_platform_grpc_cancel(call->token);
  unlink_call(E->cluster, call);
  free(call);
}

int sentc_cluster_asking(const struct sentc_engine *E, uint32_t stream) {
  return SENTC_CLUSTER_USED && E->cluster && by_stream(E->cluster, stream) != NULL;
}

int64_t sentc_cluster_deadline(const struct sentc_engine *E) {
  return SENTC_CLUSTER_USED && E->cluster && E->cluster->oldest ? E->cluster->oldest->deadline
                                                               : INT64_MAX;
}

int sentc_cluster_overdue(struct sentc_engine *E, int64_t now, struct sentc_cluster_outcome *out) {
  struct call *call = SENTC_CLUSTER_USED && E->cluster ? E->cluster->oldest : NULL;
  if (!call || call->deadline > now)
    return 0;
  sentc_platform_grpc_cancel(call->token);
  settle(E, call, NULL, 0, 4, out);      /* 4: DEADLINE_EXCEEDED */
  return 1;
}
