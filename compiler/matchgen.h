/*
 * matchgen.h: the C for resources' matches (tables.h, "matching"): each
 * resource's own `struct sentc_match`, and the policy's compiled matcher
 * that finds a request's resources in one walk (dfa.h).
 */
#ifndef SENTC_MATCHGEN_H
#define SENTC_MATCHGEN_H

#include <stdio.h>
#include "ir.h"

/* The arrays resource `index`'s match refers to; written before the
 * resources table. */
void matchgen_emit_arrays(FILE *out, const struct ir_match *m, size_t index);

/* The `struct sentc_match` initializer of resource `index`. */
void matchgen_emit_match(FILE *out, const struct ir_match *m, size_t index);

/* The policy's `struct sentc_matcher matcher` and its arrays, written
 * after the resources table.  When the paths would need an automaton too
 * large to ship, it says so on stderr and lists every HTTP resource as a
 * candidate for every request instead (the runtime then tests them one by
 * one). */
void matchgen_emit_matcher(FILE *out, const struct ir_policy *p);

/* The match in plain words for --explain, one line per condition, each
 * starting with `indent`. */
void matchgen_explain(FILE *out, const struct ir_match *m, const char *indent);

/* The compiled matcher in a few lines for --explain: how resources are
 * found and how big the automata are. */
void matchgen_explain_matcher(FILE *out, const struct ir_policy *p, const char *indent);

#endif
