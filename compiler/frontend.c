/*
 * frontend.c: the compiler's front end as one call (see frontend.h).
 */
#include "check.h"
#include "diag.h"
#include "frontend.h"
#include "parse.h"
#include "source.h"

struct ir_policy *frontend_check(int file, struct arena *arena) {
  struct stmt *stmts = include_expand(parse_file(file, arena), file, arena);
  return check_policy(stmts, file, arena);
}

void frontend_reset(void) {
  diag_reset();
  source_free_all();
}
