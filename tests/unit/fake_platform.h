/*
 * fake_platform.h: the engine's platform (runtime/engine/platform.h) for
 * native unit tests: counters kept in memory, readable by name.
 */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H

#include <stdint.h>

/* The value of the counter called `name`, or -1 if it was never defined. */
int64_t fake_counter(const char *name);
void fake_platform_reset(void);

#endif
