/*
 * check_state.c: unit tests of the state store's proxy cells (store.h,
 * shared.c, vmreg.c) on the fake platform's shared data: one get and one
 * set per update, keys namespaced by policy name and hash, the bounded
 * retry and on_error, the liveness of other VMs' permits (another VM is
 * played by writing its registry entry and share in shared data, or by a
 * store of its own: every store is a VM, and they all see the fake
 * platform's one shared data), hundreds of VMs on one permit field, a full
 * share list, a give-back that could not be written being written at the
 * next tick, and the hash seed agreed through shared data.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/core.h"
#include "runner.h"

#define S(s) {s, sizeof s - 1}

static const struct sentc_string name = S("t");
static struct sentc_store store;
static sentc_cell cell;

/* Store `st` (a VM) with one proxy cell of one uint32_t, a permit field
 * counting at most `most` when `permits`. */
static sentc_cell open_vm(struct sentc_store *st, uint64_t hash, int permits, uint32_t most) {
  const struct sentc_permit permit = {0, most};
  ck_assert_int_eq(sentc_store_open(st, &name, hash), 0);
  sentc_cell c = sentc_store_reserve(st, sizeof(uint32_t), SENTC_SCOPE_PROXY, &permit,
                                     permits ? 1 : 0);
  ck_assert_int_eq(sentc_store_seal(st), 0);
  sentc_store_begin(st, 1000);
  return c;
}

static void start(uint64_t hash, int permits) {
  fake_platform_reset();
  sentc_store_close(&store);
  cell = open_vm(&store, hash, permits, 1000);
}

static void stop(void) { sentc_store_close(&store); }

static int add(void *value, void *arg) {
  *(uint32_t *)value += *(int *)arg;
  return 0;
}

static int change_in(struct sentc_store *st, sentc_cell c, int n) {
  return sentc_store_update(st, c, add, &n);
}

static uint32_t value_in(struct sentc_store *st, sentc_cell c) {
  uint32_t v[2];
  sentc_store_load(st, c, v);
  return v[0];
}

static int change(int n) { return change_in(&store, cell, n); }
static uint32_t value(void) { return value_in(&store, cell); }

struct entry { uint32_t token, unused; int64_t stamp; };

/* Cell 0 as stored: its 8 bytes, the share counts (8 bytes), the shares. */
#define CELL_KEY "sentc/t/00000000000000ab/0"

static uint32_t n_shares(void) {
  size_t len;
  unsigned char *raw = fake_shared_value(CELL_KEY, &len);
  ck_assert_ptr_nonnull(raw);
  uint32_t n = *(uint32_t *)(raw + 8);
  ck_assert_uint_eq(len, 16 + n * sizeof(struct sentc_share));
  return n;
}

static struct sentc_share *shares(void) {
  size_t len;
  n_shares();
  return (struct sentc_share *)((unsigned char *)fake_shared_value(CELL_KEY, &len) + 16);
}

/* The permits the VM with `token` holds as stored, 0 without a share. */
static uint32_t share_of(uint32_t token) {
  for (uint32_t i = 0, n = n_shares(); i < n; i++)
    if (shares()[i].token == token)
      return shares()[i].count;
  return 0;
}

/* Another VM writes its share (a set: the cell's version changes). */
static void put_share(uint32_t token, uint32_t count) {
  size_t len;
  unsigned char value[4096], *raw = fake_shared_value(CELL_KEY, &len);
  ck_assert_ptr_nonnull(raw);
  memcpy(value, raw, len);
  memcpy(value + len, &(struct sentc_share){token, count}, sizeof(struct sentc_share));
  (*(uint32_t *)(value + 8))++;
  sentc_platform_shared_set(CELL_KEY, strlen(CELL_KEY), value, len + sizeof(struct sentc_share), 0);
}

static struct entry *registry(void) {
  size_t len;
  unsigned char *raw = fake_shared_value("sentc/t/00000000000000ab/vms", &len);
  ck_assert_ptr_nonnull(raw);
  ck_assert_uint_eq(len, 8 + SENTC_VM_SLOTS * sizeof(struct entry));
  return (struct entry *)(raw + 8);
}

