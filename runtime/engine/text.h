/*
 * text.h: writing text into a fixed buffer, for log lines and names (no
 * stdio in main.wasm: it would import WASI file calls).  A writer never
 * writes past its end: what does not fit is cut.
 */
#ifndef SENTC_TEXT_H
#define SENTC_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"

struct sentc_text {
  char *at, *end;
};

static inline struct sentc_text sentc_text_on(char *buffer, size_t room) {
  return (struct sentc_text){buffer, buffer + room};
}

void sentc_text_bytes(struct sentc_text *t, const char *bytes, size_t len);
void sentc_text_str(struct sentc_text *t, const char *s);
void sentc_text_string(struct sentc_text *t, const struct sentc_string *s);
void sentc_text_uint(struct sentc_text *t, uint64_t n);
/* A ratio as a percentage with one decimal: 0.5234 -> "52.3%". */
void sentc_text_percent(struct sentc_text *t, double ratio);

#endif
