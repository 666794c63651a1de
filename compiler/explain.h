/*
 * explain.h: `sentc --explain`: the resolved policy in plain words, and
 * the phrases every rule kind's explanation is made of (kind.h).
 */
#ifndef SENTC_EXPLAIN_H
#define SENTC_EXPLAIN_H

#include <stdio.h>
#include "ir.h"
#include "statesize.h"

/* Each resource with its match, every rule with its effective options,
 * fallback and counter scope, and the state's memory. */
void explain_policy(const struct ir_policy *p, FILE *out);

/* "500ms", "1.5s", "2m": a duration as the policy language writes it. */
void explain_ms(FILE *out, uint32_t ms);

/* "1s (2 buckets of 500ms)". */
void explain_window(FILE *out, struct ir_window w);

/* The line every rule ends with (its text so far ends its own line): its
 * counters' scope, its fallback (with the kind's defaults), its state. */
struct state_bytes explain_rule_tail(FILE *out, const struct ir_policy *p, enum sentc_kind kind,
                                     const struct ir_rule *r, struct state_bytes bytes);

#endif
