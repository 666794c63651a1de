/*
 * rls.c: the rate-limit service's messages in protobuf wire format, and
 * the spelling of descriptor values (see rls.h and tables.h).
 *
 * Field numbers are those of Envoy's rls.proto (envoy.service.ratelimit.v3)
 * and ratelimit.proto (envoy.extensions.common.ratelimit.v3); tests/rls
 * checks what this file writes and reads against those files themselves.
 */
#include <string.h>
#include "rls.h"

/* Wire types. */
enum { VARINT = 0, I64 = 1, LEN = 2, I32 = 5 };

/* ---- writing ---- */

static size_t varint_bytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* A length-delimited field of `len` bytes, tag included (field < 16). */
static size_t field_bytes(size_t len) { return 1 + varint_bytes(len) + len; }

static void put_byte(struct sentc_rls_request *w, uint8_t b) {
  if (w->at < w->end)
    *w->at++ = b;
  else
    w->overflow = 1;
}

static void put_varint(struct sentc_rls_request *w, uint64_t v) {
  while (v >= 0x80) {
    put_byte(w, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  put_byte(w, (uint8_t)v);
}

/* The tag and length of a LEN field whose bytes follow. */
static void put_head(struct sentc_rls_request *w, unsigned field, size_t len) {
  put_byte(w, (uint8_t)(field << 3 | LEN));
  put_varint(w, len);
}

static void put_bytes(struct sentc_rls_request *w, unsigned field, const char *text, size_t len) {
  put_head(w, field, len);
  if ((size_t)(w->end - w->at) < len) {
    w->overflow = 1;
    w->at = w->end;
    return;
  }
  if (len)                       /* text may be NULL when empty */
    memcpy(w->at, text, len);
  w->at += len;
}

static size_t entry_bytes(size_t key, size_t value) {
  return field_bytes(key) + field_bytes(value);
}

void sentc_rls_start(struct sentc_rls_request *w, void *buf, size_t room,
                     const struct sentc_string *domain) {
  *w = (struct sentc_rls_request){.at = buf, .end = (uint8_t *)buf + room};
  put_bytes(w, 1, domain->text, domain->len);      /* RateLimitRequest.domain */
}

static size_t descriptor_bytes(const struct sentc_rls_descriptor *d, size_t value_len, int value) {
  size_t n = 0;
  for (uint32_t i = 0; i < d->n_entries; i++)
    n += field_bytes(entry_bytes(d->entries[i].key.len, d->entries[i].value.len));
  if (value)
    n += field_bytes(entry_bytes(d->value_key.len, value_len));
  return n;
}

size_t sentc_rls_descriptor_bytes(const struct sentc_rls_descriptor *d) {
  return field_bytes(descriptor_bytes(d, SENTC_RLS_VALUE_MAX, d->value_key.len > 0));
}

static void put_entry(struct sentc_rls_request *w, const char *key, size_t key_len,
                      const char *value, size_t value_len) {
  put_head(w, 1, entry_bytes(key_len, value_len));  /* RateLimitDescriptor.entries */
  put_bytes(w, 1, key, key_len);                    /* Entry.key */
  put_bytes(w, 2, value, value_len);                /* Entry.value */
}

void sentc_rls_add(struct sentc_rls_request *w, const struct sentc_rls_descriptor *d,
                   const char *value, size_t value_len) {
  put_head(w, 2, descriptor_bytes(d, value_len, value != NULL));  /* RateLimitRequest.descriptors */
  for (uint32_t i = 0; i < d->n_entries; i++)
    put_entry(w, d->entries[i].key.text, d->entries[i].key.len, d->entries[i].value.text,
              d->entries[i].value.len);
  if (value)
    put_entry(w, d->value_key.text, d->value_key.len, value, value_len);
}

size_t sentc_rls_finish(struct sentc_rls_request *w, const void *buf) {
  return w->overflow ? 0 : (size_t)(w->at - (const uint8_t *)buf);
}

size_t sentc_rls_grpc_service(const struct sentc_string *cluster, void *buf, size_t room) {
  struct sentc_rls_request w = {.at = buf, .end = (uint8_t *)buf + room};
  put_head(&w, 1, field_bytes(cluster->len));       /* GrpcService.envoy_grpc */
  put_bytes(&w, 1, cluster->text, cluster->len);    /* EnvoyGrpc.cluster_name */
  return sentc_rls_finish(&w, buf);
}

/* ---- reading ---- */

struct reader {
  const uint8_t *at, *end;
};

static int get_varint(struct reader *r, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (r->at >= r->end)
      return -1;
    uint8_t b = *r->at++;
    if (shift == 63 && b > 1)
      return -1;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return 0;
  }
  return -1;
}

/* The next field's number and wire type; -1 at a malformed tag. */
static int get_tag(struct reader *r, uint32_t *field, unsigned *type) {
  uint64_t tag;
  if (get_varint(r, &tag) != 0 || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
    return -1;
  *field = (uint32_t)(tag >> 3);
  *type = (unsigned)(tag & 7);
  return 0;
}

/* A LEN field's bytes, as a reader of their own. */
static int get_len(struct reader *r, struct reader *inner) {
  uint64_t len;
  if (get_varint(r, &len) != 0 || len > (uint64_t)(r->end - r->at))
    return -1;
  *inner = (struct reader){r->at, r->at + len};
  r->at += len;
  return 0;
}

/* Skips a fixed-size value (I64, I32); -1 for the groups (3, 4) and the
 * undefined wire types 6 and 7. */
static int skip(struct reader *r, unsigned type) {
  size_t n = type == I64 ? 8 : type == I32 ? 4 : 0;
  if (!n || (size_t)(r->end - r->at) < n)
    return -1;
  r->at += n;
  return 0;
}

/* One field of a message: its number, its wire type, and its value: a
 * VARINT's in `varint`, a LEN's bytes as `bytes`; the other wire types
 * are skipped. */
struct field {
  uint32_t number;
  unsigned type;
  uint64_t varint;
  struct reader bytes;
};

/* The next field of the message `r` reads, into *f: 1, or 0 at its end,
 * -1 at malformed bytes. */
static int next_field(struct reader *r, struct field *f) {
  if (r->at >= r->end)
    return 0;
  f->varint = 0;
  if (get_tag(r, &f->number, &f->type) != 0)
    return -1;
  int bad = f->type == VARINT ? get_varint(r, &f->varint)
            : f->type == LEN  ? get_len(r, &f->bytes)
                              : skip(r, f->type);
  return bad ? -1 : 1;
}

/* A field of a known number must come with its wire type. */
#define EXPECT(want) \
  if (f.type != (want)) \
    return -1;

/* RateLimitResponse.RateLimit: requests_per_unit 1, unit 2 (name 3 and
 * the rest skipped). */
static int read_limit(struct reader r, struct sentc_rls_status *s) {
  s->has_limit = 1;
  struct field f;
  int more;
  while ((more = next_field(&r, &f)) > 0) {
    if (f.number == 1) {
      EXPECT(VARINT);
      s->requests_per_unit = (uint32_t)f.varint;
    } else if (f.number == 2) {
      EXPECT(VARINT);
      s->unit = f.varint < SENTC_N_RLS_UNITS ? (uint8_t)f.varint : SENTC_RLS_UNKNOWN;
    }
  }
  return more;
}

/* google.protobuf.Duration: seconds 1, nanos 2; negative counts as 0. */
static int read_duration(struct reader r, struct sentc_rls_status *s) {
  int64_t seconds = 0, nanos = 0;
  struct field f;
  int more;
  while ((more = next_field(&r, &f)) > 0) {
    if (f.number == 1) {
      EXPECT(VARINT);
      seconds = (int64_t)f.varint;
    } else if (f.number == 2) {
      EXPECT(VARINT);
      nanos = (int32_t)(uint32_t)f.varint;
    }
  }
  if (more < 0)
    return -1;
  s->has_reset = 1;
  if (seconds < 0 || (seconds == 0 && nanos <= 0))
    s->reset_ms = 0;
  else if (seconds > 315576000000)             /* protobuf's bound: 10,000 years */
    s->reset_ms = (uint64_t)315576000000 * 1000;
  else
    s->reset_ms = (uint64_t)seconds * 1000 + (nanos > 0 ? ((uint64_t)nanos + 999999) / 1000000 : 0);
  return 0;
}

/* DescriptorStatus: code 1, current_limit 2, limit_remaining 3,
 * duration_until_reset 4 (quota 5 and the rest skipped). */
static int read_status(struct reader r, struct sentc_rls_status *s) {
  struct field f;
  int more;
  while ((more = next_field(&r, &f)) > 0) {
    if (f.number == 1) {
      EXPECT(VARINT);
      s->code = f.varint <= SENTC_RLS_OVER_LIMIT ? (uint8_t)f.varint : SENTC_RLS_CODE_UNKNOWN;
    } else if (f.number == 3) {
      EXPECT(VARINT);
      s->remaining = (uint32_t)f.varint;
    } else if (f.number == 2 || f.number == 4) {
      EXPECT(LEN);
      if ((f.number == 2 ? read_limit(f.bytes, s) : read_duration(f.bytes, s)) != 0)
        return -1;
    }
  }
  return more;
}

/* RateLimitResponse: overall_code 1, statuses 2 (the rest skipped). */
int sentc_rls_read(const void *bytes, size_t len, struct sentc_rls_answer *a) {
  struct reader r = {bytes, (const uint8_t *)bytes + len};
  a->overall = SENTC_RLS_CODE_UNKNOWN;
  a->n_statuses = 0;
  struct field f;
  int more;
  while ((more = next_field(&r, &f)) > 0) {
    if (f.number == 1) {
      EXPECT(VARINT);
      a->overall = f.varint <= SENTC_RLS_OVER_LIMIT ? (uint8_t)f.varint : SENTC_RLS_CODE_UNKNOWN;
    } else if (f.number == 2) {
      EXPECT(LEN);
      struct sentc_rls_status ignored, *s = a->n_statuses < a->room ? &a->statuses[a->n_statuses] : &ignored;
      *s = (struct sentc_rls_status){0};
      if (read_status(f.bytes, s) != 0)
        return -1;
      if (a->n_statuses < UINT32_MAX)
        a->n_statuses++;
    }
  }
  return more;
}

/* ---- the spelling of a value ---- */

/* The length of the valid UTF-8 sequence at s (n bytes left) that is not
 * a control character, or 0. */
static size_t utf8_char(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80)
    return c >= 0x20 && c != 0x7f ? 1 : 0;
  size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (len == 0 || len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||   /* overlong; surrogates */
      (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))     /* overlong; past U+10FFFF */
    return 0;
  if (c == 0xc2 && s[1] < 0xa0)                                      /* C1 controls */
    return 0;
  return len;
}

static const char hex[] = "0123456789ABCDEF";

size_t sentc_rls_value(const char *value, size_t len, char *out) {
  enum { KEEP = SENTC_RLS_VALUE_MAX - 17 };        /* room left for "~" and 16 hex digits */
  const uint8_t *s = (const uint8_t *)value;
  size_t n = 0, cut = 0;                           /* cut: a piece boundary within KEEP */
  for (size_t i = 0; i < len;) {
    size_t take = s[i] == '%' ? 0 : utf8_char(s + i, len - i);
    size_t piece = take ? take : 3;
    if (n + piece > SENTC_RLS_VALUE_MAX) {         /* too long: keep a head, add the hash */
      uint64_t h = 14695981039346656037ull;
      for (size_t k = 0; k < len; k++)
        h = (h ^ s[k]) * 1099511628211ull;
      n = cut;
      out[n++] = '~';
      for (int shift = 60; shift >= 0; shift -= 4)
        out[n++] = hex[(h >> shift) & 15];
      return n;
    }
    if (take) {
      memcpy(out + n, s + i, take);
    } else {
      out[n] = '%';
      out[n + 1] = hex[s[i] >> 4];
      out[n + 2] = hex[s[i] & 15];
      take = 1;
    }
    n += piece;
    i += take;
    if (n <= KEEP)
      cut = n;
  }
  return n;
}
