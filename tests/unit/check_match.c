/*
 * check_match.c: unit tests of request matching (match.h) on tables
 * written here by hand the way sentc writes them: hosts, methods, path
 * templates, headers, gRPC and TCP, and the bypass attempts that path
 * normalization must land on the same resource as the plain path.
 *
 * The first tables carry no compiled matcher, so these pin the semantics
 * of each match.  The second carry a small compiled matcher laid out by
 * hand as tables.h says (dense, sparse and run records, a state that keeps
 * every byte, accepts listed once for two states, a host DFA), which
 * must give the same answers as testing each resource in turn; sentc's
 * own automata are held to those answers by tests/match_diff.test (random
 * policies and requests), the end-to-end scenarios
 * (tests/e2e/match_*.scenario) and bench/, which compares both on every
 * request it times.  Last, a request read lazily (request.h) is read only
 * for the facts some candidate resource asks about.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../runtime/engine/match.h"
#include "../../runtime/engine/normalize.h"
#include "runner.h"

/* Where the matcher normalizes paths (normalize.h). */
static char path_buffer[SENTC_PATH_MAX];
static struct sentc_path_view path_view;

/* The request's normalized path, as the engine makes it before matching. */
static const struct sentc_path_view *path_of(const struct sentc_request *r) {
  sentc_match_path(r, path_buffer, &path_view);
  return &path_view;
}

#define S(s) {s, sizeof s - 1}
#define N(a) (sizeof a / sizeof a[0])

static const struct sentc_path checkout_paths[] = {{SENTC_PATH_PREFIX, 0, S("/api/checkout")}};
static const struct sentc_path orders_paths[] = {
  {SENTC_PATH_TEMPLATE, 0, S("/users/{id}/orders/**")},
};
static const struct sentc_path cart_paths[] = {
  {SENTC_PATH_PREFIX, 1, S("/shop.Cart/")}, {SENTC_PATH_EXACT, 0, S("/cart")},
};
static const struct sentc_host shop_hosts[] = {{1, S(".example.com")}, {0, S("shop.io")}};
static const struct sentc_header_match canary_headers[] = {
  {S("x-env"), SENTC_HEADER_PREFIX, S("can")}, {S("x-internal"), SENTC_HEADER_ABSENT, S("")},
};
static const uint16_t db_ports[] = {5432};

static const struct sentc_resource resources[] = {
  {.name = S("checkout"), .line = 1, .match = {.methods = SENTC_POST, .n_paths = 1, .paths = checkout_paths}},
  {.name = S("orders"), .line = 2, .match = {.n_paths = 1, .paths = orders_paths}},
  {.name = S("cart"), .line = 3, .match = {.n_paths = 2, .paths = cart_paths}},
  {.name = S("shop"), .line = 4, .match = {.n_hosts = 2, .hosts = shop_hosts}},
  {.name = S("canary"), .line = 5, .match = {.n_headers = 2, .headers = canary_headers}},
  {.name = S("db"), .line = 6, .match = {.protocol = SENTC_TCP, .n_ports = 1, .ports = db_ports}},
};
static const struct sentc_policy policy = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("t"),
  .n_resources = N(resources), .resources = resources,
};

/* Headers of the request under test: "name: value" pairs. */
static const char *const *headers;

static const char *lookup(void *ctx, const char *name, size_t len, size_t *value_len) {
  (void)ctx;
  for (const char *const *h = headers; h && *h; h += 2)
    if (strlen(*h) == len && memcmp(*h, name, len) == 0) {
      *value_len = strlen(h[1]);
      return h[1];
    }
  return NULL;
}

/* The resources of `p` a request enters as "name name ...", after
 * checking that the naive scan finds the same. */
