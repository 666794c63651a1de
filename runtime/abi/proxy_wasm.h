/*
 * proxy_wasm.h: our own small C binding of the Proxy-Wasm ABI 0.2.1 host
 * functions that main.wasm imports (module "env").  No C++ SDK: the module
 * stays small and every import is one we chose.  Signatures follow the ABI
 * exactly; Envoy rejects a module whose imports or exports do not.
 */
#ifndef SENTC_PROXY_WASM_H
#define SENTC_PROXY_WASM_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))

enum proxy_result { PROXY_OK = 0, PROXY_NOT_FOUND = 1, PROXY_CAS_MISMATCH = 8 };
enum proxy_action { PROXY_CONTINUE = 0, PROXY_PAUSE = 1 };
enum proxy_log_level { PROXY_TRACE, PROXY_DEBUG, PROXY_INFO, PROXY_WARN, PROXY_ERROR, PROXY_CRITICAL };
enum proxy_map_type { PROXY_REQUEST_HEADERS = 0, PROXY_RESPONSE_HEADERS = 2, PROXY_RESPONSE_TRAILERS = 3 };
enum proxy_stream_type { PROXY_STREAM_REQUEST = 0, PROXY_STREAM_DOWNSTREAM = 2 };
enum proxy_buffer_type { PROXY_PLUGIN_CONFIGURATION = 7 };

PROXY_IMPORT(proxy_log)
uint32_t proxy_log(uint32_t level, const char *message, size_t len);

PROXY_IMPORT(proxy_get_log_level)
uint32_t proxy_get_log_level(uint32_t *level);

PROXY_IMPORT(proxy_get_current_time_nanoseconds)
uint32_t proxy_get_current_time_nanoseconds(uint64_t *nanoseconds);

PROXY_IMPORT(proxy_get_header_map_value)
uint32_t proxy_get_header_map_value(uint32_t map, const char *key, size_t key_len,
                                    const char **value, size_t *value_len);

PROXY_IMPORT(proxy_send_local_response)
uint32_t proxy_send_local_response(uint32_t status, const char *details, size_t details_len,
                                   const char *body, size_t body_len,
                                   const char *headers, size_t headers_len,
                                   int32_t grpc_status);

PROXY_IMPORT(proxy_define_metric)
uint32_t proxy_define_metric(uint32_t type, const char *name, size_t name_len,
                             uint32_t *metric_id);

PROXY_IMPORT(proxy_increment_metric)
uint32_t proxy_increment_metric(uint32_t metric_id, int64_t offset);

PROXY_IMPORT(proxy_record_metric)
uint32_t proxy_record_metric(uint32_t metric_id, uint64_t value);

PROXY_IMPORT(proxy_get_buffer_bytes)
uint32_t proxy_get_buffer_bytes(uint32_t type, size_t start, size_t length, const char **value,
                                size_t *value_len);

PROXY_IMPORT(proxy_add_header_map_value)
uint32_t proxy_add_header_map_value(uint32_t map, const char *key, size_t key_len,
                                    const char *value, size_t value_len);

PROXY_IMPORT(proxy_get_property)
uint32_t proxy_get_property(const char *path, size_t path_len, const char **value,
                            size_t *value_len);

PROXY_IMPORT(proxy_set_effective_context)
uint32_t proxy_set_effective_context(uint32_t context_id);

PROXY_IMPORT(proxy_continue_stream)
uint32_t proxy_continue_stream(uint32_t stream_type);

PROXY_IMPORT(proxy_close_stream)
uint32_t proxy_close_stream(uint32_t stream_type);

PROXY_IMPORT(proxy_set_tick_period_milliseconds)
uint32_t proxy_set_tick_period_milliseconds(uint32_t period);

PROXY_IMPORT(proxy_get_shared_data)
uint32_t proxy_get_shared_data(const char *key, size_t key_len, const char **value,
                               size_t *value_len, uint32_t *cas);

PROXY_IMPORT(proxy_set_shared_data)
uint32_t proxy_set_shared_data(const char *key, size_t key_len, const char *value,
                               size_t value_len, uint32_t cas);

/* WASI's random source, which Envoy provides. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("random_get")))
uint16_t wasi_random_get(void *buf, size_t len);

#endif
