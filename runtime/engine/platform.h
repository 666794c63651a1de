/*
 * platform.h: the little the engine needs from whatever runs it.
 *
 * The engine is plain C that knows nothing of Proxy-Wasm: in main.wasm the
 * ABI layer (runtime/abi) implements these with proxy_* host calls; the unit
 * tests implement them natively.  Keep this list short.
 */
#ifndef SENTC_PLATFORM_H
#define SENTC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* A process-wide counter named `name`; returns an id for sentc_counter_add,
 * or -1 when counters are unavailable (the engine then just skips them). */
int32_t sentc_counter_define(const char *name, size_t len);

/* Adds n > 0 to a counter from sentc_counter_define. */
void sentc_counter_add(int32_t id, uint32_t n);

#endif
