/*
 * ir.h: the resolved policy, what the checker makes of the syntax tree and
 * what codegen turns into tables (runtime/tables.h).  Every default is
 * filled in, every name resolved and every value validated, so codegen and
 * --explain never second-guess it.  Lists are arrays with their length, in
 * file order.  All of it lives in the compilation's arena.
 *
 * Values are spelled with tables.h's enums, and rules are kept per kind as
 * its registry lists them (SENTC_RULE_KINDS): ir_policy has one array per
 * kind (`flow`, `concurrency`...) and a resource one slice of each.
 */
#ifndef SENTC_IR_H
#define SENTC_IR_H

#include <stddef.h>
#include <stdint.h>
#include "ast.h"
#include "../runtime/tables.h"

/* Bytes with a length (strings from the policy may hold any byte). */
struct ir_string {
  const char *text;
  size_t len;
};

/* ---- match ---- */

struct ir_host {
  int wildcard;                /* "*.example.com": name holds ".example.com" */
  struct ir_string name;       /* lower case, no port */
  struct loc loc;
};

struct ir_path {
  enum sentc_path_kind kind;
  int grpc;                    /* from a grpc statement: needs application/grpc */
  struct ir_string text;       /* normalized as requests will be */
  struct loc loc;
};

struct ir_header {
  struct ir_string name;       /* lower case */
  enum sentc_header_op op;
  struct ir_string value;
  struct loc loc;
};

struct ir_match {
  enum sentc_protocol protocol;
  uint32_t methods;            /* SENTC_* bits of runtime/tables.h; 0 = any */
  struct ir_host *hosts;
  size_t n_hosts;
  struct ir_path *paths;
  size_t n_paths;
  struct ir_header *headers;
  size_t n_headers;
  uint16_t *ports;
  size_t n_ports;
  int present;                 /* a match statement was given */
  struct loc loc;              /* the match statement; the resource when none */
};

/* ---- fallbacks ---- */

struct ir_piece {
  enum sentc_piece_kind kind;
  struct ir_string text;
};

struct ir_template {
  struct ir_piece *pieces;
  size_t n_pieces;
};

struct ir_reply_header {
  struct ir_string name;
  struct ir_template value;
};

struct ir_fallback {
  struct ir_string name;       /* empty for an inline fallback */
  int status;                  /* 0: by rule kind */
  int grpc_status;             /* -1: by rule kind */
  int forward;
  struct ir_string details;
  struct ir_reply_header *headers;
  size_t n_headers;
  int has_body;
  struct ir_template body;
  int used;                    /* some rule answers with it */
  struct loc loc;
};

/* ---- rules ---- */

/* What every rule has, first in its kind's struct. */
struct ir_rule {
  const char *name;            /* its `name`, else its kind's default (kind.h) */
  struct loc name_loc;         /* of its `name` statement, when given */
  enum sentc_scope scope;
  int scope_given;             /* `scope` in the rule's block; else the policy's */
  enum sentc_mode mode;
  int mode_given;              /* `mode` in the rule's block; else the resource's */
  int fallback;                /* index into ir_policy.fallbacks, -1 built-in */
  size_t resource;             /* index of its resource (set once resolved) */
  struct loc loc;
};

/* Does a block by rule a keep rule b from blocking the same request?  An
 * enforced rule stops every later rule; a shadow rule's would-be block
 * stops only later shadow rules (docs/semantics.md, "shadow"). */
static inline int ir_rule_stops(const struct ir_rule *a, const struct ir_rule *b) {
  return a->mode == SENTC_ENFORCE || b->mode == SENTC_SHADOW;
}

struct ir_window {
  uint32_t window_ms;
  uint16_t buckets;
};

struct ir_flow {
  struct ir_rule rule;
  uint32_t count;
  struct ir_window window;
  int throttle;
  uint32_t max_queue_ms;
  int warmup;
  uint32_t warmup_ms;
  double cold_factor;
  int of;                      /* resource index, -1 = own traffic */
};

