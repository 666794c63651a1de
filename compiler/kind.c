/*
 * kind.c: the table of every rule kind's operations (see kind.h), written
 * by the registry: a kind missing one of them does not link.
 */
#include "kind.h"

const struct kind_ops kinds[SENTC_N_RULE_KINDS] = {
#define KIND_OPS(K, k, status_, grpc, tcp_)                                         \
  [SENTC_KIND_##K] = {.name = #k, .constant = "SENTC_KIND_" #K, .example = k##_example, \
                      .tcp = tcp_,                                                    \
                      .status = status_, .grpc_status = grpc, .check = k##_check,    \
                      .settle = k##_settle, .warn = k##_warn, .size = k##_size,      \
                      .explain = k##_explain, .emit = k##_emit},
  SENTC_RULE_KINDS(KIND_OPS)
#undef KIND_OPS
};
