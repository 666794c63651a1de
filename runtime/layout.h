/*
 * layout.h: the bytes of every piece of state the runtime keeps, in one
 * place for both sides that need them: the runtime, which lays its state
 * out with these structs and reserves exactly these sizes, and the
 * compiler, whose `--explain` prints them (compiler/statesize.h).  So the
 * figure an operator reads is the one main.wasm reserves;
 * tests/state_size.test compares the two on real policies, against the
 * line main.wasm logs at start.
 *
 * Besides tables.h this is the only runtime header the compiler includes,
 * so it holds data layouts and size formulas only: what the engine does
 * with them lives in runtime/engine/.  Cells hold only fixed-width fields
 * and no pointers, so their sizes are the same natively (the compiler) and
 * in wasm32 (main.wasm).
 */
#ifndef SENTC_LAYOUT_H
#define SENTC_LAYOUT_H

#include <stdint.h>
#include "tables.h"

/* ---- the pieces cells are made of ---- */

/* What a window counts (window.c).  SENTC_EV_RT sums response times (ms)
 * of completions. */
enum sentc_event {
  SENTC_EV_PASS, SENTC_EV_BLOCK, SENTC_EV_COMPLETE, SENTC_EV_ERROR, SENTC_EV_SLOW,
  SENTC_EV_RT, SENTC_EVENTS
};

/* One bucket of a sliding window's ring (window.c). */
struct sentc_bucket {
  int64_t start;           /* start of the bucket's span; stale when old */
  uint32_t count[SENTC_EVENTS];
  uint32_t min_rt;         /* smallest response time completed in it, ms */
};

/* A leaky bucket's position (pace.c). */
struct sentc_pace {
  int64_t latest_us;       /* when the last admitted request passes */
};

/* A warm-up's stored tokens (warmup.c). */
struct sentc_warmup {
  double stored;           /* tokens */
  int64_t last_filled;     /* window start of the last refill */
  int64_t window_start;    /* tumbling window, for the previous window's passes */
  uint32_t passes, previous_passes;
  uint8_t filled;          /* 0 until the first refill, which fills to max */
};

/* A hotspot value's token bucket (tokens.c). */
struct sentc_tokens {
  int64_t refilled_at;     /* ms; the value's first request or last refill */
  int64_t left;            /* tokens left after the last spend */
  uint8_t seen;
};

/* ---- cells: one per rule (per value for hotspots) ---- */

/* A flow rule: its pacing (throttle), its warm-up tokens and its window. */
struct sentc_flow_cell {
  struct sentc_pace pace;
  struct sentc_warmup warm;
  struct sentc_bucket ring[];
};

struct sentc_concurrency_cell {
  uint32_t in_flight;
};

enum sentc_circuit { SENTC_CLOSED, SENTC_OPEN, SENTC_HALF_OPEN };

struct sentc_breaker_cell {
  uint8_t state;           /* enum sentc_circuit */
  uint32_t probes_out;     /* half-open: probes admitted, not yet completed */
  uint32_t probes_ok;      /* half-open: probes that succeeded */
  int64_t open_until;      /* open: when a probe may pass */
  struct sentc_bucket ring[];
};

/* One value of a hotspot rule; `hash` says which value holds the slot. */
struct sentc_hot_value {
  uint64_t hash;
  struct sentc_tokens tokens;
  struct sentc_pace pace;
  uint32_t in_flight;
};

/* The system rule's statistics: one second in ten buckets, as Sentinel's
 * inbound node keeps them; one process-wide cell, with a system block only. */
#define SENTC_SYSTEM_BUCKETS 10
struct sentc_system_cell {
  uint32_t in_flight;
  struct sentc_bucket ring[SENTC_SYSTEM_BUCKETS];
};

/* ---- how cells are stored ---- */

/* VM slots of the process registry (vmreg.c): the most VMs that can hold
 * permits in proxy cells at once, counting those that held some within the
 * last liveness window (5 s): 256 workers, twice over, so that a
 * configuration update replacing every worker finds room for the new VMs
 * while the old ones finish their streams. */
#define SENTC_VM_SLOTS 512

/* One VM's share of a permit field in a proxy cell (shared.c): its token
 * (which names its registry slot) and the permits it holds there. */
struct sentc_share {
  uint32_t token, count;
};

/* A cell's bytes as the store lays it out: rounded up to 8. */
static inline uint32_t sentc_layout_cell_bytes(uint32_t size) { return (size + 7u) & ~7u; }

/* The shares a permit field counting at most `most` permits can list: one
 * per VM holding permits there, so never more than `most`, nor than the
 * VM slots (UINT32_MAX: a field no rule bounds, the system's in flight). */
static inline uint32_t sentc_layout_shares(uint32_t most) {
  return most < SENTC_VM_SLOTS ? most : SENTC_VM_SLOTS;
}

/* In shared data (scope proxy) a cell with permit fields is followed by a
 * header saying how many shares each field lists, then those shares: a
 * cell takes its bytes + 8, + 8 per VM holding permits in it at the moment,
 * and at most that with every field's list full. */
#define SENTC_SHARES_HEADER_BYTES 8u

/* What a cell of `size` takes where it is kept: in this worker's arena, or
 * (`shared`) at most in the process's shared data, with `n_permits` permit
 * fields counting at most `most` permits each. */
