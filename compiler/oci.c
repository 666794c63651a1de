/*
 * oci.c: the OCI image layout of a module (oci.h): blobs/sha256/<digest>
 * for the layer, the config and the manifest, index.json naming the
 * manifest with its tag, and oci-layout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "doc.h"
#include "ident.h"
#include "json.h"
#include "oci.h"
#include "sha256.h"
#include "targz.h"
#include "util.h"

#define OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define OCI_CONFIG_TYPE "application/vnd.oci.image.config.v1+json"
#define OCI_LAYER_TYPE "application/vnd.oci.image.layer.v1.tar+gzip"

static void oci_blob_of_doc(struct oci_blob *b, const struct doc *d) {
  b->data = (uint8_t *)json_text(d, &b->len);
  sha256_hex(b->data, b->len, b->digest);
}

static struct doc *oci_descriptor(struct arena *a, const char *type, const struct oci_blob *b) {
  char digest[80];
  snprintf(digest, sizeof digest, "sha256:%s", b->digest);
  struct doc *d = doc_map(a);
  doc_set(a, d, "mediaType", doc_str(a, type));
  doc_set(a, d, "digest", doc_str(a, digest));
  doc_set(a, d, "size", doc_int(a, (long long)b->len));
  return d;
}

void oci_build(struct oci_image *img, const uint8_t *wasm, size_t len,
               const struct ir_policy *policy, const char *tag) {
  struct arena *a = arena_new();
  memset(img, 0, sizeof *img);
  size_t tar_len;
  uint8_t *tar = targz_tar("plugin.wasm", wasm, len, &tar_len);
  char tar_digest[80] = "sha256:";
  sha256_hex(tar, tar_len, tar_digest + 7);
  img->layer.data = targz_gzip(tar, tar_len, &img->layer.len);
  sha256_hex(img->layer.data, img->layer.len, img->layer.digest);
  free(tar);

  struct doc *config = doc_map(a);
  doc_set(a, config, "architecture", doc_str(a, "wasm"));
  doc_set(a, config, "os", doc_str(a, "wasip1"));
  doc_map_at(a, config, "config");
  struct doc *rootfs = doc_map_at(a, config, "rootfs");
  doc_set(a, rootfs, "type", doc_str(a, "layers"));
  doc_add(a, doc_list_at(a, rootfs, "diff_ids"), doc_str(a, tar_digest));
  oci_blob_of_doc(&img->config, config);

  char source[65];
  ident_source_digest(source);
  struct doc *manifest = doc_map(a);
  doc_set(a, manifest, "schemaVersion", doc_int(a, 2));
  doc_set(a, manifest, "mediaType", doc_str(a, OCI_MANIFEST_TYPE));
  doc_set(a, manifest, "config", oci_descriptor(a, OCI_CONFIG_TYPE, &img->config));
  doc_add(a, doc_list_at(a, manifest, "layers"), oci_descriptor(a, OCI_LAYER_TYPE, &img->layer));
  struct doc *notes = doc_map_at(a, manifest, "annotations");
  doc_set(a, notes, "module.wasm.image/variant", doc_str(a, "compat"));
  doc_set(a, notes, "org.opencontainers.image.title", doc_str(a, "plugin.wasm"));
  doc_set(a, notes, "io.sentc.policy", doc_strn(a, policy->name.text, policy->name.len));
  doc_set(a, notes, "io.sentc.source-sha256", doc_str(a, source));
  doc_set(a, notes, "io.sentc.version", doc_str(a, PACKAGE_VERSION));
  oci_blob_of_doc(&img->manifest, manifest);

  struct doc *index = doc_map(a);
  doc_set(a, index, "schemaVersion", doc_int(a, 2));
  doc_set(a, index, "mediaType", doc_str(a, "application/vnd.oci.image.index.v1+json"));
  struct doc *entry = doc_add(a, doc_list_at(a, index, "manifests"),
                              oci_descriptor(a, OCI_MANIFEST_TYPE, &img->manifest));
  doc_set(a, doc_map_at(a, entry, "annotations"), "org.opencontainers.image.ref.name",
          doc_str(a, tag));
  img->index = json_text(index, &img->index_len);
  arena_free(a);
}

static int oci_mkdir(const char *path) {
  if (mkdir(path, 0755) == 0 || errno == EEXIST)
    return 0;
  fprintf(stderr, "sentc: cannot create %s: %s\n", path, strerror(errno));
  return -1;
}

static int oci_file(const char *dir, const char *name, const void *data, size_t len) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = xmalloc(n);
  snprintf(path, n, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  int ok = f && fwrite(data, 1, len, f) == len;
  if (f && fclose(f) != 0)
    ok = 0;
  if (!ok)
    fprintf(stderr, "sentc: cannot write %s: %s\n", path, strerror(errno));
  free(path);
  return ok ? 0 : -1;
}

int oci_write(const struct oci_image *img, const char *dir) {
  size_t n = strlen(dir) + 16;
  char *blobs = xmalloc(n), *sha = xmalloc(n);
  snprintf(blobs, n, "%s/blobs", dir);
  snprintf(sha, n, "%s/blobs/sha256", dir);
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  int status = oci_mkdir(dir) || oci_mkdir(blobs) || oci_mkdir(sha) ||
               oci_file(sha, img->layer.digest, img->layer.data, img->layer.len) ||
               oci_file(sha, img->config.digest, img->config.data, img->config.len) ||
               oci_file(sha, img->manifest.digest, img->manifest.data, img->manifest.len) ||
               oci_file(dir, "oci-layout", layout, sizeof layout - 1) ||
               oci_file(dir, "index.json", img->index, img->index_len)
                   ? -1 : 0;
  free(blobs);
  free(sha);
  return status;
}

void oci_free(struct oci_image *img) {
  free(img->layer.data);
  free(img->config.data);
  free(img->manifest.data);
  free(img->index);
}
