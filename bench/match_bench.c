/*
 * match_bench.c: the per-request cost of finding a request's resources,
 * natively: the compiled matcher against the naive baseline that tests each
 * resource in turn, on the same tables and requests.  Also the checker of
 * tests/match_diff.test, which needs the two to agree.
 *
 * Built by bench/run (and the test) with a policy's generated tables
 * (sentc --emit-c) and runtime/engine/match.c + normalize.c, natively and
 * for wasm32-wasi (run in V8 by bench/wasi-run.js):
 *
 *   match_bench REQUESTS_FILE
 *   match_bench --check REQUESTS_FILE
 *
 * Requests are lines "METHOD PATH [AUTHORITY [GRPC [NAME=VALUE ...]]]"
 * (GRPC 1 for a gRPC request; NAME lower case).  Both modes first check
 * that both matchers find the same resources for every request, and exit 1
 * at the first that they do not (a fast wrong answer is no figure).  Then
 * --check prints how many requests it checked and how many entered some
 * resource; the other mode prints "compiled_ns naive_ns normalize_ns hits":
 * nanoseconds per request (the median of ROUNDS rounds, each a pass over all
 * the requests repeated for at least ROUND_NS), the part of it that is path
 * normalization alone (the fixed cost every request pays whatever the
 * policy, also a median), and how many of the requests entered some
 * resource.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "match.h"
#include "normalize.h"

#define MAX_REQUESTS 8192
#define MAX_HEADERS 8
#define ROUNDS 9
#define ROUND_NS 1e7

struct headers {
  size_t n;
  const char *name[MAX_HEADERS], *value[MAX_HEADERS];
};

static struct sentc_request requests[MAX_REQUESTS];
static struct headers headers[MAX_REQUESTS];
static size_t n_requests;

static const char *lookup(void *ctx, const char *name, size_t len, size_t *value_len) {
  const struct headers *h = ctx;
  for (size_t i = 0; i < h->n; i++)
    if (strlen(h->name[i]) == len && memcmp(h->name[i], name, len) == 0) {
      *value_len = strlen(h->value[i]);
      return h->value[i];
    }
  return NULL;
}

/* One request from the words of its line, split in place; 0 if the line
 * has no path. */
static int parse(char *line, struct sentc_request *r, struct headers *h) {
  char *word[4 + MAX_HEADERS] = {0};
  size_t n = 0;
  for (char *w = strtok(line, " \n"); w && n < 4 + MAX_HEADERS; w = strtok(NULL, " \n"))
    word[n++] = w;
  if (n < 2)
    return 0;
  *r = (struct sentc_request){.protocol = SENTC_HTTP, .method = word[0],
                              .method_len = strlen(word[0]), .path_len = strlen(word[1]),
                              .authority = n > 2 ? word[2] : "localhost",
                              .grpc = n > 3 && word[3][0] == '1', .header = lookup, .header_ctx = h};
  r->authority_len = strlen(r->authority);
  /* The path in a block of its own, with no NUL after it: a matcher that
   * reads past its end is caught by AddressSanitizer (tests/match_diff.test). */
  r->path = memcpy(malloc(r->path_len), word[1], r->path_len);
  for (size_t i = 4; i < n; i++) {
    char *equals = strchr(word[i], '=');
    if (equals) {
      *equals = 0;
      h->name[h->n] = word[i];
      h->value[h->n++] = equals + 1;
    }
  }
  return 1;
}

/* Lines are copied to small blocks allocated in a row, which lie together
 * as a filter finds a request's headers, so that reading a request is not
 * a cache and TLB miss of the benchmark's own. */
static void load(const char *path) {
  char line[4096];
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    exit(2);
  }
  while (n_requests < MAX_REQUESTS && fgets(line, sizeof line, f)) {
    char *copy = strdup(line);
    if (parse(copy, &requests[n_requests], &headers[n_requests]))
      n_requests++;
    else
      free(copy);
  }
  fclose(f);
}

typedef uint32_t match_fn(const struct sentc_policy *, const struct sentc_request *,
                          const struct sentc_path_view *, uint32_t *);

/* Where the matchers normalize a path that is not canonical already. */
static char path_buffer[SENTC_PATH_MAX];
static struct sentc_path_view path_view;

/* The request's normalized path, as the engine makes it before matching. */
static const struct sentc_path_view *path_of(const struct sentc_request *r) {
  sentc_match_path(r, path_buffer, &path_view);
  return &path_view;
}

/* What normalization alone costs (each measured call normalizes first, as
 * the engine does: a scan without a copy when the path is canonical). */
static uint32_t normalize_only(const struct sentc_policy *policy, const struct sentc_request *r,
                               const struct sentc_path_view *path, uint32_t *out) {
  (void)policy;
  (void)r;
  (void)out;
  return (uint32_t)path->len;
}

static double now_ns(void) {
  struct timespec t;
#ifdef __wasi__
  clock_gettime(CLOCK_MONOTONIC, &t);            /* WASI has no CPU-time clock */
#else
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);   /* the machine may be shared */
#endif
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ns per request: the median of ROUNDS rounds. */
static double measure(match_fn *fn, uint32_t *out) {
  double rounds[ROUNDS];
  volatile uint32_t sink = 0;
  for (int round = 0; round < ROUNDS; round++) {
    size_t done = 0;
    double start = now_ns(), elapsed;
    do {
      for (size_t i = 0; i < n_requests; i++)
        sink += fn(&sentc_policy, &requests[i], path_of(&requests[i]), out);
      done += n_requests;
      elapsed = now_ns() - start;
    } while (elapsed < ROUND_NS);
    rounds[round] = elapsed / done;
  }
  (void)sink;
  qsort(rounds, ROUNDS, sizeof rounds[0], compare_doubles);
  return rounds[ROUNDS / 2];
}

/* Do both matchers find the same resources for every request?  Counts in
 * *hits the requests that enter some resource. */
static int agree(uint32_t *a, uint32_t *b, size_t *hits) {
  for (size_t i = 0; i < n_requests; i++) {
    uint32_t na = sentc_match_resources(&sentc_policy, &requests[i], path_of(&requests[i]), a);
    uint32_t nb = sentc_match_resources_naive(&sentc_policy, &requests[i], path_of(&requests[i]), b);
    if (na != nb || memcmp(a, b, na * sizeof *a) != 0) {
      fprintf(stderr, "match_bench: compiled and naive disagree on %.*s %.*s (%u against %u "
              "resources)\n", (int)requests[i].method_len, requests[i].method,
              (int)requests[i].path_len, requests[i].path, na, nb);
      return 0;
    }
    *hits += na > 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  int check = argc == 3 && strcmp(argv[1], "--check") == 0;
  if (argc != 2 && !check) {
    fputs("usage: match_bench [--check] REQUESTS_FILE\n", stderr);
    return 2;
  }
  load(argv[argc - 1]);
  uint32_t *a = calloc(sentc_policy.n_resources + 1, sizeof *a);
  uint32_t *b = calloc(sentc_policy.n_resources + 1, sizeof *b);
  size_t hits = 0;
  int same = agree(a, b, &hits);
  if (same && check) {
    printf("%zu requests: the compiled matcher and the naive scan agree; %zu entered some "
           "resource\n", n_requests, hits);
  } else if (same) {
    double compiled = measure(sentc_match_resources, a);
    double naive = measure(sentc_match_resources_naive, b);
    printf("%.0f %.0f %.0f %zu\n", compiled, naive, measure(normalize_only, a), hits);
  }
  free(a);
  free(b);
  return !same;
}
