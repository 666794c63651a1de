/*
 * shared.c: proxy cells in Proxy-Wasm shared data (see shared.h, store.h).
 *
 * A load is one get: the cell's bytes, with each permit field replaced by
 * this VM's own count plus the live shares of the others.  A store is one
 * set with the loaded cas: the bytes, and for each permit field its share
 * list with this VM's share moved by the change the rule made (dead VMs'
 * shares are dropped on the way: that is how the permits of a VM that
 * disappeared are reclaimed).  The last values got are kept (the last
 * few) until the callback ends, so that an update right after a rule's
 * check starts from the check's copy: a pass costs a rule one get and one
 * set; a copy gone stale only fails the compare-and-swap, and the update
 * then gets it again.  A key not yet in shared data loads as zeros with
 * version 0, and a store with cas 0 creates it (such copies are never
 * reused).
 *
 * A copy is kept unpacked: each field's list at a fixed place with room
 * for all the shares it may list, so lists change in place; it is packed
 * (the lists one after the other, as stored) just before the set.
 */
#include <stdlib.h>
#include <string.h>
#include "bound.h"
#include "platform.h"
#include "shared.h"

_Static_assert(SENTC_SHARES_HEADER_BYTES == SENTC_SHARED_MAX_PERMITS * sizeof(uint32_t),
               "the header holds one share count per permit field");

int sentc_shared_open(struct sentc_shared *s, const struct sentc_string *name, uint64_t hash) {
  *s = (struct sentc_shared){0};
  if (sentc_keyspace_open(&s->keys, name, hash) != 0)
    return -1;
  sentc_vmreg_open(&s->vmreg, &s->keys);
  return 0;
}

void sentc_shared_close(struct sentc_shared *s) {
  for (uint32_t i = 0; i < s->n_pcells; i++)
    free(s->pcells[i].slots);
  free(s->pcells);
  free(s->copies);
  free(s->flush_view);
  sentc_keyspace_close(&s->keys);
  *s = (struct sentc_shared){0};
}

int sentc_shared_in_use(const struct sentc_shared *s) { return s->copies != NULL; }

static void forget_copies(struct sentc_shared *s) {
  for (int i = 0; i < SENTC_SHARED_COPIES; i++)
    s->copy_of[i].cell = UINT32_MAX;
}

/* Copies are named by the cell's rank (its key, keyspace.h). */

/* The copy holding `cell`, or -1. */
static int copy_index(const struct sentc_shared *s, uint32_t cell) {
  for (int i = 0; i < SENTC_SHARED_COPIES; i++)
    if (s->copy_of[i].cell == cell)
      return i;
  return -1;
}

/* Points `raw` at the copy of `cell` if it has cas `cas`: 1, else 0. */
static int copy_is(struct sentc_shared *s, uint32_t cell, uint32_t cas) {
  int i = copy_index(s, cell);
  if (i < 0 || s->copy_of[i].cas != cas)
    return 0;
  s->raw = s->copies + i * s->raw_max;
  return 1;
}

/* The copy of `cell`'s cas if it can start an update (0: none; a key not
 * created yet is fetched again), with `raw` pointing at it. */
static uint32_t copy_reusable(struct sentc_shared *s, uint32_t cell) {
  int i = copy_index(s, cell);
  return i >= 0 && copy_is(s, cell, s->copy_of[i].cas) ? s->copy_of[i].cas : 0;
}

void sentc_shared_begin(struct sentc_shared *s, int64_t now) {
  sentc_vmreg_set_now(&s->vmreg, now);
  if (s->copies)
    forget_copies(s);
}

/* Where field p's shares are in an unpacked copy. */
static size_t list_at(const struct sentc_pcell *c, uint32_t p) {
  size_t at = c->size + SENTC_SHARES_HEADER_BYTES;
  for (uint32_t q = 0; q < p; q++)
    at += c->room[q] * sizeof(struct sentc_share);
  return at;
}

/* An unpacked copy's bytes: the most the cell takes in shared data. */
static size_t raw_size(const struct sentc_pcell *c) {
  return c->n_permits ? list_at(c, c->n_permits) : c->size;
}

