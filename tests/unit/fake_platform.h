/*
 * fake_platform.h: the engine's platform (runtime/engine/platform.h) for
 * native unit tests: counters kept in memory and readable by name, a fixed
 * random source, and a record of resumed streams and tick wishes.
 */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H

#include <stdint.h>

/* The value of the counter called `name`, or -1 if it was never defined. */
int64_t fake_counter(const char *name);
void fake_platform_reset(void);

/* Streams resumed since the last reset, in order, and how many. */
extern uint32_t fake_resumed[1024];
extern int fake_n_resumed;

/* The last tick period the engine asked for (0: none), and how many times
 * it asked. */
extern uint32_t fake_wake_ms;
extern int fake_wake_calls;

#endif
