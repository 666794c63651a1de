/*
 * check_values.h: validation of statement arguments against the limits
 * docs/language.md promises.  Each function reports what is wrong (with an
 * example of a right one) and returns 1 when the value is good.
 */
#ifndef SENTC_CHECK_VALUES_H
#define SENTC_CHECK_VALUES_H

#include <stdint.h>
#include "ast.h"
#include "ir.h"

/* Limits (docs/language.md, "Limits"); those the plugin configuration
 * checks too are in runtime/tables.h (SENTC_MAX_*). */
#define MAX_THROTTLE_MS 60000u
#define MAX_BUCKETS 1000
#define MAX_CAPACITY 1000000u
#define MAX_COLD_FACTOR 100.0
#define MAX_XFF_HOPS 16
#define MAX_BODY_BYTES (1u << 20)
#define MAX_HEADERS 64
#define MAX_HEADER_NAME_LEN 256
#define MAX_MATCH_HEADERS 64
#define MAX_PROBES 1000u
#define MAX_GRPC_STATUS 16u       /* UNAUTHENTICATED, the last gRPC code */

/* A duration as a person would write it: "2h", "1m", "10s", "250ms". */
void value_ms_word(char *buf, size_t size, uint32_t ms);

/* The statement's single argument, of `kind`, with no block: or NULL after
 * reporting what is wrong. */
const struct value *single_arg(const struct stmt *s, enum value_kind kind, const char *example);

/* A statement with no argument and no block (`forward;`, `adaptive;`). */
int no_args(const struct stmt *s);

int value_uint(const struct stmt *s, const struct value *v, uint32_t lo, uint32_t hi,
               const char *example, uint32_t *out);
int value_duration(const struct stmt *s, const struct value *v, uint32_t lo_ms, uint32_t hi_ms,
                   const char *example, uint32_t *out);
/* A PERCENT, or a NUMBER from 0 to 1. */
int value_ratio(const struct stmt *s, const struct value *v, const char *example, double *out);
/* A RATE: count up to SENTC_MAX_RATE_COUNT, window 1ms..24h; a decimal count is
 * made whole over a longer window (1.5/s: 3 per 2000 ms). */
int value_rate(const struct stmt *s, const struct value *v, const char *example,
               uint32_t *count, uint32_t *window_ms);
/* A NAME among `words` (NULL-terminated): its index, or -1 after a
 * did-you-mean. */
int value_word(const struct stmt *s, const struct value *v, const char *const *words,
               const char *example);
/* The statement's single argument, a NAME among `words`: its index, or -1
 * after reporting what is wrong (`scope proxy;`, `mode shadow;`). */
int single_word(const struct stmt *s, const char *const *words, const char *example);

/* A header name: RFC 9110 token characters (Envoy refuses anything else
 * in a header's name), 1 to MAX_HEADER_NAME_LEN bytes; with `pseudo`, a
 * request pseudo-header such as ":authority" too.  1 when good. */
int valid_header_name(const struct value *v, int pseudo);

/* `scope proxy|worker;` (policy default or one rule): the scope read into
 * *scope; returns 0, or -1 after reporting a bad argument. */
int scope_word(const struct stmt *s, const char *example, enum sentc_scope *scope);

/* `mode enforce|shadow;` (the policy, a resource or a rule), likewise. */
int mode_word(const struct stmt *s, const char *example, enum sentc_mode *mode);

#endif
