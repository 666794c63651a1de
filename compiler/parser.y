/*
 * parser.y: the grammar of .sentinel files.
 *
 * Uniform on purpose (see ast.h): a file is a list of statements, and a
 * statement is a keyword, arguments (optionally separated by commas), and
 * either ';' or a block.  Error recovery is at statement level: a bad
 * statement is skipped to its ';' or to the '}' that closes its block, so
 * one mistake gives one message and the rest of the file is still checked.
 * A statement missing its ';' just before a '}' is accepted with an error,
 * since that is the most common slip and needs no recovery at all.
 */
%code requires {
#include "ast.h"
typedef void *yyscan_t;
struct parse_ctx;
#define YYLTYPE struct loc
}

%code {
#include <string.h>
#include "diag.h"
#include "parse.h"

int yylex(YYSTYPE *yylval, struct loc *yylloc, yyscan_t scanner);
static void yyerror(struct loc *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg);
static struct stmt *statement(struct parse_ctx *ctx, struct value *keyword,
                              struct value *args, int has_block, struct stmt *body);

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
  do {                                                                \
    if (N) {                                                          \
      (Cur) = YYRHSLOC(Rhs, 1);                                       \
      (Cur).end_line = YYRHSLOC(Rhs, N).end_line;                     \
      (Cur).end_col = YYRHSLOC(Rhs, N).end_col;                       \
    } else {                                                          \
      (Cur) = YYRHSLOC(Rhs, 0);                                       \
      (Cur).line = (Cur).end_line;                                    \
      (Cur).col = (Cur).end_col;                                      \
    }                                                                 \
  } while (0)
}

%define api.pure full
%define parse.error custom
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct parse_ctx *ctx}

%union {
  struct value *value;
  struct stmt *stmt;
  struct { struct value *first, *last; } args;
  struct { struct stmt *first, *last; } stmts;
}

%token <value> NAME "a keyword or name"
%token <value> STRING "a string"
%token <value> INT "an integer"
%token <value> NUMBER "a number"
%token <value> PERCENT "a percentage"
%token <value> DURATION "a duration"
%token <value> RATE "a rate"
%token <value> RANGE "a range"

%type <value> arg
%type <args> args
%type <stmt> stmt
%type <stmts> top_stmts stmts block_body

%%

file
  : top_stmts                   { ctx->result = $1.first; }
  ;

/* Top-level statements; a '}' here closes nothing and is skipped alone. */
top_stmts
  : %empty                      { $$.first = $$.last = NULL; }
  | top_stmts stmt              { $$ = $1;
                                  if ($2) {
                                    if ($$.last) $$.last->next = $2; else $$.first = $2;
                                    $$.last = $2;
                                  } }
  | top_stmts '}'               { $$ = $1;
                                  diag_error(@2, "this '}' closes no block"); }
  ;

stmts
  : %empty                      { $$.first = $$.last = NULL; }
  | stmts stmt                  { $$ = $1;
                                  if ($2) {
                                    if ($$.last) $$.last->next = $2; else $$.first = $2;
                                    $$.last = $2;
                                  } }
  ;

stmt
  : NAME args ';'               { $$ = statement(ctx, $1, $2.first, 0, NULL); }
  | NAME args '{' block_body '}'
                                { $$ = statement(ctx, $1, $2.first, 1, $4.first); }
  | NAME args '{' stmts error '}'
                                { $$ = statement(ctx, $1, $2.first, 1, $4.first); yyerrok; }
  | ';'                         { $$ = NULL;
                                  diag_warning(@1, "stray ';' ignored");
                                  diag_hint("remove it: a block's '}' needs no ';' after it"); }
  | error ';'                   { $$ = NULL; yyerrok; }
  ;

