/*
 * normalize.c: one pass over the path (see normalize.h).
 *
 * Segments are written to `out` as they are decoded; at the end of each one
 * a "." or ".." segment is taken back out again, so no segment stack is
 * needed: the output itself is the stack, and '/' its separators.
 *
 * Most requests' paths are canonical already; sentc_normalized_path sees
 * that in one read-only scan and hands the input back instead of copying.
 */
#include <stdint.h>
#include <string.h>
#include "normalize.h"

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int unreserved(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

/* Where the path proper ends: at the query or the fragment. */
static size_t path_end(const char *path, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (path[i] == '?' || path[i] == '#')
      return i;
  return len;
}

/* Copies the segment starting at path[*i] to out[*o...], decoding escapes;
 * returns 0 when out is full. */
static int copy_segment(const char *path, size_t end, size_t *i, char *out, size_t *o,
                        size_t room) {
  static const char hex[] = "0123456789ABCDEF";
  while (*i < end && path[*i] != '/') {
    int hi = -1, lo = -1;
    if (path[*i] == '%' && *i + 2 < end) {
      hi = hex_value(path[*i + 1]);
      lo = hex_value(path[*i + 2]);
    }
    int byte = hi >= 0 && lo >= 0 ? hi * 16 + lo : -1;
    if (byte >= 0 && unreserved(byte)) {
      if (*o >= room)
        return 0;
      out[(*o)++] = (char)byte;
      *i += 3;
    } else if (byte >= 0) {
      if (*o + 3 > room)
        return 0;
      out[(*o)++] = '%';
      out[(*o)++] = hex[hi];
      out[(*o)++] = hex[lo];
      *i += 3;
    } else {
      if (*o >= room)
        return 0;
      out[(*o)++] = path[(*i)++];
    }
  }
  return 1;
}

/* Takes a "." or ".." segment, out[start, o), back out; returns 1 if it was one. */
static int drop_dot_segment(char *out, size_t start, size_t *o) {
  size_t n = *o - start;
  if (n == 1 && out[start] == '.') {
    *o = start;
    return 1;
  }
  if (n == 2 && out[start] == '.' && out[start + 1] == '.') {
    *o = start;
    if (*o > 1) {
      (*o)--;                       /* the '/' before the segment being dropped */
      while (out[*o - 1] != '/')
        (*o)--;
    }
    return 1;
  }
  return 0;
}

/* Eight bytes at a time: the high bit of each byte of x that is zero
 * (exact, no borrow between bytes). */
static uint64_t zero_bytes(uint64_t x) {
  const uint64_t low7 = 0x7f7f7f7f7f7f7f7fu;
  return ~(((x & low7) + low7) | x | low7);
}

static uint64_t bytes_equal(uint64_t x, unsigned char c) {
  return zero_bytes(x ^ 0x0101010101010101u * c);
}

static uint64_t load8(const char *p) {
  uint64_t x;
  memcpy(&x, p, sizeof x);
  return x;
}

/* Might path[i, i + 8) stop the scan below: a '%', '?' or '#', or a '/'
 * followed by '/' or '.'?  Needs path[i + 8] too. */
static int word_needs_a_look(const char *path, size_t i) {
  uint64_t w = load8(path + i), next = load8(path + i + 1);
  return (bytes_equal(w, '%') | bytes_equal(w, '?') | bytes_equal(w, '#') |
          (bytes_equal(w, '/') & (bytes_equal(next, '/') | bytes_equal(next, '.')))) != 0;
}

/* The length of the path proper when it is canonical already (starts with
 * '/', no '%' and no '/' followed by '/' or '.', so nothing to decode,
 * merge or drop) and fits in `room`; else 0.  Conservative: "/.x" is
 * canonical but takes the slow way. */
static size_t canonical_length(const char *path, size_t len, size_t room) {
  if (len == 0 || path[0] != '/')
    return 0;
  size_t i = 0;
  while (i + 9 <= len && !word_needs_a_look(path, i))
    i += 8;
  for (; i < len; i++) {
    char c = path[i];
    if (c == '?' || c == '#')
      break;
    if (c == '%' || (c == '/' && i + 1 < len && (path[i + 1] == '/' || path[i + 1] == '.')))
      return 0;
  }
  return i <= room ? i : 0;
}

const char *sentc_normalized_path(const char *path, size_t len, char *out, size_t room,
                                  size_t *normalized_len) {
  size_t n = canonical_length(path, len, room);
  if (n) {
    *normalized_len = n;
    return path;
  }
  *normalized_len = 0;
  if (!out)
    return NULL;
  *normalized_len = sentc_normalize_path(path, len, out, room);
  return out;
}

size_t sentc_normalize_path(const char *path, size_t len, char *out, size_t room) {
  size_t end = path_end(path, len);
  if (end == 0 || path[0] != '/' || room == 0)
    return 0;
  size_t i = 0, o = 0;
  out[o++] = '/';
  for (;;) {
    while (i < end && path[i] == '/')
      i++;
    if (i == end)
      return o;
    size_t start = o;
    if (!copy_segment(path, end, &i, out, &o, room))
      return 0;
    if (!drop_dot_segment(out, start, &o) && i < end) {
      if (o >= room)
        return 0;
      out[o++] = '/';
    }
  }
}