/* How many shares each field lists (the header after the cell's bytes). */
static uint32_t *listed(const struct sentc_pcell *c, unsigned char *raw) {
  return (uint32_t *)(raw + c->size);
}

static struct sentc_share *shares(const struct sentc_pcell *c, unsigned char *raw, uint32_t p) {
  return (struct sentc_share *)(raw + list_at(c, p));
}

/* Spreads a value as stored (`len` bytes, at the start of `raw`) into an
 * unpacked copy: 1, or 0 when it cannot be a value of this cell. */
static int unpack(const struct sentc_pcell *c, unsigned char *raw, size_t len) {
  if (!c->n_permits)
    return len == c->size;
  if (len < c->size + SENTC_SHARES_HEADER_BYTES)
    return 0;
  const uint32_t *n = listed(c, raw);
  size_t packed = c->size + SENTC_SHARES_HEADER_BYTES;
  for (uint32_t p = 0; p < SENTC_SHARED_MAX_PERMITS; p++) {
    if (n[p] > (p < c->n_permits ? c->room[p] : 0))
      return 0;
    packed += n[p] * sizeof(struct sentc_share);
  }
  if (packed != len)
    return 0;
  /* The last list first: each moves up to its place, over nothing unread. */
  for (uint32_t p = c->n_permits; p-- > 0;) {
    size_t bytes = n[p] * sizeof(struct sentc_share);
    packed -= bytes;
    memmove(raw + list_at(c, p), raw + packed, bytes);
  }
  return 1;
}

/* Packs an unpacked copy as it is stored: its length. */
static size_t pack(const struct sentc_pcell *c, unsigned char *raw) {
  if (!c->n_permits)
    return c->size;
  const uint32_t *n = listed(c, raw);
  size_t at = c->size + SENTC_SHARES_HEADER_BYTES;
  for (uint32_t p = 0; p < c->n_permits; p++) {
    size_t bytes = n[p] * sizeof(struct sentc_share);
    memmove(raw + at, raw + list_at(c, p), bytes);
    at += bytes;
  }
  return at;
}

uint32_t sentc_shared_reserve(struct sentc_shared *s, uint32_t size,
                              const struct sentc_permit *permits, uint32_t n_permits,
                              uint32_t count) {
  SENTC_ASSERT(n_permits <= SENTC_SHARED_MAX_PERMITS && count > 0);
  if (s->n_pcells == s->room_pcells) {
    uint32_t room = s->room_pcells ? 2 * s->room_pcells : 16;
    struct sentc_pcell *grown = realloc(s->pcells, room * sizeof *grown);
    if (!grown)
      return UINT32_MAX;
    s->pcells = grown;
    s->room_pcells = room;
  }
  struct sentc_pcell *c = &s->pcells[s->n_pcells];
  *c = (struct sentc_pcell){.first = s->n_cells, .count = count, .size = size,
                            .n_permits = n_permits};
  for (uint32_t p = 0; p < n_permits; p++) {
    c->offsets[p] = permits[p].offset;
    c->room[p] = sentc_layout_shares(permits[p].most);
  }
  if (raw_size(c) > s->raw_max)
    s->raw_max = raw_size(c);
  s->n_cells += count;
  return s->n_pcells++;
}

uint32_t sentc_shared_cells(const struct sentc_shared *s) { return s->n_cells; }

uint64_t sentc_shared_bytes(const struct sentc_shared *s) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < s->n_pcells; i++)
    bytes += (uint64_t)raw_size(&s->pcells[i]) * s->pcells[i].count;
  return bytes;
}

int sentc_shared_seal(struct sentc_shared *s) {
  if (s->n_pcells == 0)
    return 0;
  s->copies = malloc(SENTC_SHARED_COPIES * s->raw_max);
  s->flush_view = malloc(s->raw_max);
  forget_copies(s);
  return s->copies && s->flush_view ? 0 : -1;
}

/* Gets the value of run c's cell of rank `cell` into its copy (`raw`),
 * unpacked: its cas, or 0 (zeros) when the key is not there yet or cannot
 * be read. */
