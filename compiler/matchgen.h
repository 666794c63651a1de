/*
 * matchgen.h: the C for resources' matches (tables.h, "matching").
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

/* The match in plain words for --explain, one line per condition, each
 * starting with `indent`. */
void matchgen_explain(FILE *out, const struct ir_match *m, const char *indent);

#endif