/* The statements of a block; the last may lack its ';' (reported). */
block_body
  : stmts
  | stmts NAME args             { struct loc at = @3.line ? @3 : @2;
                                  at.line = at.end_line; at.col = at.end_col; at.end_col++;
                                  if (at.line != ctx->quiet_line)
                                    diag_error(at, "expected ';' at the end of '%s'", $2->text);
                                  struct stmt *s = statement(ctx, $2, $3.first, 0, NULL);
                                  $$ = $1;
                                  if ($$.last) $$.last->next = s; else $$.first = s;
                                  $$.last = s; }
  ;

args
  : %empty                      { $$.first = $$.last = NULL; }
  | args arg                    { $$ = $1;
                                  if ($$.last) $$.last->next = $2; else $$.first = $2;
                                  $$.last = $2; }
  | args ',' arg                { $$ = $1;
                                  if ($$.last) $$.last->next = $3; else $$.first = $3;
                                  $$.last = $3; }
  ;

arg: NAME | STRING | INT | NUMBER | PERCENT | DURATION | RATE | RANGE ;

%%

static struct stmt *statement(struct parse_ctx *ctx, struct value *keyword,
                              struct value *args, int has_block, struct stmt *body) {
  struct stmt *s = arena_alloc(ctx->arena, sizeof *s);
  s->loc = keyword->loc;
  s->keyword = keyword->text;
  s->args = args;
  s->has_block = has_block;
  s->body = body;
  return s;
}

static void yyerror(struct loc *loc, yyscan_t scanner, struct parse_ctx *ctx, const char *msg) {
  (void)scanner;
  (void)ctx;
  /* Only bison's own "memory exhausted" arrives here (parse.error custom). */
  diag_error(*loc, "%s: the file nests too deeply", msg);
}

/* "unexpected X; expected Y or Z", with the usual slips said plainly. */
static int yyreport_syntax_error(const yypcontext_t *pc, yyscan_t scanner,
                                 struct parse_ctx *ctx) {
  (void)scanner;
  struct loc loc = *yypcontext_location(pc);
  yysymbol_kind_t got = yypcontext_token(pc);
  yysymbol_kind_t expected[8];
  int n = yypcontext_expected_tokens(pc, expected, 8);

  if (got == YYSYMBOL_YYEOF && ctx->depth > 0 && ctx->unclosed_by) {
    diag_error(ctx->unclosed, "this '{' is never closed");
    diag_hint("add a '}' to end the block: the '}' on line %d is indented like the block "
              "around it", ctx->unclosed_by);
    return 0;
  }
  if (got == YYSYMBOL_YYEOF && ctx->depth > 0) {
    int open = ctx->depth <= PARSE_MAX_DEPTH ? ctx->depth - 1 : PARSE_MAX_DEPTH - 1;
    diag_error(ctx->open[open], "this '{' is never closed");
    diag_hint("add a '}' to end the block");
    return 0;
  }
  if (loc.line == ctx->quiet_line)
    return 0;                    /* the lexer has said what went wrong here */
  const char *what = got == YYSYMBOL_YYEOF ? "end of file" : yysymbol_name(got);
  if (got == YYSYMBOL_NAME || got == YYSYMBOL_STRING || got == YYSYMBOL_INT ||
      got == YYSYMBOL_NUMBER || got == YYSYMBOL_PERCENT || got == YYSYMBOL_DURATION ||
      got == YYSYMBOL_RATE || got == YYSYMBOL_RANGE) {
    diag_error(loc, "expected a statement here, found %s", what);
    diag_hint("a statement starts with a keyword, such as 'resource' or 'flow'");
    return 0;
  }
  if (n <= 0 || n > 4) {
    diag_error(loc, "unexpected %s", what);
    return 0;
  }
  char list[256] = "";
  for (int i = 0; i < n; i++) {
    strcat(list, i == 0 ? "" : i == n - 1 ? " or " : ", ");
    strcat(list, expected[i] == YYSYMBOL_YYEOF ? "end of file" : yysymbol_name(expected[i]));
  }
  diag_error(loc, "unexpected %s; expected %s", what, list);
  return 0;
}
