/*
 * hash.h: SipHash-2-4 with a 128-bit key, for hotspot values.
 *
 * The key is drawn at start from the platform's random source (and agreed
 * on by every VM when the policy shares state, store.h), so nobody can aim
 * collisions at one slot of a hotspot table.
 */
#ifndef SENTC_HASH_H
#define SENTC_HASH_H

#include <stddef.h>
#include <stdint.h>

struct sentc_hash_key {
  uint64_t k0, k1;
};

uint64_t sentc_hash(const struct sentc_hash_key *key, const char *data, size_t len);

#endif
