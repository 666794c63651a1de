/*
 * fuzz_alloc.h: the runtime fuzzer's allocator, forced into every engine
 * file (-include) when tests/fuzz/fuzz_runtime is built, so that the
 * fuzzer can count each VM's bytes and make any allocation fail.  The
 * engine's own sources stay plain C; only that build sees these macros.
 */
#ifndef FUZZ_ALLOC_H
#define FUZZ_ALLOC_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void *fuzz_malloc(size_t size);
void *fuzz_calloc(size_t n, size_t size);
void *fuzz_realloc(void *p, size_t size);
void fuzz_free(void *p);

#define malloc fuzz_malloc
#define calloc fuzz_calloc
#define realloc fuzz_realloc
#define free fuzz_free

#endif
