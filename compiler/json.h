/*
 * json.h: JSON (RFC 8259) in and out of the document tree of doc.h.  In:
 * the user's plugin configuration file, checked before it is written into
 * Envoy's and Istio's configuration.  Out: the plugin configuration as the
 * string Envoy hands the module, the identity section of main.wasm, the
 * OCI image's manifests.
 */
#ifndef SENTC_JSON_H
#define SENTC_JSON_H

#include <stdio.h>
#include "doc.h"

/* Parses text; NULL with a message "line L, column C: what" in err. */
struct doc *json_parse(struct arena *a, const char *text, size_t len, char *err, size_t err_size);

/* Compact JSON (no spaces), keys in the map's order. */
void json_write(FILE *out, const struct doc *d);
/* The same into a malloc'ed NUL-terminated string. */
char *json_text(const struct doc *d, size_t *len);
/* One JSON string literal for bytes (control bytes and bytes above 127 that
 * are not UTF-8 as \u00XX); also a valid YAML double-quoted scalar. */
void json_quote(FILE *out, const char *s, size_t len);

#endif
