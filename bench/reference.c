/*
 * reference.c: the hand-written Proxy-Wasm filter that sentc's output is
 * measured against (issue 16; bench/filter.js, `make bench`).  It does what
 *
 *   policy one { scope worker; }
 *   resource checkout {
 *     match { method POST; path prefix "/api/checkout"; }
 *     flow 100/s;
 *   }
 *
 * asks for, and nothing more, as a careful person would write it by hand:
 * two header reads (:path, then :method when the path is in), one clock
 * read for a request that enters the resource, a 1 s window of two 500 ms
 * buckets in this VM's memory (sentc's window, runtime/engine/window.c: a
 * bucket's count is reset when its span comes round again), and above 100
 * requests in the window the 429 sentc's built-in fallback sends (same
 * headers, same body), as constant bytes.  No callback on the response,
 * the log or the stream's end: there is nothing to do there.
 *
 * What it leaves out, which sentc does: paths are compared as received
 * (sentc normalizes them: percent escapes, dot segments, "//"), a gRPC
 * request gets the same reply as any other (Envoy turns it into a
 * trailers-only answer with the grpc-status its status maps to), no
 * counters, no logs, no clock that survives going backwards.
 * tests/reference.test runs it beside the module sentc compiles from that
 * policy on the same traffic and checks that every request gets the same
 * answer from both.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(proxy_get_header_map_value)
uint32_t proxy_get_header_map_value(uint32_t map, const char *key, size_t key_len,
                                    char **value, size_t *value_len);
IMPORT(proxy_get_current_time_nanoseconds)
uint32_t proxy_get_current_time_nanoseconds(uint64_t *nanoseconds);
IMPORT(proxy_send_local_response)
uint32_t proxy_send_local_response(uint32_t status, const char *details, size_t details_len,
                                   const char *body, size_t body_len, const char *headers,
                                   size_t headers_len, int32_t grpc_status);

enum { REQUEST_HEADERS = 0, CONTINUE = 0, PAUSE = 1 };

#define LIMIT 100
#define WINDOW_MS 1000
#define BUCKETS 2
#define SPAN_MS (WINDOW_MS / BUCKETS)

static struct {
  int64_t start;
  uint32_t count;
} ring[BUCKETS];

static const char body[] = "{\"error\":\"blocked\",\"resource\":\"checkout\",\"kind\":\"flow\"}\n";
/* The reply's headers as the ABI's pairs: the count, each name's and
 * value's length (32-bit little endian), then the NUL-ended bytes. */
static const char headers[] =
    "\x02\0\0\0"
    "\x12\0\0\0" "\x0d\0\0\0"        /* x-sentinel-blocked: checkout/flow */
    "\x0c\0\0\0" "\x10\0\0\0"        /* content-type: application/json */
    "x-sentinel-blocked\0checkout/flow\0content-type\0application/json";
static const char details[] = "sentinel_blocked";

EXPORT(proxy_abi_version_0_2_1)
void proxy_abi_version_0_2_1(void) {}

EXPORT(proxy_on_memory_allocate)
void *proxy_on_memory_allocate(size_t size) { return malloc(size); }

EXPORT(proxy_on_context_create)
void proxy_on_context_create(uint32_t context_id, uint32_t parent_id) {
  (void)context_id;
  (void)parent_id;
}

EXPORT(proxy_on_vm_start)
uint32_t proxy_on_vm_start(uint32_t root_id, size_t size) {
  (void)root_id;
  (void)size;
  return 1;
}

EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_id, size_t size) {
  (void)root_id;
  (void)size;
  return 1;
}

/* Is request header `name` (a literal) equal to, or does it start with, `want`? */
static int header_is(const char *name, size_t name_len, const char *want, size_t want_len,
                     int prefix) {
  char *value = NULL;
  size_t len = 0;
  if (proxy_get_header_map_value(REQUEST_HEADERS, name, name_len, &value, &len) != 0)
    return 0;
  int yes = (prefix ? len >= want_len : len == want_len) && memcmp(value, want, want_len) == 0;
  free(value);
  return yes;
}

/* Counts the request in the window at `now` (ms) unless that would put the
 * window over the limit: 1 counted, 0 blocked. */
static int take(int64_t now) {
  uint32_t sum = 0;
  for (int i = 0; i < BUCKETS; i++)
    if (ring[i].start <= now && now - ring[i].start < WINDOW_MS)
      sum += ring[i].count;
  if (sum + 1 > LIMIT)
    return 0;
  int64_t start = now - now % SPAN_MS;
  int i = (int)(now / SPAN_MS % BUCKETS);
  if (ring[i].start != start) {
    ring[i].start = start;
    ring[i].count = 0;
  }
  ring[i].count++;
  return 1;
}

EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t n_headers, uint32_t end_of_stream) {
  (void)context_id;
  (void)n_headers;
  (void)end_of_stream;
  if (!header_is(":path", 5, "/api/checkout", 13, 1) || !header_is(":method", 7, "POST", 4, 0))
    return CONTINUE;
  uint64_t ns = 0;
  proxy_get_current_time_nanoseconds(&ns);
  if (take((int64_t)(ns / 1000000u)))
    return CONTINUE;
  proxy_send_local_response(429, details, sizeof details - 1, body, sizeof body - 1, headers,
                            sizeof headers, -1);
  return PAUSE;
}
