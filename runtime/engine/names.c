/*
 * names.c: the runtime's words for its enums (see names.h).
 */
#include "names.h"

#define KIND_NAME(K, k, status, grpc, tcp) [SENTC_KIND_##K] = #k,
#define KIND_STATUS(K, k, status, grpc, tcp) [SENTC_KIND_##K] = status,
#define KIND_GRPC(K, k, status, grpc, tcp) [SENTC_KIND_##K] = grpc,
#define CHECK_NAME(K, k) [SENTC_SYSTEM_##K] = #k,

const char *const sentc_names_kind[SENTC_N_KINDS] = {
  SENTC_RULE_KINDS(KIND_NAME) [SENTC_KIND_SYSTEM] = "system",
};
/* System protection answers as the flow kinds do (docs/language.md: 429, 8). */
const uint16_t sentc_names_status[SENTC_N_KINDS] = {
  SENTC_RULE_KINDS(KIND_STATUS) [SENTC_KIND_SYSTEM] = 429,
};
const int16_t sentc_names_grpc_status[SENTC_N_KINDS] = {
  SENTC_RULE_KINDS(KIND_GRPC) [SENTC_KIND_SYSTEM] = 8,
};
const char *const sentc_names_check[SENTC_N_SYSTEM_CHECKS] = {
  SENTC_SYSTEM_CHECK_LIST(CHECK_NAME)
};
