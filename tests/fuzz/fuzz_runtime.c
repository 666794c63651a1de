/*
 * fuzz_runtime.c: libFuzzer target for the runtime's request path: the
 * native engine (runtime/engine, ASan + UBSan) behind the fake platform
 * of the unit tests (tests/unit/fake_platform.c), as several VMs of one
 * Envoy process sharing its shared data and counters, on tables that
 * `sentc --emit-c` made at build time from the policies in tests/fuzz/runtime.
 *
 * The input is a policy choice, a number of VMs, then events, one after
 * another, each a byte and its arguments (see `step`): requests with
 * arbitrary methods, paths, hosts, peers and headers (huge, repeated, any
 * byte), HTTP and TCP; response headers, trailers, stream ends (once or
 * several times, held or not: client aborts), ticks, time passing, the
 * wall clock jumping, a VM replaced (a crash: its streams never end),
 * shared-data writes failing (contention), and any allocation failing;
 * with scope cluster, the rate-limit service's answers (any bytes, well
 * formed, failures, answers to calls no longer waited for) and calls that
 * cannot start.
 * Time passes as in Envoy: each VM's ticks fire at the period it asked for.
 *
 * After every event the invariants hold, or the target aborts:
 *   - every permit field (concurrency, hotspot concurrency, half-open
 *     probes) is within its limit, in every VM's view;
 *   - a scope worker concurrency rule's in-flight count is exactly the
 *     number of that VM's passed streams that entered its resource and have
 *     not ended (so never negative, no permit lost nor kept);
 *   - each request is counted once: blocked (one `blocked` counter moves),
 *     or passed (every resource it entered, by the naive matcher, counts a
 *     pass), or let through uncounted only when an allocation failed;
 *   - a reply or added headers point at readable bytes, within the limits;
 *     only held streams are resumed;
 *   - each VM's memory stays what it took at start plus its stream table;
 *   - a request held for the rate-limit service counts nothing until its
 *     outcome, then a block or its passes; an answer always settles its
 *     call, and a call never answered is settled by the filter's own tick
 *     once its deadline is past (no stream is left held).
 * At the end every stream ends, time passes beyond the liveness window, and
 * every permit field must be back to 0; stopping a VM frees every byte.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../runtime/engine/cluster.h"
#include "../../runtime/engine/core.h"
#include "../../runtime/engine/match.h"
#include "../../runtime/engine/normalize.h"
#include "../unit/fake_platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the policies, from tests/fuzz/runtime/NAME.sentinel ---- */

#define FUZZ_POLICIES(X) X(proxy) X(worker) X(shadow) X(cluster)
#define FUZZ_DECLARE(name) extern const struct sentc_policy fuzz_policy_##name;
FUZZ_POLICIES(FUZZ_DECLARE)
#define FUZZ_ENTRY(name) &fuzz_policy_##name,
static const struct sentc_policy *const policies[] = {FUZZ_POLICIES(FUZZ_ENTRY)};
#define N_POLICIES (sizeof policies / sizeof policies[0])

/* ---- failing loudly ---- */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz_runtime: invariant broken: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}
#define CHECK(cond, ...) ((cond) ? (void)0 : fail(__VA_ARGS__))

