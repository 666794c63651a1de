/*
 * engine.h: the decisions, given a request's attributes and the time: the
 * whole of the engine that the ABI layer sees.
 *
 * The ABI layer starts one engine per VM and tells it about each stream by
 * an id of its choice (the Proxy-Wasm context id): the request (once, at
 * its headers), the response headers and trailers, and the stream's end;
 * and it calls the tick when the engine asked for one (platform.h).  Times
 * are the host clock's raw readings in milliseconds; the engine makes its
 * own time of them (clock.h).  Rules, tables, state and statistics stay
 * behind this interface.  What the engine needs in return from whoever
 * runs it (host calls: counters, shared data, ticks...) is platform.h,
 * which the ABI layer implements.
 */
#ifndef SENTC_ENGINE_H
#define SENTC_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"
#include "platform.h"
#include "request.h"

struct sentc_engine;

struct sentc_header {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
};

/* A fallback's 64 headers (docs/language.md) and a retry-after. */
/* A fallback's headers (layout.h), retry-after and three RateLimit ones. */
#define SENTC_REPLY_MAX_HEADERS 68

/* A local reply for a blocked request, or headers to add (forward, shadow,
 * rate-limit headers).  Points into engine-owned buffers valid until the
 * next engine call. */
struct sentc_reply {
  uint32_t status;
  const char *details;     /* Envoy's response code details */
  int32_t grpc_status;     /* for a gRPC request, else -1 */
  uint8_t forward;         /* send upstream with the headers added instead */
  struct sentc_header headers[SENTC_REPLY_MAX_HEADERS];
  uint16_t n_headers;
  const char *body;
  size_t body_len;
};

enum sentc_action {
  SENTC_CONTINUE,          /* upstream, adding reply.headers (if any) to the request */
  SENTC_BLOCK,             /* answer locally with reply */
  SENTC_HOLD               /* pause; the engine resumes it (platform.h) */
};

struct sentc_verdict {
  int action;              /* enum sentc_action */
  int blocked;             /* blocked by an enforced rule (answered, or forwarded
                              by its fallback) */
  int shadowed;            /* a shadow rule would have blocked it: it goes upstream
                              with x-sentinel-shadow */
  struct sentc_reply reply;
};

/* Binds an engine to a policy's tables and allocates all the state they
 * need, once.  NULL when the tables were made for another runtime version
 * or memory ran out, with *error saying which. */
struct sentc_engine *sentc_engine_start(const struct sentc_policy *policy, const char **error);

/* Applies the plugin configuration `text` (JSON, docs/operations.md) at raw
 * time `raw_ms`: 0 when applied (logged at info: "sentc: configuration
 * applied: WHAT"), -1 when rejected (at error: "sentc: configuration
 * rejected, keeping the previous one: WHY"), the engine then running as
 * before.  Counted as sentc.filter.config_applied / config_rejected. */
int sentc_engine_configure(struct sentc_engine *engine, const char *text, size_t len,
                           int64_t raw_ms);

/* The largest configuration applied, in bytes: pass a larger one, or one
 * the host would not hand over, as NULL (with its length): it is rejected,
 * saying why. */
#define SENTC_CONFIG_MAX (256u * 1024)

/* Frees everything the engine holds. */
void sentc_engine_stop(struct sentc_engine *engine);

/* The least severe level (enum sentc_log_level) the host prints: the engine
 * does not even write lines below it.  At SENTC_LOG_TRACE it logs every
 * resource a request passed ("sentc: passed RESOURCE", one line each, before
 * any other line about the request); at SENTC_LOG_DEBUG and below each
 * decision that is not a plain pass, in the request's callback:
 *
 *   sentc: blocked RESOURCE/RULE kind=KIND status=STATUS
 *   sentc: shadow RESOURCE/RULE kind=KIND
 *   sentc: forwarded RESOURCE/RULE kind=KIND
 *   sentc: held RESOURCE/RULE kind=KIND wait_ms=N
 *   sentc: blocked RESOURCE/RULE kind=KIND          (a TCP connection: closed)
 *
 * (system protection: RESOURCE is `system`, RULE the check).  At info, a
 * resource's first block in a minute ("sentc: blocking: RESOURCE/RULE
 * kind=KIND status=S (the first block of RESOURCE this minute...)"), and
 * breaker transitions: opened at warn (with the ratio or count that tripped
 * it), half-open and closed at info; at warn, shared state unavailable
 * (once a minute).  docs/operations.md lists them all. */
