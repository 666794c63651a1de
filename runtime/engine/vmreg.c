/*
 * vmreg.c: the registry of live VMs (see vmreg.h).  The registry is read
 * into and changed in this VM's copy (8 KiB: kept off the stack, which is
 * small in main.wasm); a write that loses the compare-and-swap leaves the
 * copy unusable until the next read.
 */
#include <string.h>
#include "platform.h"
#include "vmreg.h"

/* Attempts at writing the registry before giving up. */
#define REGISTRY_ATTEMPTS 8

/* The largest serial whose tokens fit in 32 bits. */
#define MAX_SERIAL ((UINT32_MAX - (SENTC_VM_SLOTS - 1)) / SENTC_VM_SLOTS)

void sentc_vmreg_open(struct sentc_vmreg *r, struct sentc_keyspace *keys) {
  *r = (struct sentc_vmreg){.keys = keys, .my_slot = -1};
}

void sentc_vmreg_set_now(struct sentc_vmreg *r, int64_t ms) { r->now = ms; }
void sentc_vmreg_hold(struct sentc_vmreg *r, int64_t delta) { r->held += delta; }
int sentc_vmreg_holding(const struct sentc_vmreg *r) { return r->held > 0; }
void sentc_vmreg_fetched(struct sentc_vmreg *r) { r->fetches++; }
uint32_t sentc_vmreg_token(const struct sentc_vmreg *r) { return r->my_slot < 0 ? 0 : r->my_token; }

/* Reads the registry into the copy: its cas, 0 when it does not exist yet
 * (or holds something else: it is then written over as empty). */
static uint32_t read_registry(struct sentc_vmreg *r) {
  size_t key_len, len = 0;
  const char *key = sentc_keyspace_key(r->keys, "vms", &key_len);
  uint32_t cas = 0;
  if (sentc_platform_shared_get(key, key_len, &r->view, sizeof r->view, &len, &cas) !=
          SENTC_SHARED_OK ||
      len != sizeof r->view) {
    memset(&r->view, 0, sizeof r->view);
    cas = 0;
  }
  r->view_at = r->now;
  r->view_fetches = r->fetches;
  r->have_view = 1;
  return cas;
}

/* Writes the copy as the registry if its cas is still `cas`: 0 (the copy
 * is then as good as a fresh read), else -1 (the copy is unusable). */
static int write_registry(struct sentc_vmreg *r, uint32_t cas) {
  size_t key_len;
  const char *key = sentc_keyspace_key(r->keys, "vms", &key_len);
  if (sentc_platform_shared_set(key, key_len, &r->view, sizeof r->view, cas) != SENTC_SHARED_OK) {
    r->have_view = 0;
    return -1;
  }
  r->view_at = r->now;
  r->view_fetches = r->fetches;
  return 0;
}

static int stale(const struct sentc_vmreg *r, uint32_t slot) {
  return r->now - r->view.vm[slot].stamp > SENTC_LIVENESS_MS;
}

/* The stamp this VM writes: its time, or the newest stamp in the registry
 * if that is later.  VMs' times may disagree for a moment (a VM that
 * started after the wall clock stepped back, before any VM published the
 * step: clock.h); a stamp written by a VM whose time lags must not look
 * stale to the others, or they would count its permits out (and drop its
 * shares).  Stamps only grow, as fast as the fastest time. */
static int64_t stamp_now(const struct sentc_vmreg *r) {
  int64_t stamp = r->now;
  for (uint32_t slot = 0; slot < SENTC_VM_SLOTS; slot++)
    if (r->view.vm[slot].token && r->view.vm[slot].stamp > stamp)
      stamp = r->view.vm[slot].stamp;
  return stamp;
}

int sentc_vmreg_live(struct sentc_vmreg *r, uint32_t token) {
  uint32_t slot = token % SENTC_VM_SLOTS;
  int usable = r->have_view && r->now - r->view_at < SENTC_STAMP_EVERY_MS &&
               r->view.vm[slot].token == token;
  /* Dead by a copy older than the cell: the VM may have stamped itself
   * since, just before writing the share this cell shows. */
  if (usable && stale(r, slot) && r->view_fetches != r->fetches)
    usable = 0;
  if (!usable)
    read_registry(r);
  return token != 0 && r->view.vm[slot].token == token && !stale(r, slot);
}

/* Takes a free or stale slot with a new token. */
static int join(struct sentc_vmreg *r) {
  for (int attempt = 0; attempt < REGISTRY_ATTEMPTS; attempt++) {
    uint32_t cas = read_registry(r);
    uint32_t slot = 0;
    while (slot < SENTC_VM_SLOTS && r->view.vm[slot].token && !stale(r, slot))
      slot++;
    if (slot == SENTC_VM_SLOTS)
      return SENTC_VMREG_FULL;
    uint32_t serial = r->view.serial < MAX_SERIAL ? r->view.serial + 1 : 1;
    uint32_t token = serial * SENTC_VM_SLOTS + slot;
    int64_t stamp = stamp_now(r);
    r->view.serial = serial;
    r->view.vm[slot].token = token;
    r->view.vm[slot].stamp = stamp;
    if (write_registry(r, cas) == 0) {
      r->my_slot = (int32_t)slot;
      r->my_token = token;
      r->my_stamp = stamp;
      return 0;
    }
  }
  return -1;
}

/* Moves this VM's stamp to now; rejoins if its slot was taken meanwhile
 * (it went without a stamp for longer than the liveness window). */
static int restamp(struct sentc_vmreg *r) {
  for (int attempt = 0; attempt < REGISTRY_ATTEMPTS; attempt++) {
    uint32_t cas = read_registry(r);
    if (r->view.vm[r->my_slot].token != r->my_token) {
      r->my_slot = -1;
      return join(r);
    }
    int64_t stamp = stamp_now(r);
    r->view.vm[r->my_slot].stamp = stamp;
    if (write_registry(r, cas) == 0) {
      r->my_stamp = stamp;
      return 0;
    }
  }
  return -1;
}

int sentc_vmreg_ready(struct sentc_vmreg *r) {
  if (r->my_slot < 0)
    return join(r);
  if (r->now - r->my_stamp >= SENTC_STAMP_EVERY_MS)
    return restamp(r);
  return 0;
}
