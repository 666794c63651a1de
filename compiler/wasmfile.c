/*
 * wasmfile.c: section walking and custom-section appending (wasmfile.h).
 * Sizes are unsigned LEB128 of at most 5 bytes (u32); anything that does
 * not fit inside the file is reported as malformed, never read past.
 */
#include <string.h>
#include "util.h"
#include "wasmfile.h"

static const uint8_t wasmfile_preamble[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

/* Reads a u32 LEB128 at *p (before end); 0 when it is malformed. */
static int wasmfile_leb(const uint8_t **p, const uint8_t *end, uint32_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*p >= end)
      return 0;
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (v > 0xffffffffu)
        return 0;
      *out = (uint32_t)v;
      return 1;
    }
  }
  return 0;
}

enum wasmfile_status wasmfile_find(const uint8_t *wasm, size_t len, const char *name,
                                   const uint8_t **payload, size_t *payload_len) {
  if (len < 8 || memcmp(wasm, wasmfile_preamble, 8) != 0)
    return WASMFILE_NOT_WASM;
  const uint8_t *p = wasm + 8, *end = wasm + len;
  enum wasmfile_status found = WASMFILE_ABSENT;
  size_t want = strlen(name);
  while (p < end) {
    uint8_t id = *p++;
    uint32_t size, name_len;
    if (!wasmfile_leb(&p, end, &size) || size > (size_t)(end - p))
      return WASMFILE_MALFORMED;
    const uint8_t *body = p, *next = p + size;
    p = next;
    if (id != 0)
      continue;
    if (!wasmfile_leb(&body, next, &name_len) || name_len > (size_t)(next - body))
      return WASMFILE_MALFORMED;
    if (found == WASMFILE_ABSENT && name_len == want && memcmp(body, name, want) == 0) {
      *payload = body + name_len;
      *payload_len = (size_t)(next - *payload);
      found = WASMFILE_FOUND;
    }
  }
  return found;
}

static size_t wasmfile_put_leb(uint8_t *out, uint32_t v) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return n;
}

uint8_t *wasmfile_append(const uint8_t *wasm, size_t len, const char *name,
                         const void *payload, size_t payload_len, size_t *out_len) {
  size_t name_len = strlen(name);
  uint8_t name_leb[5], size_leb[5];
  size_t nl = wasmfile_put_leb(name_leb, (uint32_t)name_len);
  size_t body = nl + name_len + payload_len;
  size_t sl = wasmfile_put_leb(size_leb, (uint32_t)body);
  uint8_t *out = xmalloc(len + 1 + sl + body);
  uint8_t *p = out;
  memcpy(p, wasm, len), p += len;
  *p++ = 0;
  memcpy(p, size_leb, sl), p += sl;
  memcpy(p, name_leb, nl), p += nl;
  memcpy(p, name, name_len), p += name_len;
  memcpy(p, payload, payload_len), p += payload_len;
  *out_len = (size_t)(p - out);
  return out;
}
