/*
 * shared.c: proxy cells in Proxy-Wasm shared data (see shared.h, store.h).
 *
 * A load is one get: the cell's bytes, with each permit field replaced by
 * this VM's own count plus the live shares of the others.  A store is one
 * set with the loaded cas: the bytes, and for each permit field this VM's
 * share moved by the change the rule made (dead VMs' shares are zeroed on
 * the way: that is how their permits are reclaimed).  The last values got
 * are kept (the last few) until the callback ends, so that an update
 * right after a rule's check starts from the check's copy: a pass costs a
 * rule one get and one set; a copy gone stale only fails the
 * compare-and-swap, and the update then gets it again.  A key not yet in
 * shared data loads as zeros with version 0, and a store with cas 0
 * creates it (such copies are never reused).
 */
#include <stdlib.h>
#include <string.h>
#include "bound.h"
#include "platform.h"
#include "shared.h"

struct share {
  uint32_t token, count;
};

#define SHARES_SIZE (SENTC_VM_SLOTS * sizeof(struct share))
_Static_assert(SHARES_SIZE == SENTC_PERMIT_SHARES_BYTES, "layout.h counts the shares as stored");

int sentc_shared_open(struct sentc_shared *s, const struct sentc_string *name, uint64_t hash) {
  *s = (struct sentc_shared){0};
  if (sentc_keyspace_open(&s->keys, name, hash) != 0)
    return -1;
  sentc_vmreg_open(&s->vmreg, &s->keys);
  return 0;
}

void sentc_shared_close(struct sentc_shared *s) {
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

static size_t raw_size(const struct sentc_pcell *c) { return c->size + c->n_permits * SHARES_SIZE; }

uint32_t sentc_shared_reserve(struct sentc_shared *s, uint32_t size,
                              const uint32_t *permit_offsets, uint32_t n_permits) {
  SENTC_ASSERT(n_permits <= SENTC_SHARED_MAX_PERMITS);
  if (s->n_pcells == s->room_pcells) {
    uint32_t room = s->room_pcells ? 2 * s->room_pcells : 16;
    struct sentc_pcell *grown = realloc(s->pcells, room * sizeof *grown);
    if (!grown)
      return UINT32_MAX;
    s->pcells = grown;
    s->room_pcells = room;
  }
  struct sentc_pcell *c = &s->pcells[s->n_pcells];
  *c = (struct sentc_pcell){.size = size, .n_permits = n_permits};
  if (n_permits)
    memcpy(c->offsets, permit_offsets, n_permits * sizeof *permit_offsets);
  if (raw_size(c) > s->raw_max)
    s->raw_max = raw_size(c);
  return s->n_pcells++;
}

uint32_t sentc_shared_cells(const struct sentc_shared *s) { return s->n_pcells; }

uint64_t sentc_shared_bytes(const struct sentc_shared *s) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < s->n_pcells; i++)
    bytes += raw_size(&s->pcells[i]);
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

/* Gets the cell's value into its copy (`raw`): its cas, or 0 (zeros) when
 * the key is not there yet or cannot be read. */
static uint32_t fetch(struct sentc_shared *s, uint32_t cell) {
  const struct sentc_pcell *c = &s->pcells[cell];
  int copy = copy_index(s, cell);
  if (copy < 0)
    copy = (int)(s->next_copy++ % SENTC_SHARED_COPIES);
  s->raw = s->copies + copy * s->raw_max;
  size_t key_len, len = 0;
  const char *k = sentc_keyspace_cell(&s->keys, cell, &key_len);
  uint32_t cas = 0;
  if (sentc_platform_shared_get(k, key_len, s->raw, s->raw_max, &len, &cas) != SENTC_SHARED_OK ||
      len != raw_size(c)) {
    memset(s->raw, 0, raw_size(c));
    cas = 0;
  }
  s->copy_of[copy].cell = cell;
  s->copy_of[copy].cas = cas;
  sentc_vmreg_fetched(&s->vmreg);
  return cas;
}

static struct share *shares(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t p) {
  return (struct share *)(s->raw + c->size + p * SHARES_SIZE);
}

static int is_mine(const struct sentc_shared *s, uint32_t slot, const struct share *share) {
  return (int32_t)slot == s->vmreg.my_slot && share->token == s->vmreg.my_token;
}