/* A token names its registry slot. */
#define TOKEN(serial, slot) ((serial) * SENTC_VM_SLOTS + (slot))

/* A stale copy only fails the compare-and-swap: another VM wrote the cell
 * since this VM's check; the update gets it again and applies the change
 * on the new value. */
START_TEST(a_stale_copy_costs_a_retry_not_a_lost_write) {
  start(0xab, 0);
  change(1);
  value();
  size_t len;
  *(uint32_t *)fake_shared_value("sentc/t/00000000000000ab/0", &len) = 10;
  fake_shared_fail_sets = 1;              /* that VM's write changed the cas */
  ck_assert_int_eq(change(1), 0);
  ck_assert_uint_eq(value(), 11);
}
END_TEST

START_TEST(a_proxy_update_is_one_get_and_one_set) {
  start(0xab, 0);
  ck_assert_int_eq(change(1), 0);
  ck_assert_int_eq(fake_shared_gets, 1);
  ck_assert_int_eq(fake_shared_sets, 1);
  ck_assert_int_eq(change(2), 0);
  ck_assert_int_eq(fake_shared_gets, 2);
  ck_assert_int_eq(fake_shared_sets, 2);
  ck_assert_uint_eq(value(), 3);
  ck_assert_int_eq(fake_shared_keys(), 1);
  /* A rule's check then its commit, in one callback: the commit starts
   * from the check's copy.  In the next callback it gets a fresh one. */
  ck_assert_int_eq(fake_shared_gets, 3);
  change(1);
  ck_assert_int_eq(fake_shared_gets, 3);
  ck_assert_int_eq(fake_shared_sets, 3);
  sentc_store_begin(&store, 1001);
  change(1);
  ck_assert_int_eq(fake_shared_gets, 4);
  ck_assert_uint_eq(value(), 5);
}
END_TEST

/* A new version of the policy (another hash) starts from zero and leaves
 * the old version's key alone. */
START_TEST(keys_are_namespaced_by_name_and_hash) {
  start(0xab, 0);
  change(5);
  sentc_store_close(&store);
  ck_assert_int_eq(sentc_store_open(&store, &name, 0xac), 0);
  cell = sentc_store_reserve(&store, sizeof(uint32_t), SENTC_SCOPE_PROXY, NULL, 0);
  ck_assert_int_eq(sentc_store_seal(&store), 0);
  ck_assert_uint_eq(value(), 0);
  change(1);
  ck_assert_int_eq(fake_shared_keys(), 2);
  size_t len;
  ck_assert_uint_eq(*(uint32_t *)fake_shared_value("sentc/t/00000000000000ab/0", &len), 5);
  ck_assert_uint_eq(*(uint32_t *)fake_shared_value("sentc/t/00000000000000ac/0", &len), 1);
}
END_TEST

/* Every set fails: 32 attempts, then SENTC_STORE_UNAVAILABLE, counted. */
START_TEST(exhausted_retries_answer_unavailable_and_are_counted) {
  start(0xab, 0);
  fake_shared_fail_sets = 1000;
  ck_assert_int_eq(change(1), SENTC_STORE_UNAVAILABLE);
  ck_assert_int_eq(fake_shared_sets, 32);
  ck_assert_uint_eq(sentc_store_gave_up(&store), 1);
  fake_shared_fail_sets = 31;
  ck_assert_int_eq(change(1), 0);        /* the 32nd attempt succeeds */
  ck_assert_uint_eq(value(), 1);
}
END_TEST

/* This VM joins the registry at its first permit.  Another VM (slot 5,
 * stamped at 1000) holds 4: the field shows 5.  Its stamp older than 5 s,
 * they stop counting, and this VM's next write drops its share. */
