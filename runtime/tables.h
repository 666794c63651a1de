/*
 * tables.h: the one contract between the C that sentc generates for a policy
 * and the runtime linked with it into main.wasm.
 *
 * sentc turns a checked policy into `const` tables of these types; the
 * runtime reads them and never parses anything at run time.  Nothing else is
 * shared: the generated file includes only this header, and the runtime
 * knows the policy only through `sentc_policy` at the bottom.  The compiler
 * includes it too, for the enums and the rule-kind registry below, so both
 * sides spell every value from one list (and runtime/layout.h for the sizes
 * of the runtime's state).
 *
 * Everything here is configuration.  Mutable state (windows, permits,
 * breaker states, hotspot slots) belongs to the runtime, which sizes it once
 * at start from these tables, so it never grows with traffic.
 *
 * Conventions: times are milliseconds; counts are uint32_t (a rate written
 * with a decimal count arrives as a whole count over a longer window: 1.5/s
 * as 3/2s); ratios are doubles in [0, 1]; every array is paired with its length; strings carry their length
 * (they may hold any byte) and are NUL-terminated as well; `line` is the
 * policy line an entry came from, for logs and --explain.  Rules of each
 * kind live in one policy-wide array in file order; a resource names its
 * rules of kind K as the slice `rules[K]` of that kind's array.  Every
 * default has been filled in by the compiler: the runtime applies no
 * defaults of its own.  The generated tables use designated initializers,
 * so a field added or moved here fails to compile rather than misread.
 *
 * Enumerations are written as lists (SENTC_..._LIST(X)) that the enum, the
 * runtime's name tables and the compiler's code generator all expand, as
 * jq's opcode_list.h: one list to change, never two that can disagree.
 */
#ifndef SENTC_TABLES_H
#define SENTC_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Bump when the layout below changes, so a stale runtime refuses new tables. */
#define SENTC_TABLES_VERSION 7

/* Expanders for the lists below: an enum constant, or a [constant] = "NAME"
 * entry of a name table. */
#define SENTC_ENUM_VALUE(name) name,
#define SENTC_ENUM_NAME(name) [name] = #name,

struct sentc_string {
  const char *text;
  uint32_t len;
};

/* ---- rule kinds --------------------------------------------------------- */

/* The registry of rule kinds, in the order a resource's rules are checked
 * (Sentinel's slot order; ORDER KIND: the enum, every per-kind table and
 * every loop over kinds follow it).  A row is
 *
 *   X(NAME, name, status, grpc_status, tcp)
 *
 * NAME/name: SENTC_KIND_NAME is the kind's enum constant; `name` is its
 *   keyword in the language, its word in replies and metrics, and the stem
 *   of every per-kind identifier on both sides: struct sentc_<name> (its
 *   table entry) and sentc_policy.<name> / n_<name> (its array) here,
 *   runtime/engine/<name>.c (its checks, commits, releases, completions)
 *   and compiler/<name>.c (its checking, code, explanation and state size);
 * status, grpc_status: the built-in fallback's answer to a block;
 * tcp: whether a `match tcp` resource may have it.
 *
 * docs/hacking.md says how to add one. */
#define SENTC_RULE_KINDS(X)                \
  X(FLOW, flow, 429, 8, 1)                 \
  X(CONCURRENCY, concurrency, 429, 8, 1)   \
  X(HOTSPOT, hotspot, 429, 8, 0)           \
  X(BREAKER, breaker, 503, 14, 0)

/* Every kind a block can have: the rule kinds, then the policy's system
 * protection, which belongs to no resource. */
enum sentc_kind {
#define SENTC_KIND_ENUM(K, k, status, grpc, tcp) SENTC_KIND_##K,
  SENTC_RULE_KINDS(SENTC_KIND_ENUM)
#undef SENTC_KIND_ENUM
  SENTC_KIND_SYSTEM,
  SENTC_N_KINDS
};
#define SENTC_N_RULE_KINDS SENTC_KIND_SYSTEM

