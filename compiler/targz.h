/*
 * targz.h: a .tar.gz holding one file, byte for byte reproducible: the
 * layer of the Wasm OCI image (oci.c), which Istio opens with Go's gzip and
 * tar readers to find `plugin.wasm`.
 *
 * The tar is one POSIX ustar header (mode 0644, uid and gid 0, no user or
 * group names, mtime 0) with the file padded to 512 bytes and two zero
 * blocks.  The gzip member has no name and mtime 0 (RFC 1952), and its
 * deflate stream is made of stored blocks (RFC 1951 section 3.2.4): no
 * compression, so no dependence on a zlib version, and the same bytes on
 * every machine.  A module of kilobytes gains nothing worth a dependency
 * from compression.
 */
#ifndef SENTC_TARGZ_H
#define SENTC_TARGZ_H

#include <stddef.h>
#include <stdint.h>

/* The tar archive of one file `name` (at most 99 bytes). Malloc'ed. */
uint8_t *targz_tar(const char *name, const uint8_t *data, size_t len, size_t *out_len);

/* A gzip member of data, stored. Malloc'ed. */
uint8_t *targz_gzip(const uint8_t *data, size_t len, size_t *out_len);

/* CRC-32 (ISO-HDLC, as gzip uses it) of data. */
uint32_t targz_crc32(const uint8_t *data, size_t len);

#endif