struct ir_concurrency {
  struct ir_rule rule;
  uint32_t limit;
};

struct ir_range {
  uint16_t lo, hi;
};

struct ir_breaker {
  struct ir_rule rule;
  enum sentc_breaker_kind kind;
  double ratio;
  uint32_t count;
  uint32_t max_rt_ms;
  uint32_t min_requests;
  struct ir_window window;
  uint32_t open_ms;
  uint32_t probes;
  struct ir_range *error_ranges;
  size_t n_error_ranges;
  uint32_t grpc_errors;        /* bit n: grpc-status n */
};

struct ir_item {
  struct ir_string value;
  uint32_t count;
  uint32_t window_ms;
  struct loc loc;
};

struct ir_hotspot {
  struct ir_rule rule;
  enum sentc_key_kind key;
  struct ir_string key_name;
  int concurrency;             /* concurrency N form instead of a rate */
  uint32_t count;
  uint32_t window_ms;
  uint32_t burst;
  int throttle;
  uint32_t max_queue_ms;
  uint32_t capacity;
  struct ir_item *items;
  size_t n_items;
};

struct ir_system {
  int present;
  uint32_t qps, concurrency, avg_rt_ms;
  int adaptive;
  int fallback;
  struct loc loc;
};

/* A resource's rules as slices of the policy-wide arrays. */
struct ir_slice {
  size_t first, n;
};

struct ir_resource {
  struct ir_string name;
  struct loc loc;
  struct ir_match match;
  int fallback;                /* the resource's default, -1 none */
  enum sentc_mode mode;
  int mode_given;              /* `mode` in the resource; else the policy's */
  struct ir_slice rules[SENTC_N_RULE_KINDS];   /* indexed by enum sentc_kind */
};

struct ir_policy {
  struct ir_string name;
  enum sentc_scope scope;
  enum sentc_mode mode;
  enum sentc_ratelimit_headers ratelimit_headers;
  enum sentc_client_ip client_ip;
  int xff_hops;
  int on_error_deny;
  int fallback;                /* the policy's default, -1 built-in */
  struct loc loc;              /* the policy statement, or the file's start */
  struct ir_system system;
  struct ir_resource *resources;
  size_t n_resources;
  /* Each kind's rules: flow and n_flow, concurrency and n_concurrency... */
#define IR_KIND_ARRAY(K, k, status, grpc, tcp) \
  struct ir_##k *k;                             \
  size_t n_##k;
  SENTC_RULE_KINDS(IR_KIND_ARRAY)
#undef IR_KIND_ARRAY
  struct ir_fallback *fallbacks;
  size_t n_fallbacks;
};

/* The fields every rule has, for rule `i` of kind `kind`. */
static inline struct ir_rule *ir_rule_at(const struct ir_policy *p, enum sentc_kind kind,
                                         size_t i) {
  switch (kind) {
#define IR_KIND_RULE(K, k, status, grpc, tcp) \
  case SENTC_KIND_##K:                        \
    return &p->k[i].rule;
    SENTC_RULE_KINDS(IR_KIND_RULE)
#undef IR_KIND_RULE
  case SENTC_KIND_SYSTEM:
  case SENTC_N_KINDS:
    break;
  }
  return NULL;
}

/* How many rules of `kind` the policy has. */
static inline size_t ir_count(const struct ir_policy *p, enum sentc_kind kind) {
  switch (kind) {
#define IR_KIND_COUNT(K, k, status, grpc, tcp) \
  case SENTC_KIND_##K:                         \
    return p->n_##k;
    SENTC_RULE_KINDS(IR_KIND_COUNT)
#undef IR_KIND_COUNT
  case SENTC_KIND_SYSTEM:
  case SENTC_N_KINDS:
    break;
  }
  return 0;
}

/* Slices are walked by kind: for each kind K of resource r, rules
 * r->rules[K].first .. first + n - 1. */
#define IR_SLICE_END(slice) ((slice).first + (slice).n)

#endif
