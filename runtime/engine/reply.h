/*
 * reply.h: what a blocked request gets: its fallback (tables.h) rendered
 * with ${resource}, ${kind} and ${retry_after} expanded, or the built-in
 * one (429, 503 for breakers; x-sentinel-blocked: RESOURCE/KIND; a short
 * JSON body; grpc-status 8, 14 for breakers).  Also the headers a request
 * carries upstream (`forward`, shadow mode) and the rate-limit response
 * headers.  Rendered into the engine's reply buffer (SENTC_REPLY_MAX
 * bytes): no allocation per request, and the text lives until the next
 * rendering, long enough to send it.
 */
#ifndef SENTC_REPLY_H
#define SENTC_REPLY_H

#include "engine.h"

/* The reply buffer's size: text beyond it is cut. */
#define SENTC_REPLY_MAX 16384

/* What blocked a request, for rendering. */
struct sentc_block {
  const char *resource;      /* NUL-terminated */
  enum sentc_kind kind;
  int32_t fallback;          /* index, or SENTC_BUILTIN_FALLBACK */
  int64_t retry_after_ms;    /* until a retry may pass */
  int grpc;                  /* the request is gRPC */
  int retry_after_header;    /* ratelimit_headers on: add retry-after */
};

/* Each renders into `buffer` (SENTC_REPLY_MAX bytes), which `reply` then
 * points into. */
void sentc_reply_render(struct sentc_reply *reply, char *buffer,
                        const struct sentc_policy *policy, const struct sentc_block *block);

/* x-sentinel-shadow: RESOURCE/KIND, as the one header of `reply`. */
void sentc_reply_shadow(struct sentc_reply *reply, char *buffer, const struct sentc_block *block);

/* ratelimit-policy and ratelimit response headers (IETF draft 07 form). */
void sentc_reply_ratelimit(struct sentc_reply *reply, char *buffer, uint32_t limit,
                           uint32_t window_s, uint32_t remaining, uint32_t reset_s);

#endif
