/*
 * util.c: out-of-memory is fatal in the compiler: say so and exit 2 rather
 * than thread NULL checks through every caller.  And files are read with
 * their size limit enforced while reading: stat's size says nothing about
 * /proc files (size 0, endless) or a file that grows as it is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
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

/* Reads fd until its end, or until it has given more than `limit` bytes:
 * then it is too big, whatever is left.  Reads are whole multiples of 4096
 * bytes, which files such as /proc/self/pagemap insist on. */
static char *read_limited(int fd, size_t limit, size_t *len) {
  size_t most = (limit / 4096 + 1) * 4096;      /* the first multiple above limit */
  size_t cap = 4096, n = 0;
  char *buf = xmalloc(cap + 1);
  while (n <= limit) {
    if (n == cap) {
      cap = cap > most / 2 ? most : 2 * cap;
      buf = xrealloc(buf, cap + 1);
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      free(buf);
      errno = EIO;
      return NULL;
    }
    if (got == 0)
      break;
    n += (size_t)got;
  }
  if (n > limit) {
    free(buf);
    errno = EFBIG;
    return NULL;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

char *read_regular_file(const char *path, size_t limit, size_t *len) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused
   * below anyway. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  char *text = NULL;
  if (fstat(fd, &st) != 0)
    ;
  else if (!S_ISREG(st.st_mode))
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  else if (st.st_size > 0 && (uintmax_t)st.st_size > limit)
    errno = EFBIG;
  else
    text = read_limited(fd, limit, len);
  int saved = errno;
  close(fd);
  errno = saved;
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