static const char *matched_in(const struct sentc_policy *p, const char *method, const char *path,
                              size_t path_len, const char *host, int grpc) {
  static char names[256];
  uint32_t out[16], naive[16];
  struct sentc_request r = {.protocol = SENTC_HTTP, .method = method,
                            .method_len = strlen(method), .path = path, .path_len = path_len,
                            .authority = host, .authority_len = strlen(host), .grpc = grpc,
                            .header = lookup};
  uint32_t n = sentc_match_resources(p, &r, path_of(&r), out);
  ck_assert_uint_eq(sentc_match_resources_naive(p, &r, path_of(&r), naive), n);
  ck_assert_mem_eq(out, naive, n * sizeof *out);
  names[0] = 0;
  for (uint32_t i = 0; i < n; i++)
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? " " : "",
             p->resources[out[i]].name.text);
  return names;
}

static const char *matched(const char *method, const char *path, size_t path_len,
                           const char *host, int grpc) {
  return matched_in(&policy, method, path, path_len, host, grpc);
}

static const char *get(const char *path) { return matched("GET", path, strlen(path), "a", 0); }
static const char *post(const char *path) { return matched("POST", path, strlen(path), "a", 0); }

static const char *const bypasses[] = {
  "/api/checkout", "/api//checkout", "/api/./checkout", "/api/x/../checkout",
  "/%61pi/checkout", "/api/checkout?x=1", "/api/checkout#f", "/api/check%6Fut",
  "/api/check%6fut", "//api///checkout/", "/../api/checkout", "/api/%2e/checkout",
  "/api/x/%2E%2E/checkout", "/api/checkout%zz", "/api/checkout/%",
};

START_TEST(every_spelling_of_a_path_lands_on_its_resource) {
  ck_assert_str_eq(post(bypasses[_i]), "checkout");
}
END_TEST

START_TEST(escaped_separators_and_nul_bytes_are_not_the_path) {
  ck_assert_str_eq(post("/api%2Fcheckout"), "");
  ck_assert_str_eq(post("/api%2fcheckout"), "");
  ck_assert_str_eq(matched("POST", "/api/checkout\0/x", 16, "a", 0), "checkout");
  ck_assert_str_eq(matched("POST", "/api\0/checkout", 14, "a", 0), "");
}
END_TEST

START_TEST(an_overlong_path_matches_no_path_resource) {
  size_t n = SENTC_PATH_MAX + 1;
  char *p = malloc(n + 1);
  memcpy(p, "/api/checkout/", 14);
  memset(p + 14, 'x', n - 14);
  ck_assert_str_eq(matched("POST", p, n, "a", 0), "");
  ck_assert_str_eq(matched("POST", p, 20000, "a", 0), "checkout");   /* 20,000 bytes still fit */
  free(p);
}
END_TEST

START_TEST(templates_take_one_segment_and_a_trailing_rest) {
  ck_assert_str_eq(get("/users/42/orders"), "orders");
  ck_assert_str_eq(get("/users/42/orders/"), "orders");
  ck_assert_str_eq(get("/users/42/orders/7/items"), "orders");
  ck_assert_str_eq(get("/users//42/orders"), "orders");    /* runs of / merged */
  ck_assert_str_eq(get("/users/42/ordersx"), "");
  ck_assert_str_eq(get("/users/4/2/orders"), "");
  ck_assert_str_eq(get("/users/orders"), "");
  ck_assert_str_eq(get("/users/a%2Fb/orders"), "orders");  /* %2F stays inside the segment */
}
END_TEST

START_TEST(methods_are_a_set) {
  ck_assert_str_eq(get("/api/checkout"), "");
  ck_assert_str_eq(post("/api/checkout"), "checkout");
  ck_assert_str_eq(matched("post", "/api/checkout", 13, "a", 0), "");  /* methods are exact */
}
END_TEST

START_TEST(grpc_alternatives_need_a_grpc_request) {
  ck_assert_str_eq(matched("POST", "/shop.Cart/Add", 14, "a", 0), "");
  ck_assert_str_eq(matched("POST", "/shop.Cart/Add", 14, "a", 1), "cart");
  ck_assert_str_eq(matched("POST", "/cart", 5, "a", 0), "cart");
  ck_assert_str_eq(matched("POST", "/shop.Cart", 10, "a", 1), "");
}
END_TEST

