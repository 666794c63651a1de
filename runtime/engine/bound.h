/*
 * bound.h: assertions on the internal bounds the engine trusts (effects a
 * stream can hold, stream and cell indices, slots of a table).  They hold
 * by construction; an assertion says where, and in the native build (unit
 * tests, fuzzing, sanitizers) a broken one stops at once.  In main.wasm
 * they compile to nothing: a trap would fail every stream of the worker,
 * and the inputs that reach these places are already bounded by the tables.
 */
#ifndef SENTC_BOUND_H
#define SENTC_BOUND_H

#if defined(__wasm__) || defined(NDEBUG)
#define SENTC_ASSERT(condition) ((void)0)
#else
#include <assert.h>
#define SENTC_ASSERT(condition) assert(condition)
#endif

#endif
