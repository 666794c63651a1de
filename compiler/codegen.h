/*
 * codegen.h: the resolved policy as C tables for runtime/tables.h.
 */
#ifndef SENTC_CODEGEN_H
#define SENTC_CODEGEN_H

#include <stdio.h>
#include "ir.h"

/* Writes the tables of `policy` as one C file; returns 0 or -1 on a write error. */
int codegen_emit(const struct ir_policy *policy, const char *source_path, FILE *out);

#endif
