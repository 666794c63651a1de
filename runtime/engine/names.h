/*
 * names.h: the words the runtime says for its enums (kinds, system checks,
 * methods), made from the lists in tables.h so they cannot disagree with
 * them.  Defined once, in names.c.
 */
#ifndef SENTC_NAMES_H
#define SENTC_NAMES_H

#include "../tables.h"

/* "flow", "concurrency", "hotspot", "breaker", "system". */
extern const char *const sentc_names_kind[SENTC_N_KINDS];
/* The built-in fallback's answer per kind. */
extern const uint16_t sentc_names_status[SENTC_N_KINDS];
extern const int16_t sentc_names_grpc_status[SENTC_N_KINDS];
/* "qps", "concurrency", "avg_rt", "adaptive". */
extern const char *const sentc_names_check[SENTC_N_SYSTEM_CHECKS];

#endif
