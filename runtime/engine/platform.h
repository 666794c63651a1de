/*
 * platform.h: the little the engine needs from whatever runs it.
 *
 * The engine is plain C that knows nothing of Proxy-Wasm: in main.wasm the
 * ABI layer (runtime/abi) implements these with proxy_* host calls; the unit
 * tests implement them natively (tests/unit/fake_platform.c).  Keep this
 * list short.
 */
#ifndef SENTC_PLATFORM_H
#define SENTC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* Metric types, numbered as Proxy-Wasm's. */
enum sentc_platform_metric {
  SENTC_PLATFORM_COUNTER, SENTC_PLATFORM_GAUGE, SENTC_PLATFORM_HISTOGRAM
};

/* A process-wide metric of `type` named `name` (every VM that defines the
 * same name shares it); returns an id for the calls below, or -1 when
 * metrics are unavailable (the engine then just skips them). */
int32_t sentc_platform_metric_define(int type, const char *name, size_t len);

/* Adds `delta` to a counter (delta > 0) or a gauge. */
void sentc_platform_metric_add(int32_t id, int64_t delta);

/* Records one value of a histogram. */
void sentc_platform_metric_record(int32_t id, uint64_t value);

/* Log levels, numbered as Proxy-Wasm's. */
enum sentc_log_level {
  SENTC_LOG_TRACE, SENTC_LOG_DEBUG, SENTC_LOG_INFO, SENTC_LOG_WARN, SENTC_LOG_ERROR,
  SENTC_LOG_CRITICAL
};

/* Writes one log line (`text`, without a newline) at `level`. */
void sentc_platform_log(int level, const char *text, size_t len);

/* Fills `out` with `len` random bytes (seeds the hotspot hash at start). */
void sentc_platform_random(void *out, size_t len);

/* The host clock's raw reading, in ms: asked for only by a callback whose
 * caller did not read it (engine.h, SENTC_NOW_UNREAD) and that needs it. */
int64_t sentc_platform_now_ms(void);

/* Lets held stream `stream` go upstream now (it was held by SENTC_HOLD). */
void sentc_platform_resume(uint32_t stream);

/* A held stream's verdict, decided while it was held (scope cluster, once
 * the rate-limit service answered): `verdict` (engine.h) SENTC_BLOCK
 * answers it locally with verdict->reply; SENTC_CONTINUE adds
 * verdict->reply's headers to its request and lets it go upstream. */
struct sentc_verdict;
void sentc_platform_settle(uint32_t stream, const struct sentc_verdict *verdict);

/* Starts a unary gRPC call (scope cluster: the rate-limit service, rls.h):
 * `grpc_service` names the Envoy cluster (a serialized GrpcService),
 * `service` and `method` the RPC, `message` its request; the host gives up
 * after `timeout_ms`.  0 and the call's *token, whose outcome comes to
 * sentc_engine_grpc_receive or sentc_engine_grpc_close (engine.h); -1 when
 * the call could not start (no answer will come). */
int sentc_platform_grpc_call(const void *grpc_service, size_t grpc_service_len,
                             const char *service, const char *method, const void *message,
                             size_t len, uint32_t timeout_ms, uint32_t *token);

/* Cancels call `token`: its outcome will not come. */
void sentc_platform_grpc_cancel(uint32_t token);

/* Call sentc_engine_tick in `ms` milliseconds and every `ms` after; 0: no
 * more ticks.  The engine calls it only when the wish changes. */
void sentc_platform_wake_every(uint32_t ms);

/* Process-wide shared data (Proxy-Wasm's): every VM of the process sees the
 * same keys; each value carries a cas that changes at every write. */
enum sentc_platform_status {
  SENTC_SHARED_OK, SENTC_SHARED_NOT_FOUND, SENTC_SHARED_CAS_MISMATCH, SENTC_SHARED_FAILED
};

/* Copies the value of `key` into `out` (at most `room` bytes; *len is its
 * whole length) with its cas. */
int sentc_platform_shared_get(const char *key, size_t key_len, void *out, size_t room,
                              size_t *len, uint32_t *cas);

/* Writes `key` if its cas is still `cas` (0: whatever it is, or creates it). */
int sentc_platform_shared_set(const char *key, size_t key_len, const void *value, size_t len,
                              uint32_t cas);

#endif
