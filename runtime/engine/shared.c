/*
 * shared.c: proxy cells in Proxy-Wasm shared data (see shared.h, state.h).
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
#include "cells.h"
#include "platform.h"
#include "shared.h"
#include "state.h"
#include "vmreg.h"

struct share {
  uint32_t token, count;
};

struct pcell {
  uint32_t size, n_permits;
  uint32_t offsets[SENTC_STATE_MAX_PERMITS];
  uint32_t mine[SENTC_STATE_MAX_PERMITS];   /* permits this VM holds there */
  uint8_t owed;                             /* mine not yet written */
};

#define SHARES_SIZE (SENTC_VM_SLOTS * sizeof(struct share))
_Static_assert(SHARES_SIZE == SENTC_PERMIT_SHARES_BYTES, "cells.h counts the shares as stored");

static struct pcell *pcells;
static uint32_t n_pcells, room_pcells, n_owed;
static size_t raw_max;
#define COPIES 8                            /* values kept, replaced in turn */
static unsigned char *copies, *flush_view;
static struct {
  uint32_t cell, cas;
} copy_of[COPIES];
static uint32_t next_copy;
static unsigned char *raw;                  /* the copy being worked on */
static char *key;                           /* prefix, then room for a suffix */
static size_t prefix_len;
static int32_t unavailable_counter = -1;

/* No stdio in main.wasm (it would import WASI files): keys by hand. */
static size_t append(size_t at, const char *text, size_t len) {
  memcpy(key + at, text, len);
  return at + len;
}

void sentc_shared_namespace(const struct sentc_string *name, uint64_t hash) {
  free(key);
  key = malloc(name->len + 64);
  if (!key)
    return;
  char hex[16];
  for (int i = 0; i < 16; i++)
    hex[i] = "0123456789abcdef"[(hash >> (60 - 4 * i)) & 15];
  size_t at = append(0, "sentc/", 6);
  at = append(at, name->text, name->len);
  at = append(at, "/", 1);
  at = append(at, hex, sizeof hex);
  prefix_len = append(at, "/", 1);
}

const char *sentc_shared_key(const char *suffix, size_t *len) {
  *len = append(prefix_len, suffix, strlen(suffix));
  return key;
}

static const char *cell_key(uint32_t cell, size_t *len) {
  char digits[12], *p = digits + sizeof digits;
  *--p = 0;
  do
    *--p = (char)('0' + cell % 10);
  while (cell /= 10);
  return sentc_shared_key(p, len);
}

int sentc_shared_in_use(void) { return copies != NULL; }

static void forget_copies(void) {
  for (int i = 0; i < COPIES; i++)
    copy_of[i].cell = UINT32_MAX;
}

/* The copy holding `cell`, or -1. */
static int copy_index(uint32_t cell) {
  for (int i = 0; i < COPIES; i++)
    if (copy_of[i].cell == cell)
      return i;
  return -1;
}

/* Points `raw` at the copy of `cell` if it has cas `cas`: 1, else 0. */
static int copy_is(uint32_t cell, uint32_t cas) {
  int i = copy_index(cell);
  if (i < 0 || copy_of[i].cas != cas)
    return 0;
  raw = copies + i * raw_max;
  return 1;
}

/* The copy of `cell`'s cas if it can start an update (0: none; a key not
 * created yet is fetched again), with `raw` pointing at it. */
static uint32_t copy_reusable(uint32_t cell) {
  int i = copy_index(cell);
  return i >= 0 && copy_is(cell, copy_of[i].cas) ? copy_of[i].cas : 0;
}

void sentc_state_now(int64_t now) {
  sentc_vmreg_set_now(now);
  if (copies)
    forget_copies();
}

static size_t raw_size(const struct pcell *c) { return c->size + c->n_permits * SHARES_SIZE; }

