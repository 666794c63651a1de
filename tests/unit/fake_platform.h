/*
 * fake_platform.h: the engine's platform (runtime/engine/platform.h) for
 * native unit tests: counters kept in memory and readable by name, a fixed
 * random source, a record of resumed streams and tick wishes, shared
 * data (one map for the test process, as Envoy's for its VMs), the verdicts
 * held streams were settled with, and gRPC calls made and cancelled.
 */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H

#include <stdint.h>

/* The value of the metric called `name` (a histogram: how many values it
 * got), or -1 if it was never defined; a histogram's sum of values.  The
 * engine sends metrics at its flush (sentc_engine_flush). */
int64_t fake_counter(const char *name);
int64_t fake_histogram_sum(const char *name);
/* Metric host calls since the reset. */
extern int fake_metric_calls;
/* Every counter defined: how many, and the name and value of each. */
int fake_counters(void);
const char *fake_counter_name(int i);
int64_t fake_counter_at(int i);
/* Forgets counters, resumes, tick wishes and shared data. */
void fake_platform_reset(void);

/* Log lines since the last reset (the first 64), with their levels. */
extern char fake_log[64][400];
extern int fake_log_levels[64];
extern int fake_n_log;

/* Streams resumed since the last reset, in order, and how many. */
extern uint32_t fake_resumed[1024];
extern int fake_n_resumed;

/* Held streams settled since the last reset (sentc_platform_settle): the
 * stream, the verdict's action, and its reply's status (0 for a
 * continue) and first header's name and value. */
struct fake_settled {
  uint32_t stream;
  int action;
  uint32_t status;
  char header[64], value[128];
};
extern struct fake_settled fake_settled[64];
extern int fake_n_settled;

/* gRPC calls since the last reset: tokens count up from 1; the last
 * call's GrpcService, service/method and message are kept.  Set
 * fake_grpc_refuse to make the next calls fail to start. */
extern int fake_n_grpc_calls, fake_grpc_refuse;
extern uint8_t fake_grpc_service[256], fake_grpc_message[8192];
extern size_t fake_grpc_service_len, fake_grpc_message_len;
extern char fake_grpc_method[160];
extern uint32_t fake_grpc_timeout_ms;
/* Tokens cancelled since the last reset. */
extern uint32_t fake_grpc_cancelled[64];
extern int fake_n_grpc_cancelled;
/* The clock sentc_platform_now_ms reads (callbacks given SENTC_NOW_UNREAD),
 * and how many times it was read. */
extern int64_t fake_now_ms;
extern int fake_clock_reads;

/* The last tick period the engine asked for (0: none), and how many times
 * it asked. */
extern uint32_t fake_wake_ms;
extern int fake_wake_calls;

/* Shared data: get/set calls since the reset, keys in use, and how many of
 * the next sets fail with a cas mismatch (to test bounded retries), except
 * sets of keys ending in fake_shared_fail_spares (when not NULL). */
extern int fake_shared_gets, fake_shared_sets, fake_shared_fail_sets;
extern const char *fake_shared_fail_spares;
int fake_shared_keys(void);
/* The bytes stored under `key` (NULL if none), to look at or change in
 * place as another VM would. */
void *fake_shared_value(const char *key, size_t *len);
void fake_shared_reset(void);

#endif
