/*
 * check_values.c: argument validation shared by every statement (see
 * check_values.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "check_values.h"
#include "diag.h"
#include "schema.h"

const struct value *single_arg(const struct stmt *s, enum value_kind kind, const char *example) {
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, v, kind, example) ||
      !args_done(s, v->next))
    return NULL;
  return v;
}

int no_args(const struct stmt *s) {
  return stmt_no_block(s) && !args_bad(s) && args_done(s, s->args);
}

/* What a value is the value of: the NAME just before it (`error_count 0`,
 * `xff 99`), else the statement's keyword (`concurrency -1`). */
static const char *subject(const struct stmt *s, const struct value *v) {
  const char *name = s->keyword;
  for (const struct value *a = s->args; a && a != v; a = a->next)
    if (a->kind == V_NAME)
      name = a->text;
  return name;
}

int value_uint(const struct stmt *s, const struct value *v, uint32_t lo, uint32_t hi,
               const char *example, uint32_t *out) {
  if (!arg_need(s, v, V_INT, example))
    return 0;
  if (v->number < lo || v->number > hi) {
    diag_error(v->loc, "'%s' must be from %u to %u", subject(s, v), lo, hi);
    return 0;
  }
  *out = (uint32_t)v->number;
  return 1;
}

void value_ms_word(char *buf, size_t size, uint32_t ms) {
  if (ms == 0)
    snprintf(buf, size, "0ms");
  else if (ms % 3600000 == 0)
    snprintf(buf, size, "%uh", ms / 3600000);
  else if (ms % 60000 == 0)
    snprintf(buf, size, "%um", ms / 60000);
  else if (ms % 1000 == 0)
    snprintf(buf, size, "%us", ms / 1000);
  else
    snprintf(buf, size, "%ums", ms);
}

int value_duration(const struct stmt *s, const struct value *v, uint32_t lo_ms, uint32_t hi_ms,
                   const char *example, uint32_t *out) {
  if (!arg_need(s, v, V_DURATION, example))
    return 0;
  if (v->ms < lo_ms || v->ms > hi_ms) {
    char lo[32], hi[32];
    value_ms_word(lo, sizeof lo, lo_ms);
    value_ms_word(hi, sizeof hi, hi_ms);
    diag_error(v->loc, "'%s' must be from %s to %s", subject(s, v), lo, hi);
    return 0;
  }
  *out = (uint32_t)v->ms;
  return 1;
}

int value_ratio(const struct stmt *s, const struct value *v, const char *example, double *out) {
  if (v && (v->kind == V_INT || v->kind == V_NUMBER) && (v->number > 1 || v->number < 0)) {
    diag_error(v->loc, "a ratio written as a number must be from 0 to 1");
    if (v->number > 1)
      diag_hint("write %g%% as a percentage, or %g as a number", v->number, v->number / 100);
    return 0;
  }
  if (v && (v->kind == V_INT || v->kind == V_NUMBER)) {
    *out = v->number;
    return 1;
  }
  if (!arg_need(s, v, V_PERCENT, example))
    return 0;
  if (v->number > 1) {
    diag_error(v->loc, "a ratio cannot be above 100%%");
    return 0;
  }
  *out = v->number;
  return 1;
}

/* The smallest factor m (up to 1000: three decimals) that makes count * m
 * whole, or 0. */
int value_rate(const struct stmt *s, const struct value *v, const char *example,
               uint32_t *count, uint32_t *window_ms) {
  if (!arg_need(s, v, V_RATE, example))
    return 0;
  if (v->number > SENTC_MAX_RATE_COUNT) {
    diag_error(v->loc, "a rate's count must be from 0 to %u", SENTC_MAX_RATE_COUNT);
    return 0;
  }
  if (v->ms < 1 || v->ms > SENTC_MAX_WINDOW_MS) {
    diag_error(v->loc, "a rate's window must be from 1ms to 24h");
    return 0;
  }
  /* A decimal count is the same rate counted over a longer window, so that
   * the count is whole: 1.5/s is 3/2s. */
  uint32_t m = sentc_rate_whole_factor(v->number);
  if (m == 0) {
    diag_error(v->loc, "a rate's count may have at most three decimals");
    return 0;
  }
  if ((uint64_t)v->ms * m > SENTC_MAX_WINDOW_MS || round(v->number * m) > SENTC_MAX_RATE_COUNT) {
    diag_error(v->loc, "this rate is %g per %gms, a window longer than 24h", round(v->number * m),
               (double)v->ms * m);
    diag_hint("write it with a whole count, or over a shorter window");
    return 0;
  }
  *count = (uint32_t)round(v->number * m);
  *window_ms = (uint32_t)(v->ms * m);
  return 1;
}

int value_word(const struct stmt *s, const struct value *v, const char *const *words,
               const char *example) {
  if (!arg_need(s, v, V_NAME, example))
    return -1;
  for (int i = 0; words[i]; i++)
    if (strcmp(words[i], v->text) == 0)
      return i;
  char list[128] = "";
  for (int i = 0; words[i]; i++) {
    strcat(list, i == 0 ? "'" : words[i + 1] ? ", '" : " or '");
    strcat(list, words[i]);
    strcat(list, "'");
  }
  diag_error(v->loc, "'%s' takes %s, not '%s'", s->keyword, list, v->text);
  const char *close = diag_closest(v->text, words);
  if (close)
    diag_hint("did you mean '%s'?", close);
  return -1;
}

int single_word(const struct stmt *s, const char *const *words, const char *example) {
  const struct value *v = single_arg(s, V_NAME, example);
  return v ? value_word(s, v, words, example) : -1;
}

int mode_word(const struct stmt *s, const char *example, enum sentc_mode *mode) {
  static const char *const words[] = {"enforce", "shadow", NULL};
  int i = single_word(s, words, example);
  if (i < 0)
    return -1;
  *mode = i == 0 ? SENTC_ENFORCE : SENTC_SHADOW;
  return 0;
}

int scope_word(const struct stmt *s, const char *example, enum sentc_scope *scope) {
  static const char *const words[] = {"proxy", "worker", NULL};
  int i = single_word(s, words, example);
  if (i < 0)
    return -1;
  *scope = i == 0 ? SENTC_SCOPE_PROXY : SENTC_SCOPE_WORKER;
  return 0;
}

/* RFC 9110 token characters: what a header name may hold. */
static int token_char(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

int valid_header_name(const struct value *v, int pseudo) {
  size_t skip = pseudo && v->text_len > 1 && v->text[0] == ':' ? 1 : 0;
  if (v->text_len == skip || v->text_len > MAX_HEADER_NAME_LEN) {
    diag_error(v->loc, "a header name must have 1 to %d characters", MAX_HEADER_NAME_LEN);
    return 0;
  }
  for (size_t i = skip; i < v->text_len; i++)
    if (!token_char((unsigned char)v->text[i])) {
      diag_error(v->loc, "a header name may hold only letters, digits and !#$%%&'*+-.^_`|~");
      if (pseudo && memchr(v->text, ':', v->text_len))
        diag_hint("a request pseudo-header starts with ':', as in \":authority\"");
      return 0;
    }
  return 1;
}
