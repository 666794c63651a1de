/*
 * json.c: a recursive-descent JSON reader and a compact writer (json.h).
 * Nesting is limited so that a hostile file cannot exhaust the stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "util.h"

#define JSON_MAX_DEPTH 64

struct json_reader {
  struct arena *a;
  const char *p, *start, *end;
  char *err;
  size_t err_size;
  int failed;
};

static void json_fail(struct json_reader *r, const char *what) {
  if (r->failed)
    return;
  r->failed = 1;
  int line = 1, col = 1;
  for (const char *q = r->start; q < r->p && q < r->end; q++) {
    if (*q == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  snprintf(r->err, r->err_size, "line %d, column %d: %s", line, col, what);
}

static void json_space(struct json_reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

static int json_hex4(struct json_reader *r, unsigned *out) {
  if (r->end - r->p < 4)
    return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = r->p[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0)
      return 0;
    v = v * 16 + (unsigned)d;
  }
  r->p += 4;
  *out = v;
  return 1;
}

static void json_put_utf8(char *buf, size_t *n, unsigned cp) {
  if (cp < 0x80) {
    buf[(*n)++] = (char)cp;
  } else if (cp < 0x800) {
    buf[(*n)++] = (char)(0xc0 | cp >> 6);
    buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    buf[(*n)++] = (char)(0xe0 | cp >> 12);
    buf[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
    buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
  } else {
    buf[(*n)++] = (char)(0xf0 | cp >> 18);
    buf[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3f));
    buf[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
    buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
  }
}

/* A string at r->p (past the opening quote is done here); decoded bytes. */
static char *json_string_body(struct json_reader *r, size_t *len) {
  r->p++;
  char *buf = xmalloc((size_t)(r->end - r->p) + 1);
  size_t n = 0;
  while (r->p < r->end && *r->p != '"') {
    unsigned char c = (unsigned char)*r->p;
    if (c < 0x20) {
      json_fail(r, "a control character inside a string (write it as \\n, \\t or \\u00XX)");
      break;
    }
    if (c != '\\') {
      buf[n++] = (char)c;
      r->p++;
      continue;
    }
    r->p++;
    char e = r->p < r->end ? *r->p++ : 0;
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e && simple) {
      buf[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
    } else if (e == 'u') {
      unsigned cp, lo;
      if (!json_hex4(r, &cp)) {
        json_fail(r, "\\u needs four hex digits");
        break;
      }
      if (cp >= 0xd800 && cp < 0xdc00 && r->end - r->p >= 6 && r->p[0] == '\\' &&
          r->p[1] == 'u') {
        r->p += 2;
        if (!json_hex4(r, &lo) || lo < 0xdc00 || lo > 0xdfff) {
          json_fail(r, "a \\u surrogate pair is broken");
          break;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      json_put_utf8(buf, &n, cp);
    } else {
      json_fail(r, "unknown escape in a string");
      break;
    }
  }
  if (!r->failed && r->p >= r->end)
    json_fail(r, "a string is not closed");
  r->p++;
  *len = n;
  return buf;
}

static struct doc *json_value(struct json_reader *r, int depth);

static struct doc *json_container(struct json_reader *r, int depth, int is_map) {
  struct doc *d = is_map ? doc_map(r->a) : doc_list(r->a);
  char close = is_map ? '}' : ']';
  r->p++;
  json_space(r);
  if (r->p < r->end && *r->p == close) {
    r->p++;
    return d;
  }
  for (;;) {
    json_space(r);
    if (is_map) {
      if (r->p >= r->end || *r->p != '"') {
        json_fail(r, "expected a \"key\"");
        return NULL;
      }
      size_t klen;
      char *key = json_string_body(r, &klen);
      json_space(r);
      if (!r->failed && (r->p >= r->end || *r->p != ':'))
        json_fail(r, "expected ':' after a key");
      r->p++;
      struct doc *v = r->failed ? NULL : json_value(r, depth + 1);
      if (v)
        doc_setn(r->a, d, key, klen, v);
      free(key);
      if (!v)
        return NULL;
    } else {
      struct doc *v = json_value(r, depth + 1);
      if (!v)
        return NULL;
      doc_add(r->a, d, v);
    }
    json_space(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == close) {
      r->p++;
      return d;
    }
    json_fail(r, is_map ? "expected ',' or '}'" : "expected ',' or ']'");
    return NULL;
  }
}

static struct doc *json_number(struct json_reader *r) {
  const char *s = r->p;
  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p < r->end && *r->p == '0') {
    r->p++;
  } else if (r->p < r->end && *r->p >= '1' && *r->p <= '9') {
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
      r->p++;
  } else {
    json_fail(r, "expected a value");
    return NULL;
  }
  if (r->p < r->end && *r->p == '.') {
    r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
      json_fail(r, "a digit must follow '.'");
      return NULL;
    }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
      r->p++;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
      r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
      json_fail(r, "a digit must follow the exponent");
      return NULL;
    }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
      r->p++;
  }
  return doc_num(r->a, s, (size_t)(r->p - s));
}

