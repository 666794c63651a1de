/*
 * warmup.c: the warm-up curve (see warmup.h).
 */
#include <math.h>
#include <float.h>
#include "warmup.h"

void sentc_warmup_curve(struct sentc_warmup_curve *c, double count, uint32_t window_ms,
                        uint32_t warmup_ms, double cold) {
  double periods = (double)warmup_ms / window_ms;
  c->count = count;
  c->cold = cold;
  c->window_ms = window_ms;
  c->warning = periods * count / (cold - 1);
  c->max = c->warning + 2 * periods * count / (1 + cold);
  c->slope = (cold - 1) / count / (c->max - c->warning);
}

static void roll(const struct sentc_warmup_curve *c, struct sentc_warmup *s, int64_t now) {
  int64_t start = now - now % c->window_ms;
  if (start == s->window_start)
    return;
  s->previous_passes = start - s->window_start == c->window_ms ? s->passes : 0;
  s->passes = 0;
  s->window_start = start;
}

/* sentinel-golang syncToken + coolDownTokens, once per window. */
static void refill(const struct sentc_warmup_curve *c, struct sentc_warmup *s, int64_t now) {
  int64_t start = now - now % c->window_ms;
  if (s->filled && start <= s->last_filled)
    return;
  double tokens = s->stored;
  double added = s->filled ? (double)(start - s->last_filled) * c->count / c->window_ms : c->max;
  if (tokens < c->warning ||
      (tokens > c->warning && s->previous_passes < (uint32_t)(c->count / c->cold)))
    tokens += added;
  if (tokens > c->max)
    tokens = c->max;
  tokens -= s->previous_passes;
  s->stored = tokens < 0 ? 0 : tokens;
  s->last_filled = start;
  s->filled = 1;
}

double sentc_warmup_allowed(const struct sentc_warmup_curve *c, struct sentc_warmup *s,
                            int64_t now) {
  roll(c, s, now);
  refill(c, s, now);
  if (s->stored < c->warning)
    return c->count;
  double above = s->stored - c->warning;
  return nextafter(1.0 / (above * c->slope + 1.0 / c->count), DBL_MAX);
}

void sentc_warmup_count(const struct sentc_warmup_curve *c, struct sentc_warmup *s,
                        int64_t now, int n) {
  if (n > 0) {
    roll(c, s, now);
    s->passes += n;
  } else if (now - now % c->window_ms == s->window_start && s->passes > 0) {
    s->passes--;    /* taken back in its own window; a past one's is used as it was */
  }
}
