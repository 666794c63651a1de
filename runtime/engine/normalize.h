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

/* The longest normalized path the runtime matches: above Envoy's default
 * limit for all request headers together (60 KiB), so a path Envoy lets
 * through with default settings always fits. */
#define SENTC_PATH_MAX 65536

/* Normalizes `path` (as received, maybe with a query or fragment) into
 * `out`, which has room for `room` bytes, and returns the normalized
 * length; the output is never longer than the input.  Returns 0 (no path
 * starts with anything but '/', so 0 is no length) when the path does not
 * start with '/' or does not fit in `room`: such a request matches no
 * resource that asks for a path.
 *
 *   - the query ('?') and fragment ('#') are cut off;
 *   - %XX escapes of unreserved characters (ALPHA DIGIT - . _ ~) are
 *     decoded; every other escape (%2F and %5C included) stays encoded, with
 *     its hex digits in upper case, so it never acts as a separator;
 *   - a '%' not followed by two hex digits is an ordinary byte;
 *   - runs of '/' become one; "." segments go; ".." removes the segment
 *     before it and never climbs above the root;
 *   - every other byte, NUL included, is kept as it is. */
size_t sentc_normalize_path(const char *path, size_t len, char *out, size_t room);

/* The same normalized path, without a copy when the path is canonical
 * already (the common case): returns `path` itself, else normalizes into
 * `out` and returns `out`; the length goes to *normalized_len (0: no path,
 * as above). */
const char *sentc_normalized_path(const char *path, size_t len, char *out, size_t room,
                                  size_t *normalized_len);

#endif
