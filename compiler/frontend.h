/*
 * frontend.h: from a loaded policy file to a checked policy: parse, expand
 * includes, check, resolve.  Used by sentc and by the fuzzer, which calls
 * it again and again in one process: it keeps no state of its own between
 * calls (diag and the source table are reset by the caller, see
 * frontend_reset).
 */
#ifndef SENTC_FRONTEND_H
#define SENTC_FRONTEND_H

#include "ast.h"
#include "ir.h"

/* The largest policy file, main or included. */
#define FRONTEND_MAX_FILE_BYTES (64u << 20)

/* Parses and checks source file `file`; errors go to diag.  The policy is
 * complete only when diag_errors() is 0. */
struct ir_policy *frontend_check(int file, struct arena *arena);

/* The statements of `stmts` with each top-level include replaced by the
 * statements of the file it names (include.c). */
struct stmt *include_expand(struct stmt *stmts, int file, struct arena *arena);

/* Forgets every diagnostic and source file: back to a fresh process. */
void frontend_reset(void);

#endif
