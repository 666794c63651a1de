/*
 * runner.c: run_suite and run_tests (see runner.h).
 */
#include <stdlib.h>
#include "runner.h"

int run_suite(Suite *suite) {
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int run_tests(const char *name, void (*setup)(void), void (*teardown)(void),
              const TTest *const *tests) {
  Suite *s = suite_create(name);
  TCase *t = tcase_create(name);
  if (setup || teardown)
    tcase_add_checked_fixture(t, setup, teardown);
  for (; *tests; tests++)
    tcase_add_test(t, *tests);
  suite_add_tcase(s, t);
  return run_suite(s);
}
