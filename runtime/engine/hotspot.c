/*
 * hotspot.c: the hotspot rule kind (kinds.h): limits per value of a key
 * (Sentinel's hot-parameter rule, docs/semantics.md "hotspot"): a token
 * bucket per value (tokens.c) with `burst` and per-value `item` rates, or a
 * leaky bucket per value (`throttle`, pace.c), or an in-flight limit per
 * value (`concurrency N`).  Values live in `capacity` slots (hotdir.c),
 * each a cell (layout.h: struct sentc_hot_value).  A request without the
 * key skips the rule.
 */
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "hotdir.h"
#include "keys.h"
#include "pace.h"
#include "tokens.h"

/* The key of each rule for the request being decided, found in phase one
 * and used again by its commit. */
struct key {
  const char *text;        /* NULL: the request has no such key */
  size_t len;
  uint64_t hash;
};

struct sentc_hotspot_state {
  struct sentc_hotdir *dirs;
  struct key *keys;
  char buffer[512];        /* a key made up rather than found (host) */
};

static const struct sentc_hotspot *rule_of(const struct sentc_engine *E, uint32_t i) {
  return &E->policy->hotspot[i];
}

int sentc_hotspot_start(struct sentc_engine *E) {
  const struct sentc_policy *p = E->policy;
  struct sentc_hotspot_state *s = calloc(1, sizeof *s);
  E->hotspot = s;
  if (!s)
    return -1;
  s->dirs = sentc_core_array(p->n_hotspot, sizeof *s->dirs);
  s->keys = sentc_core_array(p->n_hotspot, sizeof *s->keys);
  if (!s->dirs || !s->keys)
    return -1;
  for (uint32_t i = 0; i < p->n_hotspot; i++) {
    const struct sentc_hotspot *h = &p->hotspot[i];
    if (sentc_hotdir_init(&s->dirs[i], &E->store, h->capacity, h->rule.scope,
                          h->mode == SENTC_HOTSPOT_CONCURRENCY, h->count) != 0)
      return -1;
  }
  return 0;
}

void sentc_hotspot_stop(struct sentc_engine *E) {
  struct sentc_hotspot_state *s = E->hotspot;
  if (s && s->dirs)
    for (uint32_t i = 0; i < E->policy->n_hotspot; i++)
      sentc_hotdir_free(&s->dirs[i]);
  if (s) {
    free(s->dirs);
    free(s->keys);
  }
  free(s);
  E->hotspot = NULL;
}

static int64_t ms_up(int64_t us) { return (us + 999) / 1000; }

/* The rate for this value: its `item`, else the rule's. */
static void rate(const struct sentc_hotspot *h, const struct key *k, uint32_t *count,
                 uint32_t *window_ms) {
  *count = h->count;
  *window_ms = h->window_ms;
  for (uint32_t i = 0; i < h->n_items; i++)
    if (h->items[i].value.len == k->len && memcmp(h->items[i].value.text, k->text, k->len) == 0) {
      *count = h->items[i].count;
      *window_ms = h->items[i].window_ms;
      return;
    }
}

/* Makes a slot's value (a cell copy) `hash`'s: unchanged if it already is,
 * else fresh; in-flight permits stay with the slot, whose releases give
 * them back whoever holds it (in a proxy table, until they end). */
static void claim(struct sentc_hot_value *v, uint64_t hash) {
  if (v->hash != hash)
    *v = (struct sentc_hot_value){.hash = hash, .in_flight = v->in_flight};
}

struct change {
  const struct sentc_hotspot *rule;
  uint32_t count, window_ms;
  uint64_t hash;
  int64_t now, wait_us, retry_ms;
  int take;                     /* commit (else just check) */
  uint32_t index;               /* the rule's */
  struct sentc_ask *ask;        /* its quota is offered */
};

/* A token-bucket value's quota (kinds.h): its own tokens. */
static void offer(struct change *a, const struct sentc_tokens *tokens, int blocked) {
  int64_t reset = blocked ? a->retry_ms : sentc_tokens_next(tokens, a->window_ms) - a->now;
  struct sentc_quota q = {.kind = SENTC_KIND_HOTSPOT, .rule = a->index, .limit = a->count,
                          .window_ms = a->window_ms,
                          .remaining = blocked || tokens->left < 0 ? 0 : (uint32_t)tokens->left,
                          .reset_ms = reset < 0 ? 0 : (uint32_t)reset};
  sentc_ask_quota(a->ask, &q);
}

static int apply(void *value, void *arg) {
  struct change *a = arg;
  struct sentc_hot_value *v = value;
  const struct sentc_hotspot *h = a->rule;
  claim(v, a->hash);
  if (h->mode == SENTC_HOTSPOT_CONCURRENCY) {
    if (v->in_flight + 1 > h->count)
      return -1;
    v->in_flight += a->take;
    return 0;
  }
  if (h->throttle) {
    int64_t interval = sentc_pace_interval_us(a->count, a->window_ms);
    int64_t wait = sentc_pace_wait(&v->pace, a->now * 1000, interval, (int64_t)h->max_queue_ms * 1000);
    if (wait < 0) {
      a->retry_ms = ms_up(v->pace.latest_us + interval - (int64_t)h->max_queue_ms * 1000 - a->now * 1000);
      return -1;
    }
    if (a->take)
      a->wait_us = sentc_pace_take(&v->pace, a->now * 1000, interval) - a->now * 1000;
    return 0;
  }
  struct sentc_tokens tokens = v->tokens;
  if (sentc_tokens_take(&tokens, a->now, a->count, h->burst, a->window_ms) != 0) {
    a->retry_ms = sentc_tokens_next(&v->tokens, a->window_ms) - a->now;
    if (!a->take)
      offer(a, &v->tokens, 1);
    return -1;
  }
  if (a->take) {
    v->tokens = tokens;
    offer(a, &tokens, 0);
  }
  return 0;
}

