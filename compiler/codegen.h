/*
 * codegen.h: the resolved policy as C tables for runtime/tables.h, and the
 * pieces of C that every rule kind's table is written with (kind.h).
 */
#ifndef SENTC_CODEGEN_H
#define SENTC_CODEGEN_H

#include <stdio.h>
#include "ir.h"

/* Writes the tables of `policy` as one C file; returns 0 or -1 on a write
 * error.  `source_sha256` (hex, compiler/ident.h) names the source in the
 * module's start-up log line. */
int codegen_emit(const struct ir_policy *policy, const char *source_path,
                 const char *source_sha256, FILE *out);

/* A policy line as tables.h keeps it (uint16_t). */
unsigned codegen_line(struct loc loc);

/* ", .n_FIELD = N, .FIELD = NAME" with NAME printed from fmt; nothing when
 * N is 0 (the fields a designated initializer leaves out are zero). */
void codegen_array(FILE *out, const char *field, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ".rule = {...}": the fields every rule has. */
void codegen_rule(FILE *out, const struct ir_rule *rule);

/* ".FIELD = {.window_ms = W, .buckets = K}". */
void codegen_window(FILE *out, const char *field, struct ir_window w);

#endif