START_TEST(permits_of_a_dead_vm_stop_counting) {
  start(0xab, 1);
  ck_assert_int_eq(change(1), 0);
  ck_assert_uint_eq(registry()[0].token, TOKEN(1, 0));
  ck_assert_uint_eq(share_of(TOKEN(1, 0)), 1);
  registry()[5] = (struct entry){TOKEN(77, 5), 0, 1000};
  put_share(TOKEN(77, 5), 4);
  ck_assert_uint_eq(value(), 5);
  sentc_store_begin(&store, 6000);
  ck_assert_uint_eq(value(), 5);
  sentc_store_begin(&store, 6001);
  ck_assert_uint_eq(value(), 1);
  ck_assert_int_eq(change(1), 0);
  ck_assert_uint_eq(n_shares(), 1);
  ck_assert_uint_eq(share_of(TOKEN(1, 0)), 2);
  ck_assert_uint_eq(value(), 2);
  ck_assert_int_eq(change(-2), 0);            /* a VM holding nothing lists no share */
  ck_assert_uint_eq(n_shares(), 0);
}
END_TEST

/* A VM back from an idle gap restamps itself just before it writes its
 * share; another VM whose copy of the registry was read a moment before
 * (and so still shows the old stamp) must count that share all the same:
 * the copy predates the cell, so it is read again. */
START_TEST(a_vm_back_from_an_idle_gap_counts_at_once) {
  struct sentc_store a, b, c;
  fake_platform_reset();
  sentc_cell in_a = open_vm(&a, 0xab, 1, 1000), in_b = open_vm(&b, 0xab, 1, 1000),
             in_c = open_vm(&c, 0xab, 1, 1000);
  change_in(&a, in_a, 1);
  change_in(&c, in_c, 1);
  change_in(&a, in_a, -1);                    /* a and c joined, then went idle */
  change_in(&c, in_c, -1);
  sentc_store_begin(&a, 8000);
  sentc_store_begin(&b, 8000);
  sentc_store_begin(&c, 8000);
  ck_assert_int_eq(change_in(&c, in_c, 1), 0); /* c restamps itself */
  ck_assert_uint_eq(value_in(&b, in_b), 1);   /* b reads the registry: a's stamp is 1000 */
  ck_assert_int_eq(change_in(&a, in_a, 1), 0);
  ck_assert_uint_eq(value_in(&b, in_b), 2);
  ck_assert_int_eq(change_in(&b, in_b, 1), 0);
  ck_assert_uint_eq(value_in(&a, in_a), 3);   /* b's write kept a's share */
  sentc_store_close(&a);
  sentc_store_close(&b);
  sentc_store_close(&c);
}
END_TEST

/* A value in shared data that cannot be this cell's (another runtime's
 * layout, a share count beyond the list's room, a torn length) reads as an
 * empty cell and is written over by the next update, never trusted. */
START_TEST(a_value_that_is_no_cell_reads_as_empty) {
  start(0xab, 1);
  ck_assert_int_eq(change(2), 0);
  unsigned char junk[64];
  memset(junk, 0xff, sizeof junk);
  size_t lens[] = {3, 16, 24, 64};             /* short, counts too large, ... */
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    sentc_platform_shared_set(CELL_KEY, strlen(CELL_KEY), junk, lens[i], 0);
    sentc_store_begin(&store, 1001 + (int64_t)i);
    ck_assert_uint_eq(value(), 2);             /* this VM's own 2, nothing else */
  }
  ck_assert_int_eq(change(1), 0);
  ck_assert_uint_eq(n_shares(), 1);
  ck_assert_uint_eq(value(), 3);
}
END_TEST

/* VMs' times may disagree for a moment (clock.h: a VM started after the
 * wall clock stepped back, before any VM published the step).  A VM whose
 * time lags 7 s stamps itself no earlier than the newest stamp, so the
 * others do not take it for dead, count its permit out and drop its share
 * (found by tests/fuzz/fuzz_runtime.c: 2 permits under a limit of 1). */
