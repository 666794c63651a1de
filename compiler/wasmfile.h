/*
 * wasmfile.h: just enough of the WebAssembly binary format (the preamble
 * and the section headers, spec section 5.5) to find and append custom
 * sections: sentc appends its identity section to main.wasm after linking,
 * and `sentc --inspect` reads it back from any file.
 */
#ifndef SENTC_WASMFILE_H
#define SENTC_WASMFILE_H

#include <stddef.h>
#include <stdint.h>

enum wasmfile_status { WASMFILE_FOUND, WASMFILE_ABSENT, WASMFILE_NOT_WASM, WASMFILE_MALFORMED };

/* Walks every section of the module; finds the first custom section called
 * `name`.  WASMFILE_NOT_WASM when the preamble (\0asm, version 1) is
 * missing, WASMFILE_MALFORMED when a section overruns the file. */
enum wasmfile_status wasmfile_find(const uint8_t *wasm, size_t len, const char *name,
                                   const uint8_t **payload, size_t *payload_len);

/* A malloc'ed copy of the module with a custom section appended. */
uint8_t *wasmfile_append(const uint8_t *wasm, size_t len, const char *name,
                         const void *payload, size_t payload_len, size_t *out_len);

#endif