/* ---- matching --------------------------------------------------------- */

/* HTTP methods as bits of a set; a match with no method bits takes any.
 * X(NAME, bit): SENTC_NAME = 1 << bit. */
#define SENTC_METHOD_LIST(X) \
  X(GET, 0) X(HEAD, 1) X(POST, 2) X(PUT, 3) X(DELETE, 4) X(CONNECT, 5) \
  X(OPTIONS, 6) X(TRACE, 7) X(PATCH, 8)
enum sentc_method {
#define SENTC_METHOD_ENUM(name, bit) SENTC_##name = 1u << (bit),
  SENTC_METHOD_LIST(SENTC_METHOD_ENUM)
#undef SENTC_METHOD_ENUM
  SENTC_OTHER_METHOD = 1u << 9
};

#define SENTC_PROTOCOL_LIST(X) X(SENTC_HTTP) X(SENTC_TCP)
enum sentc_protocol { SENTC_PROTOCOL_LIST(SENTC_ENUM_VALUE) };

/* A host: exact ("api.example.com") or leading wildcard ("*.example.com",
 * stored as the suffix ".example.com").  Lower case; the port is ignored. */
struct sentc_host {
  uint8_t wildcard;
  struct sentc_string name;
};

/* EXACT, PREFIX, or TEMPLATE: "/users/{id}/x": {x} is one segment; a last
 * "**" any rest. */
#define SENTC_PATH_KIND_LIST(X) X(SENTC_PATH_EXACT) X(SENTC_PATH_PREFIX) X(SENTC_PATH_TEMPLATE)
enum sentc_path_kind { SENTC_PATH_KIND_LIST(SENTC_ENUM_VALUE) };

/* The one spelling of a path (runtime/engine/normalize.c; docs/matching.md):
 * sentc runs it on the policy's paths and the runtime on every request's,
 * so both sides are spelled alike.  Normalizes `path` (as received, maybe with a query or fragment) into
 * `out`, which has room for `room` bytes, and returns the normalized
 * length; the output is never longer than the input.  Returns 0 (no path
 * starts with anything but '/', so 0 is no length) when the path does not
 * start with '/' or does not fit in `room`: such a request matches no
 * resource that asks for a path.
 *
 *   - the query ('?') and fragment ('#') are cut off;
 *   - %XX escapes of unreserved characters (ALPHA DIGIT - . _ ~) are
 *     decoded; every other escape (%2F and %5C included) stays encoded, with
 *     its hex digits in upper case, so it never acts as a separator;
 *   - a '%' not followed by two hex digits is an ordinary byte;
 *   - runs of '/' become one; "." segments go; ".." removes the segment
 *     before it and never climbs above the root;
 *   - every other byte, NUL included, is kept as it is. */
size_t sentc_normalize_path(const char *path, size_t len, char *out, size_t room);

/* A path alternative, normalized at compile time.  `grpc` alternatives come
 * from `grpc "svc"` (prefix "/svc/") or `grpc "svc/m"` (exact "/svc/m") and
 * also need a content-type starting with application/grpc. */
struct sentc_path {
  uint8_t kind;            /* enum sentc_path_kind */
  uint8_t grpc;
  struct sentc_string text;
};

#define SENTC_HEADER_OP_LIST(X) \
  X(SENTC_HEADER_EXACT) X(SENTC_HEADER_PREFIX) X(SENTC_HEADER_PRESENT) X(SENTC_HEADER_ABSENT)
enum sentc_header_op { SENTC_HEADER_OP_LIST(SENTC_ENUM_VALUE) };

struct sentc_header_match {
  struct sentc_string name;   /* lower case */
  uint8_t op;                 /* enum sentc_header_op */
  struct sentc_string value;  /* EXACT and PREFIX */
};