/* Permit field p in `raw`: this VM's count plus the other live shares. */
static uint32_t permits_in_raw(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t p) {
  uint64_t sum = c->mine[p];
  struct share *share = shares(s, c, p);
  for (uint32_t i = 0; i < SENTC_VM_SLOTS; i++)
    if (share[i].count && !is_mine(s, i, &share[i]) &&
        sentc_vmreg_live(&s->vmreg, i, share[i].token))
      sum += share[i].count;
  return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

static uint32_t field(const void *value, uint32_t offset) {
  uint32_t v;
  memcpy(&v, (const unsigned char *)value + offset, sizeof v);
  return v;
}

uint32_t sentc_shared_load(struct sentc_shared *s, uint32_t cell, void *out, int reuse) {
  SENTC_ASSERT(cell < s->n_pcells);
  const struct sentc_pcell *c = &s->pcells[cell];
  uint32_t cas = reuse ? copy_reusable(s, cell) : 0;
  if (cas == 0)
    cas = fetch(s, cell);
  memcpy(out, s->raw, c->size);
  for (uint32_t p = 0; p < c->n_permits; p++) {
    uint32_t n = permits_in_raw(s, c, p);
    memcpy((unsigned char *)out + c->offsets[p], &n, sizeof n);
  }
  return cas;
}

/* This VM's count in permit field p once `in` is written over `raw`. */
static uint32_t mine_after(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t p,
                           const void *in) {
  int64_t delta = (int64_t)field(in, c->offsets[p]) - permits_in_raw(s, c, p);
  int64_t mine = (int64_t)c->mine[p] + delta;
  return mine < 0 ? 0 : (uint32_t)mine;
}

static void set_mine(struct sentc_shared *s, struct sentc_pcell *c, uint32_t p, uint32_t n) {
  sentc_vmreg_hold(&s->vmreg, (int64_t)n - c->mine[p]);
  c->mine[p] = n;
}

/* Writes this VM's shares into `raw`, zeroing those of dead VMs. */
static void write_shares(struct sentc_shared *s, const struct sentc_pcell *c, uint32_t p,
                         uint32_t mine) {
  struct share *share = shares(s, c, p);
  for (uint32_t i = 0; i < SENTC_VM_SLOTS; i++)
    if (share[i].count && !is_mine(s, i, &share[i]) &&
        !sentc_vmreg_live(&s->vmreg, i, share[i].token))
      share[i] = (struct share){0, 0};
  int32_t me = s->vmreg.my_slot;
  if (me >= 0)
    share[me] = (struct share){s->vmreg.my_token, mine};
}

int sentc_shared_store(struct sentc_shared *s, uint32_t cell, const void *in, uint32_t version) {
  SENTC_ASSERT(cell < s->n_pcells);
  struct sentc_pcell *c = &s->pcells[cell];
  if (!copy_is(s, cell, version) && fetch(s, cell) != version)
    return -1;
  uint32_t mine[SENTC_SHARED_MAX_PERMITS];
  int holds = 0;
  for (uint32_t p = 0; p < c->n_permits; p++) {
    mine[p] = mine_after(s, c, p, in);
    holds |= mine[p] > 0;
  }
  if (holds && sentc_vmreg_ready(&s->vmreg) != 0)
    return -1;
  for (uint32_t p = 0; p < c->n_permits; p++)
    write_shares(s, c, p, mine[p]);
  memcpy(s->raw, in, c->size);
  size_t key_len;
  const char *k = sentc_keyspace_cell(&s->keys, cell, &key_len);
  s->copy_of[copy_index(s, cell)].cell = UINT32_MAX;
  if (sentc_platform_shared_set(k, key_len, s->raw, raw_size(c), version) != SENTC_SHARED_OK)
    return -1;
  for (uint32_t p = 0; p < c->n_permits; p++)
    set_mine(s, c, p, mine[p]);
  if (c->owed) {
    c->owed = 0;
    s->n_owed--;
  }
  return 0;
}

void sentc_shared_give_up(struct sentc_shared *s, uint32_t cell, const void *in) {
  struct sentc_pcell *c = &s->pcells[cell];
  s->gave_up++;
  if (!copy_reusable(s, cell))
    fetch(s, cell);
  for (uint32_t p = 0; p < c->n_permits; p++) {
    uint32_t after = mine_after(s, c, p, in);
    if (after < c->mine[p]) {
      set_mine(s, c, p, after);
      s->n_owed += !c->owed;
      c->owed = 1;
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
    if (s->pcells[i].owed)
      sentc_shared_store(s, i, s->flush_view, sentc_shared_load(s, i, s->flush_view, 0));
}

void sentc_shared_tick(struct sentc_shared *s) {
  if (!s->pcells)
    return;
  if (sentc_vmreg_holding(&s->vmreg))
    sentc_vmreg_ready(&s->vmreg);
  flush_owed(s);
}
