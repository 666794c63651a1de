/*
 * util.h: allocation that cannot fail quietly, and small string helpers
 * shared by the compiler's files.
 */
#ifndef SENTC_UTIL_H
#define SENTC_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* Reads a regular file of at most `limit` bytes (NUL-terminated, *len
 * bytes); NULL with errno set on failure: EFBIG when larger (checked while
 * reading, not only by its size: /proc files say 0 and never end), EISDIR
 * for a directory, EINVAL when not a regular file (a device or a FIFO could
 * block or never end). */
char *read_regular_file(const char *path, size_t limit, size_t *len);

/* The length of the valid UTF-8 character at s (n bytes available), with
 * its code point in *cp; 0 when the bytes there are not one (a stray
 * continuation byte, an overlong form, a surrogate, a truncated one). */
size_t utf8_char(const char *s, size_t n, uint32_t *cp);

/* Is s (len bytes) valid UTF-8 throughout? */
int utf8_valid(const char *s, size_t len);

#endif
