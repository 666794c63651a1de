/*
 * fake_platform.c: the engine's platform for the unit tests (see the header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/engine.h"

#define MAX_COUNTERS 256

/* Every metric by name; a histogram's value is how many values it got. */
static struct { char name[256]; int type; int64_t value, sum; } counters[MAX_COUNTERS];
static int n_counters;
uint32_t fake_resumed[1024];
int fake_n_resumed;
uint32_t fake_wake_ms;
int fake_wake_calls;

int fake_metric_calls;

int32_t sentc_platform_metric_define(int type, const char *name, size_t len) {
  fake_metric_calls++;
  for (int i = 0; i < n_counters; i++)
    if (strlen(counters[i].name) == len && memcmp(counters[i].name, name, len) == 0)
      return counters[i].type == type ? i : -1;
  if (n_counters == MAX_COUNTERS || len >= sizeof counters[0].name)
    return -1;
  memcpy(counters[n_counters].name, name, len);
  counters[n_counters].name[len] = 0;
  counters[n_counters].type = type;
  counters[n_counters].value = counters[n_counters].sum = 0;
  return n_counters++;
}

/* As Envoy: a counter only goes up; a histogram takes no increments. */
void sentc_platform_metric_add(int32_t id, int64_t delta) {
  fake_metric_calls++;
  if (counters[id].type == SENTC_PLATFORM_HISTOGRAM ||
      (counters[id].type == SENTC_PLATFORM_COUNTER && delta <= 0))
    abort();
  counters[id].value += delta;
}

void sentc_platform_metric_record(int32_t id, uint64_t value) {
  fake_metric_calls++;
  if (counters[id].type != SENTC_PLATFORM_HISTOGRAM)
    abort();
  counters[id].value++;
  counters[id].sum += (int64_t)value;
}

char fake_log[64][400];
int fake_log_levels[64];
int fake_n_log;

void sentc_platform_log(int level, const char *text, size_t len) {
  if (fake_n_log == 64)
    return;
  if (len >= sizeof fake_log[0])
    len = sizeof fake_log[0] - 1;
  memcpy(fake_log[fake_n_log], text, len);
  fake_log[fake_n_log][len] = 0;
  fake_log_levels[fake_n_log++] = level;
}

void sentc_platform_random(void *out, size_t len) { memset(out, 0x5a, len); }

int64_t fake_now_ms;
int fake_clock_reads;

int64_t sentc_platform_now_ms(void) {
  fake_clock_reads++;
  return fake_now_ms;
}

void sentc_platform_resume(uint32_t stream) {
  if (fake_n_resumed < 1024)
    fake_resumed[fake_n_resumed++] = stream;
}

struct fake_settled fake_settled[64];
int fake_n_settled;

void sentc_platform_settle(uint32_t stream, const struct sentc_verdict *verdict) {
  if (fake_n_settled == 64)
    return;
  struct fake_settled *s = &fake_settled[fake_n_settled++];
  *s = (struct fake_settled){.stream = stream, .action = verdict->action,
                             .status = verdict->action == SENTC_BLOCK ? verdict->reply.status : 0};
  if (verdict->reply.n_headers) {
    const struct sentc_header *h = &verdict->reply.headers[0];
    snprintf(s->header, sizeof s->header, "%.*s", (int)h->name_len, h->name);
    snprintf(s->value, sizeof s->value, "%.*s", (int)h->value_len, h->value);
  }
}

int fake_n_grpc_calls, fake_grpc_refuse;
uint8_t fake_grpc_service[256], fake_grpc_message[8192];
size_t fake_grpc_service_len, fake_grpc_message_len;
char fake_grpc_method[160];
uint32_t fake_grpc_timeout_ms;
uint32_t fake_grpc_cancelled[64];
int fake_n_grpc_cancelled;

int sentc_platform_grpc_call(const void *grpc_service, size_t grpc_service_len,
                             const char *service, const char *method, const void *message,
                             size_t len, uint32_t timeout_ms, uint32_t *token) {
  if (fake_grpc_refuse)
    return -1;
  if (grpc_service_len > sizeof fake_grpc_service || len > sizeof fake_grpc_message)
    return -1;
  memcpy(fake_grpc_service, grpc_service, grpc_service_len);
  fake_grpc_service_len = grpc_service_len;
  memcpy(fake_grpc_message, message, len);
  fake_grpc_message_len = len;
  snprintf(fake_grpc_method, sizeof fake_grpc_method, "/%s/%s", service, method);
  fake_grpc_timeout_ms = timeout_ms;
  *token = (uint32_t)++fake_n_grpc_calls;
  return 0;
}

