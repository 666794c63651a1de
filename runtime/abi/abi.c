/*
 * abi.c: the Proxy-Wasm ABI 0.2.1 face of main.wasm.
 *
 * Translates Envoy's callbacks into engine calls and engine answers into host
 * calls.  It knows the ABI and nothing of rules: it hands the engine a
 * request's attributes, the response's statuses, the stream's end and the
 * time, and does what the engine says (reply, hold, add headers, resume,
 * ask the rate-limit service over gRPC and hand it the answer).
 * The same module is an HTTP filter (proxy_on_request_headers...) and a
 * network filter (proxy_on_new_connection...): Envoy calls the callbacks of
 * the filter it was configured as.  Exports are named with export_name so
 * the symbols stay ordinary C.
 */
#include <stdlib.h>
#include <string.h>
#include "proxy_wasm.h"
#include "scratch.h"
#include "../engine/engine.h"

#define PROXY_EXPORT(name) __attribute__((export_name(#name)))

/* The VM's one engine, from proxy_on_configure on (Proxy-Wasm callbacks
 * carry no pointer of ours, so this is the one place that keeps it), and
 * the root context that configured it last. */
static struct sentc_engine *engine;
static uint32_t root_context;

PROXY_EXPORT(proxy_abi_version_0_2_1)
void proxy_abi_version_0_2_1(void) {}

/* What the host hands us lives until the callback returns (scratch.h). */
PROXY_EXPORT(proxy_on_memory_allocate)
void *proxy_on_memory_allocate(size_t size) { return sentc_scratch_alloc(size); }

PROXY_EXPORT(proxy_on_context_create)
void proxy_on_context_create(uint32_t context_id, uint32_t parent_id) {
  (void)context_id;
  (void)parent_id;
}

PROXY_EXPORT(proxy_on_vm_start)
uint32_t proxy_on_vm_start(uint32_t root_id, size_t vm_config_size) {
  (void)root_id;
  (void)vm_config_size;
  return 1;
}

/* No stdio in main.wasm (it would import WASI files): numbers by hand. */
static char *put_text(char *at, const char *text) {
  size_t len = strlen(text);
  memcpy(at, text, len);
  return at + len;
}

static char *put_number(char *at, uint64_t n) {
  char digits[20], *d = digits + sizeof digits;
  do
    *--d = (char)('0' + n % 10);
  while (n /= 10);
  size_t len = (size_t)(digits + sizeof digits - d);
  memcpy(at, d, len);
  return at + len;
}

static char *put_string(char *at, const struct sentc_string *s, size_t max) {
  size_t len = s->len < max ? s->len : max;
  memcpy(at, s->text, len);
  return at + len;
}

/* Which policy this VM runs, once at start, so that an operator can tell
 * (the module's identity section says the same: sentc --inspect). */
static void log_identity(void) {
  char line[256], *at = put_text(line, "sentc: policy ");
  at = put_string(at, &sentc_policy.name, 128);
  at = put_text(at, ", source sha256 ");
  at = put_string(at, &sentc_policy.source_sha256, 64);
  at = put_text(at, ", compiled by sentc ");
  at = put_string(at, &sentc_policy.sentc_version, 16);
  proxy_log(PROXY_INFO, line, (size_t)(at - line));
}

/* The state the engine reserved, once per VM at start: what `sentc
 * --explain` predicts (tests/state_size.test holds them equal). */
static void log_state_usage(void) {
  struct sentc_engine_usage u;
  sentc_engine_usage(engine, &u);
  char line[256], *at = put_text(line, "sentc: state ");
  at = put_text(put_number(at, u.worker_bytes), " bytes per worker in ");
  at = put_text(put_number(at, u.worker_cells), " cells, ");
  at = put_text(put_number(at, u.shared_bytes), " bytes of shared data in ");
  at = put_text(put_number(at, u.shared_cells), " cells, ");
  at = put_text(put_number(at, u.stream_bytes), " bytes per stream in flight");
  proxy_log(PROXY_INFO, line, (size_t)(at - line));
}

/* The host's log level, told to the engine so that it writes no line the
 * host would drop; read at start and at every tick (Envoy's level can
 * change at run time). */
static void follow_log_level(void) {
  uint32_t level = PROXY_INFO;
  if (proxy_get_log_level(&level) == PROXY_OK)
    sentc_engine_log_level(engine, (int)level);
}

/* The host's clock, in ms: the engine makes its own time of it. */
static int64_t now_ms(void) {
  uint64_t ns = 0;
  proxy_get_current_time_nanoseconds(&ns);
  return (int64_t)(ns / 1000000u);
}