static int json_word(struct json_reader *r, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) >= n && memcmp(r->p, word, n) == 0) {
    r->p += n;
    return 1;
  }
  return 0;
}

static struct doc *json_value(struct json_reader *r, int depth) {
  json_space(r);
  if (depth > JSON_MAX_DEPTH) {
    json_fail(r, "nested more than 64 levels deep");
    return NULL;
  }
  if (r->p >= r->end) {
    json_fail(r, "expected a value, found the end of the file");
    return NULL;
  }
  switch (*r->p) {
  case '{': return json_container(r, depth, 1);
  case '[': return json_container(r, depth, 0);
  case '"': {
    size_t len;
    char *s = json_string_body(r, &len);
    struct doc *d = r->failed ? NULL : doc_strn(r->a, s, len);
    free(s);
    return d;
  }
  case 't': if (json_word(r, "true")) return doc_bool(r->a, 1); break;
  case 'f': if (json_word(r, "false")) return doc_bool(r->a, 0); break;
  case 'n': if (json_word(r, "null")) return doc_null(r->a); break;
  default: return json_number(r);
  }
  json_fail(r, "expected a value");
  return NULL;
}

struct doc *json_parse(struct arena *a, const char *text, size_t len, char *err, size_t err_size) {
  struct json_reader r = {a, text, text, text + len, err, err_size, 0};
  struct doc *d = json_value(&r, 0);
  json_space(&r);
  if (d && !r.failed && r.p < r.end)
    json_fail(&r, "text after the JSON value");
  return r.failed ? NULL : d;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if it is not one. */
static size_t json_utf8_len(const unsigned char *s, size_t n) {
  size_t len = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
  if (len == 0 || len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return len;
}

void json_quote(FILE *out, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  putc('"', out);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = p[i];
    size_t u;
    if (c == '"' || c == '\\') {
      putc('\\', out);
      putc(c, out);
    } else if (c == '\n') {
      fputs("\\n", out);
    } else if (c == '\t') {
      fputs("\\t", out);
    } else if (c == '\r') {
      fputs("\\r", out);
    } else if (c < 0x20 || c == 0x7f) {
      fprintf(out, "\\u%04x", c);
    } else if (c < 0x80) {
      putc(c, out);
    } else if ((u = json_utf8_len(p + i, len - i)) > 0) {
      fwrite(p + i, 1, u, out);
      i += u - 1;
    } else {
      fprintf(out, "\\u%04x", c);
    }
  }
  putc('"', out);
}

void json_write(FILE *out, const struct doc *d) {
  switch (d->kind) {
  case DOC_NULL: fputs("null", out); break;
  case DOC_BOOL: fputs(d->boolean ? "true" : "false", out); break;
  case DOC_NUM: fwrite(d->text, 1, d->len, out); break;
  case DOC_STR: json_quote(out, d->text, d->len); break;
  case DOC_LIST:
  case DOC_MAP:
    putc(d->kind == DOC_MAP ? '{' : '[', out);
    for (size_t i = 0; i < d->n; i++) {
      if (i)
        putc(',', out);
      if (d->kind == DOC_MAP) {
        json_quote(out, d->items[i].key, d->items[i].key_len);
        putc(':', out);
      }
      json_write(out, d->items[i].value);
    }
    putc(d->kind == DOC_MAP ? '}' : ']', out);
    break;
  }
}

char *json_text(const struct doc *d, size_t *len) {
  char *buf = NULL;
  size_t n = 0;
  FILE *out = open_memstream(&buf, &n);
  if (!out) {
    fputs("sentc: out of memory\n", stderr);
    exit(2);
  }
  json_write(out, d);
  fclose(out);
  if (len)
    *len = n;
  return buf;
}
