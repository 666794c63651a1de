/*
 * keys.c: hotspot keys (see keys.h).  Query and cookie values are taken as
 * they are written (no decoding): the key is the client's spelling.  The
 * request's facts a key needs are read when it asks (request.h); one the
 * host could not hand over makes the key unreadable, as a header does.
 */
#include <string.h>
#include "keys.h"

static const char *header(const struct sentc_request *r, const char *name, size_t name_len,
                          size_t *len) {
  return r->header ? r->header(r->header_ctx, name, name_len, len) : NULL;
}

/* The value of `name` in "a=1<sep>b=2", skipping spaces after separators. */
static const char *pair_value(const char *s, size_t n, char sep, const struct sentc_string *name,
                              size_t *len) {
  size_t i = 0;
  while (i < n) {
    while (i < n && s[i] == ' ')
      i++;
    size_t end = i;
    while (end < n && s[end] != sep)
      end++;
    if (end - i > name->len && memcmp(s + i, name->text, name->len) == 0 && s[i + name->len] == '=') {
      *len = end - i - name->len - 1;
      return s + i + name->len + 1;
    }
    i = end + 1;
  }
  return NULL;
}

/* A fact of the request read for a key: NULL with *len SENTC_UNREADABLE
 * when the host could not hand it over. */
static const char *fact(const struct sentc_request *r, uint32_t which, size_t *len) {
  const char *v = which == SENTC_FACT_PATH ? sentc_request_path(r, len)
                  : which == SENTC_FACT_METHOD ? sentc_request_method(r, len)
                  : which == SENTC_FACT_AUTHORITY ? sentc_request_authority(r, len)
                  : sentc_request_peer(r, len);
  if (r->unreadable & which) {
    *len = SENTC_UNREADABLE;
    return NULL;
  }
  return v;
}

static const char *query_value(const struct sentc_request *r, const struct sentc_string *name,
                               size_t *len) {
  size_t path_len;
  const char *path = fact(r, SENTC_FACT_PATH, &path_len);
  if (!path) {
    *len = path_len;
    return NULL;
  }
  const char *q = memchr(path, '?', path_len);
  if (!q)
    return NULL;
  size_t n = path_len - (size_t)(q + 1 - path);
  const char *hash = memchr(q + 1, '#', n);
  if (hash)
    n = (size_t)(hash - q - 1);
  return pair_value(q + 1, n, '&', name, len);
}

/* "1.2.3.4:5" -> "1.2.3.4"; "[::1]:5" -> "::1". */
static const char *strip_port(const char *a, size_t n, size_t *len) {
  if (n && a[0] == '[') {
    const char *close = memchr(a, ']', n);
    *len = close ? (size_t)(close - a - 1) : n - 1;
    return a + 1;
  }
  const char *colon = memchr(a, ':', n);
  if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - a)))
    n = (size_t)(colon - a);
  *len = n;
  return a;
}

static const char *trim(const char *s, size_t n, size_t *len) {
  while (n && *s == ' ') s++, n--;
  while (n && s[n - 1] == ' ') n--;
  *len = n;
  return s;
}

/* x-forwarded-for "a, b, c" with `hops` trusted hops: c for 0, b for 1. */
static const char *xff_address(const char *s, size_t n, unsigned hops, size_t *len) {
  size_t end = n;
  for (unsigned skipped = 0;; skipped++) {
    size_t start = end;
    while (start > 0 && s[start - 1] != ',')
      start--;
    if (skipped == hops)
      return trim(s + start, end - start, len);
    if (start == 0)
      return NULL;
    end = start - 1;
  }
}

static const char *client_ip(const struct sentc_request *r, const struct sentc_client_ip_policy *p,
                             size_t *len) {
  if (p->source == SENTC_CLIENT_IP_XFF) {
    size_t n = 0;
    const char *xff = header(r, "x-forwarded-for", 15, &n);
    if (!xff && n == SENTC_UNREADABLE) {
      *len = n;
      return NULL;
    }
    const char *a = xff ? xff_address(xff, n, p->xff_hops, len) : NULL;
    if (a && *len)
      return a;
  }
  size_t peer_len;
  const char *peer = fact(r, SENTC_FACT_PEER, &peer_len);
  if (!peer && peer_len == SENTC_UNREADABLE)
    *len = peer_len;
  if (!peer || !peer_len || peer_len == SENTC_UNREADABLE)
    return NULL;
  return strip_port(peer, peer_len, len);
}

static const char *lower_host(const char *authority, size_t authority_len, char *buffer,
                              size_t room, size_t *len) {
  size_t n;
  const char *host = strip_port(authority, authority_len, &n);
  if (n > room)
    n = room;
  for (size_t i = 0; i < n; i++)
    buffer[i] = host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i];
  *len = n;
  return buffer;
}

const char *sentc_keys_of(const struct sentc_hotspot *rule, const struct sentc_request *r,
                         const struct sentc_path_view *path,
                         const struct sentc_client_ip_policy *ip, char *buffer, size_t room,
                         size_t *len) {
  size_t n = 0;
  const char *v = NULL;
  /* Keys no hotspot rule of the policy has are left out of main.wasm
   * (tables.h, SENTC_USES): their cases are never taken. */
#define KEY_CASE(K) \
  case K:           \
    if (!SENTC_USES(SENTC_USE_KEY(K))) break;
  switch (rule->key) {
  KEY_CASE(SENTC_KEY_HEADER)
    v = header(r, rule->key_name.text, rule->key_name.len, &n);
    break;
  KEY_CASE(SENTC_KEY_QUERY)
    v = query_value(r, &rule->key_name, &n);
    if (!v && n != SENTC_UNREADABLE)
      n = 0;
    break;
  KEY_CASE(SENTC_KEY_COOKIE) {
    size_t c = 0;
    const char *cookie = header(r, "cookie", 6, &c);
    v = cookie ? pair_value(cookie, c, ';', &rule->key_name, &n) : NULL;
    if (!cookie && c == SENTC_UNREADABLE)
      n = c;
    break;
  }
  KEY_CASE(SENTC_KEY_CLIENT_IP)
    n = 0;
    v = client_ip(r, ip, &n);
    break;
  KEY_CASE(SENTC_KEY_HOST) {
    size_t a;
    const char *authority = fact(r, SENTC_FACT_AUTHORITY, &a);
    v = authority && a ? lower_host(authority, a, buffer, room, &n) : NULL;
    if (!authority)
      n = a;
    break;
  }
  KEY_CASE(SENTC_KEY_PATH) {
    if (path->len) {
      v = path->text;
      n = path->len;
      break;
    }
    size_t p;
    const char *raw = fact(r, SENTC_FACT_PATH, &p);
    if (!raw) {
      n = p;
      break;
    }
    const char *q = memchr(raw, '?', p);
    v = p ? raw : NULL;
    n = q ? (size_t)(q - raw) : p;
    break;
  }
  KEY_CASE(SENTC_KEY_METHOD) {
    size_t m;
    const char *method = fact(r, SENTC_FACT_METHOD, &m);
    v = method && m ? method : NULL;
    n = m;
    break;
  }
  }
#undef KEY_CASE
  *len = v || n == SENTC_UNREADABLE ? n : 0;
  return v;
}
