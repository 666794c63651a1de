/*
 * tables.h: the one contract between the C that sentc generates for a policy
 * and the runtime linked with it into main.wasm.
 *
 * sentc turns a checked policy into `const` tables of these types and one
 * array of mutable state sized for that policy; the runtime reads the tables
 * and never parses anything at run time.  Nothing else is shared: the
 * generated file includes only this header, and the runtime knows the policy
 * only through the symbols declared at the bottom.
 *
 * Times are milliseconds.  Counts are uint32_t.  Every array is paired with
 * its length.  A `line` field is the policy line a table entry came from, for
 * logs and --explain.
 */
#ifndef SENTC_TABLES_H
#define SENTC_TABLES_H

#include <stdint.h>

/* Bump when the layout below changes, so a stale runtime refuses new tables. */
#define SENTC_TABLES_VERSION 1

/* HTTP methods as bits of a set; a match with no method bits takes any. */
enum sentc_method {
  SENTC_GET = 1u << 0, SENTC_HEAD = 1u << 1, SENTC_POST = 1u << 2,
  SENTC_PUT = 1u << 3, SENTC_DELETE = 1u << 4, SENTC_CONNECT = 1u << 5,
  SENTC_OPTIONS = 1u << 6, SENTC_TRACE = 1u << 7, SENTC_PATCH = 1u << 8,
  SENTC_OTHER_METHOD = 1u << 9
};

enum sentc_path_kind { SENTC_PATH_EXACT, SENTC_PATH_PREFIX };

struct sentc_path {
  uint8_t kind;            /* enum sentc_path_kind */
  uint16_t len;
  const char *text;        /* normalized at compile time */
};

/* All listed conditions must hold; the paths are alternatives. */
struct sentc_match {
  uint32_t methods;        /* enum sentc_method bits; 0 = any method */
  uint16_t n_paths;        /* 0 = any path */
  const struct sentc_path *paths;
};

/* One bucket of a sliding window (Sentinel's LeapArray).  The generated
 * state array is made of these; the runtime owns what they mean. */
enum sentc_event { SENTC_EV_PASS, SENTC_EV_BLOCK, SENTC_EVENTS };

struct sentc_bucket {
  int64_t start;           /* start of the bucket's span; stale when old */
  uint32_t count[SENTC_EVENTS];
};

/* A sliding window: `buckets` buckets of window_ms / buckets each, found at
 * sentc_state[first_bucket]. */
struct sentc_window {
  uint32_t window_ms;
  uint16_t buckets;
  uint32_t first_bucket;
};

enum sentc_flow_behavior { SENTC_FLOW_REJECT };

/* flow RATE: at most `count` passed requests per window. */
struct sentc_flow {
  const char *label;       /* names the rule in metrics: "flow", "flow_2" */
  uint32_t count;
  uint8_t behavior;        /* enum sentc_flow_behavior */
  struct sentc_window window;
  uint16_t line;
};

struct sentc_resource {
  const char *name;
  uint16_t line;
  struct sentc_match match;
  uint16_t n_flows;
  const struct sentc_flow *flows;
};

struct sentc_policy {
  uint32_t tables_version; /* SENTC_TABLES_VERSION when generated */
  const char *name;
  uint16_t n_resources;
  const struct sentc_resource *resources;
  uint32_t n_buckets;      /* length of sentc_state */
};

/* Defined by the generated code. */
extern const struct sentc_policy sentc_policy;
extern struct sentc_bucket sentc_state[];

#endif
