/*
 * parse.h: from source text to syntax tree (lexer.l + parser.y).
 */
#ifndef SENTC_PARSE_H
#define SENTC_PARSE_H

#include "ast.h"

#define PARSE_MAX_DEPTH 64

/* What the lexer and the parser share while reading one file. */
struct parse_ctx {
  struct arena *arena;
  int file;
  int line, col;                 /* position of the next character */
  struct loc open[PARSE_MAX_DEPTH]; /* the '{' of each open block */
  int open_indent[PARSE_MAX_DEPTH]; /* ... and the indentation of its line */
  int depth;
  int indent;                    /* the column of the line's first token, 0 before it */
  struct loc unclosed;           /* a '{' whose '}' seems missing: the '}' that
                                    closed it is indented less than its line */
  int unclosed_by;               /* the line of that '}', 0 if none seen */
  struct loc last;               /* the last token read */
  int quiet_line;                /* a line whose rest was lost to a lexical error */
  struct stmt *result;
};

/* Parses source file `file`; syntax errors go to diag.  Returns the
 * statements read (possibly partial when there were errors). */
struct stmt *parse_file(int file, struct arena *arena);

#endif
