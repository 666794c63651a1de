/*
 * check_ctx.h: what the checker's files share while checking one policy.
 *
 * The checker is split by concern (check.c: top level and resources;
 * check_policy.c, check_fallback.c, check_match.c: one construct each;
 * check_rules.c: what every rule shares, and each rule kind's own file,
 * kind.h; check_resolve.c and check_warn.c: the passes after every
 * statement has been read).  Names may be used before they are defined, so
 * a statement that names a fallback or a resource records a `ref` and
 * check_resolve.c settles it at the end.
 */
#ifndef SENTC_CHECK_CTX_H
#define SENTC_CHECK_CTX_H

#include "ast.h"
#include "ir.h"

/* A rule's fallback before resolution: take the resource's or policy's. */
#define FALLBACK_INHERIT (-2)

/* What a reference names, and whose field it fills in: the policy's or a
 * resource's default fallback, or a rule's fallback or (a flow rule's
 * `of`, the one reference to a resource) resource. */
enum ref_kind { REF_FALLBACK, REF_RESOURCE };
enum ref_owner { OWN_POLICY, OWN_RESOURCE, OWN_RULE };

struct ref {
  enum ref_kind kind;
  enum ref_owner owner;
  enum sentc_kind rule_kind;   /* OWN_RULE: the rule's kind */
  size_t index;                /* of the owner in its policy-wide array */
  const struct value *name;
};

/* Names to indices, so 10,000 resources do not cost 10,000^2 compares. */
struct name_table {
  struct { const char *text; size_t len; int index; } *slots;
  size_t n, cap;
};

struct checker {
  struct arena *arena;
  struct ir_policy *policy;
  struct {
    size_t resources, fallbacks, refs;
    size_t rules[SENTC_N_RULE_KINDS];
    size_t items;                /* of the hotspot being checked */
  } cap;
  struct ir_resource *resource;   /* the resource being checked, or NULL */
  const struct stmt *resource_fallback; /* its `fallback` statement, once seen */
  struct ir_rule *rule;           /* the rule whose block is being checked */
  enum sentc_kind rule_kind;      /* ... its kind */
  size_t rule_index;              /* ... and its index in its kind's array */
  const struct stmt *policy_stmt;
  struct ref *refs;
  size_t n_refs;
  struct name_table resource_names, fallback_names;
};

/* check_names.c */
int names_find(const struct name_table *t, const char *text, size_t len);
/* Where the index of `text` is kept (to change it), or NULL. */
int *names_index(struct name_table *t, const char *text, size_t len);
void names_add(struct arena *arena, struct name_table *t, const char *text, size_t len,
               int index);
/* A reference by the policy, a resource, or (OWN_RULE) the rule being
 * checked. */
void ref_add(struct checker *c, enum ref_kind kind, enum ref_owner owner, size_t index,
             const struct value *name);
/* Checks a NAME argument: 1 to 128 characters fit for metric names. */
int valid_name(const struct value *v);

/* check_policy.c */
void check_policy_stmt(void *ctx, const struct stmt *s);

/* check_fallback.c: a top-level `fallback NAME { ... }`, and a resource's
 * `fallback NAME;` or inline `fallback { ... }`. */
void check_fallback_def(void *ctx, const struct stmt *s);
void check_resource_fallback(void *ctx, const struct stmt *s);

/* check_rules.c: what every rule shares.  rule_begin appends a rule of
 * `kind` (its fields zeroed) to the policy and to the resource being
 * checked, names it, and makes it the rule whose block is checked next;
 * it returns the rule, which the kind's file fills in.  rule_end ends
 * its block. */
void *rule_begin(struct checker *c, enum sentc_kind kind, const struct stmt *s);
void rule_end(struct checker *c);
/* The rule being checked, as its kind's struct. */
void *rule_current(struct checker *c);
void check_rule_name(void *ctx, const struct stmt *s);
void check_rule_mode(void *ctx, const struct stmt *s);
void check_rule_scope(void *ctx, const struct stmt *s);
void check_rule_fallback(void *ctx, const struct stmt *s);
/* The largest bucket count up to k that divides the window (a window of
 * 7ms cannot have 2 buckets); default_buckets starts from LANGUAGE.md's
 * flow default for the window's length. */
uint16_t largest_divisor(uint32_t window_ms, uint16_t k);
uint16_t default_buckets(uint32_t window_ms);
/* `buckets K` for `window`: K must divide it. */
void check_buckets_into(const struct stmt *s, struct ir_window *window);

/* check_resolve.c: names, defaults and effective fallbacks; check_warn.c. */
void check_resolve(struct checker *c);
void check_warn(struct checker *c);

#endif
