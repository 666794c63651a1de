/*
 * vmreg.c: the registry of live VMs (see vmreg.h).
 */
#include <string.h>
#include "platform.h"
#include "vmreg.h"

/* Attempts at writing the registry before giving up. */
#define REGISTRY_ATTEMPTS 8

void sentc_vmreg_open(struct sentc_vmreg *r, struct sentc_keyspace *keys) {
  *r = (struct sentc_vmreg){.keys = keys, .my_slot = -1};
}

void sentc_vmreg_set_now(struct sentc_vmreg *r, int64_t ms) { r->now = ms; }
void sentc_vmreg_hold(struct sentc_vmreg *r, int64_t delta) { r->held += delta; }
int sentc_vmreg_holding(const struct sentc_vmreg *r) { return r->held > 0; }

/* Reads the registry into `out`: its cas, 0 when it does not exist yet. */
static uint32_t read_registry(struct sentc_vmreg *r, struct sentc_registry *out) {
  size_t key_len, len = 0;
  const char *key = sentc_keyspace_key(r->keys, "vms", &key_len);
  uint32_t cas = 0;
  if (sentc_platform_shared_get(key, key_len, out, sizeof *out, &len, &cas) != SENTC_SHARED_OK ||
      len != sizeof *out) {
    memset(out, 0, sizeof *out);
    cas = 0;
  }
  r->view = *out;
  r->view_at = r->now;
  r->view_fetches = r->fetches;
  r->have_view = 1;
  return cas;
}

static int write_registry(struct sentc_vmreg *r, const struct sentc_registry *in, uint32_t cas) {
  size_t key_len;
  const char *key = sentc_keyspace_key(r->keys, "vms", &key_len);
  if (sentc_platform_shared_set(key, key_len, in, sizeof *in, cas) != SENTC_SHARED_OK)
    return -1;
  r->view = *in;            /* as good as a read: the registry is `in` now */
  r->view_at = r->now;
  r->view_fetches = r->fetches;
  r->have_view = 1;
  return 0;
}

static int stale(const struct sentc_vmreg *r, const struct sentc_registry *reg, uint32_t slot) {
  return r->now - reg->vm[slot].stamp > SENTC_LIVENESS_MS;
}

void sentc_vmreg_fetched(struct sentc_vmreg *r) { r->fetches++; }

int sentc_vmreg_live(struct sentc_vmreg *r, uint32_t slot, uint32_t token) {
  int usable = r->have_view && r->now - r->view_at < SENTC_STAMP_EVERY_MS &&
               r->view.vm[slot].token == token;
  /* Dead by a copy older than the cell: the VM may have stamped itself
   * since, just before writing the share this cell shows. */
  if (usable && stale(r, &r->view, slot) && r->view_fetches != r->fetches)
    usable = 0;
  if (!usable) {
    struct sentc_registry reg;
    read_registry(r, &reg);
  }
  return r->view.vm[slot].token == token && !stale(r, &r->view, slot);
}

/* Takes a free or stale slot with a new token. */
static int join(struct sentc_vmreg *r) {
  for (int attempt = 0; attempt < REGISTRY_ATTEMPTS; attempt++) {
    struct sentc_registry reg;
    uint32_t cas = read_registry(r, &reg);
    uint32_t slot = 0;
    while (slot < SENTC_VM_SLOTS && reg.vm[slot].token && !stale(r, &reg, slot))
      slot++;
    if (slot == SENTC_VM_SLOTS)
      return -1;
    reg.next_token = reg.next_token + 1 ? reg.next_token + 1 : 1;
    reg.vm[slot].token = reg.next_token;
    reg.vm[slot].stamp = r->now;
    if (write_registry(r, &reg, cas) == 0) {
      r->my_slot = (int32_t)slot;
      r->my_token = reg.next_token;
      r->my_stamp = r->now;
      return 0;
    }
  }
  return -1;
}

/* Moves this VM's stamp to now; rejoins if its slot was taken meanwhile
 * (it went without a stamp for longer than the liveness window). */
static int restamp(struct sentc_vmreg *r) {
  for (int attempt = 0; attempt < REGISTRY_ATTEMPTS; attempt++) {
    struct sentc_registry reg;
    uint32_t cas = read_registry(r, &reg);
    if (reg.vm[r->my_slot].token != r->my_token) {
      r->my_slot = -1;
      return join(r);
    }
    reg.vm[r->my_slot].stamp = r->now;
    if (write_registry(r, &reg, cas) == 0) {
      r->my_stamp = r->now;
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