START_TEST(a_vm_whose_time_lags_is_not_taken_for_dead) {
  struct sentc_store a, b;
  fake_platform_reset();
  sentc_cell in_a = open_vm(&a, 0xab, 1, 1000), in_b = open_vm(&b, 0xab, 1, 1000);
  sentc_store_begin(&a, 8000);
  ck_assert_int_eq(change_in(&a, in_a, 1), 0);
  sentc_store_begin(&b, 1000);
  ck_assert_int_eq(change_in(&b, in_b, 1), 0);
  ck_assert_uint_eq(value_in(&a, in_a), 2);
  ck_assert_int_eq(change_in(&a, in_a, 1), 0);
  ck_assert_uint_eq(value_in(&b, in_b), 3);   /* a's write kept b's share */
  sentc_store_close(&a);
  sentc_store_close(&b);
}
END_TEST

/* 300 VMs (more than Envoy's 256 workers) each take a permit on one field:
 * every one joins the registry and every permit counts.  The value holds
 * one share per VM holding permits: 16 bytes idle, 8 more per holder. */
START_TEST(hundreds_of_vms_share_one_permit_field) {
  enum { VMS = 300 };
  static struct sentc_store vm[VMS];
  static sentc_cell in[VMS];
  fake_platform_reset();
  for (int i = 0; i < VMS; i++) {
    in[i] = open_vm(&vm[i], 0xab, 1, 1000);
    ck_assert_int_eq(change_in(&vm[i], in[i], 1), 0);
  }
  for (int i = 0; i < VMS; i++)
    ck_assert_uint_eq(value_in(&vm[i], in[i]), VMS);
  ck_assert_uint_eq(n_shares(), VMS);
  ck_assert_uint_eq(sentc_store_gave_up(&vm[VMS - 1]), 0);
  for (int i = 0; i < VMS; i++)
    ck_assert_int_eq(change_in(&vm[i], in[i], -1), 0);
  ck_assert_uint_eq(value_in(&vm[0], in[0]), 0);
  ck_assert_uint_eq(n_shares(), 0);
  for (int i = 0; i < VMS; i++)
    sentc_store_close(&vm[i]);
}
END_TEST

/* A field counting at most 2 permits lists at most 2 shares.  A third VM
 * needing a share (possible only after VMs were taken for dead) gives up at
 * once, without a set, and loses nothing; once a holder gives back, it
 * gets in. */
START_TEST(a_full_share_list_gives_up_at_once) {
  struct sentc_store vm[3];
  sentc_cell in[3];
  fake_platform_reset();
  for (int i = 0; i < 3; i++)
    in[i] = open_vm(&vm[i], 0xab, 1, 2);
  ck_assert_int_eq(change_in(&vm[0], in[0], 1), 0);
  ck_assert_int_eq(change_in(&vm[1], in[1], 1), 0);
  int sets = fake_shared_sets;
  ck_assert_int_eq(change_in(&vm[2], in[2], 1), SENTC_STORE_UNAVAILABLE);
  ck_assert_int_eq(fake_shared_sets, sets + 1);    /* its join, no cell write */
  ck_assert_uint_eq(sentc_store_gave_up(&vm[2]), 1);
  ck_assert_uint_eq(value_in(&vm[2], in[2]), 2);
  ck_assert_uint_eq(sentc_store_wake_ms(&vm[2]), 0);  /* holds nothing, owes nothing */
  ck_assert_int_eq(change_in(&vm[0], in[0], -1), 0);
  ck_assert_int_eq(change_in(&vm[2], in[2], 1), 0);
  ck_assert_uint_eq(value_in(&vm[1], in[1]), 2);
  for (int i = 0; i < 3; i++)
    sentc_store_close(&vm[i]);
}
END_TEST

/* A VM holding permits asks for a tick every second and restamps itself. */
START_TEST(a_vm_holding_permits_keeps_its_stamp_fresh) {
  start(0xab, 1);
  ck_assert_uint_eq(sentc_store_wake_ms(&store), 0);
  change(1);
  ck_assert_uint_eq(sentc_store_wake_ms(&store), 1000);
  sentc_store_begin(&store, 2500);
  sentc_store_tick(&store);
  ck_assert_int_eq(registry()[0].stamp, 2500);
  change(-1);
  ck_assert_uint_eq(sentc_store_wake_ms(&store), 0);
}
END_TEST

