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

size_t utf8_char(const char *s, size_t n, uint32_t *cp) {
  const unsigned char *u = (const unsigned char *)s;
  if (n == 0)
    return 0;
  if (u[0] < 0x80) {
    *cp = u[0];
    return 1;
  }
  size_t len = u[0] >= 0xC2 && u[0] <= 0xDF ? 2 : u[0] >= 0xE0 && u[0] <= 0xEF ? 3
               : u[0] >= 0xF0 && u[0] <= 0xF4 ? 4 : 0;
  if (len == 0 || n < len)
    return 0;
  uint32_t c = u[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((u[i] & 0xC0) != 0x80)
      return 0;
    c = c << 6 | (u[i] & 0x3F);
  }
  static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < least[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return len;
}

int utf8_valid(const char *s, size_t len) {
  uint32_t cp;
  for (size_t i = 0, k; i < len; i += k)
    if (!(k = utf8_char(s + i, len - i, &cp)))
      return 0;
  return 1;
}
