/*
 * stream.c: the per-stream table (see stream.h).
 */
#include <stdlib.h>
#include <string.h>
#include "stream.h"

#define INDEX_SIZE 1024u
#define CHUNK 64u

static struct sentc_stream *streams;
static uint32_t n_streams, n_open, effects_per_stream;
static int32_t index_heads[INDEX_SIZE];
static int32_t free_list = -1;

void sentc_streams_init(uint32_t max_effects) {
  for (uint32_t i = 0; i < n_streams; i++)
    free(streams[i].effects);
  free(streams);
  streams = NULL;
  n_streams = n_open = 0;
  free_list = -1;
  effects_per_stream = max_effects ? max_effects : 1;
  memset(index_heads, 0xff, sizeof index_heads);
}

static int grow(void) {
  struct sentc_stream *grown = realloc(streams, (n_streams + CHUNK) * sizeof *grown);
  if (!grown)
    return -1;
  streams = grown;
  for (uint32_t i = n_streams; i < n_streams + CHUNK; i++) {
    streams[i] = (struct sentc_stream){.chain = free_list};
    streams[i].effects = calloc(effects_per_stream, sizeof *streams[i].effects);
    if (!streams[i].effects)
      return -1;
    free_list = (int32_t)i;
  }
  n_streams += CHUNK;
  return 0;
}

struct sentc_stream *sentc_stream_find(uint32_t id) {
  for (int32_t i = index_heads[id % INDEX_SIZE]; i >= 0; i = streams[i].chain)
    if (streams[i].id == id)
      return &streams[i];
  return NULL;
}

struct sentc_stream *sentc_stream_open(uint32_t id) {
  struct sentc_stream *stale = sentc_stream_find(id);
  if (stale)
    sentc_stream_close(stale);
  if (free_list < 0 && grow() != 0)
    return NULL;
  int32_t i = free_list;
  struct sentc_stream *s = &streams[i];
  free_list = s->chain;
  struct sentc_effect *effects = s->effects;
  *s = (struct sentc_stream){.id = id, .used = 1, .next_held = -1, .effects = effects,
                             .chain = index_heads[id % INDEX_SIZE]};
  index_heads[id % INDEX_SIZE] = i;
  n_open++;
  return s;
}

void sentc_stream_close(struct sentc_stream *s) {
  int32_t i = sentc_stream_index(s);
  int32_t *link = &index_heads[s->id % INDEX_SIZE];
  while (*link != i)
    link = &streams[*link].chain;
  *link = s->chain;
  s->used = 0;
  s->chain = free_list;
  free_list = i;
  n_open--;
}

struct sentc_stream *sentc_stream_at(int32_t index) { return &streams[index]; }

int32_t sentc_stream_index(const struct sentc_stream *s) { return (int32_t)(s - streams); }

uint32_t sentc_streams_open(void) { return n_open; }

uint32_t sentc_stream_entry_bytes(void) {
  return (uint32_t)(sizeof(struct sentc_stream) + effects_per_stream * sizeof(struct sentc_effect));
}
