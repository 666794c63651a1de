/*
 * vmreg.c: the registry of live VMs (see vmreg.h).
 */
#include <string.h>
#include "platform.h"
#include "shared.h"
#include "state.h"
#include "vmreg.h"

/* Attempts at writing the registry before giving up. */
#define REGISTRY_ATTEMPTS 8

struct registry {
  uint32_t next_token, unused;
  struct {
    uint32_t token, unused;
    int64_t stamp;
  } vm[SENTC_VM_SLOTS];
};

static struct registry view;       /* our copy */
static int64_t view_at, my_stamp, now;
static int have_view;
static int32_t my_slot = -1;
static uint32_t my_token;
static int64_t held;

void sentc_vmreg_reset(void) {
  memset(&view, 0, sizeof view);
  have_view = 0;
  my_slot = -1;
  my_token = 0;
  held = 0;
}

void sentc_vmreg_set_now(int64_t ms) { now = ms; }
int32_t sentc_vmreg_slot(void) { return my_slot; }
uint32_t sentc_vmreg_token(void) { return my_token; }
void sentc_vmreg_hold(int64_t delta) { held += delta; }
int sentc_vmreg_holding(void) { return held > 0; }

/* Reads the registry into `r`: its cas, 0 when it does not exist yet. */
static uint32_t read_registry(struct registry *r) {
  size_t key_len, len = 0;
  const char *key = sentc_shared_key("vms", &key_len);
  uint32_t cas = 0;
  if (sentc_shared_get(key, key_len, r, sizeof *r, &len, &cas) != SENTC_SHARED_OK ||
      len != sizeof *r) {
    memset(r, 0, sizeof *r);
    cas = 0;
  }
  view = *r;
  view_at = now;
  have_view = 1;
  return cas;
}

static int write_registry(const struct registry *r, uint32_t cas) {
  size_t key_len;
  const char *key = sentc_shared_key("vms", &key_len);
  if (sentc_shared_set(key, key_len, r, sizeof *r, cas) != SENTC_SHARED_OK)
    return -1;
  view = *r;
  return 0;
}

static int stale(const struct registry *r, uint32_t slot) {
  return now - r->vm[slot].stamp > SENTC_LIVENESS_MS;
}

int sentc_vmreg_live(uint32_t slot, uint32_t token) {
  if (!have_view || now - view_at >= SENTC_STAMP_EVERY_MS || view.vm[slot].token != token) {
    struct registry r;
    read_registry(&r);
  }
  return view.vm[slot].token == token && !stale(&view, slot);
}

/* Takes a free or stale slot with a new token. */
static int join(void) {
  for (int attempt = 0; attempt < REGISTRY_ATTEMPTS; attempt++) {
    struct registry r;
    uint32_t cas = read_registry(&r);
    uint32_t slot = 0;
    while (slot < SENTC_VM_SLOTS && r.vm[slot].token && !stale(&r, slot))
      slot++;
    if (slot == SENTC_VM_SLOTS)
      return -1;
    r.next_token = r.next_token + 1 ? r.next_token + 1 : 1;
    r.vm[slot].token = r.next_token;
    r.vm[slot].stamp = now;
    if (write_registry(&r, cas) == 0) {
      my_slot = (int32_t)slot;
      my_token = r.next_token;
      my_stamp = now;
      return 0;
    }
  }
  return -1;
}

/* Moves this VM's stamp to now; rejoins if its slot was taken meanwhile
 * (it went without a stamp for longer than the liveness window). */
static int restamp(void) {
  for (int attempt = 0; attempt < REGISTRY_ATTEMPTS; attempt++) {
    struct registry r;
    uint32_t cas = read_registry(&r);
    if (r.vm[my_slot].token != my_token) {
      my_slot = -1;
      return join();
    }
    r.vm[my_slot].stamp = now;
    if (write_registry(&r, cas) == 0) {
      my_stamp = now;
      return 0;
    }
  }
  return -1;
}

int sentc_vmreg_ready(void) {
  if (my_slot < 0)
    return join();
  if (now - my_stamp >= SENTC_STAMP_EVERY_MS)
    return restamp();
  return 0;
}
