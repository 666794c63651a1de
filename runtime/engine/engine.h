/*
 * engine.h: the decisions, given a request's attributes and the time.
 *
 * The ABI layer tells the engine about each stream by an id of its choice
 * (the Proxy-Wasm context id): the request (once, at its headers), the
 * response headers and trailers, and the stream's end; and it calls the
 * tick when the engine asked for one (platform.h).  Rules, tables and
 * statistics stay behind this interface.
 */
#ifndef SENTC_ENGINE_H
#define SENTC_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"
#include "request.h"

struct sentc_header {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
};

#define SENTC_REPLY_MAX_HEADERS 16

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
  int blocked;             /* counted as blocked (also forward and shadow) */
  struct sentc_reply reply;
};

/* Binds the engine to a policy's tables and allocates all the state they
 * need, once; call before any verdict.  Returns 0, or -1 if the tables were
 * made for another runtime version or memory ran out. */
int sentc_engine_start(const struct sentc_policy *policy);

/* Decides stream `stream`'s request at engine time `now` (ms, clock.h). */
void sentc_engine_request(uint32_t stream, const struct sentc_request *request, int64_t now,
                          struct sentc_verdict *verdict);

/* The response headers arrived: HTTP status and the grpc-status they carry
 * (-1 if none).  Fills `add` with headers to add to the response. */
void sentc_engine_response(uint32_t stream, int status, int grpc_status, int64_t now,
                           struct sentc_reply *add);

/* The response trailers arrived, with their grpc-status (-1 if none). */
void sentc_engine_trailers(uint32_t stream, int grpc_status, int64_t now);

/* The stream ended, however it ended; permits and slots go back.  Safe to
 * call more than once and for streams the engine never saw. */
void sentc_engine_end(uint32_t stream, int64_t now);

/* Resumes the held streams whose turn has come. */
void sentc_engine_tick(int64_t now);

#endif
