/*
 * text.c: text into fixed buffers (see text.h).
 */
#include <string.h>
#include "text.h"

void sentc_text_bytes(struct sentc_text *t, const char *bytes, size_t len) {
  size_t room = (size_t)(t->end - t->at);
  if (len > room)
    len = room;
  memcpy(t->at, bytes, len);
  t->at += len;
}

void sentc_text_str(struct sentc_text *t, const char *s) { sentc_text_bytes(t, s, strlen(s)); }

void sentc_text_string(struct sentc_text *t, const struct sentc_string *s) {
  sentc_text_bytes(t, s->text, s->len);
}

void sentc_text_uint(struct sentc_text *t, uint64_t n) {
  char digits[20];
  int i = sizeof digits;
  do {
    digits[--i] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  sentc_text_bytes(t, digits + i, sizeof digits - (size_t)i);
}

void sentc_text_percent(struct sentc_text *t, double ratio) {
  uint64_t tenths = (uint64_t)(ratio * 1000 + 0.5);
  sentc_text_uint(t, tenths / 10);
  sentc_text_bytes(t, ".", 1);
  sentc_text_uint(t, tenths % 10);
  sentc_text_bytes(t, "%", 1);
}
