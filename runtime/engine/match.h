/*
 * match.h: does a request fall in a resource?
 *
 * First cut: method set and exact/prefix paths, tested resource by resource.
 * The compiled one-automaton matcher and full path normalization replace the
 * inside of this file without changing its callers.
 */
#ifndef SENTC_MATCH_H
#define SENTC_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"

/* The enum sentc_method bit for a method name (SENTC_OTHER_METHOD if none). */
uint32_t sentc_method_bit(const char *method, size_t len);

/* Length of the path proper: up to the query or fragment. */
size_t sentc_path_length(const char *path, size_t len);

int sentc_match_holds(const struct sentc_match *match, uint32_t method_bit,
                      const char *path, size_t path_len);

#endif