START_TEST(hosts_ignore_case_port_and_a_trailing_dot) {
  ck_assert_str_eq(matched("GET", "/", 1, "API.Example.COM:8443", 0), "shop");
  ck_assert_str_eq(matched("GET", "/", 1, "a.b.example.com.", 0), "shop");
  ck_assert_str_eq(matched("GET", "/", 1, "shop.io", 0), "shop");
  ck_assert_str_eq(matched("GET", "/", 1, "example.com", 0), "");    /* the wildcard needs a label */
  ck_assert_str_eq(matched("GET", "/", 1, "x.shop.io", 0), "");      /* exact is exact */
  ck_assert_str_eq(matched("GET", "/", 1, "badexample.com", 0), "");
}
END_TEST

START_TEST(every_header_predicate_must_hold) {
  static const char *const canary[] = {"x-env", "canary", NULL};
  static const char *const internal[] = {"x-env", "canary", "x-internal", "1", NULL};
  static const char *const prod[] = {"x-env", "prod", NULL};
  headers = canary;
  ck_assert_str_eq(get("/x"), "canary");
  headers = internal;
  ck_assert_str_eq(get("/x"), "");
  headers = prod;
  ck_assert_str_eq(get("/x"), "");
  headers = NULL;
  ck_assert_str_eq(get("/x"), "");
}
END_TEST

START_TEST(a_request_enters_every_matching_resource_in_file_order) {
  static const char *const canary[] = {"x-env", "can", NULL};
  headers = canary;
  ck_assert_str_eq(matched("POST", "/api/checkout", 13, "x.example.com", 0),
                   "checkout shop canary");
  headers = NULL;
}
END_TEST

START_TEST(tcp_connections_match_only_tcp_resources_by_port) {
  uint32_t out[N(resources)];
  struct sentc_request r = {.protocol = SENTC_TCP, .port = 5432, .authority = "", .path = ""};
  ck_assert_uint_eq(sentc_match_resources(&policy, &r, path_of(&r), out), 1);
  ck_assert_uint_eq(out[0], 5);
  r.port = 5433;
  ck_assert_uint_eq(sentc_match_resources(&policy, &r, path_of(&r), out), 0);
}
END_TEST

/* ---- a compiled matcher written by hand (tables.h) ---- */

static const struct sentc_path hello_paths[] = {{SENTC_PATH_EXACT, 0, S("/hello")}};
static const struct sentc_path o_paths[] = {
  {SENTC_PATH_EXACT, 0, S("/o")}, {SENTC_PATH_PREFIX, 0, S("/o/")},
};
static const struct sentc_host x_hosts[] = {{0, S("x.io")}};
static const struct sentc_resource compiled_resources[] = {
  {.name = S("hello"), .match = {.methods = SENTC_GET, .n_paths = 1, .paths = hello_paths}},
  {.name = S("o"), .match = {.n_paths = 2, .paths = o_paths}},
  {.name = S("x"), .match = {.n_hosts = 1, .hosts = x_hosts}},
  {.name = S("every"), .match = {0}},
  {.name = S("db"), .match = {.protocol = SENTC_TCP}},
};

/* Classes: '/' 1, 'e' 2, 'h' 3, 'l' 4, 'o' 5, every other byte 0. */
static const uint8_t path_classes[256] = {['/'] = 1, ['e'] = 2, ['h'] = 3, ['l'] = 4, ['o'] = 5};
#define RUN_BYTES(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define ENTRY(resource, methods, flags) \
  ((uint32_t)(resource) << SENTC_ENTRY_RESOURCE_SHIFT | (methods) << SENTC_ENTRY_METHOD_SHIFT | (flags))
