/*
 * window.c: bucketed sliding windows with lazy reset (see window.h).
 */
#include <string.h>
#include "window.h"

int sentc_window_sane(const struct sentc_window *w) {
  return w->buckets > 0 && w->window_ms >= w->buckets && w->window_ms % w->buckets == 0;
}

static struct sentc_bucket *current(const struct sentc_window *window,
                                    struct sentc_bucket *ring, int64_t now) {
  int64_t span = window->window_ms / window->buckets;
  int64_t start = now - now % span;
  struct sentc_bucket *bucket = &ring[(now / span) % window->buckets];
  if (bucket->start != start) {
    memset(bucket, 0, sizeof *bucket);
    bucket->start = start;
  }
  return bucket;
}

static int live(const struct sentc_window *window, const struct sentc_bucket *bucket,
                int64_t now) {
  return bucket->start <= now && now - bucket->start < (int64_t)window->window_ms;
}

void sentc_window_add(const struct sentc_window *window, struct sentc_bucket *ring,
                      int64_t now, enum sentc_event event, uint32_t n) {
  current(window, ring, now)->count[event] += n;
}

void sentc_window_complete(const struct sentc_window *window, struct sentc_bucket *ring,
                           int64_t now, uint32_t rt_ms) {
  struct sentc_bucket *bucket = current(window, ring, now);
  if (bucket->count[SENTC_EV_COMPLETE] == 0 || rt_ms < bucket->min_rt)
    bucket->min_rt = rt_ms;
  bucket->count[SENTC_EV_COMPLETE]++;
  bucket->count[SENTC_EV_RT] += rt_ms;
}

uint32_t sentc_window_sum(const struct sentc_window *window,
                          const struct sentc_bucket *ring, int64_t now,
                          enum sentc_event event) {
  uint32_t sum = 0;
  for (uint16_t i = 0; i < window->buckets; i++)
    if (live(window, &ring[i], now))
      sum += ring[i].count[event];
  return sum;
}

uint32_t sentc_window_max_bucket(const struct sentc_window *window,
                                 const struct sentc_bucket *ring, int64_t now,
                                 enum sentc_event event) {
  uint32_t max = 0;
  for (uint16_t i = 0; i < window->buckets; i++)
    if (live(window, &ring[i], now) && ring[i].count[event] > max)
      max = ring[i].count[event];
  return max;
}

uint32_t sentc_window_min_rt(const struct sentc_window *window,
                             const struct sentc_bucket *ring, int64_t now) {
  uint32_t min = UINT32_MAX;
  for (uint16_t i = 0; i < window->buckets; i++)
    if (live(window, &ring[i], now) && ring[i].count[SENTC_EV_COMPLETE] && ring[i].min_rt < min)
      min = ring[i].min_rt;
  return min;
}

int64_t sentc_window_expiry(const struct sentc_window *window,
                            const struct sentc_bucket *ring, int64_t now,
                            enum sentc_event event) {
  int64_t oldest = INT64_MAX;
  for (uint16_t i = 0; i < window->buckets; i++)
    if (live(window, &ring[i], now) && ring[i].count[event] && ring[i].start < oldest)
      oldest = ring[i].start;
  return oldest == INT64_MAX ? now : oldest + window->window_ms;
}

void sentc_window_clear(const struct sentc_window *window, struct sentc_bucket *ring) {
  memset(ring, 0, window->buckets * sizeof *ring);
}

void sentc_window_take_back(const struct sentc_window *window, struct sentc_bucket *ring,
                            int64_t at, enum sentc_event event) {
  int64_t span = window->window_ms / window->buckets;
  struct sentc_bucket *bucket = &ring[(at / span) % window->buckets];
  if (bucket->start == at - at % span && bucket->count[event] > 0)
    bucket->count[event]--;
}