/* A give-back whose write fails is not lost: this VM's own count drops at
 * once and its share is written at the next tick. */
START_TEST(a_give_back_that_failed_is_written_at_the_next_tick) {
  start(0xab, 1);
  change(1);
  change(1);
  fake_shared_fail_sets = 1000;
  ck_assert_int_eq(change(-1), SENTC_STORE_UNAVAILABLE);
  ck_assert_uint_eq(share_of(TOKEN(1, 0)), 2);
  ck_assert_uint_eq(value(), 1);
  ck_assert_uint_eq(sentc_store_wake_ms(&store), 1000);
  fake_shared_fail_sets = 0;
  sentc_store_tick(&store);
  ck_assert_uint_eq(share_of(TOKEN(1, 0)), 1);
  ck_assert_uint_eq(value(), 1);
}
END_TEST

/* The first VM publishes its seed; a later one adopts it. */
START_TEST(the_first_vm_publishes_the_seed) {
  start(0xab, 0);
  uint64_t first[2] = {1, 2}, later[2] = {3, 4};
  sentc_store_agree(&store, first, sizeof first);
  ck_assert_uint_eq(first[0], 1);
  sentc_store_agree(&store, later, sizeof later);
  ck_assert_uint_eq(later[0], 1);
  ck_assert_uint_eq(later[1], 2);
}
END_TEST

/* on_error through the engine: /a has concurrency 1 in scope proxy.  With
 * shared data failing, `deny` blocks and `allow` lets the request by
 * holding nothing, so the permit is still free afterwards. */
static const struct sentc_path a_path[] = {{SENTC_PATH_PREFIX, 0, S("/a")}};
static const struct sentc_concurrency limit[] = {{{"concurrency", SENTC_SCOPE_PROXY, SENTC_BUILTIN_FALLBACK, 1, .resource = 0}, 1}};
static const struct sentc_resource resources[] = {
  {S("a"), 1, {.n_paths = 1, .paths = a_path}, .rules = {[SENTC_KIND_CONCURRENCY] = {0, 1}}},
};
static struct sentc_policy policy;
static struct sentc_engine *engine;

static int request_a(uint32_t id) {
  struct sentc_request r = {.method = "GET", .method_len = 3, .path = "/a", .path_len = 2};
  struct sentc_verdict v;
  sentc_engine_request(engine, id, &r, 1000, &v);
  return v.action;
}

static void engine_with(int on_error) {
  const char *error;
  policy = (struct sentc_policy){.tables_version = SENTC_TABLES_VERSION, .name = S("e"),
                                 .on_error = (uint8_t)on_error, .n_resources = 1,
                                 .resources = resources, .n_concurrency = 1,
                                 .concurrency = limit};
  fake_platform_reset();
  engine = sentc_engine_start(&policy, &error);
  ck_assert_ptr_nonnull(engine);
}

START_TEST(on_error_deny_blocks_when_shared_data_fails) {
  engine_with(SENTC_ON_ERROR_DENY);
  fake_shared_fail_sets = 1000;
  ck_assert_int_eq(request_a(1), SENTC_BLOCK);
  sentc_engine_flush(engine);
  ck_assert_int_eq(fake_counter("sentc.a.blocked.concurrency"), 1);
  ck_assert_int_eq(fake_counter("sentc.filter.state_unavailable"), 1);
  sentc_engine_stop(engine);
}
END_TEST

START_TEST(on_error_allow_passes_holding_nothing) {
  engine_with(SENTC_ON_ERROR_ALLOW);
  fake_shared_fail_sets = 1000;
  ck_assert_int_eq(request_a(1), SENTC_CONTINUE);
  fake_shared_fail_sets = 0;
  sentc_engine_end(engine, 1, 1001);
  ck_assert_int_eq(request_a(2), SENTC_CONTINUE);  /* the one permit */
  ck_assert_int_eq(request_a(3), SENTC_BLOCK);
  sentc_engine_stop(engine);
}
END_TEST

