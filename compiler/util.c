/*
 * util.c: out-of-memory is fatal in the compiler: say so and exit 2 rather
 * than thread NULL checks through every caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util.h"

static void *check(void *p) {
  if (!p) {
    fputs("sentc: out of memory\n", stderr);
    exit(2);
  }
  return p;
}

void *xmalloc(size_t size) { return check(malloc(size ? size : 1)); }
void *xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t size) { return check(realloc(p, size ? size : 1)); }
char *xstrdup(const char *s) { return check(strdup(s)); }

char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = xmalloc(cap);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0)
      buf = xrealloc(buf, cap *= 2);
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    errno = EIO;
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

char *read_regular_file(const char *path, size_t limit, size_t *len) {
  struct stat st;
  if (stat(path, &st) != 0)
    return NULL;
  if (!S_ISREG(st.st_mode)) {
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    return NULL;
  }
  if ((size_t)st.st_size > limit) {
    errno = EFBIG;
    return NULL;
  }
  char *text = read_file(path, len);
  if (text && *len > limit) {      /* it grew since stat */
    free(text);
    errno = EFBIG;
    return NULL;
  }
  return text;
}