static const uint32_t path_code[] = {
  /*  0 dead   */ 0, 0, 0,
  /*  3 start  */ SENTC_DFA_DENSE, 0, 0, 12, 0, 0, 0, 0, 0,  /* dense: '/' to 12 */
  /* 12 "/"    */ 2, 0, 17 << 8 | 'h', 25 << 8 | 'o', 0,     /* sparse */
  /* 17 "/h"   */ SENTC_DFA_RUN | 4, 21, RUN_BYTES('e', 'l', 'l', 'o'), 0,
  /* 21 "/hello" */ 0, 0, 1, ENTRY(0, SENTC_GET, 0),
  /* 25 "/o"   */ 1, 0, 30 << 8 | '/', 1, ENTRY(1, 0, 0),
  /* 30 "/o/"  */ 0, 30, SENTC_DFA_SHARED | 28,            /* keeps every byte; 25's accepts */
};
static const uint8_t no_classes[256];
static const uint32_t host_code[] = {          /* "x.io" read backwards */
  /*  0 */ 0, 0, 0,
  /*  3 */ 1, 0, 7 << 8 | 'o', 0,
  /*  7 */ 1, 0, 11 << 8 | 'i', 0,
  /* 11 */ 1, 0, 15 << 8 | '.', 0,
  /* 15 */ 1, 0, 19 << 8 | 'x', 0,
  /* 19 */ 0, 0, 1, ENTRY(2, 0, 0),
};
static const uint32_t every_http[] = {3}, every_tcp[] = {4};
static const struct sentc_matcher hand_matcher = {
  {3, 6, path_classes, path_code}, {3, 1, no_classes, host_code}, 1, every_http, 1, every_tcp,
};
static const struct sentc_policy compiled = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("c"), .n_resources = N(compiled_resources),
  .resources = compiled_resources, .matcher = &hand_matcher,
};

static const char *compiled_get(const char *path, const char *host) {
  return matched_in(&compiled, "GET", path, strlen(path), host, 0);
}

START_TEST(the_compiled_matcher_reads_dense_sparse_and_run_records) {
  ck_assert_str_eq(compiled_get("/hello", "a"), "hello every");
  ck_assert_str_eq(compiled_get("/o?q=1", "a"), "o every");
  ck_assert_str_eq(compiled_get("/o/", "a"), "o every");          /* shared accepts */
  ck_assert_str_eq(compiled_get("/o/hello/x", "a"), "o every");   /* a state that keeps all */
  ck_assert_str_eq(compiled_get("/ox", "a"), "every");
  ck_assert_str_eq(compiled_get("/hell", "a"), "every");       /* ends inside the run */
  ck_assert_str_eq(compiled_get("/helxo", "a"), "every");      /* leaves the run */
  ck_assert_str_eq(compiled_get("/hello/", "a"), "every");
  ck_assert_str_eq(compiled_get("/h", "a"), "every");
  ck_assert_str_eq(compiled_get("/e", "a"), "every");          /* a class with no edge here */
  ck_assert_str_eq(compiled_get("x", "a"), "every");           /* no path */
  ck_assert_str_eq(matched_in(&compiled, "POST", "/hello", 6, "a", 0), "every");
}
END_TEST

START_TEST(the_compiled_matcher_walks_hosts_backwards_and_merges_in_file_order) {
  ck_assert_str_eq(compiled_get("/o", "X.io:8080"), "o x every");
  ck_assert_str_eq(compiled_get("/hello", "x.io."), "hello x every");
  ck_assert_str_eq(compiled_get("/", "ax.io"), "every");
  uint32_t out[N(compiled_resources)];
  struct sentc_request r = {.protocol = SENTC_TCP, .port = 1, .authority = "", .path = ""};
  ck_assert_uint_eq(sentc_match_resources(&compiled, &r, path_of(&r), out), 1);
  ck_assert_uint_eq(out[0], 4);
}
END_TEST

/* ---- facts read when asked for (request.h) ---- */

/* The request facts come from, and the facts read so far, in order. */
static struct sentc_request given;
static char facts_read[16];

