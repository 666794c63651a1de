/*
 * toolchain.h: turns generated C into main.wasm with the wasm32 clang that
 * configure found and the runtime built for wasm32 at `make` time.
 */
#ifndef SENTC_TOOLCHAIN_H
#define SENTC_TOOLCHAIN_H

/* Compiles c_file with the runtime into out_wasm.  Problems are printed to
 * stderr; returns 0 on success, -1 on failure. */
int toolchain_build(const char *c_file, const char *out_wasm);

/* The directory holding the runtime objects and tables.h, or NULL. */
const char *toolchain_runtime_dir(void);

#endif
