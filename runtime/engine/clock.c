/*
 * clock.c: the engine's time (see clock.h).
 */
#include "clock.h"
#include "platform.h"

#define ATTEMPTS 8

/* This VM alone: a backward jump adds to the offset. */
static int64_t local_now(struct sentc_clock *c, int64_t raw) {
  if (!c->started) {
    c->started = 1;
    c->last_raw = raw;
  }
  if (raw < c->last_raw)
    c->local_offset += c->last_raw - raw;
  c->last_raw = raw;
  return raw + c->local_offset;
}

/* Reads the process offset; if raw + offset would put this VM's time
 * before what it already saw, raises it so that time stands still. */
static void sync(struct sentc_clock *c, struct sentc_shared *shared, int64_t raw) {
  size_t key_len, len;
  const char *key = sentc_keyspace_key(&shared->keys, "clock", &key_len);
  for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
    int64_t published = 0;
    uint32_t cas = 0;
    len = 0;
    if (sentc_platform_shared_get(key, key_len, &published, sizeof published, &len, &cas) !=
            SENTC_SHARED_OK ||
        len != sizeof published) {
      published = 0;
      cas = 0;
    }
    c->offset = published;
    if (!c->started || raw + published >= c->last_now)
      break;
    int64_t raised = c->last_now - raw;
    if (sentc_platform_shared_set(key, key_len, &raised, sizeof raised, cas) == SENTC_SHARED_OK) {
      c->offset = raised;
      break;
    }
  }
  c->synced_raw = raw;
}

int64_t sentc_clock_now(struct sentc_clock *c, struct sentc_shared *shared, int64_t raw) {
  if (!SENTC_USES(SENTC_USE_PROXY) || !sentc_shared_in_use(shared))
    return local_now(c, raw);
  if (!c->started || raw + c->offset < c->last_now || raw < c->synced_raw ||
      raw - c->synced_raw >= SENTC_CLOCK_SYNC_MS)
    sync(c, shared, raw);
  int64_t now = raw + c->offset;
  if (c->started && now < c->last_now)
    now = c->last_now;        /* the offset could not be raised: stand still here */
  c->started = 1;
  c->last_now = now;
  return now;
}