static uint32_t fetch(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t cell) {
  int copy = copy_index(s, cell);
  if (copy < 0)
    copy = (int)(s->next_copy++ % SENTC_SHARED_COPIES);
  s->raw = s->copies + copy * s->raw_max;
  size_t key_len, len = 0;
  const char *k = sentc_keyspace_cell(&s->keys, cell, &key_len);
  uint32_t cas = 0;
  if (sentc_platform_shared_get(k, key_len, s->raw, s->raw_max, &len, &cas) != SENTC_SHARED_OK ||
      !unpack(c, s->raw, len)) {
    memset(s->raw, 0, raw_size(c));
    cas = 0;
  }
  s->copy_of[copy].cell = cell;
  s->copy_of[copy].cas = cas;
  sentc_vmreg_fetched(&s->vmreg);
  return cas;
}

/* The permits this VM holds in field p of the run's cell `slot`. */
static uint32_t mine(const struct sentc_pcell *c, uint32_t slot, uint32_t p) {
  return c->slots ? c->slots[slot].mine[p] : 0;
}

/* Permit field p in `raw`: this VM's count plus the other live shares. */
static uint32_t permits_in_raw(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t slot,
                               uint32_t p) {
  uint64_t sum = mine(c, slot, p);
  uint32_t me = sentc_vmreg_token(&s->vmreg), n = listed(c, s->raw)[p];
  const struct sentc_share *share = shares(c, s->raw, p);
  for (uint32_t i = 0; i < n; i++)
    if (share[i].token != me && sentc_vmreg_live(&s->vmreg, share[i].token))
      sum += share[i].count;
  return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

static uint32_t field(const void *value, uint32_t offset) {
  uint32_t v;
  memcpy(&v, (const unsigned char *)value + offset, sizeof v);
  return v;
}

uint32_t sentc_shared_load(struct sentc_shared *s, uint32_t run, uint32_t slot, void *out,
                           int reuse) {
  SENTC_ASSERT(run < s->n_pcells && slot < s->pcells[run].count);
  const struct sentc_pcell *c = &s->pcells[run];
  uint32_t cell = c->first + slot;
  uint32_t cas = reuse ? copy_reusable(s, cell) : 0;
  if (cas == 0)
    cas = fetch(s, c, cell);
  memcpy(out, s->raw, c->size);
  for (uint32_t p = 0; p < c->n_permits; p++) {
    uint32_t n = permits_in_raw(s, c, slot, p);
    memcpy((unsigned char *)out + c->offsets[p], &n, sizeof n);
  }
  return cas;
}

/* This VM's count in permit field p once `in` is written over `raw`. */
static uint32_t mine_after(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t slot,
                           uint32_t p, const void *in) {
  int64_t delta = (int64_t)field(in, c->offsets[p]) - permits_in_raw(s, c, slot, p);
  int64_t after = (int64_t)mine(c, slot, p) + delta;
  return after < 0 ? 0 : (uint32_t)after;
}

/* A change of count needs the run's slots: made by the store that first
 * holds a permit in the run, and any count above 0 was set by one. */
static void set_mine(struct sentc_shared *s, struct sentc_pcell *c, uint32_t slot, uint32_t p,
                     uint32_t n) {
  uint32_t had = mine(c, slot, p);
  if (n == had)
    return;
  sentc_vmreg_hold(&s->vmreg, (int64_t)n - had);
  c->slots[slot].mine[p] = n;
}

/* Rewrites field p's list in `raw`: the live shares of other VMs, and
 * this VM's with `mine` permits (none when 0).  0, or -1 when the list has
 * no room left for this VM's share. */
static int write_shares(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t p,
                        uint32_t mine) {
  uint32_t me = sentc_vmreg_token(&s->vmreg), *n = &listed(c, s->raw)[p], kept = 0;
  struct sentc_share *share = shares(c, s->raw, p);
  for (uint32_t i = 0; i < *n; i++)
    if (share[i].token != me && share[i].count && sentc_vmreg_live(&s->vmreg, share[i].token))
      share[kept++] = share[i];
  if (mine && kept == c->room[p]) {
    *n = kept;
    return -1;
  }
  if (mine)
    share[kept++] = (struct sentc_share){me, mine};
  *n = kept;
  return 0;
}

int sentc_shared_store(struct sentc_shared *s, uint32_t run, uint32_t slot, const void *in,
                       uint32_t version) {
  SENTC_ASSERT(run < s->n_pcells && slot < s->pcells[run].count);
  struct sentc_pcell *c = &s->pcells[run];
  uint32_t cell = c->first + slot;
  if (!copy_is(s, cell, version) && fetch(s, c, cell) != version)
    return -1;
  uint32_t after[SENTC_SHARED_MAX_PERMITS];
  int holds = 0;
  for (uint32_t p = 0; p < c->n_permits; p++) {
    after[p] = mine_after(s, c, slot, p, in);
    holds |= after[p] > 0;
  }
  if (holds && !c->slots && !(c->slots = calloc(c->count, sizeof *c->slots)))
    return SENTC_SHARED_FULL;
  int ready = holds ? sentc_vmreg_ready(&s->vmreg) : 0;
  if (ready != 0)
    return ready == SENTC_VMREG_FULL ? SENTC_SHARED_FULL : -1;
  /* From here the copy is changed: it is no copy of the cell any more. */
  s->copy_of[copy_index(s, cell)].cell = UINT32_MAX;
  for (uint32_t p = 0; p < c->n_permits; p++)
    if (write_shares(s, c, p, after[p]) != 0)  /* full, unless the copy was stale */
      return fetch(s, c, cell) == version ? SENTC_SHARED_FULL : -1;
  memcpy(s->raw, in, c->size);
  size_t len = pack(c, s->raw);
  size_t key_len;
  const char *k = sentc_keyspace_cell(&s->keys, cell, &key_len);
  if (sentc_platform_shared_set(k, key_len, s->raw, len, version) != SENTC_SHARED_OK)
    return -1;
  for (uint32_t p = 0; p < c->n_permits; p++)
    set_mine(s, c, slot, p, after[p]);
  if (c->slots && c->slots[slot].owed) {
    c->slots[slot].owed = 0;
    s->n_owed--;
  }
  return 0;
}

void sentc_shared_give_up(struct sentc_shared *s, uint32_t run, uint32_t slot, const void *in) {
  struct sentc_pcell *c = &s->pcells[run];
  uint32_t cell = c->first + slot;
  s->gave_up++;
  if (!copy_reusable(s, cell))
    fetch(s, c, cell);
  for (uint32_t p = 0; p < c->n_permits; p++) {
    uint32_t after = mine_after(s, c, slot, p, in);
    if (after < mine(c, slot, p)) {   /* so this VM held permits: the slots are there */
      set_mine(s, c, slot, p, after);
      s->n_owed += !c->slots[slot].owed;
      c->slots[slot].owed = 1;
    }
  }
}

void sentc_shared_agree(struct sentc_shared *s, void *value, uint32_t len) {
  unsigned char published[64];
  if (s->n_pcells == 0 || len > sizeof published)
    return;
  size_t key_len, got = 0;
  const char *k = sentc_keyspace_key(&s->keys, "seed", &key_len);
  uint32_t cas;
  if (sentc_platform_shared_get(k, key_len, published, sizeof published, &got, &cas) !=
      SENTC_SHARED_OK) {
    sentc_platform_shared_set(k, key_len, value, len, 0);
    sentc_platform_shared_get(k, key_len, published, sizeof published, &got, &cas);
  }
  if (got == len)
    memcpy(value, published, len);
}

uint32_t sentc_shared_wake_ms(const struct sentc_shared *s) {
  return s->pcells && (sentc_vmreg_holding(&s->vmreg) || s->n_owed) ? SENTC_STAMP_EVERY_MS : 0;
}

/* Writes the shares that a give-up left owed (load + store as they are). */
static void flush_owed(struct sentc_shared *s) {
  for (uint32_t i = 0; i < s->n_pcells && s->n_owed; i++)
    for (uint32_t j = 0; s->pcells[i].slots && j < s->pcells[i].count && s->n_owed; j++)
      if (s->pcells[i].slots[j].owed)
        sentc_shared_store(s, i, j, s->flush_view, sentc_shared_load(s, i, j, s->flush_view, 0));
}

void sentc_shared_tick(struct sentc_shared *s) {
  if (!s->pcells)
    return;
  if (sentc_vmreg_holding(&s->vmreg))
    sentc_vmreg_ready(&s->vmreg);
  flush_owed(s);
}
