/*
 * ident.c: the identity section of main.wasm (ident.h): building it from
 * the checked policy and the source table, and reading it back for
 * `sentc --inspect`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "doc.h"
#include "ident.h"
#include "json.h"
#include "sha256.h"
#include "source.h"
#include "util.h"
#include "wasmfile.h"
#include "../runtime/tables.h"

/* The largest file --inspect reads: far above any module sentc writes. */
#define IDENT_MAX_MODULE_BYTES (256u << 20)

void ident_source_digest(char hex[65]) {
  struct sha256 s;
  uint8_t digest[32];
  sha256_init(&s);
  for (int i = 0; i < source_count(); i++) {
    size_t len;
    const char *text = source_text(i, &len);
    sha256_update(&s, text, len);
  }
  sha256_final(&s, digest);
  sha256_to_hex(digest, hex);
}

char *ident_json(const struct ir_policy *policy, size_t *len) {
  struct arena *a = arena_new();
  char digest[65];
  ident_source_digest(digest);
  struct doc *d = doc_map(a);
  doc_set(a, d, "policy", doc_strn(a, policy->name.text, policy->name.len));
  doc_set(a, d, "sentc", doc_str(a, PACKAGE_VERSION));
  doc_set(a, d, "source_sha256", doc_str(a, digest));
  doc_set(a, d, "tables_version", doc_int(a, SENTC_TABLES_VERSION));
  char *text = json_text(d, len);
  arena_free(a);
  return text;
}

/* The string value of `key` in a parsed identity, or NULL. */
static const struct doc *ident_field(const struct doc *d, const char *key, enum doc_kind kind) {
  for (size_t i = 0; i < d->n; i++)
    if (strlen(key) == d->items[i].key_len && memcmp(d->items[i].key, key, d->items[i].key_len) == 0)
      return d->items[i].value->kind == kind ? d->items[i].value : NULL;
  return NULL;
}

static int ident_print(const char *path, const uint8_t *wasm, size_t len, FILE *out) {
  const uint8_t *payload;
  size_t payload_len;
  switch (wasmfile_find(wasm, len, IDENT_SECTION, &payload, &payload_len)) {
  case WASMFILE_NOT_WASM:
    fprintf(stderr, "sentc: %s is not a WebAssembly module\n", path);
    return 1;
  case WASMFILE_MALFORMED:
    fprintf(stderr, "sentc: %s is not a well-formed WebAssembly module (a section runs past the end)\n", path);
    return 1;
  case WASMFILE_ABSENT:
    fprintf(stderr, "sentc: %s is a WebAssembly module, but not one sentc built (it has no %s section)\n",
            path, IDENT_SECTION);
    return 1;
  case WASMFILE_FOUND: break;
  }
  struct arena *a = arena_new();
  char err[160];
  const struct doc *d = json_parse(a, (const char *)payload, payload_len, err, sizeof err);
  const struct doc *name = d && d->kind == DOC_MAP ? ident_field(d, "policy", DOC_STR) : NULL;
  const struct doc *version = name ? ident_field(d, "sentc", DOC_STR) : NULL;
  const struct doc *digest = version ? ident_field(d, "source_sha256", DOC_STR) : NULL;
  const struct doc *tables = digest ? ident_field(d, "tables_version", DOC_NUM) : NULL;
  int status = 0;
  if (!tables) {
    fprintf(stderr, "sentc: %s has a %s section, but it is not one sentc wrote\n", path, IDENT_SECTION);
    status = 1;
  } else {
    char module[65];
    sha256_hex(wasm, len, module);
    fputs("policy: ", out);
    json_quote(out, name->text, name->len);
    fprintf(out, "\nsource sha256: %.*s\nsentc: %.*s\ntables version: %.*s\nmodule sha256: %s\n",
            (int)digest->len, digest->text, (int)version->len, version->text,
            (int)tables->len, tables->text, module);
  }
  arena_free(a);
  return status;
}

int ident_inspect(const char *path, FILE *out) {
  size_t len;
  char *wasm = read_regular_file(path, IDENT_MAX_MODULE_BYTES, &len);
  if (!wasm) {
    fprintf(stderr, "sentc: cannot read %s: %s\n", path,
            source_read_error(errno, IDENT_MAX_MODULE_BYTES));
    return 2;
  }
  int status = ident_print(path, (const uint8_t *)wasm, len, out);
  free(wasm);
  return status;
}