/* The runtime refuses a policy whose per-worker state is over the budget
 * (layout.h) at start, with a message saying so, before a size can wrap:
 * 7,000 flow rules of 1,000 buckets (280 MB; 107,300 of them, 4.3 GB,
 * wrapped a uint32_t and trapped on the first request).  Scope proxy, the
 * same rules are shared data: no budget per worker. */
START_TEST(a_policy_over_the_state_budget_does_not_start) {
  enum { FLOWS = 7000 };
  struct sentc_flow *flows = calloc(FLOWS, sizeof *flows);
  for (int i = 0; i < FLOWS; i++)
    flows[i] = (struct sentc_flow){{"flow", SENTC_SCOPE_WORKER, SENTC_BUILTIN_FALLBACK, 1, .resource = 0},
                                   10, {60000, 1000}, .of = -1};
  struct sentc_resource all = {S("all"), 1, {0}, .rules = {[SENTC_KIND_FLOW] = {0, FLOWS}}};
  struct sentc_policy big = {.tables_version = SENTC_TABLES_VERSION, .name = S("big"),
                             .n_resources = 1, .resources = &all, .n_flow = FLOWS, .flow = flows};
  const char *error = NULL;
  fake_platform_reset();
  ck_assert_ptr_null(sentc_engine_start(&big, &error));
  ck_assert_str_eq(error, "the policy's state per worker is over the budget of 256 MiB; "
                          "recompile it");
  big.n_flow = all.rules[SENTC_KIND_FLOW].n = 6000;   /* 240 MB: within the budget */
  struct sentc_engine *e = sentc_engine_start(&big, &error);
  ck_assert_ptr_nonnull(e);
  struct sentc_engine_usage u;
  sentc_engine_usage(e, &u);
  ck_assert_uint_eq(u.worker_bytes, 6000ull * sentc_layout_flow_cell(1000));
  sentc_engine_stop(e);
  free(flows);
}
END_TEST

/* Scope proxy, two VMs, a breaker of 2 probes: each VM's probe is its
 * share of probes_out.  A's probe fails and reopens the breaker; B's probe
 * then ends while it is open.  B's permit must go back all the same: a
 * reset by A cannot clear B's share, which stayed counted for good (found
 * by tests/fuzz/fuzz_runtime.c; with more VMs such leaks add up until no
 * probe is admitted and the breaker stays half-open).  Nothing is left out
 * once every stream ended. */
static const struct sentc_status_range five_hundreds[] = {{500, 599}};
static const struct sentc_breaker two_probes[] = {
  {{"breaker", SENTC_SCOPE_PROXY, SENTC_BUILTIN_FALLBACK, 1}, .kind = SENTC_BREAKER_ERROR_COUNT,
   .count = 1, .min_requests = 1, .window = {1000, 1}, .open_ms = 100, .probes = 2,
   .n_error_ranges = 1, .error_ranges = five_hundreds}};
static const struct sentc_resource breaker_resources[] = {
  {S("a"), 1, {.n_paths = 1, .paths = a_path}, .rules = {[SENTC_KIND_BREAKER] = {0, 1}}},
};

static int at(struct sentc_engine *e, uint32_t id, int64_t now) {
  struct sentc_request r = {.method = "GET", .method_len = 3, .path = "/a", .path_len = 2};
  struct sentc_verdict v;
  sentc_engine_request(e, id, &r, now, &v);
  return v.action;
}

/* The breaker's probes out, as VM `e` sees them (its only cell). */
static uint32_t probes_out(struct sentc_engine *e) {
  unsigned char cell[256];
  sentc_store_load(&e->store, 0, cell);
  return ((struct sentc_breaker_cell *)cell)->probes_out;
}

