/*
 * stream.h: what the engine remembers about a stream between its request
 * and its end: when it passed, whether it is held (and by which rule),
 * gRPC or not, the quota its RateLimit headers report, and every effect
 * its pass committed (permits, queue slots, breaker entries: layout.h;
 * and the resources it entered, for their in-flight gauges), so each is
 * undone or given back exactly once.
 *
 * A table keyed by the ABI's stream id: entries are reused through a free
 * list and the table grows (in chunks) only when more streams are open at
 * once than ever before, so steady traffic allocates nothing.  An entry
 * keeps SENTC_STREAM_INLINE effects; a request that commits more gets a
 * block of its own for the rest, freed at its end, so a stream costs what
 * its request entered, not what the whole policy could make it enter.
 * Pointers into the table are valid until the next sentc_stream_open.
 */
#ifndef SENTC_STREAM_H
#define SENTC_STREAM_H

#include <stdint.h>
#include "../layout.h"
#include "kinds.h"       /* struct sentc_quota */

/* An effect that is not a kind's: the request entered resource `rule`
 * (it went upstream through it: engine.c's in-flight gauges). */
#define SENTC_EFFECT_ENTERED 0xffu

struct sentc_stream {
  uint32_t id;
  int32_t chain;           /* next in its index bucket or in the free list */
  int32_t next_held;       /* next in the held list */
  uint8_t used, held, grpc, completed, awaiting_trailers;
  uint8_t refused;         /* a connection that was refused, closing */
  uint8_t upstream;        /* went upstream: its resources count it in flight */
  uint8_t has_quota;
  int64_t pass_at;         /* went upstream (ms); while held: when it was held */
  int64_t resume_at;       /* held: when it may go */
  uint32_t rt_ms;          /* response time, set at the response headers */
  int32_t status;          /* HTTP status of the response */
  uint32_t held_rule;      /* held: by which rule (of kind held_kind) */
  uint8_t held_kind;
  uint32_t n_effects, room;
  struct sentc_quota quota;  /* has_quota: what its RateLimit headers report */
  struct sentc_effect inline_effects[SENTC_STREAM_INLINE];
  union {                  /* effects beyond the inline ones; 8 bytes in both builds */
    struct sentc_effect *more;
    uint64_t pinned;
  } spill;
};
_Static_assert(sizeof(struct sentc_stream) == SENTC_STREAM_ENTRY_BYTES,
               "the stream entry must be as big natively as in wasm32 (layout.h)");

#define SENTC_STREAM_INDEX 1024u

struct sentc_streams {
  struct sentc_stream *entries;
  uint32_t n_entries, n_open;
  uint32_t spilled;        /* effects kept beyond the entries, all streams */
  int32_t index[SENTC_STREAM_INDEX];
  int32_t free_list;
};

void sentc_stream_init(struct sentc_streams *t);
void sentc_stream_free(struct sentc_streams *t);

/* A fresh entry for `id` (replacing any stale one), or NULL without memory. */
struct sentc_stream *sentc_stream_open(struct sentc_streams *t, uint32_t id);

struct sentc_stream *sentc_stream_find(struct sentc_streams *t, uint32_t id);

void sentc_stream_close(struct sentc_streams *t, struct sentc_stream *stream);

/* Records one more effect of `stream`'s pass: 0, or -1 without memory for
 * it (the effect is then not recorded: its caller gives it back). */
int sentc_stream_record(struct sentc_streams *t, struct sentc_stream *stream,
                        const struct sentc_effect *effect);

/* Effect i (< n_effects) of `stream`. */
static inline struct sentc_effect *sentc_stream_effect(struct sentc_stream *s, uint32_t i) {
  return i < SENTC_STREAM_INLINE ? &s->inline_effects[i]
                                 : &s->spill.more[i - SENTC_STREAM_INLINE];
}

/* Takes the last effect off (an undo, engine.c). */
static inline struct sentc_effect *sentc_stream_pop(struct sentc_stream *s) {
  return sentc_stream_effect(s, --s->n_effects);
}

/* Entry by index (the held list links indices). */
struct sentc_stream *sentc_stream_at(struct sentc_streams *t, int32_t index);
int32_t sentc_stream_index(const struct sentc_streams *t, const struct sentc_stream *stream);

/* The bytes one stream in flight takes with no spilled effects. */
uint32_t sentc_stream_bytes(void);

#endif
