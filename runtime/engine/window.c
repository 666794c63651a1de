/*
 * window.c: bucketed sliding windows with lazy reset (see window.h).
 */
#include <string.h>
#include "window.h"

void sentc_window_add(const struct sentc_window *window, struct sentc_bucket *ring,
                      int64_t now, enum sentc_event event, uint32_t n) {
  int64_t span = window->window_ms / window->buckets;
  int64_t start = now - now % span;
  struct sentc_bucket *bucket = &ring[(now / span) % window->buckets];
  if (bucket->start != start) {
    memset(bucket->count, 0, sizeof bucket->count);
    bucket->start = start;
  }
  bucket->count[event] += n;
}

uint32_t sentc_window_sum(const struct sentc_window *window,
                          const struct sentc_bucket *ring, int64_t now,
                          enum sentc_event event) {
  uint32_t sum = 0;
  for (uint16_t i = 0; i < window->buckets; i++) {
    const struct sentc_bucket *bucket = &ring[i];
    if (bucket->start <= now && now - bucket->start < (int64_t)window->window_ms)
      sum += bucket->count[event];
  }
  return sum;
}