/* The VM's engine, started on the first configuration.  Envoy calls
 * on_configure again, on a new root context of the same VM, whenever the
 * plugin configuration changes: the engine applies it (docs/operations.md)
 * and keeps its state.  A configuration it rejects fails on_configure, and
 * Envoy keeps the plugin it had. */
PROXY_EXPORT(proxy_on_configure)
uint32_t proxy_on_configure(uint32_t root_id, size_t plugin_config_size) {
  if (!engine) {
    const char *error;
    engine = sentc_engine_start(&sentc_policy, &error);
    if (!engine) {
      char line[160], *at = put_text(line, "sentc: cannot start: ");
      size_t len = strlen(error) < 120 ? strlen(error) : 120;
      memcpy(at, error, len);
      proxy_log(PROXY_CRITICAL, line, (size_t)(at + len - line));
      return 0;
    }
    log_identity();
    log_state_usage();
  }
  follow_log_level();
  const char *config = "";
  size_t len = plugin_config_size;
  if (len > SENTC_CONFIG_MAX ||
      (len > 0 && proxy_get_buffer_bytes(PROXY_PLUGIN_CONFIGURATION, 0, len, &config, &len) !=
                      PROXY_OK))
    config = NULL;       /* rejected, saying why */
  int applied = sentc_engine_configure(engine, config, len, now_ms()) == 0;
  if (applied)
    root_context = root_id;
  sentc_scratch_reset();
  return applied;
}

/* A header's value, or NULL: absent (*len 0), or one the host could not
 * hand over (*len SENTC_UNREADABLE: no memory for it, request.h). */
static const char *map_value(uint32_t map, const char *name, size_t name_len, size_t *len) {
  const char *value = NULL;
  *len = 0;
  uint32_t result = proxy_get_header_map_value(map, name, name_len, &value, len);
  if (result == PROXY_OK)
    return value;
  *len = result == PROXY_NOT_FOUND ? 0 : SENTC_UNREADABLE;
  return NULL;
}

static const char *request_header(void *ctx, const char *name, size_t name_len, size_t *len) {
  (void)ctx;
  return map_value(PROXY_REQUEST_HEADERS, name, name_len, len);
}

/* A pseudo header of `request` as a string and length; "" when absent,
 * and fact `fact` marked unreadable when the host could not hand it over. */
static const char *pseudo(struct sentc_request *request, uint32_t fact, const char *name,
                          size_t *len) {
  const char *value = request_header(NULL, name, strlen(name), len);
  if (!value && *len == SENTC_UNREADABLE)
    request->unreadable |= fact;
  if (!value)
    *len = 0;
  return value ? value : "";
}

static int is_grpc(void) {
  size_t len = 0;
  const char *type = request_header(NULL, "content-type", 12, &len);
  return type && len >= 16 && memcmp(type, "application/grpc", 16) == 0;
}

static const char *peer_address(struct sentc_request *request, size_t *len) {
  static const char path[] = "source\0address";
  const char *value = NULL;
  *len = 0;
  uint32_t result = proxy_get_property(path, sizeof path - 1, &value, len);
  if (result == PROXY_OK)
    return value;
  if (result != PROXY_NOT_FOUND)
    request->unreadable |= SENTC_FACT_PEER;
  *len = 0;
  return NULL;
}

/* Reads one fact of the request being decided, when the engine first asks
 * for it (request.h): a request costs the host calls its policy needs. */
static void read_fact(struct sentc_request *r, uint32_t fact) {
  r->known |= fact;
  switch (fact) {
  case SENTC_FACT_METHOD: r->method = pseudo(r, fact, ":method", &r->method_len); break;
  case SENTC_FACT_PATH: r->path = pseudo(r, fact, ":path", &r->path_len); break;
  case SENTC_FACT_AUTHORITY: r->authority = pseudo(r, fact, ":authority", &r->authority_len); break;
  case SENTC_FACT_GRPC: r->grpc = is_grpc(); break;
  case SENTC_FACT_PEER: r->peer = peer_address(r, &r->peer_len); break;
  }
}

/* A small decimal header value (":status", "grpc-status"), or -1. */
static int number_in(uint32_t map, const char *name) {
  size_t len;
  const char *v = map_value(map, name, strlen(name), &len);
  if (!v || len == 0 || len > 6)
    return -1;
  int n = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9')
      return -1;
    n = n * 10 + (v[i] - '0');
  }
  return n;
}

