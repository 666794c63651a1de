/*
 * tables.h: the one contract between the C that sentc generates for a policy
 * and the runtime linked with it into main.wasm.
 *
 * sentc turns a checked policy into `const` tables of these types; the
 * runtime reads them and never parses anything at run time.  Nothing else is
 * shared: the generated file includes only this header, and the runtime
 * knows the policy only through `sentc_policy` at the bottom.
 *
 * Everything here is configuration.  Mutable state (windows, permits,
 * breaker states, hotspot slots) belongs to the runtime, which sizes it once
 * at start from these tables, so it never grows with traffic.
 *
 * Conventions: times are milliseconds; counts are uint32_t; ratios are
 * doubles in [0, 1]; every array is paired with its length; strings carry
 * their length (they may hold any byte) and are NUL-terminated as well;
 * `line` is the policy line an entry came from, for logs and --explain.
 * Rules of each kind live in one policy-wide array in file order; a resource
 * names its rules as a [first, first + n) slice of each array.  Every
 * default has been filled in by the compiler: the runtime applies no
 * defaults of its own.
 */
#ifndef SENTC_TABLES_H
#define SENTC_TABLES_H

#include <stdint.h>

/* Bump when the layout below changes, so a stale runtime refuses new tables. */
#define SENTC_TABLES_VERSION 4

struct sentc_string {
  const char *text;
  uint32_t len;
};

/* ---- matching --------------------------------------------------------- */

/* HTTP methods as bits of a set; a match with no method bits takes any. */
enum sentc_method {
  SENTC_GET = 1u << 0, SENTC_HEAD = 1u << 1, SENTC_POST = 1u << 2,
  SENTC_PUT = 1u << 3, SENTC_DELETE = 1u << 4, SENTC_CONNECT = 1u << 5,
  SENTC_OPTIONS = 1u << 6, SENTC_TRACE = 1u << 7, SENTC_PATCH = 1u << 8,
  SENTC_OTHER_METHOD = 1u << 9
};

enum sentc_protocol { SENTC_HTTP, SENTC_TCP };

/* A host: exact ("api.example.com") or leading wildcard ("*.example.com",
 * stored as the suffix ".example.com").  Lower case; the port is ignored. */
struct sentc_host {
  uint8_t wildcard;
  struct sentc_string name;
};

enum sentc_path_kind {
  SENTC_PATH_EXACT,
  SENTC_PATH_PREFIX,
  SENTC_PATH_TEMPLATE      /* "/users/{id}/x": {x} is one segment; a last "**" any rest */
};

/* A path alternative, normalized at compile time.  `grpc` alternatives come
 * from `grpc "svc"` (prefix "/svc/") or `grpc "svc/m"` (exact "/svc/m") and
 * also need a content-type starting with application/grpc. */
struct sentc_path {
  uint8_t kind;            /* enum sentc_path_kind */
  uint8_t grpc;
  struct sentc_string text;
};

enum sentc_header_op {
  SENTC_HEADER_EXACT, SENTC_HEADER_PREFIX, SENTC_HEADER_PRESENT, SENTC_HEADER_ABSENT
};

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

enum sentc_piece_kind {
  SENTC_PIECE_TEXT, SENTC_PIECE_RESOURCE, SENTC_PIECE_KIND, SENTC_PIECE_RETRY_AFTER
};

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
 * left them to the rule kind (429 and 8; breakers 503 and 14). */
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

/* ---- rules ------------------------------------------------------------ */

enum sentc_scope { SENTC_SCOPE_PROXY, SENTC_SCOPE_WORKER };

/* A sliding window of window_ms split into `buckets` equal buckets. */
struct sentc_window {
  uint32_t window_ms;
  uint16_t buckets;
};

/* Fields every rule has. */
struct sentc_rule {
  const char *label;          /* the rule's name in metrics: "flow", "flow_2" */
  uint8_t scope;              /* enum sentc_scope */
  int32_t fallback;           /* effective: rule, else resource, else policy */
  uint16_t line;
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

enum sentc_breaker_kind {
  SENTC_BREAKER_SLOW_RATIO, SENTC_BREAKER_ERROR_RATIO, SENTC_BREAKER_ERROR_COUNT
};

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

enum sentc_key_kind {
  SENTC_KEY_HEADER, SENTC_KEY_QUERY, SENTC_KEY_COOKIE, SENTC_KEY_CLIENT_IP,
  SENTC_KEY_HOST, SENTC_KEY_PATH, SENTC_KEY_METHOD
};

/* An `item`: one value with its own rate. */
struct sentc_item {
  struct sentc_string value;
  uint32_t count;
  uint32_t window_ms;
};

enum sentc_hotspot_mode { SENTC_HOTSPOT_RATE, SENTC_HOTSPOT_CONCURRENCY };

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

/* system { ... }: fields are 0 when absent. */
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
  struct sentc_slice flows, concurrency, breakers, hotspots;
  uint32_t n_watchers;        /* flow rules elsewhere with `of` this resource */
  const uint32_t *watchers;   /* indices into sentc_policy.flows */
};

/* ---- the policy -------------------------------------------------------- */

enum sentc_mode { SENTC_ENFORCE, SENTC_SHADOW };
enum sentc_client_ip { SENTC_CLIENT_IP_PEER, SENTC_CLIENT_IP_XFF };
enum sentc_on_error { SENTC_ON_ERROR_ALLOW, SENTC_ON_ERROR_DENY };

struct sentc_policy {
  uint32_t tables_version;    /* SENTC_TABLES_VERSION when generated */
  struct sentc_string name;
  uint64_t hash;              /* of the compiled tables: namespaces shared state */
  uint8_t mode;               /* enum sentc_mode */
  uint8_t ratelimit_headers;
  uint8_t client_ip;          /* enum sentc_client_ip */
  uint8_t xff_hops;           /* client_ip xff N */
  uint8_t on_error;           /* enum sentc_on_error */
  struct sentc_system system;
  uint32_t n_resources;
  const struct sentc_resource *resources;
  uint32_t n_flows;
  const struct sentc_flow *flows;
  uint32_t n_concurrency;
  const struct sentc_concurrency *concurrency;
  uint32_t n_breakers;
  const struct sentc_breaker *breakers;
  uint32_t n_hotspots;
  const struct sentc_hotspot *hotspots;
  uint32_t n_fallbacks;
  const struct sentc_fallback *fallbacks;
  const struct sentc_matcher *matcher;
};

/* Defined by the generated code. */
extern const struct sentc_policy sentc_policy;

#endif
