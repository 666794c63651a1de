/*
 * statesize.c: the per-VM state budget (runtime/layout.h,
 * SENTC_STATE_BUDGET_BYTES), checked on a resolved policy with the sizes
 * --explain prints (statesize.h, each kind's `size`).  Every Envoy worker
 * keeps its own copy of this state, so a policy over the budget is an
 * error at the rule where the total crosses it, and one over a quarter of
 * it a warning, both naming the largest rule: the one to shrink first.
 */
#include <inttypes.h>
#include "diag.h"
#include "kind.h"
#include "statesize.h"

struct budget {
  uint64_t total;
  const struct ir_rule *over, *warned, *largest;
  uint64_t largest_bytes;
};

static void budget_add(struct budget *b, const struct ir_rule *rule, uint64_t bytes) {
  uint64_t before = b->total;
  b->total += bytes;
  if (before <= SENTC_STATE_BUDGET_BYTES && b->total > SENTC_STATE_BUDGET_BYTES)
    b->over = rule;
  if (before <= SENTC_STATE_WARN_BYTES && b->total > SENTC_STATE_WARN_BYTES)
    b->warned = rule;
  if (bytes > b->largest_bytes) {
    b->largest = rule;
    b->largest_bytes = bytes;
  }
}

static void budget_hint_largest(const struct budget *b) {
  diag_hint("the largest is rule '%s' of line %d (%" PRIu64 " bytes); fewer buckets, a "
            "smaller capacity or scope proxy (shared data, one copy) make it smaller",
            b->largest->name, b->largest->loc.line, b->largest_bytes);
}

void state_check_budget(const struct ir_policy *p) {
  struct budget b = {0};
  for (size_t i = 0; i < p->n_resources; i++)
    for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
      for (size_t j = p->resources[i].rules[k].first;
           j < p->resources[i].rules[k].first + p->resources[i].rules[k].n; j++)
        budget_add(&b, ir_rule_at(p, k, j), kinds[k].size(p, j).worker);
  if (b.over) {
    diag_error(b.over->loc, "the policy's state per worker passes the limit of %" PRIu64
               " bytes (%" PRIu64 " MiB) here: %" PRIu64 " bytes in all",
               (uint64_t)SENTC_STATE_BUDGET_BYTES, (uint64_t)SENTC_STATE_BUDGET_BYTES >> 20,
               b.total);
    budget_hint_largest(&b);
  } else if (b.warned) {
    diag_warning(b.warned->loc, "every Envoy worker keeps %" PRIu64 " bytes of this policy's "
                 "state (over %" PRIu64 " MiB from here; the limit is %" PRIu64 " MiB)",
                 b.total, (uint64_t)SENTC_STATE_WARN_BYTES >> 20,
                 (uint64_t)SENTC_STATE_BUDGET_BYTES >> 20);
    budget_hint_largest(&b);
  }
}
