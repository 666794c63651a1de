/*
 * ratelimit.h: scope cluster in the compiler (docs/cluster.md): what the
 * rate-limit service can count and the diagnostics for what it cannot,
 * the policy's ratelimit_service settled, and every cluster rule's
 * descriptor, the one function the tables (codegen) and the service's
 * configuration (deploy_ratelimit.c, --ratelimit-config) are both written
 * from, so that what the filter sends is what the service is configured
 * for.
 */
#ifndef SENTC_RATELIMIT_H
#define SENTC_RATELIMIT_H

#include <stdio.h>
#include "ir.h"

/* The service's unit of a window (exactly one second, minute, hour or
 * day), or SENTC_RLS_UNKNOWN. */
enum sentc_rls_unit ratelimit_unit(uint32_t window_ms);
/* The unit's word ("second") and length in seconds. */
const char *ratelimit_unit_word(enum sentc_rls_unit unit);
uint32_t ratelimit_unit_seconds(enum sentc_rls_unit unit);

/* For the kinds' settle (kind.h), on a cluster rule: a rate `count` per
 * `window_ms` the service cannot count (its window is no unit) is
 * reported at `loc`, with the rate that would map; `what` names it ("the
 * rule's rate", "item \"x\"'s rate").  Returns 1 when it maps. */
int ratelimit_rate_maps(struct loc loc, const char *what, uint32_t count, uint32_t window_ms);
/* Reports option `option` of a cluster rule, at `loc`, with why the
 * service cannot do it. */
void ratelimit_refuse(struct loc loc, const char *option, const char *why);

/* Once every rule is settled: the kinds that cannot have scope cluster
 * (kind.h, no_cluster), a cluster rule without a ratelimit_service, the
 * service's defaults (domain: the policy's name; on_error: the
 * policy's).  check_resolve.c calls it; ratelimit_warn is check_warn.c's. */
void ratelimit_resolve(struct ir_policy *p);
void ratelimit_warn(const struct ir_policy *p);

/* Whether the policy has a rule in scope cluster. */
int ratelimit_used(const struct ir_policy *p);

/* One cluster rule's descriptor: the entries resource = RESOURCE and
 * rule = RULE (each value spelled by sentc_rls_value), then for a hotspot
 * the entry "value" with the request's value; the rule's rate. */
#define RATELIMIT_ENTRIES 2
struct ratelimit_entry {
  const char *key;
  char value[SENTC_RLS_VALUE_MAX];
  size_t len;
};
struct ratelimit_descriptor {
  enum sentc_kind kind;
  size_t rule;                 /* in its kind's array */
  const struct ir_resource *resource;
  struct ratelimit_entry entries[RATELIMIT_ENTRIES];
  const char *value_key;       /* hotspot: "value"; flow: NULL */
  uint32_t count, window_ms;
};

/* Every cluster rule's descriptor, flow rules then hotspot rules, each in
 * its array's order (the order of tables.h's sentc_rls.descriptors);
 * returns how many, in *out (free it). */
size_t ratelimit_descriptors(const struct ir_policy *p, struct ratelimit_descriptor **out);

/* Codegen: the descriptors' tables, and the policy's `.rls = {...}`. */
void ratelimit_emit_tables(FILE *out, const struct ir_policy *p);
void ratelimit_emit_policy(FILE *out, const struct ir_policy *p);

/* --explain: the service, and what counting a cluster rule's limit
 * (`count` per `window_ms`) in the service's fixed windows means, a line
 * of its own after the rule's first. */
void ratelimit_explain_service(FILE *out, const struct ir_policy *p);
void ratelimit_explain_rule(FILE *out, uint32_t count, uint32_t window_ms);

#endif
