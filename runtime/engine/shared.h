/*
 * shared.h: proxy cells (store.h) in Proxy-Wasm shared data, for store.c.
 *
 * Each proxy cell is one shared-data key (keyspace.h: the cell's rank among
 * the proxy cells, the same in every VM because cells are reserved in table
 * order), holding the cell's bytes followed, when it has permit fields, by
 * a header (how many shares each field lists) and the {token, count}
 * shares of the VMs holding permits there (layout.h, vmreg.h): the value
 * grows and shrinks with them.  A field lists at most as many shares as it
 * counts permits (sentc_layout_shares): one VM more could only hold one it
 * must not.  Keys are bounded by the policy: one per cell, plus the
 * registry, the seed and the clock.  A VM keeps one record per run of cells
 * reserved together (a hotspot rule's slots), and its own permit counts in
 * a run's cells only from the first permit it holds in one of them.
 */
#ifndef SENTC_SHARED_H
#define SENTC_SHARED_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"
#include "keyspace.h"
#include "vmreg.h"

/* Most permit fields one cell may have. */
#define SENTC_SHARED_MAX_PERMITS 2
/* Values got from shared data kept for reuse within one callback. */
#define SENTC_SHARED_COPIES 8

/* A permit field of a cell: where it is, and the most permits it counts
 * (the rule's limit; UINT32_MAX when no rule bounds it). */
struct sentc_permit {
  uint32_t offset, most;
};

/* This VM's part in one proxy cell with permit fields. */
struct sentc_pslot {
  uint32_t mine[SENTC_SHARED_MAX_PERMITS];  /* permits this VM holds there */
  uint8_t owed;                             /* mine not yet written */
};

/* A run of `count` alike proxy cells reserved together (store.h): their
 * keys are ranks first..first + count - 1. */
struct sentc_pcell {
  uint32_t first, count, size, n_permits;
  uint32_t offsets[SENTC_SHARED_MAX_PERMITS];
  uint32_t room[SENTC_SHARED_MAX_PERMITS];  /* shares the field can list */
  struct sentc_pslot *slots;                /* per cell, made when this VM
                                               first holds a permit in one */
};

struct sentc_shared {
  struct sentc_keyspace keys;
  struct sentc_vmreg vmreg;
  struct sentc_pcell *pcells;              /* the runs */
  uint32_t n_pcells, room_pcells, n_cells, n_owed;
  size_t raw_max;
  unsigned char *copies, *flush_view;
  struct {
    uint32_t cell, cas;
  } copy_of[SENTC_SHARED_COPIES];
  uint32_t next_copy;
  unsigned char *raw;                       /* the copy being worked on */
  uint64_t gave_up;                         /* updates given up, ever */
};

/* Starts the proxy cells of policy `name` with tables `hash`: 0 or -1. */
int sentc_shared_open(struct sentc_shared *s, const struct sentc_string *name, uint64_t hash);
/* Reserves a run of `count` alike cells: its index (cell `slot` of the
 * run is named by both below), or UINT32_MAX without memory. */
uint32_t sentc_shared_reserve(struct sentc_shared *s, uint32_t size,
                              const struct sentc_permit *permits, uint32_t n_permits,
                              uint32_t count);
int sentc_shared_seal(struct sentc_shared *s);
void sentc_shared_close(struct sentc_shared *s);

/* A callback starts at engine time `now`: copies from earlier callbacks
 * are forgotten. */
void sentc_shared_begin(struct sentc_shared *s, int64_t now);

/* `reuse`: may start from the copy got earlier in this callback. */
uint32_t sentc_shared_load(struct sentc_shared *s, uint32_t run, uint32_t slot, void *out,
                           int reuse);

/* 0; -1 when the version changed meanwhile (load again and redo the
 * change); SENTC_SHARED_FULL when trying again at once cannot help: this
 * VM needs a share in a field whose list is full (which takes VMs taken
 * for dead that were not), or a slot in a full registry, or memory to
 * count its permits in the run. */
#define SENTC_SHARED_FULL (-2)
int sentc_shared_store(struct sentc_shared *s, uint32_t run, uint32_t slot, const void *in,
                       uint32_t version);

/* The update of the cell to `in` gave up: permits it gave back stay given
 * back in this VM's share, and are written with its next store. */
void sentc_shared_give_up(struct sentc_shared *s, uint32_t run, uint32_t slot, const void *in);

/* Makes `value` (len bytes) the same in every VM of the process when there
 * are proxy cells: the first VM publishes its value, the others adopt it. */
void sentc_shared_agree(struct sentc_shared *s, void *value, uint32_t len);

/* Proxy cells reserved, and their bytes in shared data at most (every
 * share list full). */
uint32_t sentc_shared_cells(const struct sentc_shared *s);
uint64_t sentc_shared_bytes(const struct sentc_shared *s);

/* Whether the policy has proxy cells (sealed). */
int sentc_shared_in_use(const struct sentc_shared *s);

/* Tick period the proxy cells need (keeping this VM's liveness stamp fresh
 * while it holds permits, writing owed shares), 0 when none; the tick. */
uint32_t sentc_shared_wake_ms(const struct sentc_shared *s);
void sentc_shared_tick(struct sentc_shared *s);

#endif
