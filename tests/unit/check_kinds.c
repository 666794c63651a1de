/*
 * check_kinds.c: unit tests of the registry of rule kinds (runtime/tables.h,
 * SENTC_RULE_KINDS) on the compiler's side, so that a kind missing from any
 * table fails here: every kind has all its operations and its example; the
 * resource block takes it; every keyword of every block of the language,
 * the kinds' own included, has a home for the "goes in" hint; and each
 * kind's example goes through the whole compiler: checked without a
 * diagnostic (or, on a TCP resource, refused exactly when the registry
 * says so), explained, sized and written as its own table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "codegen.h"
#include "diag.h"
#include "explain.h"
#include "frontend.h"
#include "kind.h"
#include "schema.h"
#include "source.h"
#include "runner.h"

static const char *const registry_names[] = {
#define NAME(K, k, status, grpc, tcp) #k,
  SENTC_RULE_KINDS(NAME)
#undef NAME
};

START_TEST(every_kind_has_every_operation) {
  ck_assert_int_eq(SENTC_N_RULE_KINDS, sizeof registry_names / sizeof registry_names[0]);
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    ck_assert_str_eq(kinds[k].name, registry_names[k]);
    ck_assert_ptr_nonnull(kinds[k].check);
    ck_assert_ptr_nonnull(kinds[k].settle);
    ck_assert_ptr_nonnull(kinds[k].warn);
    ck_assert_ptr_nonnull(kinds[k].size);
    ck_assert_ptr_nonnull(kinds[k].explain);
    ck_assert_ptr_nonnull(kinds[k].emit);
    ck_assert_ptr_nonnull(kinds[k].example);
    ck_assert(strncmp(kinds[k].example, kinds[k].name, strlen(kinds[k].name)) == 0);
  }
}
END_TEST

static const struct schema_rule *row(const struct schema_block *b, const char *keyword) {
  for (const struct schema_rule *r = b->rules; r->keyword; r++)
    if (strcmp(r->keyword, keyword) == 0)
      return r;
  return NULL;
}

START_TEST(a_resource_takes_every_kind) {
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    const struct schema_rule *r = row(&resource_block, kinds[k].name);
    ck_assert_msg(r && r->check == kinds[k].check, "the resource block lacks '%s'",
                  kinds[k].name);
  }
}
END_TEST

START_TEST(every_keyword_has_a_home) {
  int blocks = 0;
  for (const struct schema_block *const *b = schema_blocks; *b; b++, blocks++)
    for (const struct schema_rule *r = (*b)->rules; r->keyword; r++)
      ck_assert_msg(schema_home(r->keyword), "'%s' of %s has no home in schema.c",
                    r->keyword, (*b)->what);
  ck_assert_int_eq(blocks, 8 + SENTC_N_RULE_KINDS);
  ck_assert_ptr_null(schema_home("flwo"));
}
END_TEST

/* Checks `text` as a policy file; returns the number of errors, with the
 * policy, the diagnostics, --explain's words and the generated C. */
struct compiled {
  int errors;
  char *diagnostics, *explained, *code;
};

static struct compiled compile(const char *text) {
  struct compiled c = {0};
  size_t diag_len, explain_len, code_len;
  FILE *diag = open_memstream(&c.diagnostics, &diag_len);
  diag_set_output(diag);
  int file = source_add("kinds.sentinel", strdup(text), strlen(text));
  struct arena *arena = arena_new();
  struct ir_policy *policy = frontend_check(file, arena);
  diag_flush();
  fclose(diag);
  c.errors = diag_errors();
  if (c.errors == 0) {
    FILE *out = open_memstream(&c.explained, &explain_len);
    explain_policy(policy, out);
    fclose(out);
    out = open_memstream(&c.code, &code_len);
    ck_assert_int_eq(codegen_emit(policy, "kinds.sentinel", "0123abcd", out), 0);
    fclose(out);
  }
  arena_free(arena);
  frontend_reset();
  return c;
}

static void release(struct compiled *c) {
  free(c->diagnostics);
  free(c->explained);
  free(c->code);
}

START_TEST(every_kind_goes_through_the_compiler) {
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    char text[512], want[128];
    snprintf(text, sizeof text, "resource r {\n  match { path prefix \"/r\"; }\n  %s\n}\n",
             kinds[k].example);
    struct compiled c = compile(text);
    ck_assert_msg(c.errors == 0 && c.diagnostics[0] == 0, "%s: %s", kinds[k].name,
                  c.diagnostics);
    /* The rule's default name starts with its kind's. */
    snprintf(want, sizeof want, "\n    %s", kinds[k].name);
    const char *rule = strstr(c.explained, want);
    ck_assert_msg(rule && strstr(rule, " (line 3): "), "--explain says nothing of %s",
                  kinds[k].name);
    snprintf(want, sizeof want, "static const struct sentc_%s %s[] = {", kinds[k].name,
             kinds[k].name);
    ck_assert_msg(strstr(c.code, want), "no table for %s", kinds[k].name);
    snprintf(want, sizeof want, "[%s] = {0, 1}", kinds[k].constant);
    ck_assert_msg(strstr(c.code, want), "the resource has no slice of %s", kinds[k].name);
    snprintf(want, sizeof want, ".n_%s = 1, .%s = %s,", kinds[k].name, kinds[k].name,
             kinds[k].name);
    ck_assert_msg(strstr(c.code, want), "the policy does not point at the %s table",
                  kinds[k].name);
    release(&c);
  }
}
END_TEST

START_TEST(a_tcp_resource_takes_the_kinds_the_registry_says) {
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    char text[512];
    snprintf(text, sizeof text, "resource db {\n  match tcp { port 5432; }\n  %s\n}\n",
             strcmp(kinds[k].name, "flow") == 0 ? "flow 100/s;" : kinds[k].example);
    struct compiled c = compile(text);
    ck_assert_msg(c.errors == (kinds[k].tcp ? 0 : 1), "%s on TCP: %s", kinds[k].name,
                  c.diagnostics);
    if (!kinds[k].tcp)
      ck_assert(strstr(c.diagnostics, "a TCP resource takes only flow and concurrency rules"));
    release(&c);
  }
}
END_TEST

int main(void) {
  return run_tests("kinds", NULL, NULL, (const TTest *const[]){
    every_kind_has_every_operation,
    a_resource_takes_every_kind,
    every_keyword_has_a_home,
    every_kind_goes_through_the_compiler,
    a_tcp_resource_takes_the_kinds_the_registry_says,
    NULL,
  });
}
