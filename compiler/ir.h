/*
 * ir.h: the resolved policy, what the checker makes of the syntax tree and
 * what codegen turns into tables.  Every default is filled in and every
 * value validated, so codegen (and --explain) never second-guess it.
 */
#ifndef SENTC_IR_H
#define SENTC_IR_H

#include <stddef.h>
#include <stdint.h>
#include "ast.h"

enum ir_path_kind { IR_PATH_EXACT, IR_PATH_PREFIX };

struct ir_path {
  enum ir_path_kind kind;
  const char *text;
  size_t len;
};

struct ir_flow {
  uint32_t count;
  uint32_t window_ms;
  uint16_t buckets;
  char label[16];          /* "flow", "flow_2": the rule's name in metrics */
  struct loc loc;
};

struct ir_resource {
  const char *name;
  struct loc loc;
  uint32_t methods;        /* SENTC_* bits of runtime/tables.h; 0 = any */
  struct ir_path *paths;
  size_t n_paths;
  struct ir_flow *flows;
  size_t n_flows;
  struct ir_resource *next;
};

enum ir_scope { IR_SCOPE_PROXY, IR_SCOPE_WORKER };

struct ir_policy {
  const char *name;
  enum ir_scope scope;
  struct ir_resource *resources;   /* file order */
  size_t n_resources;
};

#endif