/* With FUZZ_RUNTIME_TRACE set, each event is printed: to read a crash. */
static int tracing = -1;
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...) {
  if (tracing < 0)
    tracing = getenv("FUZZ_RUNTIME_TRACE") != NULL;
  if (!tracing)
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* ---- the engine's allocator (fuzz_alloc.h): bytes per VM, failures ---- */

#define MAX_VMS 4

static int alloc_vm = -1;         /* the VM whose engine runs now; -1: none */
static int64_t alloc_live[MAX_VMS];
static int alloc_fail_in;         /* > 0: the nth engine allocation from now fails */
static int alloc_failed;          /* one failed during the current engine call */

static int failing(void) {
  if (alloc_vm < 0 || alloc_fail_in <= 0 || --alloc_fail_in > 0)
    return 0;
  alloc_failed = 1;
  return 1;
}

static void *counted(void *p) {
  if (p && alloc_vm >= 0)
    alloc_live[alloc_vm] += (int64_t)malloc_usable_size(p);
  return p;
}

void *fuzz_malloc(size_t size) { return failing() ? NULL : counted(malloc(size)); }
void *fuzz_calloc(size_t n, size_t size) { return failing() ? NULL : counted(calloc(n, size)); }

void *fuzz_realloc(void *p, size_t size) {
  if (failing())
    return NULL;
  int64_t before = p ? (int64_t)malloc_usable_size(p) : 0;
  void *q = realloc(p, size);
  if (q && alloc_vm >= 0)
    alloc_live[alloc_vm] += (int64_t)malloc_usable_size(q) - before;
  return q;
}

void fuzz_free(void *p) {
  if (p && alloc_vm >= 0)
    alloc_live[alloc_vm] -= (int64_t)malloc_usable_size(p);
  free(p);
}

/* ---- the process: VMs, streams, clocks ---- */

#define MAX_STREAMS 192
#define MAX_MATCHED 16
#define MAX_PERMITS 64

struct stream {
  uint32_t id;
  uint8_t vm, live, holds, held;
  uint8_t shadowed;                /* a shadow rule would have blocked it: shadow
                                      rules took nothing for it */
  uint8_t asking;                  /* held for the rate-limit service's answer */
  uint32_t token;                  /* the call it asks with */
  uint32_t n_matched;
  uint32_t matched[MAX_MATCHED];
};

struct vm {
  struct sentc_engine *E;          /* NULL: failed to start */
  uint32_t wake_ms, next_id, open, most_open;
  int64_t next_tick;               /* monotonic ms */
  int64_t start_bytes;
};

/* A permit field of a cell: which, where, the most it counts, and for a
 * scope worker concurrency rule its rule (else -1). */
struct permit {
  sentc_cell cell;
  uint32_t offset, most;
  int32_t concurrency;
};

static struct run {
  const struct sentc_policy *p;
  int n_vms;
  struct vm vm[MAX_VMS];
  struct stream streams[MAX_STREAMS];
  int64_t mono, offset;            /* raw clock = mono + offset (wall-clock jumps) */
  int64_t jumped_at;               /* mono time of the last forward jump */
  int64_t raw_max;                 /* the latest raw reading */
  struct permit permits[MAX_PERMITS];
  int n_permits;
  unsigned char *cell;             /* a cell's value, as big as the largest */
  int wake_calls;                  /* fake_wake_calls seen so far */
} R;

/* The raw clock, and the latest it ever read: the engine's time stands
 * still after a backward step until the raw clock is back there. */
static int64_t raw_now(void) {
  int64_t raw = R.mono + R.offset;
  if (raw > R.raw_max)
    R.raw_max = raw;
  return raw;
}

/* ---- calls into one VM's engine, attributed to it ---- */

static void enter(int v) {
  alloc_vm = v;
  alloc_failed = 0;
}

/* After a call into VM v: its tick wish and the streams it resumed. */
static void leave(int v) {
  alloc_vm = -1;
  if (fake_wake_calls != R.wake_calls) {
    R.wake_calls = fake_wake_calls;
    R.vm[v].wake_ms = fake_wake_ms;
    R.vm[v].next_tick = fake_wake_ms ? R.mono + fake_wake_ms : 0;
  }
  for (int i = 0; i < fake_n_resumed; i++) {
    int found = 0;
    for (int s = 0; s < MAX_STREAMS; s++) {
      struct stream *st = &R.streams[s];
      if (st->live && st->vm == v && st->id == fake_resumed[i]) {
        CHECK(st->held, "VM %d resumed stream %u, which was not held", v, st->id);
        st->held = 0;
        found = 1;
      }
    }
    CHECK(found, "VM %d resumed stream %u, which it does not have", v, fake_resumed[i]);
  }
  fake_n_resumed = 0;
  for (int i = 0; i < fake_n_settled; i++) {     /* scope cluster: answered or let go */
    int found = 0;
    for (int s = 0; s < MAX_STREAMS; s++) {
      struct stream *st = &R.streams[s];
      if (st->live && st->vm == v && st->id == fake_settled[i].stream) {
        CHECK(st->held, "VM %d settled stream %u, which was not held", v, st->id);
        st->held = 0;
        found = 1;
      }
    }
    CHECK(found, "VM %d settled stream %u, which it does not have", v, fake_settled[i].stream);
  }
  fake_n_settled = 0;
}

/* The bytes of cell `id` as the store keeps them (its run's, store.h), 0
 * when there is no such cell. */
static uint32_t cell_bytes(const struct sentc_store *s, sentc_cell id) {
  for (uint32_t r = 0; r < s->n_runs; r++)
    if (id - s->runs[r].first < s->runs[r].count)
      return s->runs[r].size;
  return 0;
}

/* The permit fields of the policy's cells, by the order engine.c reserves
 * them in (the registry's kinds, each in rule order), checked against the
 * store so that a change of that order stops here rather than misleads. */
static void map_permits(const struct sentc_engine *E) {
  const struct sentc_policy *p = R.p;
  const struct sentc_store *s = &E->store;
  sentc_cell id = 0;
  R.n_permits = 0;
#define EXPECT_CELL(bytes)                                                                   \
  CHECK(id < s->n_cells && cell_bytes(s, id) == sentc_layout_cell_bytes(bytes),            \
        "cell %u is not where fuzz_runtime.c expects it: update map_permits", id)
#define ADD_PERMIT(off, limit, rule)                                                         \
  do {                                                                                       \
    CHECK(R.n_permits < MAX_PERMITS, "too many permit fields for fuzz_runtime.c");           \
    R.permits[R.n_permits++] = (struct permit){id, (off), (limit), (rule)};                  \
  } while (0)
  for (uint32_t i = 0; i < p->n_flow; i++, id++)
    EXPECT_CELL(sentc_layout_flow_cell(p->flow[i].window.buckets));
  for (uint32_t i = 0; i < p->n_concurrency; i++, id++) {
    EXPECT_CELL(sizeof(struct sentc_concurrency_cell));
    ADD_PERMIT(offsetof(struct sentc_concurrency_cell, in_flight), p->concurrency[i].limit,
               p->concurrency[i].rule.scope == SENTC_SCOPE_WORKER ? (int32_t)i : -1);
  }
  for (uint32_t i = 0; i < p->n_hotspot; i++) {
    const struct sentc_hotspot *h = &p->hotspot[i];
    for (uint32_t slot = 0; slot < (h->capacity ? h->capacity : 1); slot++, id++) {
      EXPECT_CELL(sizeof(struct sentc_hot_value));
      if (h->mode == SENTC_HOTSPOT_CONCURRENCY)
        ADD_PERMIT(offsetof(struct sentc_hot_value, in_flight), h->count, -1);
    }
  }
  for (uint32_t i = 0; i < p->n_breaker; i++, id++) {
    EXPECT_CELL(sentc_layout_breaker_cell(p->breaker[i].window.buckets));
    ADD_PERMIT(offsetof(struct sentc_breaker_cell, probes_out), p->breaker[i].probes, -1);
  }
  if (p->system.present) {
    EXPECT_CELL(sizeof(struct sentc_system_cell));
    ADD_PERMIT(offsetof(struct sentc_system_cell, in_flight), UINT32_MAX, -1);
    id++;
  }
  CHECK(id == s->n_cells, "the store has %u cells, fuzz_runtime.c expects %u", s->n_cells, id);
#undef EXPECT_CELL
#undef ADD_PERMIT
}

static void start_vm(int v) {
  struct vm *m = &R.vm[v];
  const char *error;
  CHECK(alloc_live[v] == 0, "VM %d: %lld bytes left behind", v, (long long)alloc_live[v]);
  enter(v);
  m->E = sentc_engine_start(R.p, &error);
  leave(v);
  m->wake_ms = 0;
  m->next_tick = 0;
  m->open = m->most_open = 0;
  if (!m->E) {
    CHECK(alloc_failed, "VM %d did not start: %s", v, error);
    CHECK(alloc_live[v] == 0, "VM %d: a failed start left %lld bytes", v,
          (long long)alloc_live[v]);
    return;
  }
  m->start_bytes = alloc_live[v];
  if (R.n_permits == 0)
    map_permits(m->E);
  if (!R.cell)
    R.cell = malloc(m->E->store.max_size ? m->E->store.max_size : 1);
}

/* A crash: the engine goes, its streams never end; its permits in shared
 * data stay until its liveness stamp is stale. */
static void stop_vm(int v) {
  struct vm *m = &R.vm[v];
  if (m->E) {
    enter(v);
    sentc_engine_stop(m->E);
    leave(v);
  }
  m->E = NULL;
  m->wake_ms = 0;
  CHECK(alloc_live[v] == 0, "VM %d: stopping left %lld bytes", v, (long long)alloc_live[v]);
  for (int s = 0; s < MAX_STREAMS; s++)
    if (R.streams[s].live && R.streams[s].vm == v)
      R.streams[s].live = 0;
}

/* ---- the invariants ---- */

static uint32_t field_of(const struct permit *f) {
  uint32_t n;
  memcpy(&n, R.cell + f->offset, sizeof n);
  return n;
}

/* Passed streams of VM v that entered resource r and hold what they took
 * from its concurrency rule `rule` (a shadow rule takes nothing for a
 * shadowed request). */
static uint32_t holding(int v, uint32_t resource, uint32_t rule) {
  int shadow = R.p->concurrency[rule].rule.mode == SENTC_SHADOW;
  uint32_t n = 0;
  for (int s = 0; s < MAX_STREAMS; s++) {
    const struct stream *st = &R.streams[s];
    if (st->live && st->vm == v && st->holds && !(shadow && st->shadowed))
      for (uint32_t i = 0; i < st->n_matched; i++)
        n += st->matched[i] == resource;
  }
  return n;
}

static int32_t resource_of_concurrency(uint32_t rule) {
  for (uint32_t r = 0; r < R.p->n_resources; r++) {
    struct sentc_slice c = R.p->resources[r].rules[SENTC_KIND_CONCURRENCY];
    if (rule >= c.first && rule < c.first + c.n)
      return (int32_t)r;
  }
  return -1;
}

/* Every permit field in every VM's view: within its limit; a worker
 * concurrency rule exactly what the VM's streams hold; with `quiet`, 0. */
static void check_permits(int quiet) {
  for (int v = 0; v < R.n_vms; v++) {
    struct sentc_engine *E = R.vm[v].E;
    if (!E)
      continue;
    enter(v);
    sentc_store_begin(&E->store, sentc_clock_now(&E->clock, &E->store.shared, raw_now()));
    for (int i = 0; i < R.n_permits; i++) {
      const struct permit *f = &R.permits[i];
      sentc_store_load(&E->store, f->cell, R.cell);
      uint32_t n = field_of(f);
      CHECK(n <= f->most, "VM %d: cell %u holds %u permits, over its limit %u", v, f->cell, n,
            f->most);
      CHECK(!quiet || n == 0, "VM %d: cell %u still holds %u permits once every stream ended",
            v, f->cell, n);
      if (f->concurrency >= 0) {
        int32_t r = resource_of_concurrency((uint32_t)f->concurrency);
        uint32_t want = r >= 0 ? holding(v, (uint32_t)r, (uint32_t)f->concurrency) : 0;
        CHECK(n == want, "VM %d: concurrency rule %d holds %u permits, its streams %u", v,
              f->concurrency, n, want);
      }
    }
    leave(v);
  }
}

/* What a VM makes when first needed, each once: the buffer paths are
 * normalized into, and per run of proxy cells with permit fields its own
 * counts there (shared.h). */
static int64_t made_when_needed(const struct sentc_engine *E) {
  int64_t bytes = E->path ? (int64_t)malloc_usable_size(E->path) : 0;
  const struct sentc_shared *s = &E->store.shared;
  for (uint32_t i = 0; i < s->n_pcells; i++)
    if (s->pcells[i].slots) {
      CHECK(s->pcells[i].n_permits > 0, "counts made for a run without permit fields");
      bytes += (int64_t)malloc_usable_size(s->pcells[i].slots);
    }
  return bytes;
}

/* What each VM may hold: its start, what it made when first needed, its
 * stream table (grown 64 entries at a time) and the effects its open
 * streams keep beyond their entries. */
static void check_memory(void) {
  for (int v = 0; v < R.n_vms; v++) {
    const struct vm *m = &R.vm[v];
    if (!m->E)
      continue;
    int64_t entries = ((m->most_open + 63) / 64 + 1) * 64, asking = 0;
    for (int s = 0; s < MAX_STREAMS; s++)
      asking += R.streams[s].live && R.streams[s].vm == v && R.streams[s].asking;
    int64_t allowed = m->start_bytes + made_when_needed(m->E) +
                      entries * (int64_t)sentc_stream_bytes() +
                      (int64_t)m->E->streams.spilled * (int64_t)sizeof(struct sentc_effect) +
                      (int64_t)m->E->streams.n_open * 64 + asking * 256 + 4096;
    CHECK(alloc_live[v] <= allowed, "VM %d holds %lld bytes, more than %lld", v,
          (long long)alloc_live[v], (long long)allowed);
  }
}

/* Counters summed by what they count. */
static void counter_sums(int64_t *passed, int64_t *blocked, int64_t *unknown) {
  *passed = *blocked = *unknown = 0;
  for (int i = 0; i < fake_counters(); i++) {
    const char *name = fake_counter_name(i);
    size_t len = strlen(name);
    if (len > 7 && strcmp(name + len - 7, ".passed") == 0)
      *passed += fake_counter_at(i);
    else if (strstr(name, ".blocked."))
      *blocked += fake_counter_at(i);
    else if (strcmp(name, "sentc.filter.attributes_unavailable") == 0)
      *unknown += fake_counter_at(i);
  }
}

/* Every byte a reply points at is read (ASan: within its buffer). */
static unsigned touch(const char *p, size_t len) {
  unsigned sum = 0;
  for (size_t i = 0; i < len; i++)
    sum += (unsigned char)p[i];
  return sum;
}

static void check_reply(const struct sentc_reply *r) {
  static volatile unsigned sink;
  CHECK(r->n_headers <= SENTC_REPLY_MAX_HEADERS, "%u headers", r->n_headers);
  CHECK(r->body_len <= SENTC_REPLY_BODY_MAX + 4096, "a body of %zu bytes", r->body_len);
  for (uint16_t i = 0; i < r->n_headers; i++) {
    CHECK(r->headers[i].name && r->headers[i].value && r->headers[i].name_len > 0,
          "header %u has no name or value", i);
    sink += touch(r->headers[i].name, r->headers[i].name_len) +
            touch(r->headers[i].value, r->headers[i].value_len);
  }
  if (r->body_len)
    sink += touch(r->body, r->body_len);
  if (r->details)
    sink += touch(r->details, strlen(r->details));
}

/* ---- reading the input ---- */

struct input {
  const uint8_t *at, *end;
};

static uint8_t next(struct input *in) { return in->at < in->end ? *in->at++ : 0; }
static uint32_t next16(struct input *in) { return next(in) | (uint32_t)next(in) << 8; }
static int more(const struct input *in) { return in->at < in->end; }

/* Bytes from the input into `out` (room `room`): `len` of them, or a run
 * of one byte when the length byte says "huge". */
static size_t take_text(struct input *in, char *out, size_t room) {
  uint8_t len = next(in);
  if (len == 0xff) {                           /* huge: a run of one byte */
    size_t n = 256 + next16(in) * 2;
    if (n > room)
      n = room;
    memset(out, next(in), n);
    return n;
  }
  size_t n = len % 48;
  if (n > room)
    n = room;
  for (size_t i = 0; i < n; i++)
    out[i] = (char)next(in);
  return n;
}

/* ---- requests ---- */

static const struct sentc_string methods[] = {{"GET", 3}, {"POST", 4}, {"PUT", 3}, {"DELETE", 6},
                                              {"HEAD", 4}, {"", 0}, {"post", 4}, {"G\0T", 3}};
static const char *const paths[] = {
  "/api/checkout", "/api/search", "/api/search?q=1&x=2", "/api/v2/item", "/api/", "/a",
  "/a?k=v", "/a?k=", "/b/../a", "//api//search", "/api%2Fsearch", "/API/search", "/", "",
  "*", "/a/./b/%2e%2e/c", "/api/v2/../checkout",
};
static const char *const hosts[] = {"localhost", "b.example", "B.EXAMPLE:8080", "", "b.example.",
                                    "[::1]:80", "x.b.example"};
static const char *const header_names[] = {"x-user", "x-tenant", "cookie", "x-forwarded-for",
                                           "content-type", "x-user-id", "X-User"};
static const char *const peers[] = {"10.0.0.1:4000", "10.0.0.2", "[2001:db8::1]:443", "",
                                    "10.0.0.3:1", "not an address"};
static const uint16_t ports[] = {5432, 9000, 80, 0};
#define PICK(table, byte) (table[(byte) % (sizeof table / sizeof table[0])])

struct headers {
  int n;
  struct {
    const char *name;
    const char *value;
    size_t len;
  } h[12];
};

static const char *header_of(void *ctx, const char *name, size_t name_len, size_t *len) {
  const struct headers *hs = ctx;
  for (int i = 0; i < hs->n; i++)       /* the first of repeated headers, as Envoy's map */
    if (strlen(hs->h[i].name) == name_len && memcmp(hs->h[i].name, name, name_len) == 0) {
      *len = hs->h[i].len;
      return hs->h[i].value;
    }
  return NULL;
}

static struct stream *free_stream(void) {
  for (int s = 0; s < MAX_STREAMS; s++)
    if (!R.streams[s].live)
      return &R.streams[s];
  return NULL;
}

static void request(struct input *in) {
  static char text[80 * 1024], path[80 * 1024];
  int v = next(in) % R.n_vms;
  struct vm *m = &R.vm[v];
  struct stream *st = free_stream();
  if (!m->E || !st)
    return;
  uint8_t shape = next(in);
  struct headers hs = {0};
  struct sentc_request req = {.protocol = (shape & 0xc0) == 0xc0 ? SENTC_TCP : SENTC_HTTP,
                              .header = header_of, .header_ctx = &hs};
  size_t used = 0;
  const struct sentc_string method = PICK(methods, next(in));
  req.method = method.text;
  req.method_len = method.len;
  /* The path: one of the table's, perhaps with bytes after it, or huge. */
  const char *base = PICK(paths, next(in));
  size_t path_len = strlen(base);
  memcpy(path, base, path_len);
  if (shape & 1)
    path_len += take_text(in, path + path_len, sizeof path - path_len);
  if ((shape & 0x3e) == 0x3e) {           /* beyond SENTC_PATH_MAX */
    memset(path + path_len, '/', sizeof path - path_len);
    path_len = sizeof path;
  }
  req.path = path;
  req.path_len = path_len;
  req.authority = PICK(hosts, next(in));
  req.authority_len = strlen(req.authority);
  req.peer = PICK(peers, next(in));
  req.peer_len = strlen(req.peer);
  req.port = PICK(ports, next(in));
  for (int n = next(in) % 6; n > 0 && hs.n < 12; n--) {
    const char *name = PICK(header_names, next(in));
    size_t room = sizeof text - used < 16 * 1024 ? sizeof text - used : 16 * 1024;
    size_t len = take_text(in, text + used, room);
    if ((next(in) & 3) == 0 && strcmp(name, "content-type") == 0 && room >= 16) {
      memcpy(text + used, "application/grpc", 16);
      len = len > 16 ? len : 16;
    }
    if ((next(in) & 3) == 0 && strcmp(name, "cookie") == 0 && len >= 4)
      memcpy(text + used, "sid=", 4);
    hs.h[hs.n].name = name;
    hs.h[hs.n].value = text + used;
    hs.h[hs.n].len = len;
    hs.n++;
    used += len;
  }
  req.grpc = (shape & 2) != 0;

  uint32_t id = ++m->next_id;
  static char naive_path[SENTC_PATH_MAX];
  struct sentc_path_view naive_view;
  *st = (struct stream){.id = id, .vm = (uint8_t)v, .live = 1};
  sentc_match_path(&req, naive_path, &naive_view);
  st->n_matched = sentc_match_resources_naive(R.p, &req, &naive_view, st->matched);
  int64_t passed0, blocked0, unknown0, passed1, blocked1, unknown1;
  /* Metrics are counted in memory and sent at a flush: flushed around the
   * request, what it counted is the difference. */
  enter(v);
  sentc_engine_flush(m->E);
  leave(v);
  counter_sums(&passed0, &blocked0, &unknown0);
  struct sentc_verdict verdict;
  enter(v);
  sentc_engine_request(m->E, id, &req, raw_now(), &verdict);
  int opened = sentc_stream_find(&m->E->streams, id) != NULL;
  int asking = opened && sentc_cluster_asking(m->E, id);
  int failed = alloc_failed;
  sentc_engine_flush(m->E);
  leave(v);
  counter_sums(&passed1, &blocked1, &unknown1);
  trace("t=%lld vm %d: request %u %s %.*s%s host %s: %u resources, action %d%s%s%s",
        (long long)R.mono, v, id, req.protocol == SENTC_TCP ? "TCP" : "HTTP",
        (int)(path_len < 40 ? path_len : 40), path, path_len > 40 ? "..." : "", req.authority,
        st->n_matched, verdict.action, verdict.blocked ? " blocked" : "",
        opened ? " opened" : "", failed ? " (an allocation failed)" : "");

  CHECK(verdict.action == SENTC_CONTINUE || verdict.action == SENTC_BLOCK ||
            verdict.action == SENTC_HOLD, "verdict %d", verdict.action);
  check_reply(&verdict.reply);
  if (verdict.blocked) {
    CHECK(verdict.action != SENTC_HOLD, "a blocked request is held");
    /* A refused connection's entry says so until it closes (engine.h). */
    CHECK(!opened || (req.protocol == SENTC_TCP && sentc_engine_refused(m->E, id)),
          "a blocked request keeps a stream");
    /* No rule to blame when on_error denied a request it had no memory to
     * match (engine.c): the filter's attributes_unavailable counts it. */
    int denied = failed && unknown1 - unknown0 == 1 && R.p->on_error == SENTC_ON_ERROR_DENY;
    CHECK(blocked1 - blocked0 == !denied && passed1 == passed0,
          "a block counted %lld blocks and %lld passes", (long long)(blocked1 - blocked0),
          (long long)(passed1 - passed0));
  } else {
    CHECK(verdict.action != SENTC_BLOCK, "an unblocked request is answered locally");
    CHECK(blocked1 == blocked0, "a pass counted a block");
    CHECK(opened || failed, "a pass without a stream, and no allocation failed");
    /* A request asking the rate-limit service counts at its outcome. */
    CHECK(passed1 - passed0 == (opened && !asking ? st->n_matched : 0),
          "a pass into %u resources counted %lld passes%s", st->n_matched,
          (long long)(passed1 - passed0), asking ? " while asking" : "");
    st->holds = (uint8_t)opened;
    st->shadowed = (uint8_t)verdict.shadowed;
    st->held = verdict.action == SENTC_HOLD;
    st->asking = (uint8_t)asking;
    st->token = (uint32_t)fake_n_grpc_calls;      /* the last call made: its own */
    CHECK(!st->held || opened, "a held request without a stream");
    CHECK(!asking || st->held, "a request asking the rate-limit service is not held");
  }
  if (++m->open > m->most_open)
    m->most_open = m->open;
}

/* A live stream picked by the input (any VM), or NULL. */
static struct stream *some_stream(struct input *in) {
  int start = next(in) % MAX_STREAMS;
  for (int i = 0; i < MAX_STREAMS; i++) {
    struct stream *st = &R.streams[(start + i) % MAX_STREAMS];
    if (st->live && R.vm[st->vm].E)
      return st;
  }
  return NULL;
}

/* ---- scope cluster: outcomes ---- */

/* The streams of VM v that were asking and are no more: blocked (the
 * engine let the stream go, what it took given back: one block) or
 * passed (its resources count it: it may still wait for a throttle). */
static void outcomes(int v, int64_t *passed, int64_t *blocked) {
  struct sentc_engine *E = R.vm[v].E;
  for (int s = 0; s < MAX_STREAMS; s++) {
    struct stream *st = &R.streams[s];
    if (!st->live || st->vm != v || !st->asking || !E || sentc_cluster_asking(E, st->id))
      continue;
    st->asking = 0;
    if (sentc_stream_find(&E->streams, st->id) == NULL) {
      CHECK(!st->held, "stream %u blocked by the rate-limit service is still held", st->id);
      st->holds = 0;
      (*blocked)++;
    } else {
      *passed += st->n_matched;
    }
  }
}

/* Calls `call` on VM v, its counters flushed around it: what it counted
 * must be what the outcomes it brought say. */
static void accounted(int v, void (*call)(struct sentc_engine *, void *), void *arg,
                      const char *what) {
  struct sentc_engine *E = R.vm[v].E;
  int64_t passed0, blocked0, unknown0, passed1, blocked1, unknown1, passed = 0, blocked = 0;
  enter(v);
  sentc_engine_flush(E);
  leave(v);
  counter_sums(&passed0, &blocked0, &unknown0);
  enter(v);
  call(E, arg);
  sentc_engine_flush(E);
  leave(v);
  counter_sums(&passed1, &blocked1, &unknown1);
  outcomes(v, &passed, &blocked);
  CHECK(passed1 - passed0 == passed && blocked1 - blocked0 == blocked,
        "%s counted %lld passes and %lld blocks, its outcomes %lld and %lld", what,
        (long long)(passed1 - passed0), (long long)(blocked1 - blocked0), (long long)passed,
        (long long)blocked);
}

static void put_varint(uint8_t *b, size_t *at, uint64_t v) {
  while (v >= 0x80) {
    b[(*at)++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b[(*at)++] = (uint8_t)v;
}

/* A RateLimitResponse (rls.proto) from the input: an overall code (OK,
 * OVER_LIMIT or UNKNOWN) and up to 3 statuses, each with a code, perhaps a
 * current limit (requests per unit, unit), a remaining count and perhaps
 * a duration until reset. */
static size_t rls_answer(struct input *in, uint8_t *b) {
  size_t at = 0;
  b[at++] = 0x08;
  put_varint(b, &at, next(in) % 3);
  for (int n = next(in) % 4; n > 0; n--) {
    uint8_t st[48];
    size_t k = 0;
    st[k++] = 0x08;
    put_varint(st, &k, next(in) % 3);
    if (next(in) & 1) {
      uint8_t lim[16];
      size_t l = 0;
      lim[l++] = 0x08;
      put_varint(lim, &l, next16(in));
      lim[l++] = 0x10;
      put_varint(lim, &l, next(in) % 6);
      st[k++] = 0x12;
      st[k++] = (uint8_t)l;
      memcpy(st + k, lim, l);
      k += l;
    }
    st[k++] = 0x18;
    put_varint(st, &k, next16(in));
    if (next(in) & 1) {
      st[k++] = 0x22;
      st[k++] = 3;
      st[k++] = 0x08;
      put_varint(st, &k, next(in) % 100);
    }
    b[at++] = 0x12;
    b[at++] = (uint8_t)k;
    memcpy(b + at, st, k);
    at += k;
  }
  return at;
}

struct grpc_outcome {
  uint32_t token, status;
  const uint8_t *message;     /* NULL: a close with `status` */
  size_t len;
};

static void deliver(struct sentc_engine *E, void *arg) {
  const struct grpc_outcome *o = arg;
  if (o->message)
    sentc_engine_grpc_receive(E, o->token, o->message, o->len, raw_now());
  else
    sentc_engine_grpc_close(E, o->token, o->status, raw_now());
}

/* The rate-limit service answers a stream's call: any bytes, a well-formed
 * answer, or a failure; it settles the call whatever it says.  Or an
 * answer comes for a call no longer waited for (cancelled at a stream's
 * end, or never made): nothing moves. */
static void grpc_event(struct input *in) {
  static uint8_t message[1024];
  uint8_t how = next(in);
  struct grpc_outcome o = {.status = next(in) % 17};
  struct stream *st = NULL;
  if (how & 0x80) {
    o.token = fake_n_grpc_cancelled && (how & 0x40) ? fake_grpc_cancelled[next(in) % fake_n_grpc_cancelled]
                                                    : (uint32_t)fake_n_grpc_calls + 1 + next(in);
  } else {
    int start = next(in) % MAX_STREAMS;
    for (int i = 0; i < MAX_STREAMS && !st; i++) {
      struct stream *c = &R.streams[(start + i) % MAX_STREAMS];
      if (c->live && c->asking && R.vm[c->vm].E)
        st = c;
    }
    if (!st)
      return;
    o.token = st->token;
  }
  if ((how & 3) == 0) {
    o.len = take_text(in, (char *)message, sizeof message);
    o.message = message;
  } else if ((how & 3) == 1) {
    o.len = rls_answer(in, message);
    o.message = message;
  }
  trace("t=%lld: the rate-limit service %s call %u (%s, %zu bytes, status %u)", (long long)R.mono,
        st ? "answers" : "answers a call no longer waited for,", o.token,
        o.message ? ((how & 3) == 1 ? "well formed" : "any bytes") : "a close", o.len, o.status);
  for (int v = 0; v < R.n_vms; v++) {
    if (!R.vm[v].E || (st && st->vm != v))
      continue;
    accounted(v, deliver, &o, "an answer of the rate-limit service");
  }
  CHECK(!st || !st->live || !st->asking, "stream %u still asks once its call was answered",
        st ? st->id : 0);
}

static const int statuses[] = {200, 500, 503, 429, 404, 0, -1, 999, 599, 100};
static const int grpc_statuses[] = {-1, 0, 2, 14, 16, 99, -5, 4};

static void respond(struct input *in, int trailers) {
  struct stream *st = some_stream(in);
  int status = PICK(statuses, next(in)), grpc = PICK(grpc_statuses, next(in));
  if (!st)
    return;
  struct sentc_engine *E = R.vm[st->vm].E;
  trace("t=%lld vm %d: %s %u status %d grpc %d", (long long)R.mono, st->vm,
        trailers ? "trailers" : "response", st->id, status, grpc);
  enter(st->vm);
  if (trailers) {
    sentc_engine_trailers(E, st->id, grpc, raw_now());
  } else {
    struct sentc_reply add;
    sentc_engine_response(E, st->id, status, grpc, raw_now(), &add);
    check_reply(&add);
  }
  leave(st->vm);
}

/* The stream ends: on_log, on_done, on_delete, or fewer (each is an end). */
static void end_stream(struct stream *st, int times) {
  struct sentc_engine *E = R.vm[st->vm].E;
  trace("t=%lld vm %d: end %u (%d times)%s", (long long)R.mono, st->vm, st->id, times,
        st->held ? ", held" : "");
  enter(st->vm);
  for (int i = 0; i < times; i++)
    sentc_engine_end(E, st->id, raw_now());
  CHECK(sentc_stream_find(&E->streams, st->id) == NULL, "stream %u outlives its end", st->id);
  leave(st->vm);
  st->live = 0;
  R.vm[st->vm].open--;
}

/* ---- time ---- */

static void tick_now(struct sentc_engine *E, void *arg) {
  (void)arg;
  sentc_engine_tick(E, raw_now());
}

/* A tick: held streams resumed, calls past their deadline settled. */
static void tick(int v) {
  trace("t=%lld vm %d: tick", (long long)R.mono, v);
  accounted(v, tick_now, NULL, "a tick");
}

/* Monotonic time passes: each VM's ticks fire when due, in order. */
static void advance(int64_t ms) {
  int64_t until = R.mono + ms;
  for (int ticks = 0; ticks < 100000; ticks++) {
    int due = -1;
    for (int v = 0; v < R.n_vms; v++)
      if (R.vm[v].E && R.vm[v].wake_ms &&
          (due < 0 || R.vm[v].next_tick < R.vm[due].next_tick))
        due = v;
    if (due < 0 || R.vm[due].next_tick > until)
      break;
    R.mono = R.vm[due].next_tick;
    R.vm[due].next_tick = R.mono + R.vm[due].wake_ms;
    tick(due);
  }
  R.mono = until;
}

/* ---- one event ---- */

static void step(struct input *in) {
  uint8_t op = next(in);
  switch (op % 22) {
  case 0: case 1: case 2: case 3: case 4: case 5:
    request(in);
    break;
  case 6: case 7:
    respond(in, 0);
    break;
  case 8:
    respond(in, 1);
    break;
  case 9: case 10: {
    struct stream *st = some_stream(in);
    int times = 1 + next(in) % 3;
    if (st)
      end_stream(st, times);
    break;
  }
  case 11: {
    int v = next(in) % R.n_vms;
    if (R.vm[v].E)
      tick(v);
    break;
  }
  case 12: case 13:
    advance(next(in));                 /* up to 255 ms */
    break;
  case 14:
    advance(250 * (int64_t)(next(in) % 41));   /* up to 10 s */
    break;
  case 15:                             /* the wall clock steps back, up to 10 s */
    R.offset -= 40 * (int64_t)next(in);
    trace("t=%lld: the wall clock is now %lld ms off", (long long)R.mono, (long long)R.offset);
    break;
  case 16:
    /* ... or forward, at most 2 s per second of ticks: further, the
     * stamps of VMs holding permits would look stale (docs/robustness.md) */
    if (R.mono - R.jumped_at >= 1000) {
      R.offset += 8 * (int64_t)next(in);
      R.jumped_at = R.mono;
      trace("t=%lld: the wall clock is now %lld ms off", (long long)R.mono, (long long)R.offset);
    }
    break;
  case 17: {
    int v = next(in) % R.n_vms;
    trace("t=%lld vm %d: replaced", (long long)R.mono, v);
    stop_vm(v);
    start_vm(v);
    break;
  }
  case 18:
    /* Contention: the next writes fail as if another VM had written first.
     * Not the clock's: there a lost write means another VM published the
     * step already, which a failure here would not do (docs/robustness.md). */
    fake_shared_fail_sets = next(in) % 40;
    trace("t=%lld: the next %d shared-data writes fail", (long long)R.mono, fake_shared_fail_sets);
    break;
  case 19:
    alloc_fail_in = 1 + next(in) % 24;
    trace("t=%lld: allocation %d from now fails", (long long)R.mono, alloc_fail_in);
    break;
  case 20:
    grpc_event(in);
    break;
  case 21:
    fake_grpc_refuse = next(in) & 1;        /* calls cannot start, or can again */
    trace("t=%lld: gRPC calls %s", (long long)R.mono, fake_grpc_refuse ? "fail to start" : "start");
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct input in = {data, data + size};
  fake_platform_reset();
  fake_shared_fail_spares = "/clock";
  free(R.cell);
  R = (struct run){0};
  alloc_fail_in = 0;
  R.p = policies[next(&in) % N_POLICIES];
  R.n_vms = 1 + next(&in) % MAX_VMS;
  trace("policy %s, %d VMs", R.p->name.text, R.n_vms);
  R.mono = 1000;
  R.offset = 1700000000000;
  for (int v = 0; v < R.n_vms; v++)
    start_vm(v);
  while (more(&in)) {
    step(&in);
    check_permits(0);
    check_memory();
  }
  /* Quiescence: nothing fails any more, every stream ends, every dead
   * VM's stamp grows stale (in engine time: after the raw clock is back
   * from any backward step); then no permit is left. */
  fake_shared_fail_sets = 0;
  alloc_fail_in = 0;
  /* A call never answered is settled by the VM's own tick once its
   * deadline (and a grace) is past: no stream is left held for it. */
  advance(R.raw_max - raw_now() + (int64_t)R.p->rls.timeout_ms + SENTC_CLUSTER_GRACE_MS + 1000);
  for (int s = 0; s < MAX_STREAMS; s++)
    CHECK(!R.streams[s].live || !R.streams[s].asking || !R.vm[R.streams[s].vm].E,
          "stream %u still waits for the rate-limit service past its deadline", R.streams[s].id);
  for (int s = 0; s < MAX_STREAMS; s++)
    if (R.streams[s].live && R.vm[R.streams[s].vm].E)
      end_stream(&R.streams[s], 3);
  trace("quiescence");
  advance(R.raw_max - raw_now() + SENTC_LIVENESS_MS + 2 * SENTC_STAMP_EVERY_MS);
  check_permits(1);
  check_memory();
  for (int v = 0; v < R.n_vms; v++)
    stop_vm(v);
  return 0;
}
