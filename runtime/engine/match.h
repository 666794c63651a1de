/*
 * match.h: which resources does a request enter?
 *
 * A request enters every resource whose match holds, in file order.  This is
 * the matcher's whole interface to the engine; how it finds them (a scan
 * today, one compiled automaton for all resources later: the policy's
 * `matcher` table) stays behind it.
 */
#ifndef SENTC_MATCH_H
#define SENTC_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"
#include "request.h"

/* Writes the indices of the resources `request` enters to `out` (room for
 * policy->n_resources), in file order; returns how many. */
uint32_t sentc_match_resources(const struct sentc_policy *policy,
                               const struct sentc_request *request, uint32_t *out);

/* The enum sentc_method bit for a method name (SENTC_OTHER_METHOD if none). */
uint32_t sentc_method_bit(const char *method, size_t len);

#endif
