/*
 * tokens.c: the per-value token bucket (see tokens.h).
 */
#include "tokens.h"

int sentc_tokens_take(struct sentc_tokens *b, int64_t now, uint32_t count, uint32_t burst,
                      uint32_t window_ms) {
  int64_t max = (int64_t)count + burst;
  if (count == 0)
    return -1;
  if (!b->seen) {
    *b = (struct sentc_tokens){now, max - 1, 1};
    return 0;
  }
  int64_t elapsed = now - b->refilled_at;
  if (elapsed > (int64_t)window_ms) {
    int64_t added = elapsed * count / window_ms;
    int64_t left = added + b->left > max ? max - 1 : added + b->left - 1;
    if (left < 0)
      return -1;
    b->left = left;
    b->refilled_at = now;
    return 0;
  }
  if (b->left < 1)
    return -1;
  b->left--;
  return 0;
}

int64_t sentc_tokens_next(const struct sentc_tokens *b, uint32_t window_ms) {
  return b->refilled_at + window_ms + 1;
}