/* Serializes headers as the ABI's pairs: count, lengths, then NUL-ended
 * bytes, in the callback's scratch region (as big as they need). */
static size_t serialize_headers(const struct sentc_reply *reply, char **buffer) {
  size_t need = 4 + 8u * reply->n_headers;
  for (uint16_t i = 0; i < reply->n_headers; i++)
    need += reply->headers[i].name_len + reply->headers[i].value_len + 2;
  char *out = *buffer = sentc_scratch_alloc(need);
  if (!out)
    return 0;
  uint32_t n = reply->n_headers;
  memcpy(out, &n, 4);
  char *lengths = out + 4, *bytes = out + 4 + 8u * n;
  for (uint16_t i = 0; i < n; i++) {
    const struct sentc_header *h = &reply->headers[i];
    uint32_t name_len = (uint32_t)h->name_len, value_len = (uint32_t)h->value_len;
    memcpy(lengths + 8u * i, &name_len, 4);
    memcpy(lengths + 8u * i + 4, &value_len, 4);
    memcpy(bytes, h->name, name_len);
    bytes[name_len] = 0;
    bytes += name_len + 1;
    memcpy(bytes, h->value, value_len);
    bytes[value_len] = 0;
    bytes += value_len + 1;
  }
  return need;
}

static void send_reply(const struct sentc_reply *reply) {
  char *headers = NULL;
  size_t headers_len = serialize_headers(reply, &headers);
  proxy_send_local_response(reply->status, reply->details, strlen(reply->details),
                            reply->body, reply->body_len, headers, headers_len,
                            reply->grpc_status);
}

static void add_headers(uint32_t map, const struct sentc_reply *reply) {
  for (uint16_t i = 0; i < reply->n_headers; i++)
    proxy_add_header_map_value(map, reply->headers[i].name, reply->headers[i].name_len,
                               reply->headers[i].value, reply->headers[i].value_len);
}

/* Does what a verdict says to the current stream; returns the callback's
 * answer, had it been the request's headers. */
static uint32_t act(const struct sentc_verdict *verdict) {
  switch (verdict->action) {
  case SENTC_BLOCK:
    send_reply(&verdict->reply);
    return PROXY_PAUSE;
  case SENTC_HOLD:                  /* with x-sentinel-shadow, if shadowed */
    add_headers(PROXY_REQUEST_HEADERS, &verdict->reply);
    return PROXY_PAUSE;
  default:
    add_headers(PROXY_REQUEST_HEADERS, &verdict->reply);
    return PROXY_CONTINUE;
  }
}

static uint32_t decide(uint32_t context_id) {
  struct sentc_request request = {.protocol = SENTC_HTTP, .read = read_fact,
                                   .header = request_header};
  struct sentc_verdict verdict;
  sentc_engine_request(engine, context_id, &request, SENTC_NOW_UNREAD, &verdict);
  return act(&verdict);
}

PROXY_EXPORT(proxy_on_request_headers)
uint32_t proxy_on_request_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)headers;
  (void)end_of_stream;
  if (!engine)
    return PROXY_CONTINUE;
  uint32_t action = decide(context_id);
  sentc_scratch_reset();
  return action;
}

PROXY_EXPORT(proxy_on_response_headers)
uint32_t proxy_on_response_headers(uint32_t context_id, uint32_t headers, uint32_t end_of_stream) {
  (void)headers;
  (void)end_of_stream;
  if (!engine)
    return PROXY_CONTINUE;
  /* The statuses are read only when the engine will look at them; the
   * time, by the engine if it needs it (engine.h). */
  struct sentc_reply add;
  int wants = sentc_engine_wants_status(engine, context_id);
  int status = wants ? number_in(PROXY_RESPONSE_HEADERS, ":status") : -1;
  int grpc_status = wants ? number_in(PROXY_RESPONSE_HEADERS, "grpc-status") : -1;
  sentc_engine_response(engine, context_id, status, grpc_status, SENTC_NOW_UNREAD, &add);
  add_headers(PROXY_RESPONSE_HEADERS, &add);
  sentc_scratch_reset();
  return PROXY_CONTINUE;
}

PROXY_EXPORT(proxy_on_response_trailers)
uint32_t proxy_on_response_trailers(uint32_t context_id, uint32_t trailers) {
  (void)trailers;
  if (engine && sentc_engine_wants_status(engine, context_id))
    sentc_engine_trailers(engine, context_id, number_in(PROXY_RESPONSE_TRAILERS, "grpc-status"),
                          SENTC_NOW_UNREAD);
  sentc_scratch_reset();
  return PROXY_CONTINUE;
}

