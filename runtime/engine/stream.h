/*
 * stream.h: what the engine remembers about a stream between its request
 * and its end: when it passed, whether it is held, gRPC or not, and every
 * effect its pass committed (permits, queue slots, breaker entries), so
 * each is undone or given back exactly once.
 *
 * A fixed table keyed by the ABI's stream id: entries are reused through a
 * free list and the table grows (in chunks) only when more streams are
 * open at once than ever before, so steady traffic allocates nothing.
 * Pointers into it are valid until the next sentc_stream_open.
 */
#ifndef SENTC_STREAM_H
#define SENTC_STREAM_H

#include <stdint.h>

enum sentc_effect_kind {
  SENTC_EF_SYSTEM,      /* system in-flight + pass */
  SENTC_EF_FLOW,        /* a pass in a flow rule's window (own or `of`) */
  SENTC_EF_CHECK,       /* an `of` flow rule let its own request by: nothing to give back */
  SENTC_EF_PACE,        /* a flow throttle slot (at = slot, us) */
  SENTC_EF_CONCURRENCY, /* a permit */
  SENTC_EF_HOTSPOT,     /* a token, pace slot or permit of one value */
  SENTC_EF_BREAKER      /* an entry (probe or not) */
};

struct sentc_effect {
  uint8_t kind;
  uint8_t probe;        /* SENTC_EF_BREAKER: the entry is a half-open probe */
  uint32_t rule;
  int32_t slot;         /* SENTC_EF_HOTSPOT: the value's slot */
  int64_t at;           /* when committed (ms), or the pace slot (us) */
  uint64_t hash;        /* SENTC_EF_HOTSPOT: the value */
};

struct sentc_stream {
  uint32_t id;
  int32_t chain;         /* next in its index bucket or in the free list */
  int32_t next_held;     /* next in the held list */
  uint8_t used, held, grpc, completed, awaiting_trailers;
  int64_t pass_at;       /* went upstream (ms) */
  int64_t resume_at;     /* held: when it may go */
  uint32_t rt_ms;        /* response time, set at the response headers */
  int status;            /* HTTP status of the response */
  uint8_t ratelimit;     /* rate-limit headers to add */
  uint32_t rl_limit, rl_window_s, rl_remaining, rl_reset_s;
  uint16_t n_effects;
  struct sentc_effect *effects;
};

/* Sizes the table: every stream can hold up to `max_effects` effects. */
void sentc_streams_init(uint32_t max_effects);

/* A fresh entry for `id` (replacing any stale one), or NULL without memory. */
struct sentc_stream *sentc_stream_open(uint32_t id);

struct sentc_stream *sentc_stream_find(uint32_t id);

void sentc_stream_close(struct sentc_stream *stream);

/* Entry by index (the held list links indices). */
struct sentc_stream *sentc_stream_at(int32_t index);
int32_t sentc_stream_index(const struct sentc_stream *stream);

/* The bytes one stream in flight takes: its entry and its effects. */
uint32_t sentc_stream_entry_bytes(void);

/* Streams currently open (for tests and metrics). */
uint32_t sentc_streams_open(void);

#endif
