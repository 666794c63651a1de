/*
 * util.h: allocation that cannot fail quietly, and small string helpers
 * shared by the compiler's files.
 */
#ifndef SENTC_UTIL_H
#define SENTC_UTIL_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* Reads a whole file; NULL with errno set on failure. */
char *read_file(const char *path, size_t *len);

/* Reads a regular file of at most `limit` bytes; NULL with errno set on
 * failure: EFBIG when larger, EINVAL when not a regular file (a device or
 * a FIFO could block or never end). */
char *read_regular_file(const char *path, size_t limit, size_t *len);

#endif