/* Envoy calls on_log, on_done and on_delete for every stream; the first
 * ends it in the engine, the others find nothing left to give back. */
PROXY_EXPORT(proxy_on_log)
void proxy_on_log(uint32_t context_id) {
  if (engine)
    sentc_engine_end(engine, context_id, SENTC_NOW_UNREAD);
}

/* The current root context done: the plugin goes away (Envoy drains and
 * stops the VM), so the metrics counted since the last tick are sent. */
PROXY_EXPORT(proxy_on_done)
uint32_t proxy_on_done(uint32_t context_id) {
  if (engine && context_id == root_context)
    sentc_engine_flush(engine);
  else if (engine)
    sentc_engine_end(engine, context_id, SENTC_NOW_UNREAD);
  return 1;
}

PROXY_EXPORT(proxy_on_delete)
void proxy_on_delete(uint32_t context_id) {
  if (engine)
    sentc_engine_end(engine, context_id, SENTC_NOW_UNREAD);
}

/* ---- the network filter: TCP connections ---- */

/* A policy without `match tcp` resources lets every connection through and
 * keeps nothing of it: in main.wasm these callbacks then do nothing else
 * (tables.h, SENTC_USES), and what they would call is left out. */
#define TCP_USED SENTC_USES(SENTC_USE_TCP)

/* The listener port the connection came in on (Envoy's destination.port:
 * the downstream local address), or 0. */
static uint16_t destination_port(void) {
  static const char path[] = "destination\0port";
  const char *value = NULL;
  size_t len = 0;
  int64_t port = 0;
  if (proxy_get_property(path, sizeof path - 1, &value, &len) == PROXY_OK && len == sizeof port)
    memcpy(&port, value, sizeof port);
  return port > 0 && port < 65536 ? (uint16_t)port : 0;
}

/* A new connection is decided at once; a refused one is closed before the
 * filters after this one (tcp_proxy) see it, so nothing goes upstream. */
PROXY_EXPORT(proxy_on_new_connection)
uint32_t proxy_on_new_connection(uint32_t context_id) {
  if (!engine || !TCP_USED)
    return PROXY_CONTINUE;
  struct sentc_request request = {.protocol = SENTC_TCP, .port = destination_port()};
  struct sentc_verdict verdict;
  sentc_engine_request(engine, context_id, &request, SENTC_NOW_UNREAD, &verdict);
  sentc_scratch_reset();
  if (verdict.action != SENTC_BLOCK)
    return PROXY_CONTINUE;
  proxy_close_stream(PROXY_STREAM_DOWNSTREAM);
  return PROXY_PAUSE;
}

PROXY_EXPORT(proxy_on_downstream_data)
uint32_t proxy_on_downstream_data(uint32_t context_id, size_t data_size, uint32_t end_of_stream) {
  (void)data_size;
  (void)end_of_stream;
  return engine && TCP_USED && sentc_engine_refused(engine, context_id) ? PROXY_PAUSE
                                                                        : PROXY_CONTINUE;
}

PROXY_EXPORT(proxy_on_upstream_data)
uint32_t proxy_on_upstream_data(uint32_t context_id, size_t data_size, uint32_t end_of_stream) {
  (void)context_id;
  (void)data_size;
  (void)end_of_stream;
  return PROXY_CONTINUE;
}

/* Either side closing ends the connection: its permit goes back. */
PROXY_EXPORT(proxy_on_downstream_connection_close)
void proxy_on_downstream_connection_close(uint32_t context_id, uint32_t peer_type) {
  (void)peer_type;
  if (engine && TCP_USED)
    sentc_engine_end(engine, context_id, SENTC_NOW_UNREAD);
}

PROXY_EXPORT(proxy_on_upstream_connection_close)
void proxy_on_upstream_connection_close(uint32_t context_id, uint32_t peer_type) {
  (void)peer_type;
  if (engine && TCP_USED)
    sentc_engine_end(engine, context_id, SENTC_NOW_UNREAD);
}

/* ---- the rate-limit service's answers (scope cluster) ---- */

/* Envoy makes gRPC calls on the root context and tells it their outcome:
 * a unary call's answer (proxy_on_grpc_receive, its message in the
 * GrpcReceiveBuffer), or its failure, a timeout included
 * (proxy_on_grpc_close with the grpc-status).  The engine knows which
 * stream each call is for; a call it no longer waits for is ignored. */
