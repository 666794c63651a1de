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
 * prints "compiled_ns naive_ns": nanoseconds per request, best of a few
 * rounds.  It first checks that both find the same resources for every
 * request, and exits 1 if not: a fast wrong answer is no figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "match.h"

#define MAX_REQUESTS 4096

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

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* ns per request, best of 5 rounds of at least `min_ns` each. */
static double measure(match_fn *fn, uint32_t *out, double min_ns) {
  double best = 1e30;
  volatile uint32_t sink = 0;
  for (int round = 0; round < 5; round++) {
    size_t done = 0;
    double start = now_ns(), elapsed;
    do {
      for (size_t i = 0; i < n_requests; i++)
        sink += fn(&sentc_policy, &requests[i], out);
      done += n_requests;
      elapsed = now_ns() - start;
    } while (elapsed < min_ns);
    if (elapsed / done < best)
      best = elapsed / done;
  }
  (void)sink;
  return best;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: match_bench REQUESTS_FILE\n", stderr);
    return 2;
  }
  load(argv[1]);
  uint32_t *a = calloc(sentc_policy.n_resources + 1, sizeof *a);
  uint32_t *b = calloc(sentc_policy.n_resources + 1, sizeof *b);
  for (size_t i = 0; i < n_requests; i++) {
    uint32_t na = sentc_match_resources(&sentc_policy, &requests[i], a);
    uint32_t nb = sentc_match_resources_naive(&sentc_policy, &requests[i], b);
    if (na != nb || memcmp(a, b, na * sizeof *a) != 0) {
      fprintf(stderr, "match_bench: compiled and naive disagree on %.*s\n",
              (int)requests[i].path_len, requests[i].path);
      return 1;
    }
  }
  printf("%.0f %.0f\n", measure(sentc_match_resources, a, 2e7),
         measure(sentc_match_resources_naive, b, 2e7));
  free(a);
  free(b);
  return 0;
}
