/*
 * rls.h: Envoy's rate-limit service protocol, the bytes of it: a
 * RateLimitRequest written (envoy.service.ratelimit.v3, with the
 * descriptors of envoy.extensions.common.ratelimit.v3), a
 * RateLimitResponse read, and the GrpcService naming the Envoy cluster
 * that proxy_grpc_call takes.  Plain protobuf wire format, by hand: the
 * module carries no protobuf library, and the engine needs only these
 * fields.  Nothing here allocates or knows the engine; the compiler links
 * this file too, for the spelling of descriptor values (tables.h,
 * sentc_rls_value).
 *
 * Reading never trusts the bytes: a truncated or malformed answer, a
 * length past the end, a wire type protobuf does not have, all make
 * sentc_rls_read fail, and unknown fields are skipped as protobuf says.
 */
#ifndef SENTC_RLS_H
#define SENTC_RLS_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"

/* The service and method proxy_grpc_call names. */
#define SENTC_RLS_SERVICE "envoy.service.ratelimit.v3.RateLimitService"
#define SENTC_RLS_METHOD "ShouldRateLimit"

/* RateLimitResponse.Code. */
enum sentc_rls_code { SENTC_RLS_CODE_UNKNOWN, SENTC_RLS_OK, SENTC_RLS_OVER_LIMIT };

/* A request being written into a caller's buffer. */
struct sentc_rls_request {
  uint8_t *at, *end;
  int overflow;              /* it did not fit: sentc_rls_finish says 0 */
};

/* Starts a RateLimitRequest for `domain` in buf[0..room). */
void sentc_rls_start(struct sentc_rls_request *w, void *buf, size_t room,
                     const struct sentc_string *domain);

/* Adds descriptor `d`: its entries, then (for a hotspot, value != NULL)
 * the entry value_key = `value`, already spelled by sentc_rls_value. */
void sentc_rls_add(struct sentc_rls_request *w, const struct sentc_rls_descriptor *d,
                   const char *value, size_t value_len);

/* The request's length, or 0 when it did not fit. */
size_t sentc_rls_finish(struct sentc_rls_request *w, const void *buf);

/* The bytes one descriptor adds to a request, for sizing the buffer
 * (a hotspot's value at its longest). */
size_t sentc_rls_descriptor_bytes(const struct sentc_rls_descriptor *d);

/* What the answer says of one descriptor (DescriptorStatus). */
struct sentc_rls_status {
  uint8_t code;              /* enum sentc_rls_code */
  uint8_t has_limit;         /* current_limit was given */
  uint8_t unit;              /* current_limit.unit (enum sentc_rls_unit) */
  uint8_t has_reset;         /* duration_until_reset was given */
  uint32_t requests_per_unit;
  uint32_t remaining;        /* limit_remaining */
  uint64_t reset_ms;         /* duration_until_reset, rounded up to a ms */
};

/* A RateLimitResponse: the overall code, and the statuses in the order of
 * the request's descriptors (the first `room` of them; n_statuses counts
 * all the answer had). */
struct sentc_rls_answer {
  uint8_t overall;           /* enum sentc_rls_code */
  uint32_t n_statuses;
  uint32_t room;
  struct sentc_rls_status *statuses;
};

/* Reads `len` bytes into `a` (statuses and room set by the caller); 0, or
 * -1 when they are not a well-formed message. */
int sentc_rls_read(const void *bytes, size_t len, struct sentc_rls_answer *a);

/* A GrpcService naming Envoy cluster `cluster` (envoy_grpc.cluster_name),
 * the `service` argument of proxy_grpc_call, in buf[0..room); its length,
 * 0 when it does not fit. */
size_t sentc_rls_grpc_service(const struct sentc_string *cluster, void *buf, size_t room);

#endif
