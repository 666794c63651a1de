/*
 * match.h: which resources does a request enter?
 *
 * A request enters every resource whose match holds, in file order.  This is
 * the matcher's whole interface to the engine.  How it finds them stays
 * behind it: with the policy's compiled `matcher` (tables.h), one walk of
 * the normalized path and one of the host, whatever the number of
 * resources; without one (hand-written tables), a test of each resource in
 * turn, which gives the same answer.
 */
#ifndef SENTC_MATCH_H
#define SENTC_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"
#include "request.h"

/* A request's path as the policy sees it: normalized (normalize.h), made
 * once per request, for the matcher and for hotspot path keys alike.
 * len 0: none usable (or a TCP connection). */
struct sentc_path_view {
  const char *text;
  size_t len;
};

/* The normalized path of `request`: its own bytes when canonical already,
 * else normalized into `buffer` (SENTC_PATH_MAX bytes).  0; -1 (with no
 * path) when the path needs normalizing and `buffer` is NULL: the caller
 * makes its buffer when a path first needs one. */
int sentc_match_path(const struct sentc_request *request, char *buffer,
                     struct sentc_path_view *path);

/* Writes the indices of the resources `request` (with its normalized
 * `path`) enters to `out` (room for policy->n_resources), in file order;
 * returns how many. */
uint32_t sentc_match_resources(const struct sentc_policy *policy,
                               const struct sentc_request *request,
                               const struct sentc_path_view *path, uint32_t *out);

/* The same answer found by testing every resource in turn, ignoring the
 * compiled matcher: the baseline of bench/ and the reference of the tests. */
uint32_t sentc_match_resources_naive(const struct sentc_policy *policy,
                                     const struct sentc_request *request,
                                     const struct sentc_path_view *path, uint32_t *out);

/* The enum sentc_method bit for a method name (SENTC_OTHER_METHOD if none). */
uint32_t sentc_match_method(const char *method, size_t len);

#endif