/* A resource's match: every listed kind must hold (AND); within hosts, and
 * within paths, any one alternative will do (OR); every header predicate
 * must hold.  Empty lists hold for every request. */
struct sentc_match {
  uint8_t protocol;           /* enum sentc_protocol */
  uint32_t methods;           /* enum sentc_method bits; 0 = any */
  uint32_t n_hosts;
  const struct sentc_host *hosts;
  uint32_t n_paths;
  const struct sentc_path *paths;
  uint32_t n_headers;
  const struct sentc_header_match *headers;
  uint32_t n_ports;           /* SENTC_TCP: destination ports; 0 = any */
  const uint16_t *ports;
};

/* The compiled matcher: all resources' matches joined so that finding a
 * request's resources costs the same for 1 resource as for 10,000.
 *
 * A DFA over bytes, laid out so that a walk touches one short run of words
 * per byte: each state is a record in `code`, named by its offset there,
 * with its outgoing edges inline, and states are placed depth first, so a
 * path's states mostly follow one another.  A record is
 *
 *   sparse: n_edges, other, n_edges edges (next << 8 | byte, sorted by byte),
 *           then n_accept and the accepted entries;
 *   dense:  SENTC_DFA_DENSE, other, n_classes next states (indexed by
 *           byte_class[byte]), then n_accept and the accepted entries;
 *   run:    SENTC_DFA_RUN | n, next, the n bytes packed 4 to a word (byte
 *           i in bits 8 * (i % 4) of word i / 4), then n_accept (0): the
 *           next n input bytes must be exactly these, and lead to `next`;
 *           anything else (a short input too) goes to the dead state.  Only
 *           the path DFA has runs.
 *
 * In every kind, where a record's n_accept would be, the word may instead
 * be SENTC_DFA_SHARED | the offset of an earlier record's n_accept: the
 * record accepts the same entries, listed once there (when patterns
 * overlap, a prefix over many routes, most states accept the same few).
 *
 * From state s, byte b goes to the next of s's edge for b, else to s's
 * `other` (dense: to row[byte_class[b]]; class 0 gathers the bytes no edge
 * of the whole DFA has, its entry is `other`).  Offset 0 is the dead state
 * (nothing can match any more); `start` is where a walk starts.  When the
 * input ends in state s, the accepted entries are sorted by resource, each
 * resource once, and each says what else the resource needs, so that most
 * candidates are settled without reading their `sentc_match`:
 *
 *   resource << SENTC_ENTRY_RESOURCE_SHIFT | methods << SENTC_ENTRY_METHOD_SHIFT
 *     | SENTC_ENTRY_MORE (hosts or headers to check in its sentc_match)
 *     | SENTC_ENTRY_GRPC (only for gRPC requests)
 *
 * with `methods` the match's method bits (0: any).  A DFA with no code
 * (NULL) accepts nothing. */
#define SENTC_DFA_DEAD 0u
#define SENTC_DFA_DENSE 0xffffffffu
#define SENTC_DFA_RUN 0x80000000u
#define SENTC_DFA_SHARED 0x80000000u

#define SENTC_ENTRY_GRPC 1u
#define SENTC_ENTRY_MORE 2u
#define SENTC_ENTRY_METHOD_SHIFT 2
#define SENTC_ENTRY_METHODS 0x1ffu            /* the nine named methods */
#define SENTC_ENTRY_RESOURCE_SHIFT 11         /* so at most 2^21 keyed resources */

struct sentc_dfa {
  uint32_t start;
  uint32_t n_classes;
  const uint8_t *byte_class;   /* 256 entries */
  const uint32_t *code;
};

/* Each resource is found by one key, the most selective it has: its paths
 * (walked over the normalized path), else its hosts (walked over the host
 * reversed, lower case, without port: "*.example.com" is then a prefix),
 * else it is a candidate for every HTTP request (and has its whole
 * `sentc_match` tested), or for every TCP connection.  A candidate found by
 * a walk then has the rest of its `sentc_match` checked (method bits,
 * hosts, headers), so headers are read only for candidates. */