int sentc_hotspot_blocks(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask) {
  struct sentc_hotspot_state *s = E->hotspot;
  const struct sentc_hotspot *h = rule_of(E, i);
  const struct sentc_client_ip_policy ip = {E->policy->client_ip, E->policy->xff_hops};
  struct key *k = &s->keys[i];
  k->text = sentc_keys_of(h, ask->request, ask->path, &ip, s->buffer, sizeof s->buffer, &k->len);
  if (!k->text && k->len == SENTC_UNREADABLE) {
    /* Never a silent skip: the policy's on_error decides (engine.h). */
    sentc_metrics_count(&E->metrics, SENTC_HOLDER_FILTER, 0, SENTC_METRIC_ATTRIBUTES_UNAVAILABLE, 1);
    ask->retry_ms = 0;
    return sentc_core_unavailable(E) == SENTC_COMMIT_BLOCK;
  }
  if (!k->text)
    return 0;
  k->hash = sentc_hash(&E->hash_key, k->text, k->len) ^ i;
  struct change a = {.rule = h, .hash = k->hash, .now = ask->now, .index = i, .ask = ask};
  rate(h, k, &a.count, &a.window_ms);
  /* A blocked value is in use too (Sentinel's LRU moves a value up on every
   * lookup): left at its old rank, a flood of new values would evict it and
   * it would come back with a fresh bucket, escaping its limit. */
  struct sentc_hot_value fresh = {0}, *v = &fresh;
  if (sentc_hotdir_find(&s->dirs[i], k->hash) >= 0)
    v = sentc_store_view(&E->store, s->dirs[i].first_cell +
                                        (uint32_t)sentc_hotdir_use(&s->dirs[i], &E->store, k->hash));
  if (apply(v, &a) == 0)
    return 0;
  ask->retry_ms = a.retry_ms;
  return 1;
}

int sentc_hotspot_commit(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask,
                         struct sentc_effect *e) {
  struct sentc_hotspot_state *s = E->hotspot;
  const struct key *k = &s->keys[i];
  if (!k->text)
    return SENTC_COMMIT_NOTHING;
  struct change a = {.rule = rule_of(E, i), .hash = k->hash, .now = ask->now, .take = 1,
                     .index = i, .ask = ask};
  rate(a.rule, k, &a.count, &a.window_ms);
  int32_t slot = sentc_hotdir_use(&s->dirs[i], &E->store, k->hash);
  int result = sentc_core_commit(
      E, sentc_store_update(&E->store, s->dirs[i].first_cell + (uint32_t)slot, apply, &a));
  if (result != SENTC_COMMIT_OK)
    return result;
  *e = (struct sentc_effect){.kind = SENTC_KIND_HOTSPOT, .rule = i, .slot = slot, .hash = k->hash,
                             .at = a.rule->throttle ? ask->now * 1000 + a.wait_us : ask->now};
  if (a.wait_us > 0)
    ask->wait_us = a.wait_us;
  return SENTC_COMMIT_OK;
}

struct give {
  struct sentc_engine *E;
  const struct sentc_effect *effect;
  int held;                     /* a pace slot still unused */
  int undo;                     /* a token to give back */
};

static int give_back(void *value, void *arg) {
  struct give *g = arg;
  struct sentc_hot_value *v = value;
  const struct sentc_effect *e = g->effect;
  const struct sentc_hotspot *h = rule_of(g->E, e->rule);
  int permit_stays = h->mode == SENTC_HOTSPOT_CONCURRENCY && g->E->hotspot->dirs[e->rule].shared;
  if (v->hash != e->hash && !permit_stays)
    return -1;                  /* the value was forgotten meanwhile */
  if (h->mode == SENTC_HOTSPOT_CONCURRENCY) {
    if (v->in_flight > 0)
      v->in_flight--;
  } else if (h->throttle) {
    if (g->held || g->undo)
      sentc_pace_give_back(&v->pace, e->at, sentc_pace_interval_us(h->count, h->window_ms));
  } else if (g->undo) {
    v->tokens.left++;
  }
  return 0;
}

void sentc_hotspot_release(struct sentc_engine *E, const struct sentc_effect *e,
                           enum sentc_release how) {
  const struct sentc_hotspot *h = rule_of(E, e->rule);
  struct give g = {E, e, how == SENTC_RELEASE_HELD, how == SENTC_RELEASE_UNDO};
  if (h->mode != SENTC_HOTSPOT_CONCURRENCY && !g.undo && !(g.held && h->throttle))
    return;             /* a spent token or a used pace slot stays spent: no load */
  sentc_store_update(&E->store, E->hotspot->dirs[e->rule].first_cell + (uint32_t)e->slot,
                     give_back, &g);
}

SENTC_KIND_NO_COMPLETE(hotspot)