uint32_t sentc_shared_reserve(uint32_t size, const uint32_t *permit_offsets, uint32_t n_permits) {
  if (n_pcells == room_pcells) {
    uint32_t room = room_pcells ? 2 * room_pcells : 16;
    struct pcell *grown = realloc(pcells, room * sizeof *grown);
    if (!grown)
      return UINT32_MAX;
    pcells = grown;
    room_pcells = room;
  }
  struct pcell *c = &pcells[n_pcells];
  *c = (struct pcell){.size = size, .n_permits = n_permits};
  if (n_permits)                /* memcpy from NULL is undefined, even of 0 bytes */
    memcpy(c->offsets, permit_offsets, n_permits * sizeof *permit_offsets);
  if (raw_size(c) > raw_max)
    raw_max = raw_size(c);
  return n_pcells++;
}

uint32_t sentc_shared_cells(void) { return n_pcells; }

uint64_t sentc_shared_bytes(void) {
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < n_pcells; i++)
    bytes += raw_size(&pcells[i]);
  return bytes;
}

int sentc_shared_seal(void) {
  if (n_pcells == 0)
    return 0;
  static const char name[] = "sentc.state.unavailable";
  unavailable_counter = sentc_counter_define(name, sizeof name - 1);
  copies = malloc(COPIES * raw_max);
  flush_view = malloc(raw_max);
  forget_copies();
  return copies && flush_view && key ? 0 : -1;
}

void sentc_shared_reset(void) {
  free(pcells);
  free(copies);
  free(flush_view);
  free(key);
  pcells = NULL;
  copies = flush_view = raw = NULL;
  key = NULL;
  n_pcells = room_pcells = n_owed = 0;
  raw_max = prefix_len = 0;
  unavailable_counter = -1;
  sentc_vmreg_reset();
}

/* Gets the cell's value into its copy (`raw`): its cas, or 0 (zeros) when
 * the key is not there yet or cannot be read. */
static uint32_t fetch(uint32_t cell) {
  const struct pcell *c = &pcells[cell];
  int copy = copy_index(cell);
  if (copy < 0)
    copy = (int)(next_copy++ % COPIES);
  raw = copies + copy * raw_max;
  size_t key_len, len = 0;
  const char *k = cell_key(cell, &key_len);
  uint32_t cas = 0;
  if (sentc_shared_get(k, key_len, raw, raw_max, &len, &cas) != SENTC_SHARED_OK ||
      len != raw_size(c)) {
    memset(raw, 0, raw_size(c));
    cas = 0;
  }
  copy_of[copy].cell = cell;
  copy_of[copy].cas = cas;
  return cas;
}

static struct share *shares(const struct pcell *c, uint32_t p) {
  return (struct share *)(raw + c->size + p * SHARES_SIZE);
}

static int is_mine(uint32_t slot, const struct share *s) {
  return (int32_t)slot == sentc_vmreg_slot() && s->token == sentc_vmreg_token();
}