static void respond(struct sentc_engine *e, uint32_t id, int status, int64_t now) {
  struct sentc_reply add;
  sentc_engine_response(e, id, status, -1, now, &add);
  sentc_engine_end(e, id, now);
}

START_TEST(a_probe_that_ends_after_its_breaker_reopened_gives_its_permit_back) {
  const char *error;
  struct sentc_policy p = {.tables_version = SENTC_TABLES_VERSION, .name = S("b"),
                           .n_resources = 1, .resources = breaker_resources, .n_breaker = 1,
                           .breaker = two_probes};
  fake_platform_reset();
  struct sentc_engine *a = sentc_engine_start(&p, &error), *b = sentc_engine_start(&p, &error);
  ck_assert_int_eq(at(a, 1, 1000), SENTC_CONTINUE);
  respond(a, 1, 500, 1000);                              /* opens until 1100 */
  ck_assert_int_eq(at(a, 2, 1050), SENTC_BLOCK);
  ck_assert_int_eq(at(a, 3, 1200), SENTC_CONTINUE);      /* probe, A's share */
  ck_assert_int_eq(at(b, 4, 1200), SENTC_CONTINUE);      /* probe, B's share */
  ck_assert_int_eq(at(b, 5, 1200), SENTC_BLOCK);         /* 2 probes out */
  respond(a, 3, 500, 1210);                              /* bad: reopens until 1310 */
  ck_assert_uint_eq(probes_out(a), 1);                   /* B's probe */
  respond(b, 4, 200, 1220);                              /* ends while open */
  ck_assert_uint_eq(probes_out(a), 0);
  ck_assert_uint_eq(probes_out(b), 0);
  ck_assert_int_eq(at(a, 6, 1400), SENTC_CONTINUE);      /* half-open again */
  ck_assert_int_eq(at(b, 7, 1400), SENTC_CONTINUE);      /* and its second probe */
  respond(a, 6, 200, 1410);
  respond(b, 7, 200, 1410);                              /* 2 good probes: closed */
  ck_assert_int_eq(at(b, 8, 1420), SENTC_CONTINUE);
  respond(b, 8, 500, 1430);                              /* opens until 1530 */
  ck_assert_int_eq(at(a, 9, 1600), SENTC_CONTINUE);
  ck_assert_int_eq(at(b, 10, 1600), SENTC_CONTINUE);     /* no probe left counted */
  sentc_engine_end(a, 9, 1610);
  sentc_engine_end(b, 10, 1610);
  ck_assert_uint_eq(probes_out(a), 0);
  sentc_engine_stop(a);
  sentc_engine_stop(b);
}
END_TEST

/* A hotspot rule's slots are reserved together (store.h): consecutive
 * ids, one record for all of them in the VM, yet each its own cell: its
 * own key in shared data (the rank among proxy cells, as when each was
 * reserved alone: the layout crash recovery reads), its own version in
 * scope worker.  A VM counts its permits in a run's cells only from the
 * first it holds there. */
