/*
 * schema.h: what may stand where, and the argument checks every statement
 * uses.
 *
 * The grammar accepts any keyword anywhere (ast.h); a block kind's schema
 * is the table of statements it allows, each with the function that checks
 * one such statement.  check_block walks a block against its schema and
 * reports the rest: misplaced keywords name the block they belong in,
 * misspelled ones get a did-you-mean.  check.c and check_match.c both build
 * on it.
 */
#ifndef SENTC_SCHEMA_H
#define SENTC_SCHEMA_H

#include "ast.h"

typedef void check_fn(void *ctx, const struct stmt *s);

struct schema_rule {
  const char *keyword;
  check_fn *check;
};

struct schema_block {
  const char *what;              /* "a resource", "the top level" */
  const struct schema_rule *rules; /* ends with {NULL, NULL} */
};

/* Every block of the language (check.c), NULL-terminated: the kinds of
 * blocks and what may stand in them. */
extern const struct schema_block top_block, policy_block, system_block,
    ratelimit_service_block, fallback_block, resource_block, http_block, tcp_block;
extern const struct schema_block *const schema_blocks[];

/* Where a keyword belongs, in words ("a resource or the system block"),
 * or NULL for a word that is no keyword of the language. */
const char *schema_home(const char *keyword);

/* Checks each statement of a block with its schema row; ctx goes to them. */
void check_block(void *ctx, const struct stmt *body, const struct schema_block *kind);

/* The same for a block where each statement may appear once, except those
 * in `repeatable` (NULL-terminated): a repeated one is reported, not checked. */
void check_block_once(void *ctx, const struct stmt *body, const struct schema_block *kind,
                      const char *const *repeatable);

/* Did the lexer already report one of the arguments?  (Say nothing more.) */
int args_bad(const struct stmt *s);

/* Reports `extra`, an argument past the last one the statement takes;
 * returns 1 when there is none. */
int args_done(const struct stmt *s, const struct value *extra);

/* Reports a missing argument or one of the wrong kind (a NAME is also
 * accepted as a quoted STRING); returns 1 when v is of `kind`. */
int arg_need(const struct stmt *s, const struct value *v, enum value_kind kind,
             const char *example);

int stmt_no_block(const struct stmt *s);
int stmt_need_block(const struct stmt *s);

#endif
