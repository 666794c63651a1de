/*
 * check.h: from syntax tree to resolved policy, with every mistake reported.
 */
#ifndef SENTC_CHECK_H
#define SENTC_CHECK_H

#include "ast.h"
#include "ir.h"

/* Checks the statements of source file `file`; errors go to diag.  The
 * policy is complete only when diag_errors() is 0. */
struct ir_policy *check_policy(struct stmt *file_stmts, int file, struct arena *arena);

#endif