struct sentc_matcher {
  struct sentc_dfa paths;
  struct sentc_dfa hosts;
  uint32_t n_http_any;         /* resource indices, in file order */
  const uint32_t *http_any;
  uint32_t n_tcp;
  const uint32_t *tcp;
};

/* ---- fallbacks -------------------------------------------------------- */

#define SENTC_PIECE_KIND_LIST(X) \
  X(SENTC_PIECE_TEXT) X(SENTC_PIECE_RESOURCE) X(SENTC_PIECE_KIND) X(SENTC_PIECE_RETRY_AFTER)
enum sentc_piece_kind { SENTC_PIECE_KIND_LIST(SENTC_ENUM_VALUE) };

/* Text with ${resource}, ${kind} and ${retry_after} already split out. */
struct sentc_piece {
  uint8_t kind;               /* enum sentc_piece_kind */
  struct sentc_string text;   /* SENTC_PIECE_TEXT */
};

struct sentc_template {
  uint32_t n_pieces;
  const struct sentc_piece *pieces;
};

struct sentc_reply_header {
  struct sentc_string name;   /* lower case */
  struct sentc_template value;
};

/* A named or inline fallback.  status/grpc_status are 0/-1 when the policy
 * left them to the rule kind (the registry's status and grpc_status). */
struct sentc_fallback {
  struct sentc_string name;   /* "" for an inline fallback */
  uint16_t status;
  int16_t grpc_status;
  uint8_t forward;            /* send upstream with the headers added instead */
  struct sentc_string details;
  uint32_t n_headers;
  const struct sentc_reply_header *headers;
  uint8_t has_body;
  struct sentc_template body;
  uint16_t line;
};

/* A rule's fallback: an index into sentc_policy.fallbacks, or this for the
 * built-in one. */
#define SENTC_BUILTIN_FALLBACK (-1)

/* ---- limits: what the language accepts (docs/language.md, "Limits"), the
 * checker's and the plugin configuration's (config.c) alike ---- */

#define SENTC_MAX_NAME_LEN 128
#define SENTC_MAX_RATE_COUNT 1000000000u
#define SENTC_MAX_WINDOW_MS (24u * 3600 * 1000)
#define SENTC_MAX_RT_MS 3600000u
#define SENTC_MAX_CONCURRENCY 1000000u
#define SENTC_MAX_ITEMS 1000

/* A rate's decimal count is the same rate counted over a longer window, so
 * that the count is whole (1.5/s is 3/2s): the smallest m from 1 to 1000
 * that makes count * m whole, or 0 (more than three decimals). */
static inline uint32_t sentc_rate_whole_factor(double count) {
  for (uint32_t m = 1; m <= 1000; m++) {
    double x = count * m, nearest = (double)(uint64_t)(x + 0.5);
    if (x - nearest < 1e-6 && nearest - x < 1e-6)
      return m;
  }
  return 0;
}

/* ---- rules ------------------------------------------------------------ */

/* Where a rule counts: per Envoy process (shared data), per worker, or
 * across every proxy by the rate-limit service (flow and rate hotspot
 * rules only; the policy's `rls` below). */
#define SENTC_SCOPE_LIST(X) X(SENTC_SCOPE_PROXY) X(SENTC_SCOPE_WORKER) X(SENTC_SCOPE_CLUSTER)
enum sentc_scope { SENTC_SCOPE_LIST(SENTC_ENUM_VALUE) };

/* A sliding window of window_ms split into `buckets` equal buckets. */
struct sentc_window {
  uint32_t window_ms;
  uint16_t buckets;
};

