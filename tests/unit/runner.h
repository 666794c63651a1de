/*
 * runner.h: the one main() every Check test program would otherwise repeat:
 * run a suite, report, and turn the failures into the exit status.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <check.h>

/* Runs every test of `suite` (and frees it): EXIT_SUCCESS if all passed. */
int run_suite(Suite *suite);

/* A suite `name` of one case: the NULL-terminated `tests`, each with the
 * fixture `setup`/`teardown` around it (either may be NULL), run as by
 * run_suite. */
int run_tests(const char *name, void (*setup)(void), void (*teardown)(void),
              const TTest *const *tests);

#endif
