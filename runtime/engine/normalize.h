/*
 * normalize.h: request paths in one canonical spelling, so that a limit on
 * "/api/checkout" cannot be dodged with "/api//checkout", "/api/./checkout",
 * "/api/x/../checkout", "/%61pi/checkout" or a query string.
 *
 * The same code runs in sentc on the policy's paths (so both sides are
 * spelled alike) and in the runtime on every request.  It never allocates:
 * the caller gives the output buffer, and the work is one pass over the
 * input, whatever its length.  docs/matching.md states the rules for users.
 */
#ifndef SENTC_NORMALIZE_H
#define SENTC_NORMALIZE_H

#include <stddef.h>
#include "../tables.h"

/* The longest normalized path the runtime matches: above Envoy's default
 * limit for all request headers together (60 KiB), so a path Envoy lets
 * through with default settings always fits. */
#define SENTC_PATH_MAX 65536

/* sentc_normalize_path itself is declared in tables.h: the paths of the
 * tables are its output, so it is part of the contract. */

/* The same normalized path, without a copy when the path is canonical
 * already (the common case): returns `path` itself, else normalizes into
 * `out` and returns `out`; the length goes to *normalized_len (0: no path,
 * as above).  `out` may be NULL until a path needs it: then NULL, with
 * *normalized_len 0. */
const char *sentc_normalized_path(const char *path, size_t len, char *out, size_t room,
                                  size_t *normalized_len);

#endif
