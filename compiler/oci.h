/*
 * oci.h: main.wasm as an OCI image in the layout `skopeo copy oci:DIR ...`,
 * `crane push` or `oras cp` push to a registry, in the format Istio pulls
 * (`url: oci://...` in a WasmPlugin): the "compat" variant of the Wasm
 * image specification, one layer of media type
 * application/vnd.oci.image.layer.v1.tar+gzip holding `plugin.wasm`
 * (Istio's pkg/wasm/imagefetcher.go looks for exactly that).
 *
 * Every byte follows from the module: fixed tar and gzip headers
 * (targz.h), JSON written in a fixed order, no timestamps.  So the image,
 * and the manifest digest Istio checks a WasmPlugin's `sha256` against,
 * are the same on every machine.
 */
#ifndef SENTC_OCI_H
#define SENTC_OCI_H

#include <stddef.h>
#include <stdint.h>
#include "ir.h"

struct oci_blob {
  uint8_t *data;
  size_t len;
  char digest[65];             /* sha256, hex */
};

struct oci_image {
  struct oci_blob layer, config, manifest;
  char *index;                 /* index.json */
  size_t index_len;
};

/* Builds the image of a module in memory; tag names it in index.json. */
void oci_build(struct oci_image *img, const uint8_t *wasm, size_t len,
               const struct ir_policy *policy, const char *tag);

/* Writes the image layout into dir (created if missing; blobs of other
 * images are left, index.json names this image only).  Problems are
 * printed; returns 0 or -1. */
int oci_write(const struct oci_image *img, const char *dir);

void oci_free(struct oci_image *img);

#endif
