/*
 * fake_platform.c: the engine's platform for the unit tests (see the header).
 */
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/platform.h"

#define MAX_COUNTERS 256

static struct { char name[256]; int64_t value; } counters[MAX_COUNTERS];
static int n_counters;
uint32_t fake_resumed[1024];
int fake_n_resumed;
uint32_t fake_wake_ms;
int fake_wake_calls;

int32_t sentc_counter_define(const char *name, size_t len) {
  for (int i = 0; i < n_counters; i++)
    if (strlen(counters[i].name) == len && memcmp(counters[i].name, name, len) == 0)
      return i;
  if (n_counters == MAX_COUNTERS || len >= sizeof counters[0].name)
    return -1;
  memcpy(counters[n_counters].name, name, len);
  counters[n_counters].name[len] = 0;
  counters[n_counters].value = 0;
  return n_counters++;
}

void sentc_counter_add(int32_t id, uint32_t n) { counters[id].value += n; }

void sentc_random_bytes(void *out, size_t len) { memset(out, 0x5a, len); }

void sentc_resume_stream(uint32_t stream) {
  if (fake_n_resumed < 1024)
    fake_resumed[fake_n_resumed++] = stream;
}

void sentc_wake_every(uint32_t ms) {
  fake_wake_ms = ms;
  fake_wake_calls++;
}

int64_t fake_counter(const char *name) {
  for (int i = 0; i < n_counters; i++)
    if (strcmp(counters[i].name, name) == 0)
      return counters[i].value;
  return -1;
}

void fake_platform_reset(void) {
  n_counters = 0;
  fake_n_resumed = 0;
  fake_wake_ms = 0;
  fake_wake_calls = 0;
}
