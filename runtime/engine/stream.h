/*
 * stream.h: what the engine remembers about a stream between its request
 * and its end: when it passed, whether it is held, gRPC or not, and every
 * effect its pass committed (permits, queue slots, breaker entries:
 * layout.h), so each is undone or given back exactly once.
 *
 * A table keyed by the ABI's stream id: entries are reused through a free
 * list and the table grows (in chunks) only when more streams are open at
 * once than ever before, so steady traffic allocates nothing.  Pointers
 * into it are valid until the next sentc_stream_open.
 */
#ifndef SENTC_STREAM_H
#define SENTC_STREAM_H

#include <stdint.h>
#include "../layout.h"

struct sentc_stream {
  uint32_t id;
  int32_t chain;         /* next in its index bucket or in the free list */
  int32_t next_held;     /* next in the held list */
  uint8_t used, held, grpc, completed, awaiting_trailers;
  uint8_t refused;       /* a connection that was refused, closing */
  int64_t pass_at;       /* went upstream (ms) */
  int64_t resume_at;     /* held: when it may go */
  uint32_t rt_ms;        /* response time, set at the response headers */
  int status;            /* HTTP status of the response */
  uint8_t ratelimit;     /* rate-limit headers to add */
  uint32_t rl_limit, rl_window_s, rl_remaining, rl_reset_s;
  uint32_t n_effects;
  struct sentc_effect *effects;
};
_Static_assert(sizeof(struct sentc_stream) == SENTC_STREAM_ENTRY_BYTES,
               "the stream entry must be as big natively as in wasm32 (layout.h)");

#define SENTC_STREAM_INDEX 1024u

struct sentc_streams {
  struct sentc_stream *entries;
  struct sentc_effect **chunks;   /* each chunk's effects, one block per chunk */
  uint32_t n_entries, n_open, max_effects;
  int32_t index[SENTC_STREAM_INDEX];
  int32_t free_list;
};

/* Sizes the table: every stream can hold up to `max_effects` effects. */
void sentc_stream_init(struct sentc_streams *t, uint32_t max_effects);
void sentc_stream_free(struct sentc_streams *t);

/* A fresh entry for `id` (replacing any stale one), or NULL without memory. */
struct sentc_stream *sentc_stream_open(struct sentc_streams *t, uint32_t id);

struct sentc_stream *sentc_stream_find(struct sentc_streams *t, uint32_t id);

void sentc_stream_close(struct sentc_streams *t, struct sentc_stream *stream);

/* Records one more effect of `stream`'s pass. */
void sentc_stream_record(const struct sentc_streams *t, struct sentc_stream *stream,
                         const struct sentc_effect *effect);

/* Entry by index (the held list links indices). */
struct sentc_stream *sentc_stream_at(struct sentc_streams *t, int32_t index);
int32_t sentc_stream_index(const struct sentc_streams *t, const struct sentc_stream *stream);

/* The bytes one stream in flight takes: its entry and its effects. */
uint32_t sentc_stream_bytes(const struct sentc_streams *t);

#endif