static inline uint32_t sentc_layout_stored_bytes(uint32_t size, int shared, uint32_t n_permits,
                                                 uint32_t most) {
  uint32_t bytes = sentc_layout_cell_bytes(size);
  if (shared && n_permits)
    bytes += SENTC_SHARES_HEADER_BYTES +
             n_permits * sentc_layout_shares(most) * (uint32_t)sizeof(struct sentc_share);
  return bytes;
}

static inline uint32_t sentc_layout_flow_cell(uint32_t buckets) {
  return (uint32_t)(sizeof(struct sentc_flow_cell) + buckets * sizeof(struct sentc_bucket));
}

static inline uint32_t sentc_layout_breaker_cell(uint32_t buckets) {
  return (uint32_t)(sizeof(struct sentc_breaker_cell) + buckets * sizeof(struct sentc_bucket));
}

/* A hotspot directory's index: a power of two at least twice the capacity,
 * so chains stay short. */
static inline uint32_t sentc_layout_hot_index(uint32_t capacity) {
  uint32_t size = 1;
  while (size < 2ull * capacity && size < 0x80000000u)
    size <<= 1;
  return size;
}

/* A worker-scope hotspot's directory (hotdir.c): the index, and per slot
 * its chain link, LRU links and hash.  Proxy scope has none. */
static inline uint64_t sentc_layout_hot_directory(uint32_t capacity) {
  return (uint64_t)sentc_layout_hot_index(capacity) * sizeof(int32_t) +
         (uint64_t)capacity * (3 * sizeof(int32_t) + sizeof(uint64_t));
}

/* ---- replies ---- */

/* What a fallback may send (docs/language.md, "Limits"), placeholders
 * counted at their longest: the checker refuses more, and the runtime
 * sizes its reply buffer from the policy's largest fallback (reply.c), so
 * what the checker lets through is sent whole. */
#define SENTC_REPLY_HEADERS_MAX 64                /* a fallback's headers */
#define SENTC_REPLY_HEADER_BYTES_MAX (60u << 10)  /* their names and values */
#define SENTC_REPLY_BODY_MAX (1u << 20)           /* its body */

/* The longest kind name ${kind} becomes ("concurrency"), from the registry. */
union sentc_layout_kind_names {
#define SENTC_LAYOUT_KIND_NAME(K, k, status, grpc, tcp) char k[sizeof #k];
  SENTC_RULE_KINDS(SENTC_LAYOUT_KIND_NAME)
#undef SENTC_LAYOUT_KIND_NAME
  char system[sizeof "system"];
};
#define SENTC_KIND_NAME_MAX ((uint32_t)sizeof(union sentc_layout_kind_names) - 1)

/* ${retry_after}: seconds, a uint64_t in decimal. */
#define SENTC_RETRY_AFTER_MAX 20u

/* The most bytes one piece of a template (tables.h) becomes: its text, or
 * a placeholder at its longest, ${resource} being at most `resource_max`
 * bytes. */
static inline uint32_t sentc_layout_piece_max(enum sentc_piece_kind kind, uint32_t text_len,
                                              uint32_t resource_max) {
  switch (kind) {
  case SENTC_PIECE_RESOURCE: return resource_max;
  case SENTC_PIECE_KIND: return SENTC_KIND_NAME_MAX;
  case SENTC_PIECE_RETRY_AFTER: return SENTC_RETRY_AFTER_MAX;
  default: return text_len;
  }
}

/* ---- the budget ---- */

/* The state one VM may keep: its worker cells and hotspot directories, the
 * per-worker figure of `sentc --explain` and of the start-up log line.
 * Every Envoy worker keeps its own, in a wasm32 memory of at most 4 GiB;
 * the compiler refuses a policy above it (compiler/statesize.c) and warns
 * above a quarter of it, and the runtime refuses to start one (store.c),
 * never letting a size wrap. */
#define SENTC_STATE_BUDGET_BYTES (256ull << 20)
#define SENTC_STATE_WARN_BYTES (SENTC_STATE_BUDGET_BYTES / 4)

/* ---- streams in flight ---- */

/* What a passed request committed, to give back or complete at its end
 * (stream.c): `kind` says whose (enum sentc_kind) and `flags` what exactly,
 * in that kind's own terms. */
struct sentc_effect {
  uint8_t kind;
  uint8_t flags;
  uint32_t rule;
  int32_t slot;            /* hotspot: the value's slot */
  int64_t at;              /* when committed (ms), or a pace slot (us) */
  uint64_t hash;           /* hotspot: the value */
};

/* A stream table entry (stream.h), with room for its first
 * SENTC_STREAM_INLINE effects; a request that commits more keeps the rest
 * in a block of its own while it is in flight.  Pinned so both builds
 * agree. */
#define SENTC_STREAM_INLINE 6
#define SENTC_STREAM_ENTRY_BYTES (96 + SENTC_STREAM_INLINE * sizeof(struct sentc_effect))

/* A stream in flight: its entry, plus `more` effects beyond the inline ones. */
static inline uint32_t sentc_layout_stream_bytes(uint32_t more) {
  return (uint32_t)(SENTC_STREAM_ENTRY_BYTES + more * sizeof(struct sentc_effect));
}

#endif
