/*
 * kind.h: what the compiler does for each rule kind: the same operations
 * for every kind, all of kind `k`'s in compiler/<k>.c, listed in the
 * registry's order (runtime/tables.h, SENTC_RULE_KINDS) by `kinds` below,
 * which kind.c fills from the registry.  So the checker, the resolver, the
 * warnings, --explain, the state sizes and codegen loop over kinds and
 * never name one.
 *
 *   check:   the resource statement (`flow 100/s { ... }`, schema.h): reads
 *            it into a new rule of the kind, reporting what is wrong;
 *   settle:  once every name is resolved: what needs the whole policy (a
 *            TCP resource's flow rule cannot throttle);
 *   default_name: the rule's default name (it has no `name`), made of what the
 *            rule is, never of where it stands or of its thresholds, so that
 *            adding a rule or changing a limit renames no metric series
 *            ("flow", "flow_1m", "hotspot_x-user-id", "breaker_error_ratio");
 *   warn:    the warnings a resource's rules of this kind can earn (a rule
 *            another always makes unreachable), in a policy without errors;
 *   size:    the state one rule takes at run time (statesize.h);
 *   explain: one rule in plain words for --explain, with its state;
 *   emit:    the kind's table, `static const struct sentc_<k> <k>[]`, in
 *            designated initializers (codegen.h).
 */
#ifndef SENTC_KIND_H
#define SENTC_KIND_H

#include <stdio.h>
#include "ir.h"
#include "schema.h"
#include "statesize.h"

struct kind_ops {
  const char *name;          /* its keyword */
  const char *constant;      /* its enum constant in C: "SENTC_KIND_FLOW" */
  const char *example;       /* a statement of it: "flow 100/s;" */
  int tcp;                   /* a `match tcp` resource may have it */
  int status, grpc_status;   /* its built-in fallback's answer */
  check_fn *check;
  void (*settle)(struct ir_policy *p, const struct ir_resource *r, size_t rule);
  void (*default_name)(const struct ir_policy *p, size_t rule, char *out, size_t room);
  void (*warn)(const struct ir_policy *p, const struct ir_resource *r);
  struct state_bytes (*size)(const struct ir_policy *p, size_t rule);
  struct state_bytes (*explain)(FILE *out, const struct ir_policy *p, size_t rule);
  void (*emit)(FILE *out, const struct ir_policy *p);
};

/* Indexed by enum sentc_kind, in the registry's (checking) order. */
extern const struct kind_ops kinds[SENTC_N_RULE_KINDS];

/* Each kind's file also has the schema of its rule's block, k_block, and
 * an example of the statement, k_example ("flow 100/s;"). */
#define KIND_DECLARE(K, k, status, grpc, tcp)                                          \
  extern const struct schema_block k##_block;                                          \
  extern const char k##_example[];                                                     \
  void k##_check(void *ctx, const struct stmt *s);                                     \
  void k##_settle(struct ir_policy *p, const struct ir_resource *r, size_t rule);      \
  void k##_name(const struct ir_policy *p, size_t rule, char *out, size_t room);       \
  void k##_warn(const struct ir_policy *p, const struct ir_resource *r);               \
  struct state_bytes k##_size(const struct ir_policy *p, size_t rule);                 \
  struct state_bytes k##_explain(FILE *out, const struct ir_policy *p, size_t rule);   \
  void k##_emit(FILE *out, const struct ir_policy *p);
SENTC_RULE_KINDS(KIND_DECLARE)
#undef KIND_DECLARE

/* A kind with nothing to settle, or nothing to warn of, defines that
 * operation with these. */
#define KIND_NOTHING_TO_SETTLE(k)                                                      \
  void k##_settle(struct ir_policy *p, const struct ir_resource *r, size_t rule) {     \
    (void)p, (void)r, (void)rule;                                                      \
  }
/* Writes "PREFIX" then each of `parts` (NULL-terminated) after a '_', with
 * every character a metric name does not take made '_' (check_resolve.c). */
void kind_default_name(char *out, size_t room, const char *prefix, const char *const *parts);

#define KIND_NOTHING_TO_WARN(k)                                                        \
  void k##_warn(const struct ir_policy *p, const struct ir_resource *r) { (void)p, (void)r; }

/* Rules of a resource that compete: within a group (same counter, scope,
 * window...), the lower limit blocks first, and of equal ones the first in
 * the file; a rule that another of its group stops (ir_rule_stops) can
 * never block. */
struct kind_rival {
  uint64_t group[3];
  uint64_t limit;
  size_t index;              /* in its kind's array: file order */
  const struct ir_rule *rule;
  int unreachable;           /* set by kind_warn_unreachable */
  const struct kind_rival *by;
};

/* Warns "this KIND rule can never block" on each unreachable rival, in
 * file order, with hint(by) saying what stops it; sorts `rivals` first
 * (n log n, whatever the number of rules). */
void kind_warn_unreachable(struct kind_rival *rivals, size_t n, const char *kind,
                           void (*hint)(const struct kind_rival *by));

#endif