/* Fields every rule has, first in its kind's entry. */
struct sentc_rule {
  const char *name;           /* unique in its resource: "flow", "breaker_error_ratio",
                                 or the policy's `name`; in metrics and config */
  uint8_t scope;              /* enum sentc_scope */
  int32_t fallback;           /* effective: rule, else resource, else policy */
  uint16_t line;
  uint8_t mode;               /* enum sentc_mode, effective: rule, resource, policy */
  uint32_t resource;          /* the resource whose rule it is */
  uint8_t off;                /* switched off by the plugin configuration (config.c);
                                 0 in generated tables, as the `off`s below */
};

/* flow RATE: `count` requests per window.  Flags combine: throttle alone is
 * Sentinel's rate limiter, warmup alone its warm-up, both its warm-up rate
 * limiter. */
enum sentc_flow_flag { SENTC_FLOW_THROTTLE = 1u << 0, SENTC_FLOW_WARMUP = 1u << 1 };

struct sentc_flow {
  struct sentc_rule rule;
  uint32_t count;
  struct sentc_window window;
  uint8_t flags;              /* enum sentc_flow_flag */
  uint32_t max_queue_ms;      /* throttle: longest wait; 0 = block instead */
  uint32_t warmup_ms;         /* warmup: period */
  double cold_factor;         /* warmup: > 1 */
  int32_t of;                 /* resource index whose traffic is counted, -1 = own */
};

struct sentc_concurrency {
  struct sentc_rule rule;
  uint32_t limit;
};

#define SENTC_BREAKER_KIND_LIST(X) \
  X(SENTC_BREAKER_SLOW_RATIO) X(SENTC_BREAKER_ERROR_RATIO) X(SENTC_BREAKER_ERROR_COUNT)
enum sentc_breaker_kind { SENTC_BREAKER_KIND_LIST(SENTC_ENUM_VALUE) };

struct sentc_status_range {
  uint16_t lo, hi;            /* inclusive */
};

struct sentc_breaker {
  struct sentc_rule rule;
  uint8_t kind;               /* enum sentc_breaker_kind */
  double ratio;               /* SLOW_RATIO, ERROR_RATIO */
  uint32_t count;             /* ERROR_COUNT */
  uint32_t max_rt_ms;         /* SLOW_RATIO */
  uint32_t min_requests;
  struct sentc_window window;
  uint32_t open_ms;
  uint32_t probes;
  uint32_t n_error_ranges;    /* HTTP statuses that count as errors */
  const struct sentc_status_range *error_ranges;
  uint32_t grpc_errors;       /* bit n set: grpc-status n is an error */
};

#define SENTC_KEY_KIND_LIST(X)                                                   \
  X(SENTC_KEY_HEADER) X(SENTC_KEY_QUERY) X(SENTC_KEY_COOKIE) X(SENTC_KEY_CLIENT_IP) \
  X(SENTC_KEY_HOST) X(SENTC_KEY_PATH) X(SENTC_KEY_METHOD)
enum sentc_key_kind { SENTC_KEY_KIND_LIST(SENTC_ENUM_VALUE) };

/* An `item`: one value with its own rate. */
struct sentc_item {
  struct sentc_string value;
  uint32_t count;
  uint32_t window_ms;
};

#define SENTC_HOTSPOT_MODE_LIST(X) X(SENTC_HOTSPOT_RATE) X(SENTC_HOTSPOT_CONCURRENCY)
enum sentc_hotspot_mode { SENTC_HOTSPOT_MODE_LIST(SENTC_ENUM_VALUE) };

struct sentc_hotspot {
  struct sentc_rule rule;
  uint8_t key;                /* enum sentc_key_kind */
  struct sentc_string key_name; /* header (lower case), query or cookie name */
  uint8_t mode;               /* enum sentc_hotspot_mode */
  uint32_t count;             /* RATE: per window; CONCURRENCY: in flight */
  uint32_t window_ms;
  uint32_t burst;
  uint8_t throttle;           /* pace per value instead of a token bucket */
  uint32_t max_queue_ms;      /* throttle: longest wait */
  uint32_t capacity;          /* values tracked at most (LRU) */
  uint32_t n_items;
  const struct sentc_item *items;
};

