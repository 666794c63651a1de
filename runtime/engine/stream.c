/*
 * stream.c: the per-stream table (see stream.h).
 *
 * The table grows a chunk of entries at a time, and nothing changes until
 * the allocation has succeeded, so running out of memory leaves the table
 * as it was (the stream is then let through uncounted, engine.c).  Effects
 * beyond an entry's inline ones go to a block of the stream's own, doubled
 * as needed and freed when the stream closes.
 */
#include <stdlib.h>
#include <string.h>
#include "bound.h"
#include "stream.h"

#define CHUNK 64u

void sentc_stream_init(struct sentc_streams *t) {
  *t = (struct sentc_streams){.free_list = -1};
  memset(t->index, 0xff, sizeof t->index);
}

void sentc_stream_free(struct sentc_streams *t) {
  for (uint32_t i = 0; i < t->n_entries; i++)
    free(t->entries[i].spill.more);
  free(t->entries);
  *t = (struct sentc_streams){.free_list = -1};
}

static int grow(struct sentc_streams *t) {
  if (t->n_entries > INT32_MAX - CHUNK)
    return -1;
  struct sentc_stream *entries = realloc(t->entries, (t->n_entries + CHUNK) * sizeof *entries);
  if (!entries)
    return -1;
  t->entries = entries;
  for (uint32_t i = 0; i < CHUNK; i++) {
    uint32_t at = t->n_entries + i;
    t->entries[at] = (struct sentc_stream){.chain = t->free_list};
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
  *s = (struct sentc_stream){.id = id, .used = 1, .next_held = -1, .room = SENTC_STREAM_INLINE,
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
  if (s->spill.more) {
    t->spilled -= s->room - SENTC_STREAM_INLINE;
    free(s->spill.more);
    s->spill.more = NULL;
  }
  s->used = 0;
  s->chain = t->free_list;
  t->free_list = i;
  t->n_open--;
}

int sentc_stream_record(struct sentc_streams *t, struct sentc_stream *s,
                        const struct sentc_effect *e) {
  if (s->n_effects == s->room) {
    if (s->room > UINT32_MAX / 2)
      return -1;
    uint32_t more = s->room * 2 - SENTC_STREAM_INLINE;
    struct sentc_effect *block = realloc(s->spill.more, more * sizeof *block);
    if (!block)
      return -1;
    t->spilled += s->room * 2 - s->room;
    s->spill.more = block;
    s->room *= 2;
  }
  *sentc_stream_effect(s, s->n_effects++) = *e;
  return 0;
}

struct sentc_stream *sentc_stream_at(struct sentc_streams *t, int32_t index) {
  SENTC_ASSERT(index >= 0 && (uint32_t)index < t->n_entries);
  return &t->entries[index];
}

int32_t sentc_stream_index(const struct sentc_streams *t, const struct sentc_stream *s) {
  SENTC_ASSERT(s >= t->entries && s < t->entries + t->n_entries);
  return (int32_t)(s - t->entries);
}

uint32_t sentc_stream_bytes(void) { return sentc_layout_stream_bytes(0); }
