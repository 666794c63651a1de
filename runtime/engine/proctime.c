/*
 * proctime.c: the process-wide engine time (see proctime.h).
 */
#include "platform.h"
#include "proctime.h"
#include "shared.h"

#define ATTEMPTS 8

static int64_t offset, last_now, synced_raw;
static int started;

/* Reads the process offset; if raw + offset would put this VM's time
 * before what it already saw, raises it so that time stands still. */
static void sync(int64_t raw) {
  size_t key_len, len;
  const char *key = sentc_shared_key("clock", &key_len);
  for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
    int64_t published = 0;
    uint32_t cas = 0;
    len = 0;
    if (sentc_shared_get(key, key_len, &published, sizeof published, &len, &cas) != SENTC_SHARED_OK ||
        len != sizeof published) {
      published = 0;
      cas = 0;
    }
    offset = published;
    if (!started || raw + published >= last_now)
      break;
    int64_t raised = last_now - raw;
    if (sentc_shared_set(key, key_len, &raised, sizeof raised, cas) == SENTC_SHARED_OK) {
      offset = raised;
      break;
    }
  }
  synced_raw = raw;
}

int64_t sentc_engine_time(struct sentc_clock *local, int64_t raw) {
  if (!sentc_shared_in_use())
    return sentc_clock_now(local, raw);
  if (!started || raw + offset < last_now || raw < synced_raw ||
      raw - synced_raw >= SENTC_PROCTIME_SYNC_MS)
    sync(raw);
  int64_t now = raw + offset;
  if (started && now < last_now)
    now = last_now;           /* the offset could not be raised: stand still here */
  started = 1;
  last_now = now;
  return now;
}