START_TEST(cells_reserved_together_are_one_record_and_each_its_own_cell) {
  struct sentc_store st;
  const struct sentc_permit permit = {0, 1000};
  fake_platform_reset();
  ck_assert_int_eq(sentc_store_open(&st, &name, 0xab), 0);
  ck_assert_uint_eq(sentc_store_reserve(&st, 4, SENTC_SCOPE_WORKER, NULL, 0), 0);
  sentc_cell proxy = sentc_store_reserve_n(&st, 4, SENTC_SCOPE_PROXY, &permit, 1, 5000);
  sentc_cell worker = sentc_store_reserve_n(&st, 4, SENTC_SCOPE_WORKER, NULL, 0, 3000);
  sentc_cell last = sentc_store_reserve(&st, 4, SENTC_SCOPE_PROXY, NULL, 0);
  ck_assert_uint_eq(proxy, 1);
  ck_assert_uint_eq(worker, 5001);
  ck_assert_uint_eq(last, 8001);
  ck_assert_uint_eq(st.n_runs, 4);
  ck_assert_uint_eq(st.shared.n_pcells, 2);
  ck_assert_int_eq(sentc_store_seal(&st), 0);
  sentc_store_begin(&st, 1000);
  struct sentc_store_usage u;
  sentc_store_usage(&st, &u);
  ck_assert_uint_eq(u.worker_cells, 3001);
  ck_assert_uint_eq(u.shared_cells, 5001);
  ck_assert_uint_eq(u.worker_bytes, 3001 * 8);
  ck_assert_uint_eq(u.shared_bytes, 5000ull * sentc_layout_stored_bytes(4, 1, 1, 1000) + 8);

  ck_assert_ptr_null(st.shared.pcells[0].slots);
  ck_assert_int_eq(change_in(&st, proxy + 4999, 2), 0);
  ck_assert_int_eq(change_in(&st, proxy, 1), 0);
  ck_assert_int_eq(change_in(&st, last, 7), 0);
  ck_assert_ptr_nonnull(st.shared.pcells[0].slots);
  ck_assert_ptr_null(st.shared.pcells[1].slots);      /* no permit fields */
  size_t len;
  ck_assert_uint_eq(((struct sentc_share *)((unsigned char *)
                      fake_shared_value("sentc/t/00000000000000ab/4999", &len) + 16))->count, 2);
  ck_assert_ptr_nonnull(fake_shared_value("sentc/t/00000000000000ab/0", &len));
  ck_assert_uint_eq(*(uint32_t *)fake_shared_value("sentc/t/00000000000000ab/5000", &len), 7);
  ck_assert_ptr_null(fake_shared_value("sentc/t/00000000000000ab/1", &len));
  ck_assert_uint_eq(value_in(&st, proxy + 4999), 2);
  ck_assert_uint_eq(value_in(&st, proxy), 1);
  ck_assert_uint_eq(value_in(&st, proxy + 1), 0);

  uint32_t v[2];
  uint32_t version = sentc_store_load(&st, worker + 1, v);
  ck_assert_int_eq(change_in(&st, worker + 1, 3), 0);
  ck_assert_int_eq(sentc_store_store(&st, worker + 1, v, version), -1);   /* stale */
  ck_assert_int_eq(sentc_store_store(&st, worker + 2, v, sentc_store_load(&st, worker + 2, v)), 0);
  ck_assert_int_eq(change_in(&st, worker + 2999, 5), 0);
  ck_assert_uint_eq(value_in(&st, worker + 1), 3);
  ck_assert_uint_eq(value_in(&st, worker + 2999), 5);
  ck_assert_uint_eq(value_in(&st, worker), 0);
  ck_assert_uint_eq(value_in(&st, worker + 3000), 7);  /* `last` */
  sentc_store_close(&st);
}
END_TEST

int main(void) {
  return run_tests("state", NULL, stop, (const TTest *const[]){
    cells_reserved_together_are_one_record_and_each_its_own_cell,
    a_proxy_update_is_one_get_and_one_set,
    a_stale_copy_costs_a_retry_not_a_lost_write,
    keys_are_namespaced_by_name_and_hash,
    exhausted_retries_answer_unavailable_and_are_counted,
    permits_of_a_dead_vm_stop_counting,
    a_vm_back_from_an_idle_gap_counts_at_once,
    a_vm_whose_time_lags_is_not_taken_for_dead,
    a_value_that_is_no_cell_reads_as_empty,
    hundreds_of_vms_share_one_permit_field,
    a_full_share_list_gives_up_at_once,
    a_vm_holding_permits_keeps_its_stamp_fresh,
    a_give_back_that_failed_is_written_at_the_next_tick,
    the_first_vm_publishes_the_seed,
    on_error_deny_blocks_when_shared_data_fails,
    on_error_allow_passes_holding_nothing,
    a_policy_over_the_state_budget_does_not_start,
    a_probe_that_ends_after_its_breaker_reopened_gives_its_permit_back,
    NULL,
  });
}
