/*
 * stream.c: the per-stream table (see stream.h).
 *
 * The table grows a chunk at a time: the chunk's effects are one block, and
 * nothing changes until every allocation of the chunk has succeeded, so
 * running out of memory leaves the table as it was (the stream is then let
 * through uncounted, engine.c).
 */
#include <stdlib.h>
#include <string.h>
#include "bound.h"
#include "stream.h"

#define CHUNK 64u

void sentc_stream_init(struct sentc_streams *t, uint32_t max_effects) {
  *t = (struct sentc_streams){.free_list = -1, .max_effects = max_effects ? max_effects : 1};
  memset(t->index, 0xff, sizeof t->index);
}

void sentc_stream_free(struct sentc_streams *t) {
  for (uint32_t i = 0; i < t->n_entries / CHUNK; i++)
    free(t->chunks[i]);
  free(t->chunks);
  free(t->entries);
  *t = (struct sentc_streams){.free_list = -1};
}

static int grow(struct sentc_streams *t) {
  uint32_t n_chunks = t->n_entries / CHUNK;
  struct sentc_effect *effects = calloc((size_t)CHUNK * t->max_effects, sizeof *effects);
  struct sentc_effect **chunks = effects ? realloc(t->chunks, (n_chunks + 1) * sizeof *chunks) : NULL;
  if (chunks)
    t->chunks = chunks;
  struct sentc_stream *entries =
      chunks ? realloc(t->entries, (t->n_entries + CHUNK) * sizeof *entries) : NULL;
  if (!entries) {
    free(effects);
    return -1;
  }
  t->entries = entries;
  t->chunks[n_chunks] = effects;
  for (uint32_t i = 0; i < CHUNK; i++) {
    uint32_t at = t->n_entries + i;
    t->entries[at] = (struct sentc_stream){.chain = t->free_list,
                                           .effects = effects + (size_t)i * t->max_effects};
    t->free_list = (int32_t)at;
  }
  t->n_entries += CHUNK;
  return 0;
}

struct sentc_stream *sentc_stream_find(struct sentc_streams *t, uint32_t id) {
  for (int32_t i = t->index[id % SENTC_STREAM_INDEX]; i >= 0; i = t->entries[i].chain)
    if (t->entries[i].id == id)
      return &t->entries[i];
  return NULL;
}

struct sentc_stream *sentc_stream_open(struct sentc_streams *t, uint32_t id) {
  struct sentc_stream *stale = sentc_stream_find(t, id);
  if (stale)
    sentc_stream_close(t, stale);
  if (t->free_list < 0 && grow(t) != 0)
    return NULL;
  int32_t i = t->free_list;
  struct sentc_stream *s = &t->entries[i];
  t->free_list = s->chain;
  struct sentc_effect *effects = s->effects;
  *s = (struct sentc_stream){.id = id, .used = 1, .next_held = -1, .effects = effects,
                             .chain = t->index[id % SENTC_STREAM_INDEX]};
  t->index[id % SENTC_STREAM_INDEX] = i;
  t->n_open++;
  return s;
}

void sentc_stream_close(struct sentc_streams *t, struct sentc_stream *s) {
  int32_t i = sentc_stream_index(t, s);
  int32_t *link = &t->index[s->id % SENTC_STREAM_INDEX];
  while (*link != i)
    link = &t->entries[*link].chain;
  *link = s->chain;
  s->used = 0;
  s->chain = t->free_list;
  t->free_list = i;
  t->n_open--;
}

void sentc_stream_record(const struct sentc_streams *t, struct sentc_stream *s,
                         const struct sentc_effect *e) {
  SENTC_ASSERT(s->n_effects < t->max_effects);
  if (s->n_effects < t->max_effects)
    s->effects[s->n_effects++] = *e;
}

struct sentc_stream *sentc_stream_at(struct sentc_streams *t, int32_t index) {
  SENTC_ASSERT(index >= 0 && (uint32_t)index < t->n_entries);
  return &t->entries[index];
}

int32_t sentc_stream_index(const struct sentc_streams *t, const struct sentc_stream *s) {
  SENTC_ASSERT(s >= t->entries && s < t->entries + t->n_entries);
  return (int32_t)(s - t->entries);
}

uint32_t sentc_stream_bytes(const struct sentc_streams *t) {
  return sentc_layout_stream_bytes(t->max_effects);
}