PROXY_EXPORT(proxy_on_grpc_receive)
void proxy_on_grpc_receive(uint32_t context_id, uint32_t token, uint32_t response_size) {
  (void)context_id;
  if (engine) {
    const char *message = NULL;
    size_t len = 0;
    if (proxy_get_buffer_bytes(PROXY_BUFFER_GRPC_RECEIVE, 0, response_size, &message, &len) !=
        PROXY_OK) {
      message = NULL;
      len = 0;
    }
    if (message || response_size == 0)
      sentc_engine_grpc_receive(engine, token, message ? message : "", len, now_ms());
    else    /* the host would not hand over the answer: as good as none */
      sentc_engine_grpc_close(engine, token, 13, now_ms());
  }
  sentc_scratch_reset();
}

PROXY_EXPORT(proxy_on_grpc_close)
void proxy_on_grpc_close(uint32_t context_id, uint32_t token, uint32_t status_code) {
  (void)context_id;
  if (engine)
    sentc_engine_grpc_close(engine, token, status_code, now_ms());
  sentc_scratch_reset();
}

PROXY_EXPORT(proxy_on_tick)
void proxy_on_tick(uint32_t root_id) {
  (void)root_id;
  if (engine) {
    follow_log_level();
    sentc_engine_tick(engine, SENTC_NOW_UNREAD);
  }
  sentc_scratch_reset();
}

/* The engine's platform (engine/platform.h), on Envoy's host calls. */
int64_t sentc_platform_now_ms(void) { return now_ms(); }

int32_t sentc_platform_metric_define(int type, const char *name, size_t len) {
  uint32_t id = 0;
  if (proxy_define_metric((uint32_t)type, name, len, &id) != PROXY_OK || id > INT32_MAX)
    return -1;
  return (int32_t)id;
}

void sentc_platform_metric_add(int32_t id, int64_t delta) {
  proxy_increment_metric((uint32_t)id, delta);
}

void sentc_platform_metric_record(int32_t id, uint64_t value) {
  proxy_record_metric((uint32_t)id, value);
}

void sentc_platform_log(int level, const char *text, size_t len) {
  proxy_log((uint32_t)level, text, len);
}

void sentc_platform_random(void *out, size_t len) {
  if (wasi_random_get(out, len) != 0)
    memset(out, 0, len);
}

void sentc_platform_resume(uint32_t stream) {
  proxy_set_effective_context(stream);
  proxy_continue_stream(PROXY_STREAM_REQUEST);
}

void sentc_platform_settle(uint32_t stream, const struct sentc_verdict *verdict) {
  proxy_set_effective_context(stream);
  if (act(verdict) == PROXY_CONTINUE)
    proxy_continue_stream(PROXY_STREAM_REQUEST);
}

int sentc_platform_grpc_call(const void *grpc_service, size_t grpc_service_len,
                             const char *service, const char *method, const void *message,
                             size_t len, uint32_t timeout_ms, uint32_t *token) {
  static const char no_metadata[4];     /* serialized pairs: a count of 0 */
  *token = 0;
  return proxy_grpc_call(grpc_service, grpc_service_len, service, strlen(service), method,
                         strlen(method), no_metadata, sizeof no_metadata, message, len,
                         timeout_ms, token) == PROXY_OK ? 0 : -1;
}

void sentc_platform_grpc_cancel(uint32_t token) { proxy_grpc_cancel(token); }

void sentc_platform_wake_every(uint32_t ms) { proxy_set_tick_period_milliseconds(ms); }

static int shared_status(uint32_t result) {
  switch (result) {
  case PROXY_OK: return SENTC_SHARED_OK;
  case PROXY_NOT_FOUND: return SENTC_SHARED_NOT_FOUND;
  case PROXY_CAS_MISMATCH: return SENTC_SHARED_CAS_MISMATCH;
  default: return SENTC_SHARED_FAILED;
  }
}

int sentc_platform_shared_get(const char *key, size_t key_len, void *out, size_t room,
                              size_t *len, uint32_t *cas) {
  struct sentc_scratch_mark mark = sentc_scratch_mark();
  const char *value = NULL;
  *len = 0;
  int status = shared_status(proxy_get_shared_data(key, key_len, &value, len, cas));
  if (status == SENTC_SHARED_OK)
    memcpy(out, value, *len < room ? *len : room);
  sentc_scratch_release(mark);
  return status;
}

int sentc_platform_shared_set(const char *key, size_t key_len, const void *value, size_t len,
                              uint32_t cas) {
  return shared_status(proxy_set_shared_data(key, key_len, value, len, cas));
}
