/*
 * match_bench.c: the per-request cost of finding a request's resources,
 * natively: the compiled matcher against the naive baseline that tests each
 * resource in turn, on the same tables and requests.
 *
 * Built by bench/run with a policy's generated tables (sentc --emit-c) and
 * runtime/engine/match.c + normalize.c:
 *
 *   match_bench REQUESTS_FILE
 *
 * prints "compiled_ns naive_ns normalize_ns hits": nanoseconds per request
 * (the median of ROUNDS rounds, each a pass over all the requests repeated
 * for at least ROUND_NS), the part of it that is path normalization alone
 * (the fixed cost every request pays whatever the policy, also a median),
 * and how many of the requests entered some resource.  It first checks that
 * both matchers find the same resources for every request, and exits 1 if
 * not: a fast wrong answer is no figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "match.h"
#include "normalize.h"

#define MAX_REQUESTS 4096
#define ROUNDS 9
#define ROUND_NS 1e7

static struct sentc_request requests[MAX_REQUESTS];
static size_t n_requests;

static void load(const char *path) {
  static char lines[MAX_REQUESTS][512];
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    exit(2);
  }
  while (n_requests < MAX_REQUESTS && fgets(lines[n_requests], sizeof lines[0], f)) {
    char *line = lines[n_requests], *space = strchr(line, ' ');
    if (!space)
      continue;
    line[strcspn(line, "\n")] = 0;
    struct sentc_request *r = &requests[n_requests++];
    *r = (struct sentc_request){.protocol = SENTC_HTTP, .method = line,
                                .method_len = (size_t)(space - line), .path = space + 1,
                                .path_len = strlen(space + 1), .authority = "localhost",
                                .authority_len = 9};
  }
  fclose(f);
}

typedef uint32_t match_fn(const struct sentc_policy *, const struct sentc_request *,
                          uint32_t *);

/* What normalization alone costs: the same call the matchers make (a scan
 * without a copy when the path is canonical already). */
static uint32_t normalize_only(const struct sentc_policy *policy,
                               const struct sentc_request *r, uint32_t *out) {
  static char buffer[SENTC_PATH_MAX];
  size_t len;
  (void)policy;
  (void)out;
  return *sentc_normalized_path(r->path, r->path_len, buffer, sizeof buffer, &len) + (uint32_t)len;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);   /* the machine may be shared */
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
        sink += fn(&sentc_policy, &requests[i], out);
      done += n_requests;
      elapsed = now_ns() - start;
    } while (elapsed < ROUND_NS);
    rounds[round] = elapsed / done;
  }
  (void)sink;
  qsort(rounds, ROUNDS, sizeof rounds[0], compare_doubles);
  return rounds[ROUNDS / 2];
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: match_bench REQUESTS_FILE\n", stderr);
    return 2;
  }
  load(argv[1]);
  uint32_t *a = calloc(sentc_policy.n_resources + 1, sizeof *a);
  uint32_t *b = calloc(sentc_policy.n_resources + 1, sizeof *b);
  size_t hits = 0;
  for (size_t i = 0; i < n_requests; i++) {
    uint32_t na = sentc_match_resources(&sentc_policy, &requests[i], a);
    uint32_t nb = sentc_match_resources_naive(&sentc_policy, &requests[i], b);
    if (na != nb || memcmp(a, b, na * sizeof *a) != 0) {
      fprintf(stderr, "match_bench: compiled and naive disagree on %.*s\n",
              (int)requests[i].path_len, requests[i].path);
      return 1;
    }
    hits += na > 0;
  }
  double compiled = measure(sentc_match_resources, a);
  double naive = measure(sentc_match_resources_naive, b);
  printf("%.0f %.0f %.0f %zu\n", compiled, naive, measure(normalize_only, a), hits);
  free(a);
  free(b);
  return 0;
}
