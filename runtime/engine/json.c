/*
 * json.c: the JSON reader (see json.h): a recursive descent over RFC 8259,
 * depth-bounded, that writes tokens in document order.
 */
#include <string.h>
#include "json.h"

#define MAX_DEPTH 32
/* What may follow a backslash in a string (besides u), and what each
 * stands for (memchr, not strchr: musl's strchr is 400 bytes of main.wasm). */
static const char ESCAPES[] = "\"\\/bfnrt";

struct reader {
  const char *text;
  size_t len, at;
  struct sentc_json_token *tokens;
  uint32_t n, max;
  const char *error;
};

static int fail(struct reader *r, const char *error) {
  if (!r->error)
    r->error = error;
  return -1;
}

static void skip_space(struct reader *r) {
  while (r->at < r->len && (r->text[r->at] == ' ' || r->text[r->at] == '\t' ||
                            r->text[r->at] == '\n' || r->text[r->at] == '\r'))
    r->at++;
}

static int add(struct reader *r, enum sentc_json_type type, size_t start) {
  if (r->n == r->max)
    return fail(r, "too many values");
  r->tokens[r->n] = (struct sentc_json_token){.type = (uint8_t)type, .start = (uint32_t)start};
  return (int)r->n++;
}

static int hex(char c) {
  return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

static int string(struct reader *r) {
  int t = add(r, SENTC_JSON_STRING, ++r->at);
  if (t < 0)
    return -1;
  while (r->at < r->len && r->text[r->at] != '"') {
    unsigned char c = (unsigned char)r->text[r->at];
    if (c < 0x20)
      return fail(r, "a control character in a string");
    if (c == '\\') {
      if (++r->at == r->len)
        break;
      c = (unsigned char)r->text[r->at];
      if (c == 'u') {
        for (int i = 1; i <= 4; i++)
          if (r->at + i >= r->len || hex(r->text[r->at + i]) < 0)
            return fail(r, "a bad \\u escape");
        r->at += 4;
      } else if (!memchr(ESCAPES, c, sizeof ESCAPES)) {   /* its NUL too, as strchr */
        return fail(r, "a bad escape in a string");
      }
    }
    r->at++;
  }
  if (r->at == r->len)
    return fail(r, "a string that does not end");
  r->tokens[t].end = (uint32_t)r->at++;
  return t;
}

static int number(struct reader *r) {
  size_t start = r->at;
  if (r->text[r->at] == '-')
    r->at++;
  size_t digits = r->at;
  while (r->at < r->len && r->text[r->at] >= '0' && r->text[r->at] <= '9')
    r->at++;
  if (r->at == digits || (r->text[digits] == '0' && r->at - digits > 1))
    return fail(r, "a bad number");
  if (r->at < r->len && r->text[r->at] == '.') {
    size_t frac = ++r->at;
    while (r->at < r->len && r->text[r->at] >= '0' && r->text[r->at] <= '9')
      r->at++;
    if (r->at == frac)
      return fail(r, "a bad number");
  }
  if (r->at < r->len && (r->text[r->at] == 'e' || r->text[r->at] == 'E')) {
    r->at++;
    if (r->at < r->len && (r->text[r->at] == '+' || r->text[r->at] == '-'))
      r->at++;
    size_t exp = r->at;
    while (r->at < r->len && r->text[r->at] >= '0' && r->text[r->at] <= '9')
      r->at++;
    if (r->at == exp)
      return fail(r, "a bad number");
  }
  int t = add(r, SENTC_JSON_NUMBER, start);
  if (t >= 0)
    r->tokens[t].end = (uint32_t)r->at;
  return t;
}

static int word(struct reader *r, const char *w, enum sentc_json_type type) {
  size_t n = strlen(w);
  if (r->len - r->at < n || memcmp(r->text + r->at, w, n) != 0)
    return fail(r, "an unexpected character (expected a value)");
  int t = add(r, type, r->at);
  r->at += n;
  if (t >= 0)
    r->tokens[t].end = (uint32_t)r->at;
  return t;
}

static int value(struct reader *r, int depth);

/* An object's or an array's members, after its opening bracket. */
static int container(struct reader *r, int depth, int object) {
  int t = add(r, object ? SENTC_JSON_OBJECT : SENTC_JSON_ARRAY, r->at++);
  if (t < 0)
    return -1;
  if (depth > MAX_DEPTH)
    return fail(r, "nested too deep");
  char close = object ? '}' : ']';
  skip_space(r);
  if (r->at < r->len && r->text[r->at] == close) {
    r->at++;
  } else {
    for (;;) {
      skip_space(r);
      if (object) {
        if (r->at == r->len || r->text[r->at] != '"')
          return fail(r, "expected a member name in quotes");
        int key = string(r);
        if (key < 0)
          return -1;
        r->tokens[key].next = r->n;
        skip_space(r);
        if (r->at == r->len || r->text[r->at] != ':')
          return fail(r, "expected ':' after a member name");
        r->at++;
      }
      if (value(r, depth + 1) < 0)
        return -1;
      r->tokens[t].size++;
      skip_space(r);
      if (r->at < r->len && r->text[r->at] == ',') {
        r->at++;
        continue;
      }
      if (r->at < r->len && r->text[r->at] == close) {
        r->at++;
        break;
      }
      return fail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  r->tokens[t].end = (uint32_t)r->at;
  return t;
}

static int value(struct reader *r, int depth) {
  skip_space(r);
  if (r->at == r->len)
    return fail(r, "the text ends where a value was expected");
  int t;
  switch (r->text[r->at]) {
  case '{': t = container(r, depth, 1); break;
  case '[': t = container(r, depth, 0); break;
  case '"': t = string(r); break;
  case 't': t = word(r, "true", SENTC_JSON_TRUE); break;
  case 'f': t = word(r, "false", SENTC_JSON_FALSE); break;
  case 'n': t = word(r, "null", SENTC_JSON_NULL); break;
  default:
    t = (r->text[r->at] == '-' || (r->text[r->at] >= '0' && r->text[r->at] <= '9'))
            ? number(r) : fail(r, "an unexpected character (expected a value)");
  }
  if (t >= 0)
    r->tokens[t].next = r->n;
  return t;
}

int sentc_json_parse(const char *text, size_t len, struct sentc_json_token *tokens,
                     uint32_t max, const char **error, size_t *at) {
  struct reader r = {text, len, 0, tokens, 0, max, NULL};
  if (value(&r, 0) >= 0) {
    skip_space(&r);
    if (r.at == r.len)
      return (int)r.n;
    fail(&r, "more text after the value");
  }
  *error = r.error;
  *at = r.at;
  return -1;
}

int sentc_json_string(const char *text, const struct sentc_json_token *t, char *out, size_t room) {
  size_t n = 0;
  for (uint32_t i = t->start; i < t->end; i++) {
    char c = text[i];
    if (c == '\\') {
      c = text[++i];
      if (c == 'u') {
        int code = hex(text[i + 1]) << 12 | hex(text[i + 2]) << 8 | hex(text[i + 3]) << 4 |
                   hex(text[i + 4]);
        if (code == 0 || code > 0x7f)
          return -1;
        c = (char)code;
        i += 4;
      } else {
        static const char to[] = "\"\\/\b\f\n\r\t";
        c = to[(const char *)memchr(ESCAPES, c, sizeof ESCAPES) - ESCAPES];
      }
    }
    if (c == 0 || n + 1 >= room)
      return -1;
    out[n++] = c;
  }
  out[n] = 0;
  return (int)n;
}

int32_t sentc_json_member(const char *text, const struct sentc_json_token *tokens, uint32_t object,
                          const char *key) {
  size_t len = strlen(key);
  uint32_t at = object + 1;
  for (uint32_t m = 0; m < tokens[object].size; m++) {
    const struct sentc_json_token *k = &tokens[at];
    if (k->end - k->start == len && memcmp(text + k->start, key, len) == 0)
      return (int32_t)(at + 1);
    at = tokens[at + 1].next;
  }
  return -1;
}