void sentc_engine_log_level(struct sentc_engine *engine, int level);

/* Every call below takes the host clock's raw reading, `raw_ms`; or
 * SENTC_NOW_UNREAD, and the engine then reads the clock itself
 * (sentc_platform_now_ms) when, and only if, the call needs the time: a
 * stream's end that gives nothing back to shared data and completes no
 * breaker reads none. */
#define SENTC_NOW_UNREAD INT64_MIN

/* Decides stream `stream`'s request at raw time `raw_ms`. */
void sentc_engine_request(struct sentc_engine *engine, uint32_t stream,
                          const struct sentc_request *request, int64_t raw_ms,
                          struct sentc_verdict *verdict);

/* Whether the engine looks at stream `stream`'s response statuses (the
 * ones sentc_engine_response and sentc_engine_trailers take): only a
 * breaker or the system protection does.  When not, the caller need not
 * read them from the host and passes -1. */
int sentc_engine_wants_status(const struct sentc_engine *engine, uint32_t stream);

/* The response headers arrived: HTTP status and the grpc-status they carry
 * (-1 if none).  Fills `add` with headers to add to the response. */
void sentc_engine_response(struct sentc_engine *engine, uint32_t stream, int status,
                           int grpc_status, int64_t raw_ms, struct sentc_reply *add);

/* The response trailers arrived, with their grpc-status (-1 if none). */
void sentc_engine_trailers(struct sentc_engine *engine, uint32_t stream, int grpc_status,
                           int64_t raw_ms);

/* A TCP connection (request.protocol SENTC_TCP) is decided like a request:
 * SENTC_BLOCK means close it before any byte goes upstream (no reply is
 * rendered); it is then remembered as refused until its end, and
 * sentc_engine_refused says so for its data callbacks. */
int sentc_engine_refused(struct sentc_engine *engine, uint32_t stream);

/* The stream ended, however it ended; permits and slots go back.  Safe to
 * call more than once and for streams the engine never saw. */
void sentc_engine_end(struct sentc_engine *engine, uint32_t stream, int64_t raw_ms);

/* Scope cluster: the outcome of gRPC call `token` (sentc_platform_grpc_call)
 * for a stream held waiting for the rate-limit service: its answer
 * (`message`, a RateLimitResponse), or its failure with a grpc-status (a
 * timeout too).  The stream is then let through or answered
 * (sentc_platform_settle).  A call for a stream that already ended, or
 * one the engine never made, is ignored. */
void sentc_engine_grpc_receive(struct sentc_engine *engine, uint32_t token, const void *message,
                               size_t len, int64_t raw_ms);
void sentc_engine_grpc_close(struct sentc_engine *engine, uint32_t token, uint32_t status,
                             int64_t raw_ms);

/* Resumes the held streams whose turn has come, and sends the metrics
 * counted since the last second. */
void sentc_engine_tick(struct sentc_engine *engine, int64_t raw_ms);

/* Sends the metrics counted so far now (the tick does it every second;
 * for tests, and before the VM goes away). */
void sentc_engine_flush(struct sentc_engine *engine);

/* What the engine reserved, as `sentc --explain` predicts it (layout.h):
 * state cells' bytes kept by every worker (with per-worker directories)
 * and once per process in shared data, and the bytes per stream in flight. */
struct sentc_engine_usage {
  uint64_t worker_bytes, shared_bytes;
  uint32_t worker_cells, shared_cells;
  uint32_t stream_bytes;
  uint32_t streams_open;
};
void sentc_engine_usage(const struct sentc_engine *engine, struct sentc_engine_usage *usage);

#endif