static void read_fact(struct sentc_request *r, uint32_t fact) {
  static const char letters[] = "MPAGC";   /* method, path, authority, grpc, peer (client) */
  size_t n = strlen(facts_read);
  for (int bit = 0; bit < 5; bit++)
    if (fact == 1u << bit && n + 1 < sizeof facts_read)
      facts_read[n] = letters[bit];
  r->known |= fact;
  r->method = given.method, r->method_len = given.method_len;
  r->path = given.path, r->path_len = given.path_len;
  r->authority = given.authority, r->authority_len = given.authority_len;
  r->grpc = given.grpc;
}

/* The facts that matching `method path` on `p` read, as letters in the
 * order read. */
static const char *facts_for(const struct sentc_policy *p, const char *method, const char *path) {
  uint32_t out[8];
  given = (struct sentc_request){.method = method, .method_len = strlen(method), .path = path,
                                 .path_len = strlen(path), .authority = "a.example.com",
                                 .authority_len = 13};
  struct sentc_request r = {.protocol = SENTC_HTTP, .read = read_fact, .header = lookup};
  memset(facts_read, 0, sizeof facts_read);
  struct sentc_path_view view;
  sentc_match_path(&r, path_buffer, &view);
  sentc_match_resources(p, &r, &view, out);
  return facts_read;
}

static const struct sentc_policy paths_only = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("p"), .n_resources = 2,
  .resources = compiled_resources,
  .matcher = &(const struct sentc_matcher){{3, 6, path_classes, path_code}, {0}, 0, NULL, 0, NULL},
};
static const struct sentc_policy checkout_only = {
  .tables_version = SENTC_TABLES_VERSION, .name = S("c"), .n_resources = 1, .resources = resources,
};

START_TEST(a_request_is_read_only_for_what_its_candidates_ask) {
  ck_assert_str_eq(facts_for(&paths_only, "GET", "/x"), "P");        /* no candidate */
  ck_assert_str_eq(facts_for(&paths_only, "GET", "/hello"), "PM");   /* hello names methods */
  ck_assert_str_eq(facts_for(&paths_only, "GET", "/o/1"), "P");      /* o does not */
  ck_assert_str_eq(facts_for(&checkout_only, "GET", "/x"), "P");     /* the naive scan too */
  ck_assert_str_eq(facts_for(&checkout_only, "POST", "/api/checkout"), "PM");
  ck_assert_str_eq(facts_for(&compiled, "GET", "/x"), "PA");         /* a host walk */
  ck_assert_str_eq(facts_for(&policy, "GET", "/shop.Cart/x"), "PGA");  /* a gRPC alternative */
}
END_TEST

int main(void) {
  Suite *s = suite_create("match");
  TCase *t = tcase_create("core");
  tcase_add_loop_test(t, every_spelling_of_a_path_lands_on_its_resource, 0, (int)N(bypasses));
  tcase_add_test(t, escaped_separators_and_nul_bytes_are_not_the_path);
  tcase_add_test(t, an_overlong_path_matches_no_path_resource);
  tcase_add_test(t, templates_take_one_segment_and_a_trailing_rest);
  tcase_add_test(t, methods_are_a_set);
  tcase_add_test(t, grpc_alternatives_need_a_grpc_request);
  tcase_add_test(t, hosts_ignore_case_port_and_a_trailing_dot);
  tcase_add_test(t, every_header_predicate_must_hold);
  tcase_add_test(t, a_request_enters_every_matching_resource_in_file_order);
  tcase_add_test(t, tcp_connections_match_only_tcp_resources_by_port);
  tcase_add_test(t, the_compiled_matcher_reads_dense_sparse_and_run_records);
  tcase_add_test(t, the_compiled_matcher_walks_hosts_backwards_and_merges_in_file_order);
  tcase_add_test(t, a_request_is_read_only_for_what_its_candidates_ask);
  suite_add_tcase(s, t);
  return run_suite(s);
}
