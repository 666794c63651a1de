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

/* The largest file sentc reads as a policy; all of a policy's files
 * together, the main one and every inclusion (what bounds the compiler's
 * memory: about 50 bytes per byte in the worst case); how many inclusions
 * one policy may make, and how deep they may nest (docs/language.md,
 * "Limits"). */
#define FRONTEND_MAX_FILE_BYTES (64u << 20)
#define FRONTEND_MAX_POLICY_BYTES (8u << 20)
#define FRONTEND_MAX_INCLUSIONS 1000u
#define FRONTEND_MAX_INCLUDE_DEPTH 16

/* Parses and checks source file `file`; errors go to diag.  The policy is
 * complete only when diag_errors() is 0. */
struct ir_policy *frontend_check(int file, struct arena *arena);

/* The statements of `stmts` with each top-level include replaced by the
 * statements of the file it names (include.c). */
struct stmt *include_expand(struct stmt *stmts, int file, struct arena *arena);

/* Forgets every diagnostic and source file: back to a fresh process. */
void frontend_reset(void);

#endif
