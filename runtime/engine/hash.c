/*
 * hash.c: SipHash-2-4 (Aumasson and Bernstein), as hash.h says.
 */
#include <string.h>
#include "hash.h"

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4]) {
  v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
  v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
  v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
  v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m) {
  v[3] ^= m;
  sip_round(v);
  sip_round(v);
  v[0] ^= m;
}

uint64_t sentc_hash(const struct sentc_hash_key *key, const char *data, size_t len) {
  uint64_t v[4] = {key->k0 ^ 0x736f6d6570736575ull, key->k1 ^ 0x646f72616e646f6dull,
                   key->k0 ^ 0x6c7967656e657261ull, key->k1 ^ 0x7465646279746573ull};
  size_t whole = len & ~(size_t)7;
  for (size_t i = 0; i < whole; i += 8) {
    uint64_t m;
    memcpy(&m, data + i, 8);
    sip_absorb(v, m);
  }
  uint64_t last = (uint64_t)len << 56;
  for (size_t i = whole; i < len; i++)
    last |= (uint64_t)(unsigned char)data[i] << (8 * (i - whole));
  sip_absorb(v, last);
  v[2] ^= 0xff;
  for (int i = 0; i < 4; i++)
    sip_round(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}
