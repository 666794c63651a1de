/*
 * ast.h: the syntax tree of a .sentinel file.
 *
 * The grammar is deliberately uniform: every statement is a keyword, a list
 * of arguments, and either ';' or a block of statements.  The parser only
 * builds this shape; which keywords exist where, and what arguments they
 * take, is the checker's business (check.c, from its schema).  So the
 * language grows by adding schema rows, not grammar rules, and errors about
 * misplaced or misspelled keywords can name what was allowed there.
 *
 * All nodes live in an arena freed at once when compilation ends.
 */
#ifndef SENTC_AST_H
#define SENTC_AST_H

#include <stddef.h>
#include <stdint.h>

/* A span of source text: 1-based line and columns, end exclusive. */
struct loc {
  int file;            /* index into the source table (source.h) */
  int line, col;
  int end_line, end_col;
};

enum value_kind {
  V_NAME, V_STRING, V_INT, V_NUMBER, V_PERCENT, V_DURATION, V_RATE, V_RANGE
};

struct value {
  enum value_kind kind;
  struct loc loc;
  char *text;          /* V_NAME, V_STRING: the (unescaped) text */
  size_t text_len;     /* strings may hold NUL bytes from \x00 */
  double number;       /* V_INT, V_NUMBER; V_PERCENT as a ratio (50% = 0.5) */
  int64_t ms;          /* V_DURATION; V_RATE: the window */
  int64_t lo, hi;      /* V_RANGE */
  int bad;             /* already reported by the lexer: say nothing more */
  struct value *next;  /* next argument of the same statement */
};

struct stmt {
  struct loc loc;      /* the keyword */
  char *keyword;
  struct value *args;  /* linked by value.next */
  int has_block;
  struct stmt *body;   /* first statement of the block */
  struct stmt *next;   /* next statement at the same level */
};

struct arena;
struct arena *arena_new(void);
void arena_free(struct arena *arena);
void *arena_alloc(struct arena *arena, size_t size);   /* zeroed */
char *arena_strndup(struct arena *arena, const char *s, size_t len);
/* Appends a zeroed element to a growable array of `size`-byte elements
 * (*array, *n used, *cap allocated) and returns it. */
void *arena_push(struct arena *arena, void *array, size_t *n, size_t *cap, size_t size);

const char *value_kind_name(enum value_kind kind);

#endif
