/*
 * frontend.c: the compiler's front end as one call (see frontend.h), and
 * the bound on a policy's size that keeps its memory bounded.
 */
#include "check.h"
#include "diag.h"
#include "frontend.h"
#include "parse.h"
#include "source.h"

struct ir_policy *frontend_check(int file, struct arena *arena) {
  size_t len;
  source_text(file, &len);
  if (len > FRONTEND_MAX_POLICY_BYTES) {
    diag_error((struct loc){file, 1, 1, 1, 1}, "this policy is larger than %u MiB",
               FRONTEND_MAX_POLICY_BYTES >> 20);
    diag_hint("a policy's files, the main one and every inclusion, hold at most %u MiB "
              "together", FRONTEND_MAX_POLICY_BYTES >> 20);
    return check_policy(NULL, file, arena);
  }
  struct stmt *stmts = include_expand(parse_file(file, arena), file, arena);
  return check_policy(stmts, file, arena);
}

void frontend_reset(void) {
  diag_reset();
  source_free_all();
}