void sentc_platform_grpc_cancel(uint32_t token) {
  if (fake_n_grpc_cancelled < 64)
    fake_grpc_cancelled[fake_n_grpc_cancelled++] = token;
}

void sentc_platform_wake_every(uint32_t ms) {
  fake_wake_ms = ms;
  fake_wake_calls++;
}

int64_t fake_counter(const char *name) {
  for (int i = 0; i < n_counters; i++)
    if (strcmp(counters[i].name, name) == 0)
      return counters[i].value;
  return -1;
}

int64_t fake_histogram_sum(const char *name) {
  for (int i = 0; i < n_counters; i++)
    if (strcmp(counters[i].name, name) == 0)
      return counters[i].sum;
  return -1;
}
int fake_counters(void) { return n_counters; }
const char *fake_counter_name(int i) { return counters[i].name; }
int64_t fake_counter_at(int i) { return counters[i].value; }

void fake_shared_reset(void);

void fake_platform_reset(void) {
  fake_shared_reset();
  n_counters = 0;
  fake_metric_calls = 0;
  fake_n_resumed = 0;
  fake_wake_ms = 0;
  fake_wake_calls = 0;
  fake_n_log = 0;
  fake_n_settled = 0;
  fake_n_grpc_calls = 0;
  fake_grpc_refuse = 0;
  fake_n_grpc_cancelled = 0;
  fake_now_ms = 0;
  fake_clock_reads = 0;
}

/* ---- shared data: a small process-wide map, with cas and call counts ---- */

#define MAX_SHARED 4096

static struct { char *key; void *value; size_t len; uint32_t cas; } shared[MAX_SHARED];
static int n_shared;
static uint32_t next_cas;
int fake_shared_gets, fake_shared_sets, fake_shared_fail_sets;
const char *fake_shared_fail_spares;

static int spared(const char *key, size_t key_len) {
  size_t n = fake_shared_fail_spares ? strlen(fake_shared_fail_spares) : 0;
  return n && key_len >= n && memcmp(key + key_len - n, fake_shared_fail_spares, n) == 0;
}

static int shared_find(const char *key, size_t key_len) {
  for (int i = 0; i < n_shared; i++)
    if (strlen(shared[i].key) == key_len && memcmp(shared[i].key, key, key_len) == 0)
      return i;
  return -1;
}

int sentc_platform_shared_get(const char *key, size_t key_len, void *out, size_t room,
                              size_t *len, uint32_t *cas) {
  fake_shared_gets++;
  int i = shared_find(key, key_len);
  if (i < 0)
    return SENTC_SHARED_NOT_FOUND;
  memcpy(out, shared[i].value, shared[i].len < room ? shared[i].len : room);
  *len = shared[i].len;
  *cas = shared[i].cas;
  return SENTC_SHARED_OK;
}

int sentc_platform_shared_set(const char *key, size_t key_len, const void *value, size_t len,
                              uint32_t cas) {
  fake_shared_sets++;
  if (fake_shared_fail_sets > 0 && !spared(key, key_len)) {
    fake_shared_fail_sets--;
    return SENTC_SHARED_CAS_MISMATCH;
  }
  int i = shared_find(key, key_len);
  if (i >= 0 && cas != 0 && shared[i].cas != cas)
    return SENTC_SHARED_CAS_MISMATCH;
  if (i < 0) {
    if (n_shared == MAX_SHARED)
      return SENTC_SHARED_FAILED;
    i = n_shared++;
    shared[i].key = strndup(key, key_len);
    shared[i].value = NULL;
  }
  free(shared[i].value);
  shared[i].value = malloc(len ? len : 1);
  memcpy(shared[i].value, value, len);
  shared[i].len = len;
  shared[i].cas = ++next_cas ? next_cas : ++next_cas;
  return SENTC_SHARED_OK;
}

int fake_shared_keys(void) { return n_shared; }

void *fake_shared_value(const char *key, size_t *len) {
  int i = shared_find(key, strlen(key));
  if (i < 0)
    return NULL;
  *len = shared[i].len;
  return shared[i].value;
}

void fake_shared_reset(void) {
  for (int i = 0; i < n_shared; i++) {
    free(shared[i].key);
    free(shared[i].value);
  }
  n_shared = 0;
  fake_shared_gets = fake_shared_sets = fake_shared_fail_sets = 0;
  fake_shared_fail_spares = NULL;
}
