/*
 * engine.h: the decisions, given a request's attributes and the time.
 *
 * The ABI layer collects what the policy can look at into a sentc_request,
 * asks for a verdict once per request (Envoy's request-headers callback), and
 * sends the reply the verdict carries when the request is blocked.  Rules,
 * tables and statistics stay behind this interface.
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

#define SENTC_REPLY_MAX_HEADERS 4

/* A local reply for a blocked request.  Points into engine-owned buffers
 * valid until the next verdict. */
struct sentc_reply {
  uint32_t status;
  const char *details;     /* Envoy's response code details */
  struct sentc_header headers[SENTC_REPLY_MAX_HEADERS];
  uint16_t n_headers;
  const char *body;
  size_t body_len;
};

struct sentc_verdict {
  int blocked;
  struct sentc_reply reply; /* set when blocked */
};

/* Binds the engine to a policy's tables and allocates all the state they
 * need, once; call before any verdict.  Returns 0, or -1 if the tables were
 * made for another runtime version or memory ran out. */
int sentc_engine_start(const struct sentc_policy *policy);

/* Decides a request at engine time `now` (ms, see clock.h) and counts it. */
void sentc_engine_decide(const struct sentc_request *request, int64_t now,
                         struct sentc_verdict *verdict);

#endif