/* Permit field p in `raw`: this VM's count plus the other live shares. */
static uint32_t permits_in_raw(const struct pcell *c, uint32_t p) {
  uint64_t sum = c->mine[p];
  struct share *s = shares(c, p);
  for (uint32_t i = 0; i < SENTC_VM_SLOTS; i++)
    if (s[i].count && !is_mine(i, &s[i]) && sentc_vmreg_live(i, s[i].token))
      sum += s[i].count;
  return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

static uint32_t field(const void *value, uint32_t offset) {
  uint32_t v;
  memcpy(&v, (const unsigned char *)value + offset, sizeof v);
  return v;
}

uint32_t sentc_shared_load(uint32_t cell, void *out, int reuse) {
  const struct pcell *c = &pcells[cell];
  uint32_t cas = reuse ? copy_reusable(cell) : 0;
  if (cas == 0)
    cas = fetch(cell);
  memcpy(out, raw, c->size);
  for (uint32_t p = 0; p < c->n_permits; p++) {
    uint32_t n = permits_in_raw(c, p);
    memcpy((unsigned char *)out + c->offsets[p], &n, sizeof n);
  }
  return cas;
}

/* This VM's count in permit field p once `in` is written over `raw`. */
static uint32_t mine_after(const struct pcell *c, uint32_t p, const void *in) {
  int64_t delta = (int64_t)field(in, c->offsets[p]) - permits_in_raw(c, p);
  int64_t mine = (int64_t)c->mine[p] + delta;
  return mine < 0 ? 0 : (uint32_t)mine;
}

static void set_mine(struct pcell *c, uint32_t p, uint32_t n) {
  sentc_vmreg_hold((int64_t)n - c->mine[p]);
  c->mine[p] = n;
}

/* Writes this VM's shares into `raw`, zeroing those of dead VMs. */
static void write_shares(const struct pcell *c, uint32_t p, uint32_t mine) {
  struct share *s = shares(c, p);
  for (uint32_t i = 0; i < SENTC_VM_SLOTS; i++)
    if (s[i].count && !is_mine(i, &s[i]) && !sentc_vmreg_live(i, s[i].token))
      s[i] = (struct share){0, 0};
  int32_t me = sentc_vmreg_slot();
  if (me >= 0)
    s[me] = (struct share){sentc_vmreg_token(), mine};
}

int sentc_shared_store(uint32_t cell, const void *in, uint32_t version) {
  struct pcell *c = &pcells[cell];
  if (!copy_is(cell, version) && fetch(cell) != version)
    return -1;
  uint32_t mine[SENTC_STATE_MAX_PERMITS];
  int holds = 0;
  for (uint32_t p = 0; p < c->n_permits; p++) {
    mine[p] = mine_after(c, p, in);
    holds |= mine[p] > 0;
  }
  if (holds && sentc_vmreg_ready() != 0)
    return -1;
  for (uint32_t p = 0; p < c->n_permits; p++)
    write_shares(c, p, mine[p]);
  memcpy(raw, in, c->size);
  size_t key_len;
  const char *k = cell_key(cell, &key_len);
  copy_of[copy_index(cell)].cell = UINT32_MAX;
  if (sentc_shared_set(k, key_len, raw, raw_size(c), version) != SENTC_SHARED_OK)
    return -1;
  for (uint32_t p = 0; p < c->n_permits; p++)
    set_mine(c, p, mine[p]);
  if (c->owed) {
    c->owed = 0;
    n_owed--;
  }
  return 0;
}

void sentc_shared_give_up(uint32_t cell, const void *in) {
  struct pcell *c = &pcells[cell];
  if (unavailable_counter >= 0)
    sentc_counter_add(unavailable_counter, 1);
  if (!copy_reusable(cell))
    fetch(cell);
  for (uint32_t p = 0; p < c->n_permits; p++) {
    uint32_t after = mine_after(c, p, in);
    if (after < c->mine[p]) {
      set_mine(c, p, after);
      n_owed += !c->owed;
      c->owed = 1;
    }
  }
}

void sentc_shared_agree(void *value, uint32_t len) {
  unsigned char published[64];
  if (n_pcells == 0 || len > sizeof published)
    return;
  size_t key_len, got = 0;
  const char *k = sentc_shared_key("seed", &key_len);
  uint32_t cas;
  if (sentc_shared_get(k, key_len, published, sizeof published, &got, &cas) != SENTC_SHARED_OK) {
    sentc_shared_set(k, key_len, value, len, 0);
    sentc_shared_get(k, key_len, published, sizeof published, &got, &cas);
  }
  if (got == len)
    memcpy(value, published, len);
}

uint32_t sentc_state_wake_ms(void) {
  return pcells && (sentc_vmreg_holding() || n_owed) ? SENTC_STAMP_EVERY_MS : 0;
}

/* Writes the shares that a give-up left owed (load + store as they are). */
static void flush_owed(void) {
  for (uint32_t i = 0; i < n_pcells && n_owed; i++)
    if (pcells[i].owed)
      sentc_shared_store(i, flush_view, sentc_shared_load(i, flush_view, 0));
}

void sentc_state_tick(void) {
  if (!pcells)
    return;
  if (sentc_vmreg_holding())
    sentc_vmreg_ready();
  flush_owed();
}
