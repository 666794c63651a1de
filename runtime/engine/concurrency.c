/*
 * concurrency.c: the concurrency rule kind (kinds.h): block when in-flight
 * requests + 1 > N.  A permit is taken at commit and given back when the
 * stream ends, however it ends.  Each rule is one cell whose in_flight is a
 * permit field (store.h), so in scope proxy a VM that disappears stops
 * holding its permits.
 */
#include <stddef.h>
#include <stdlib.h>
#include "core.h"

struct sentc_concurrency_state {
  sentc_cell *cells;
};

int sentc_concurrency_start(struct sentc_engine *E) {
  const struct sentc_policy *p = E->policy;
  struct sentc_concurrency_state *s = calloc(1, sizeof *s);
  E->concurrency = s;
  if (!s || !(s->cells = sentc_core_array(p->n_concurrency, sizeof *s->cells)))
    return -1;
  for (uint32_t i = 0; i < p->n_concurrency; i++) {
    struct sentc_permit in_flight = {offsetof(struct sentc_concurrency_cell, in_flight),
                                     p->concurrency[i].limit};
    s->cells[i] = sentc_store_reserve(&E->store, sizeof(struct sentc_concurrency_cell),
                                      p->concurrency[i].rule.scope, &in_flight, 1);
  }
  return 0;
}

void sentc_concurrency_stop(struct sentc_engine *E) {
  if (E->concurrency)
    free(E->concurrency->cells);
  free(E->concurrency);
  E->concurrency = NULL;
}

int sentc_concurrency_blocks(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask) {
  (void)ask;
  struct sentc_concurrency_cell *c = sentc_store_view(&E->store, E->concurrency->cells[i]);
  return c->in_flight + 1 > E->policy->concurrency[i].limit;
}

static int take(void *value, void *arg) {
  struct sentc_concurrency_cell *c = value;
  if (c->in_flight + 1 > *(const uint32_t *)arg)
    return -1;
  c->in_flight++;
  return 0;
}

static int give(void *value, void *arg) {
  (void)arg;
  struct sentc_concurrency_cell *c = value;
  if (c->in_flight > 0)
    c->in_flight--;
  return 0;
}

int sentc_concurrency_commit(struct sentc_engine *E, uint32_t i, struct sentc_ask *ask,
                             struct sentc_effect *e) {
  (void)ask;
  uint32_t limit = E->policy->concurrency[i].limit;
  int result = sentc_core_commit(E, sentc_store_update(&E->store, E->concurrency->cells[i], take, &limit));
  if (result == SENTC_COMMIT_OK)
    *e = (struct sentc_effect){.kind = SENTC_KIND_CONCURRENCY, .rule = i};
  return result;
}

void sentc_concurrency_release(struct sentc_engine *E, const struct sentc_effect *e,
                               enum sentc_release how) {
  (void)how;
  sentc_store_update(&E->store, E->concurrency->cells[e->rule], give, NULL);
}

SENTC_KIND_NO_COMPLETE(concurrency)
