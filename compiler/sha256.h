/*
 * sha256.h: SHA-256 (FIPS 180-4), written here so that sentc needs no
 * crypto library.  It digests the policy source for main.wasm's identity
 * section, the module for the manifests' `sha256`, and the OCI image's
 * blobs, which are all named by their SHA-256.
 */
#ifndef SENTC_SHA256_H
#define SENTC_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
  uint32_t h[8];
  uint64_t bytes;              /* message length so far */
  uint8_t block[64];
  size_t used;                 /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);

/* The digest of data as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char hex[65]);
/* A finished digest as hex. */
void sha256_to_hex(const uint8_t digest[32], char hex[65]);

#endif
