/*
 * fuzz_frontend.c: libFuzzer target for the compiler's front end (lexer,
 * parser, includes, checker) and, for inputs that check clean, --explain.  Every input must end in diagnostics or tables: no crash, no
 * leak, no hang.  It calls the front end again and again in one process,
 * which is what keeps the front end free of state left behind.
 *
 * Includes and `body file` name paths relative to "fuzz.sentinel": run it
 * in an empty directory (tests/fuzz/run does).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "ast.h"
#include "diag.h"
#include "explain.h"
#include "frontend.h"
#include "source.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink) {
    sink = fopen("/dev/null", "w");
    if (!sink)
      return 0;
    diag_set_output(sink);
  }
  char *text = xmalloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  int file = source_add("fuzz.sentinel", text, size);
  struct arena *arena = arena_new();
  struct ir_policy *policy = frontend_check(file, arena);
  if (diag_errors() == 0) {
    explain_policy(policy, sink);
  }
  arena_free(arena);
  frontend_reset();
  return 0;
}