/* system { ... }: fields are 0 when absent.  Its checks, each blocking as
 * `system` with the check's name as its rule: X(NAME, name). */
#define SENTC_SYSTEM_CHECK_LIST(X) \
  X(QPS, qps) X(CONCURRENCY, concurrency) X(AVG_RT, avg_rt) X(ADAPTIVE, adaptive)
enum sentc_system_check {
#define SENTC_SYSTEM_CHECK_ENUM(K, k) SENTC_SYSTEM_##K,
  SENTC_SYSTEM_CHECK_LIST(SENTC_SYSTEM_CHECK_ENUM)
#undef SENTC_SYSTEM_CHECK_ENUM
  SENTC_N_SYSTEM_CHECKS
};

struct sentc_system {
  uint8_t present;
  uint32_t qps;
  uint32_t concurrency;
  uint32_t avg_rt_ms;
  uint8_t adaptive;
  int32_t fallback;
  uint16_t line;
};

/* A slice [first, first + n) of one of the policy's rule arrays. */
struct sentc_slice {
  uint32_t first, n;
};

struct sentc_resource {
  struct sentc_string name;
  uint16_t line;
  struct sentc_match match;
  struct sentc_slice rules[SENTC_N_RULE_KINDS];   /* indexed by enum sentc_kind */
  uint32_t n_watchers;        /* flow rules elsewhere with `of` this resource */
  const uint32_t *watchers;   /* indices into sentc_policy.flow */
  uint8_t off;                /* its rules switched off (config.c) */
};

/* ---- the rate-limit service: scope cluster ---------------------------- */

/* A cluster rule is counted by Envoy's rate-limit service
 * (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit, served by
 * envoyproxy/ratelimit or Limitador), which counts fixed windows of one
 * unit.  X(NAME, word, seconds): SENTC_RLS_NAME is the unit's number in
 * RateLimitResponse.RateLimit.Unit, `word` its name in envoyproxy/ratelimit's
 * configuration. */
#define SENTC_RLS_UNIT_LIST(X) \
  X(SECOND, second, 1) X(MINUTE, minute, 60) X(HOUR, hour, 3600) X(DAY, day, 86400)
enum sentc_rls_unit {
  SENTC_RLS_UNKNOWN,
#define SENTC_RLS_UNIT_ENUM(NAME, word, seconds) SENTC_RLS_##NAME,
  SENTC_RLS_UNIT_LIST(SENTC_RLS_UNIT_ENUM)
#undef SENTC_RLS_UNIT_ENUM
  SENTC_N_RLS_UNITS
};

/* One entry of a descriptor: key and value (RateLimitDescriptor.Entry). */
struct sentc_rls_entry {
  struct sentc_string key;
  struct sentc_string value;
};

/* What a cluster rule asks the service: a descriptor of its fixed entries
 * and, for a hotspot, one more entry `value_key` holding the request's
 * value (spelled by sentc_rls_value).  sentc writes the service's
 * configuration from the same entries (compiler/ratelimit.c), so the two
 * cannot disagree.  The limit is the configured one, for the RateLimit
 * headers when the service's answer carries none. */
struct sentc_rls_descriptor {
  uint8_t kind;               /* SENTC_KIND_FLOW or SENTC_KIND_HOTSPOT */
  uint32_t rule;              /* index into that kind's array */
  uint32_t n_entries;
  const struct sentc_rls_entry *entries;
  struct sentc_string value_key;   /* hotspot: the value's entry key; "" for a flow rule */
  uint32_t requests_per_unit;
  uint8_t unit;               /* enum sentc_rls_unit */
};

