/*
 * explain.h: `sentc --explain`: the resolved policy in plain words.
 */
#ifndef SENTC_EXPLAIN_H
#define SENTC_EXPLAIN_H

#include <stdio.h>
#include "ir.h"

/* Each resource with its match, every rule with its effective options,
 * fallback and counter scope, and an estimate of the state's memory. */
void explain_policy(const struct ir_policy *p, FILE *out);

#endif
