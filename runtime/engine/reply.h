/*
 * reply.h: what a blocked request gets: its fallback (tables.h) rendered
 * with ${resource}, ${kind} and ${retry_after} expanded, or the built-in
 * one (429, 503 for breakers; x-sentinel-blocked: RESOURCE/KIND; a short
 * JSON body; grpc-status 8, 14 for breakers).  Also the headers a request
 * carries upstream (`forward`, shadow mode) and the rate-limit response
 * headers.  Rendered into the engine's reply buffer, sized at start from
 * the policy for its largest reply (every placeholder at its longest,
 * layout.h), so nothing is ever cut: no allocation per request, and the
 * text lives until the next rendering, long enough to send it.
 */
#ifndef SENTC_REPLY_H
#define SENTC_REPLY_H

#include "engine.h"
#include "kinds.h"

/* The reply buffer. */
struct sentc_reply_text {
  char *text;
  size_t room;
};

/* Allocates the buffer for `policy`'s largest reply: 0, or -1 without
 * memory.  And frees it. */
int sentc_reply_open(struct sentc_reply_text *t, const struct sentc_policy *policy);
void sentc_reply_close(struct sentc_reply_text *t);

/* What blocked a request, for rendering. */
struct sentc_block {
  const char *resource;      /* NUL-terminated */
  enum sentc_kind kind;
  int32_t fallback;          /* index, or SENTC_BUILTIN_FALLBACK */
  int64_t retry_after_ms;    /* until a retry may pass */
  int grpc;                  /* the request is gRPC */
  int ratelimit;             /* enum sentc_ratelimit_headers: RateLimit headers and
                                retry-after, or none */
  const struct sentc_quota *quota;   /* the blocking rule's, or NULL */
};

/* Makes `reply` empty: no status, headers nor body.  Only its fields are
 * written, not its room for headers (SENTC_REPLY_MAX_HEADERS of them):
 * every request makes a reply, most of them empty. */
void sentc_reply_clear(struct sentc_reply *reply);

/* Each renders into `t`, which `reply` then points into. */
void sentc_reply_render(struct sentc_reply *reply, struct sentc_reply_text *t,
                        const struct sentc_policy *policy, const struct sentc_block *block);

/* x-sentinel-shadow: RESOURCE/KIND, as the one header of `reply`. */
void sentc_reply_shadow(struct sentc_reply *reply, struct sentc_reply_text *t,
                        const struct sentc_block *block);

/* The RateLimit headers of `quota`, as the only headers of `reply`, in
 * the policy's flavour (docs/metrics.md): the IETF httpapi draft's
 *   ratelimit-policy: "RES/RULE";q=LIMIT;w=WINDOW_S
 *   ratelimit: "RES/RULE";r=REMAINING;t=RESET_S
 * or Envoy's
 *   x-ratelimit-limit: LIMIT, LIMIT;w=WINDOW_S;name="RES/RULE"
 *   x-ratelimit-remaining: REMAINING
 *   x-ratelimit-reset: RESET_S */
void sentc_reply_ratelimit(struct sentc_reply *reply, struct sentc_reply_text *t,
                           const struct sentc_policy *policy, int flavour,
                           const struct sentc_quota *quota);

#endif