/* The policy's `ratelimit_service { ... }`: the Envoy cluster that
 * reaches the service, the domain, how long a request waits for the
 * answer, what it gets when there is none, and every cluster rule's
 * descriptor (flow rules, then hotspot rules, each in their array's
 * order).  `present` is 0 when the policy has no cluster rule. */
struct sentc_rls {
  uint8_t present;
  struct sentc_string cluster;
  struct sentc_string domain;
  uint32_t timeout_ms;
  uint8_t on_error;           /* enum sentc_on_error: the service failed or timed out */
  uint32_t n_descriptors;
  const struct sentc_rls_descriptor *descriptors;
  uint16_t line;
};

/* The one spelling of a descriptor value (runtime/engine/rls.c): sentc
 * runs it on `item` values and the runtime on every request's value, so
 * the service's configuration and the descriptors agree.  A value is sent
 * as UTF-8 text: bytes that are not valid UTF-8, control characters and
 * '%' itself become %XX (upper-case hex), so two different values never
 * share a spelling; a spelling longer than SENTC_RLS_VALUE_MAX keeps its
 * first bytes and ends in '~' and the 16 hex digits of the raw value's
 * FNV-1a hash.  Writes at most SENTC_RLS_VALUE_MAX bytes to `out` and
 * returns the length (0 for an empty value). */
#define SENTC_RLS_VALUE_MAX 256
size_t sentc_rls_value(const char *value, size_t len, char *out);

/* ---- the policy -------------------------------------------------------- */

#define SENTC_MODE_LIST(X) X(SENTC_ENFORCE) X(SENTC_SHADOW)
enum sentc_mode { SENTC_MODE_LIST(SENTC_ENUM_VALUE) };
/* RateLimit headers on responses: none, the IETF httpapi draft's
 * RateLimit-Policy and RateLimit fields, or Envoy's x-ratelimit-*. */
#define SENTC_RATELIMIT_HEADERS_LIST(X) \
  X(SENTC_RATELIMIT_OFF) X(SENTC_RATELIMIT_DRAFT) X(SENTC_RATELIMIT_ENVOY)
enum sentc_ratelimit_headers { SENTC_RATELIMIT_HEADERS_LIST(SENTC_ENUM_VALUE) };
#define SENTC_CLIENT_IP_LIST(X) X(SENTC_CLIENT_IP_PEER) X(SENTC_CLIENT_IP_XFF)
enum sentc_client_ip { SENTC_CLIENT_IP_LIST(SENTC_ENUM_VALUE) };
#define SENTC_ON_ERROR_LIST(X) X(SENTC_ON_ERROR_ALLOW) X(SENTC_ON_ERROR_DENY)
enum sentc_on_error { SENTC_ON_ERROR_LIST(SENTC_ENUM_VALUE) };

struct sentc_policy {
  uint32_t tables_version;    /* SENTC_TABLES_VERSION when generated */
  struct sentc_string name;
  struct sentc_string sentc_version;   /* of the sentc that compiled it */
  struct sentc_string source_sha256;   /* of the policy source, hex (compiler/ident.h) */
  uint64_t hash;              /* of the compiled tables: namespaces shared state */
  uint8_t mode;               /* enum sentc_mode: the system rule's (the rules have theirs) */
  uint8_t ratelimit_headers;  /* enum sentc_ratelimit_headers */
  uint8_t client_ip;          /* enum sentc_client_ip */
  uint8_t xff_hops;           /* client_ip xff N */
  uint8_t on_error;           /* enum sentc_on_error */
  uint8_t off;                /* every rule switched off (config.c) */
  struct sentc_system system;
  struct sentc_rls rls;
  uint32_t n_resources;
  const struct sentc_resource *resources;
  /* Each kind's rules: n_flow and flow, n_concurrency and concurrency... */
#define SENTC_KIND_ARRAY(K, k, status, grpc, tcp) \
  uint32_t n_##k;                                 \
  const struct sentc_##k *k;
  SENTC_RULE_KINDS(SENTC_KIND_ARRAY)
#undef SENTC_KIND_ARRAY
  uint32_t n_fallbacks;
  const struct sentc_fallback *fallbacks;
  const struct sentc_matcher *matcher;
  uint32_t uses;              /* SENTC_USE_* bits, below */
};

