/*
 * vmreg.h: which VMs of the process are alive, for proxy cells' permits.
 *
 * Envoy runs one VM per worker, and replaces VMs (config update, hot
 * restart, crash) without telling the others.  A permit held by a VM that
 * disappeared must not count forever, so each VM's share of a permit field
 * is stored under its registry slot and token (shared.c), and counts only
 * while the registry shows that VM's stamp younger than SENTC_LIVENESS_MS.
 *
 * The registry is one shared-data key of SENTC_VM_SLOTS entries {token,
 * stamp}.  A VM joins lazily, the first time it takes a permit (so the
 * canary VM and the main-thread VM, which only configure, never join),
 * taking a free slot or one whose stamp is stale, with a fresh token.
 * While it holds permits it refreshes its stamp every SENTC_STAMP_EVERY_MS
 * (from requests and from proxy_on_tick).  Readers keep a copy of the
 * registry, re-read when older than SENTC_STAMP_EVERY_MS or when a cell
 * names a token the copy does not know.
 */
#ifndef SENTC_VMREG_H
#define SENTC_VMREG_H

#include <stdint.h>

#define SENTC_VM_SLOTS 32
#define SENTC_LIVENESS_MS 5000
#define SENTC_STAMP_EVERY_MS 1000

void sentc_vmreg_reset(void);

/* This VM's slot (-1 before it joins) and token. */
int32_t sentc_vmreg_slot(void);
uint32_t sentc_vmreg_token(void);

/* Whether the VM with `token` in `slot` is alive now (never this VM). */
int sentc_vmreg_live(uint32_t slot, uint32_t token);

/* Joins if needed and keeps this VM's stamp fresh.  0, or -1 when the
 * registry cannot be written (no free slot, contention). */
int sentc_vmreg_ready(void);

/* Permits this VM holds in proxy cells, all cells together. */
void sentc_vmreg_hold(int64_t delta);
int sentc_vmreg_holding(void);

/* Sets the current engine time (sentc_state_now calls it). */
void sentc_vmreg_set_now(int64_t now);

#endif
