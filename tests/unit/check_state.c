/*
 * check_state.c: unit tests of the state store's proxy cells (store.h,
 * shared.c, vmreg.c) on the fake platform's shared data: one get and one
 * set per update, keys namespaced by policy name and hash, the bounded
 * retry and on_error, the liveness of other VMs' permits (another VM is
 * played by writing its registry entry and share in place), a give-back
 * that could not be written being written at the next tick, and the hash
 * seed agreed through shared data.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "fake_platform.h"
#include "../../runtime/engine/engine.h"
#include "../../runtime/engine/store.h"
#include "runner.h"

#define S(s) {s, sizeof s - 1}

static const struct sentc_string name = S("t");
static const uint32_t permit_at[] = {0};
static struct sentc_store store;
static sentc_cell cell;

/* One proxy cell of one uint32_t, a permit field when `permits`. */
static void start(uint64_t hash, int permits) {
  fake_platform_reset();
  sentc_store_close(&store);
  ck_assert_int_eq(sentc_store_open(&store, &name, hash), 0);
  cell = sentc_store_reserve(&store, sizeof(uint32_t), SENTC_SCOPE_PROXY, permit_at,
                             permits ? 1 : 0);
  ck_assert_int_eq(sentc_store_seal(&store), 0);
  sentc_store_begin(&store, 1000);
}

static void stop(void) { sentc_store_close(&store); }

static int add(void *value, void *arg) {
  *(uint32_t *)value += *(int *)arg;
  return 0;
}

static int change(int n) { return sentc_store_update(&store, cell, add, &n); }

static uint32_t value(void) {
  uint32_t v[2];
  sentc_store_load(&store, cell, v);
  return v[0];
}

struct share { uint32_t token, count; };
struct entry { uint32_t token, unused; int64_t stamp; };

static struct share *shares(void) {
  size_t len;
  unsigned char *raw = fake_shared_value("sentc/t/00000000000000ab/0", &len);
  ck_assert_ptr_nonnull(raw);
  ck_assert_uint_eq(len, 8 + 32 * sizeof(struct share));
  return (struct share *)(raw + 8);
}

static struct entry *registry(void) {
  size_t len;
  unsigned char *raw = fake_shared_value("sentc/t/00000000000000ab/vms", &len);
  ck_assert_ptr_nonnull(raw);
  return (struct entry *)(raw + 8);
}

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
 * token 77, stamped at 1000) holds 4: the field shows 5.  Its stamp older
 * than 5 s, they stop counting, and this VM's next write zeroes them. */
START_TEST(permits_of_a_dead_vm_stop_counting) {
  start(0xab, 1);
  ck_assert_int_eq(change(1), 0);
  ck_assert_uint_eq(registry()[0].token, 1);
  ck_assert_uint_eq(shares()[0].count, 1);
  registry()[5] = (struct entry){77, 0, 1000};
  shares()[5] = (struct share){77, 4};
  ck_assert_uint_eq(value(), 5);
  sentc_store_begin(&store, 6000);
  ck_assert_uint_eq(value(), 5);
  sentc_store_begin(&store, 6001);
  ck_assert_uint_eq(value(), 1);
  ck_assert_int_eq(change(1), 0);
  ck_assert_uint_eq(shares()[5].count, 0);
  ck_assert_uint_eq(shares()[0].count, 2);
  ck_assert_uint_eq(value(), 2);
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
  ck_assert_uint_eq(shares()[0].count, 2);
  ck_assert_uint_eq(value(), 1);
  ck_assert_uint_eq(sentc_store_wake_ms(&store), 1000);
  fake_shared_fail_sets = 0;
  sentc_store_tick(&store);
  ck_assert_uint_eq(shares()[0].count, 1);
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
static const struct sentc_concurrency limit[] = {{{"concurrency", SENTC_SCOPE_PROXY, SENTC_BUILTIN_FALLBACK, 1}, 1}};
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

int main(void) {
  return run_tests("state", NULL, stop, (const TTest *const[]){
    a_proxy_update_is_one_get_and_one_set,
    a_stale_copy_costs_a_retry_not_a_lost_write,
    keys_are_namespaced_by_name_and_hash,
    exhausted_retries_answer_unavailable_and_are_counted,
    permits_of_a_dead_vm_stop_counting,
    a_vm_holding_permits_keeps_its_stamp_fresh,
    a_give_back_that_failed_is_written_at_the_next_tick,
    the_first_vm_publishes_the_seed,
    on_error_deny_blocks_when_shared_data_fails,
    on_error_allow_passes_holding_nothing,
    NULL,
  });
}