/* ---- what a policy uses ------------------------------------------------ */

/* sentc_policy.uses: the parts of the runtime the policy needs, as the
 * compiler found them.  main.wasm's runtime is built with
 * SENTC_SPECIALIZED (Makefile.am, rtlib/) and linked with the tables by
 * link-time optimization, which reads this constant wherever the runtime
 * asks SENTC_USES and leaves out the code of every part the policy does not
 * use: a module is as big as what its policy has.  Natively (the unit
 * tests) everything counts as used.
 *
 *   SENTC_USE_KIND(k): rules of kind k (enum sentc_kind; SYSTEM: a system block);
 *   SENTC_USE_KEY(key): hotspot rules keyed by `key` (enum sentc_key_kind);
 *   and X(NAME, bit) below: SENTC_USE_NAME = 1 << bit:
 *   TCP        `match tcp` resources (the network filter's callbacks);
 *   PROXY      state in shared data (a rule in scope proxy, or a system block);
 *   HOSTS      matches that name hosts;
 *   HEADERS    matches that test headers;
 *   TEMPLATES  path templates;
 *   RATELIMIT  RateLimit headers (ratelimit_headers draft or envoy);
 *   THROTTLE, WARMUP  flow rules that throttle, that warm up;
 *   FALLBACKS  fallbacks of the policy's own (else only the built-in one);
 *   CLUSTER    rules in scope cluster (the rate-limit service's calls). */
#define SENTC_USE_KIND(kind) (1u << (kind))
#define SENTC_USE_KEY(key) (1u << (20 + (key)))
#define SENTC_USE_LIST(X) \
  X(TCP, 8) X(PROXY, 9) X(HOSTS, 10) X(HEADERS, 11) X(TEMPLATES, 12) X(RATELIMIT, 13) \
  X(THROTTLE, 14) X(WARMUP, 15) X(FALLBACKS, 16) X(CLUSTER, 17)
enum sentc_use {
#define SENTC_USE_ENUM(name, bit) SENTC_USE_##name = 1u << (bit),
  SENTC_USE_LIST(SENTC_USE_ENUM)
#undef SENTC_USE_ENUM
};
#ifdef SENTC_SPECIALIZED
#define SENTC_USES(bits) ((sentc_policy.uses & (bits)) != 0)
#else
#define SENTC_USES(bits) 1
#endif

/* The fields every rule has, for rule `i` of kind `kind`. */
/* How many rules of `kind` the policy has. */
static inline uint32_t sentc_tables_count(const struct sentc_policy *p, enum sentc_kind kind) {
  switch (kind) {
#define SENTC_KIND_COUNT(K, k, status, grpc, tcp) \
  case SENTC_KIND_##K:                            \
    return p->n_##k;
    SENTC_RULE_KINDS(SENTC_KIND_COUNT)
#undef SENTC_KIND_COUNT
  case SENTC_KIND_SYSTEM:
  case SENTC_N_KINDS:
    break;
  }
  return 0;
}

static inline const struct sentc_rule *sentc_tables_rule(const struct sentc_policy *p,
                                                     enum sentc_kind kind, uint32_t i) {
  switch (kind) {
#define SENTC_KIND_RULE(K, k, status, grpc, tcp) \
  case SENTC_KIND_##K:                           \
    return &p->k[i].rule;
    SENTC_RULE_KINDS(SENTC_KIND_RULE)
#undef SENTC_KIND_RULE
  case SENTC_KIND_SYSTEM:
  case SENTC_N_KINDS:
    break;
  }
  return 0;
}

/* Defined by the generated code. */
extern const struct sentc_policy sentc_policy;

#endif
