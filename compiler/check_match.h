/*
 * check_match.h: a resource's `match` statement, checked into an ir_match.
 */
#ifndef SENTC_CHECK_MATCH_H
#define SENTC_CHECK_MATCH_H

#include "ast.h"
#include "ir.h"

/* Checks one `match { ... }` (or `match tcp { ... }`) statement into m,
 * whose loc is the resource's until a match has been seen. */
void check_match(struct arena *arena, const struct stmt *s, struct ir_match *m);

#endif
