/*
 * targz.c: one-file ustar archives and stored gzip members (targz.h).
 */
#include <stdio.h>
#include <string.h>
#include "targz.h"
#include "util.h"

#define TARGZ_BLOCK 512
#define TARGZ_STORED_MAX 65535

uint8_t *targz_tar(const char *name, const uint8_t *data, size_t len, size_t *out_len) {
  size_t padded = (len + TARGZ_BLOCK - 1) / TARGZ_BLOCK * TARGZ_BLOCK;
  size_t total = TARGZ_BLOCK + padded + 2 * TARGZ_BLOCK;
  uint8_t *tar = xcalloc(total, 1);
  char *h = (char *)tar;
  snprintf(h, 100, "%s", name);               /* name */
  memcpy(h + 100, "0000644", 8);              /* mode */
  memcpy(h + 108, "0000000", 8);              /* uid */
  memcpy(h + 116, "0000000", 8);              /* gid */
  snprintf(h + 124, 12, "%011llo", (unsigned long long)len); /* size */
  memcpy(h + 136, "00000000000", 12);         /* mtime: the epoch */
  memset(h + 148, ' ', 8);                    /* chksum, spaces while summing */
  h[156] = '0';                               /* typeflag: a regular file */
  memcpy(h + 257, "ustar", 6);                /* magic, NUL-terminated */
  memcpy(h + 263, "00", 2);                   /* version */
  memcpy(h + 329, "0000000", 8);              /* devmajor */
  memcpy(h + 337, "0000000", 8);              /* devminor */
  unsigned sum = 0;
  for (int i = 0; i < TARGZ_BLOCK; i++)
    sum += (unsigned char)h[i];
  snprintf(h + 148, 8, "%06o", sum);          /* six digits, NUL, then the space kept */
  h[155] = ' ';
  memcpy(tar + TARGZ_BLOCK, data, len);
  *out_len = total;
  return tar;
}

uint32_t targz_crc32(const uint8_t *data, size_t len) {
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < len; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

static void targz_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t *targz_gzip(const uint8_t *data, size_t len, size_t *out_len) {
  size_t blocks = len / TARGZ_STORED_MAX + 1;
  uint8_t *gz = xmalloc(10 + blocks * 5 + len + 8);
  /* ID1 ID2, CM deflate, FLG none, MTIME 0, XFL 0, OS unknown (255). */
  static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
  memcpy(gz, header, sizeof header);
  uint8_t *p = gz + sizeof header;
  size_t done = 0;
  do {
    size_t n = len - done < TARGZ_STORED_MAX ? len - done : TARGZ_STORED_MAX;
    *p++ = done + n == len ? 1 : 0;            /* BFINAL, BTYPE 00: stored */
    p[0] = (uint8_t)n, p[1] = (uint8_t)(n >> 8);
    p[2] = (uint8_t)~n, p[3] = (uint8_t)(~n >> 8);
    p += 4;
    memcpy(p, data + done, n);
    p += n;
    done += n;
  } while (done < len);
  targz_le32(p, targz_crc32(data, len));
  targz_le32(p + 4, (uint32_t)len);
  p += 8;
  *out_len = (size_t)(p - gz);
  return gz;
}
