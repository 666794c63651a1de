/*
 * vmreg.h: which VMs of the process are alive, for proxy cells' permits.
 *
 * Envoy runs one VM per worker, and replaces VMs (config update, hot
 * restart, crash) without telling the others.  A permit held by a VM that
 * disappeared must not count forever, so each VM's share of a permit field
 * is stored under its token (shared.c), and counts only while the registry
 * shows that VM's stamp younger than SENTC_LIVENESS_MS.
 *
 * The registry is one shared-data key ("vms", keyspace.h) of
 * SENTC_VM_SLOTS (layout.h) entries {token, stamp}.  A VM joins lazily, the
 * first time it takes a permit (so the canary VM and the main-thread VM,
 * which only configure, never join), taking a free slot or one whose stamp
 * is stale, with a fresh token; a token names its slot (token %
 * SENTC_VM_SLOTS), so a share needs no slot of its own.  While it holds
 * permits a VM refreshes its stamp every SENTC_STAMP_EVERY_MS (from
 * requests and from proxy_on_tick).
 *
 * Readers keep a copy of the registry, re-read when older than
 * SENTC_STAMP_EVERY_MS, when a cell names a token the copy does not know,
 * and when the copy says a VM holding a share is dead but was read before
 * the cell was: a VM stamps itself before it writes its share, so a copy
 * read after the cell sees the stamp that goes with the share (a VM back
 * from an idle gap is not taken for dead by a reader whose copy predates
 * its new stamp).
 */
#ifndef SENTC_VMREG_H
#define SENTC_VMREG_H

#include <stdint.h>
#include "../layout.h"
#include "keyspace.h"

#define SENTC_LIVENESS_MS 5000
#define SENTC_STAMP_EVERY_MS 1000

/* The registry as stored in shared data. */
struct sentc_registry {
  uint32_t serial, unused;      /* the last token's serial (token / SENTC_VM_SLOTS) */
  struct {
    uint32_t token, unused;     /* 0: a free slot */
    int64_t stamp;
  } vm[SENTC_VM_SLOTS];
};

struct sentc_vmreg {
  struct sentc_keyspace *keys;
  struct sentc_registry view;   /* our copy */
  int64_t view_at, my_stamp, now;
  int have_view;
  int32_t my_slot;              /* -1 before joining */
  uint32_t my_token;
  int64_t held;                 /* permits this VM holds, all cells together */
  uint64_t fetches;             /* cells got from shared data so far */
  uint64_t view_fetches;        /* `fetches` when the copy was read */
};

void sentc_vmreg_open(struct sentc_vmreg *r, struct sentc_keyspace *keys);

/* The current engine time (sentc_store_begin sets it). */
void sentc_vmreg_set_now(struct sentc_vmreg *r, int64_t now);

/* A cell was just got from shared data (the shares it holds are newer
 * than the copy of the registry, if that was read before). */
void sentc_vmreg_fetched(struct sentc_vmreg *r);

/* Whether the VM with `token` is alive now (never asked of this VM's own). */
int sentc_vmreg_live(struct sentc_vmreg *r, uint32_t token);

/* This VM's token, 0 before it joins. */
uint32_t sentc_vmreg_token(const struct sentc_vmreg *r);

/* Joins if needed and keeps this VM's stamp fresh.  0; -1 when the
 * registry cannot be written (contention); SENTC_VMREG_FULL when it has no
 * free slot. */
#define SENTC_VMREG_FULL (-2)
int sentc_vmreg_ready(struct sentc_vmreg *r);

/* Permits this VM holds in proxy cells, all cells together. */
void sentc_vmreg_hold(struct sentc_vmreg *r, int64_t delta);
int sentc_vmreg_holding(const struct sentc_vmreg *r);

#endif
