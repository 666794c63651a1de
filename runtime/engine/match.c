/*
 * match.c: request matching (see match.h and the matcher in tables.h).
 *
 * A request is first reduced to a view: method bit, normalized path,
 * lower-case host without port.  The compiled matcher then walks the path
 * DFA and the host DFA once each; their final states name the candidate
 * resources, which get the rest of their match (method, hosts, headers,
 * gRPC) checked one by one, most of them from their walk entry alone.  Per
 * request this costs the path and host lengths plus the candidates, never
 * the number of resources, and allocates nothing: a path that is canonical
 * already is walked where it is, any other is normalized into the caller's
 * buffer.  The method, host and gRPC-ness are read from the host
 * (request.h) only when some candidate asks about them.  In main.wasm,
 * what no resource of the policy has (hosts, headers, templates: tables.h,
 * SENTC_USES) is left out.
 */
#include <string.h>
#include "match.h"
#include "normalize.h"

#define METHOD(name, bit) {#name, sizeof #name - 1, SENTC_##name},
static const struct { const char *name; size_t len; uint32_t bit; } methods[] = {
  SENTC_METHOD_LIST(METHOD)
};

uint32_t sentc_match_method(const char *method, size_t len) {
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    if (methods[i].len == len && methods[i].name[0] == method[0] &&
        memcmp(methods[i].name, method, len) == 0)
      return methods[i].bit;
  return SENTC_OTHER_METHOD;
}

/* What matching looks at.  path_len 0: no usable path (normalize.h). */
struct view {
  const struct sentc_request *request;
  uint32_t method;            /* 0 until view_method */
  const char *path;
  size_t path_len;
  const char *host;           /* the authority, host_len its host part (view_host) */
  size_t host_len;
};

#define HOST_UNKNOWN SIZE_MAX

/* The host part of an authority: no ":port", no trailing '.'. */
static size_t host_length(const char *authority, size_t len) {
  size_t n = 0;
  if (len > 0 && authority[0] == '[') {          /* [v6]:port */
    while (n < len && authority[n] != ']')
      n++;
    n = n < len ? n + 1 : len;
  } else {
    while (n < len && authority[n] != ':')
      n++;
  }
  if (n > 0 && authority[n - 1] == '.')
    n--;
  return n;
}

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Does host[0, len) end with `want` (lower case), ignoring case? */
static int ends_with_caseless(const char *host, size_t len, const struct sentc_string *want) {
  if (len < want->len)
    return 0;
  const char *tail = host + len - want->len;
  for (uint32_t i = 0; i < want->len; i++)
    if (lower((unsigned char)tail[i]) != (unsigned char)want->text[i])
      return 0;
  return 1;
}

/* The host's length in the authority, found the first time some resource
 * asks for a host (most policies never do); v->host is then the authority. */
static size_t view_host(struct view *v) {
  if (v->host_len == HOST_UNKNOWN) {
    size_t len;
    v->host = sentc_request_authority(v->request, &len);
    v->host_len = host_length(v->host, len);
  }
  return v->host_len;
}

/* The request's method as a bit (enum sentc_method), read when first asked. */
static uint32_t view_method(struct view *v) {
  if (!v->method) {
    size_t len;
    const char *method = sentc_request_method(v->request, &len);
    v->method = sentc_match_method(method, len);
  }
  return v->method;
}

/* Does the host, host[0, len) as received, hold for `want`? */
static int host_holds(const struct sentc_host *want, const char *host, size_t len) {
  if (want->wildcard)                  /* ".example.com" needs something before it */
    return len > want->name.len && ends_with_caseless(host, len, &want->name);
  return len == want->name.len && ends_with_caseless(host, len, &want->name);
}

/* A template: {x} takes one non-empty segment; a last "**" segment takes
 * nothing, or a '/' and anything after it: "/a/{id}" then "**" holds for
 * "/a/1", "/a/1/" and "/a/1/b/c". */
static int template_holds(const struct sentc_string *t, const char *path, size_t len) {
  size_t i = 0, j = 0;
  while (i < t->len) {
    if (t->text[i] == '{') {
      while (i < t->len && t->text[i] != '}')
        i++;
      i++;
      size_t start = j;
      while (j < len && path[j] != '/')
        j++;
      if (j == start)
        return 0;
    } else if (t->len - i == 3 && memcmp(t->text + i, "/**", 3) == 0) {
      return j == len || path[j] == '/';
    } else if (j < len && t->text[i] == path[j]) {
      i++;
      j++;
    } else {
      return 0;
    }
  }
  return j == len;
}

static int path_holds(const struct sentc_path *want, const struct view *v) {
  if (v->path_len == 0 || (want->grpc && !sentc_request_grpc(v->request)))
    return 0;
  switch (want->kind) {
  case SENTC_PATH_EXACT:
    return v->path_len == want->text.len && memcmp(v->path, want->text.text, v->path_len) == 0;
  case SENTC_PATH_PREFIX:
    return v->path_len >= want->text.len &&
           memcmp(v->path, want->text.text, want->text.len) == 0;
  default:
    return SENTC_USES(SENTC_USE_TEMPLATES) && template_holds(&want->text, v->path, v->path_len);
  }
}

static int header_holds(const struct sentc_header_match *want, const struct view *v) {
  const struct sentc_request *r = v->request;
  size_t len = 0;
  const char *value = r->header ? r->header(r->header_ctx, want->name.text, want->name.len, &len)
                                : NULL;
  switch (want->op) {
  case SENTC_HEADER_PRESENT: return value != NULL;
  case SENTC_HEADER_ABSENT: return value == NULL;
  case SENTC_HEADER_EXACT:
    return value && len == want->value.len && memcmp(value, want->value.text, len) == 0;
  default:
    return value && len >= want->value.len && memcmp(value, want->value.text, want->value.len) == 0;
  }
}

static int port_listed(const struct sentc_match *m, uint16_t port) {
  for (uint32_t i = 0; i < m->n_ports; i++)
    if (m->ports[i] == port)
      return 1;
  return 0;
}

/* Everything but the paths; the hosts too unless `hosts_known` (the host
 * walk found this resource). */
static int rest_holds(const struct sentc_match *m, struct view *v, int hosts_known) {
  if (m->protocol != v->request->protocol)
    return 0;
  if (m->protocol == SENTC_TCP)
    return m->n_ports == 0 || port_listed(m, v->request->port);
  if (m->methods && !(m->methods & view_method(v)))
    return 0;
  if (SENTC_USES(SENTC_USE_HOSTS) && m->n_hosts && !hosts_known) {
    size_t host_len = view_host(v);            /* v->host is read only after it */
    uint32_t i = 0;
    while (i < m->n_hosts && !host_holds(&m->hosts[i], v->host, host_len))
      i++;
    if (i == m->n_hosts)
      return 0;
  }
  if (SENTC_USES(SENTC_USE_HEADERS))
    for (uint32_t i = 0; i < m->n_headers; i++)
      if (!header_holds(&m->headers[i], v))
        return 0;
  return 1;
}

static int match_holds(const struct sentc_match *m, struct view *v) {
  if (m->n_paths) {
    uint32_t i = 0;
    while (i < m->n_paths && !path_holds(&m->paths[i], v))
      i++;
    if (i == m->n_paths)
      return 0;
  }
  return rest_holds(m, v, 0);
}

int sentc_match_path(const struct sentc_request *r, char *buffer, struct sentc_path_view *path) {
  path->len = 0;
  path->text = "";
  if (r->protocol != SENTC_HTTP)
    return 0;
  size_t len;
  const char *raw = sentc_request_path(r, &len);
  const char *text = sentc_normalized_path(raw, len, buffer, SENTC_PATH_MAX, &path->len);
  if (!text)
    return -1;
  path->text = text;
  return 0;
}

static void make_view(const struct sentc_request *r, const struct sentc_path_view *path,
                      struct view *v) {
  *v = (struct view){.request = r, .path = path->text, .path_len = path->len,
                     .host_len = HOST_UNKNOWN};
}

uint32_t sentc_match_resources_naive(const struct sentc_policy *policy,
                                     const struct sentc_request *request,
                                     const struct sentc_path_view *path, uint32_t *out) {
  struct view v;
  make_view(request, path, &v);
  uint32_t n = 0;
  for (uint32_t i = 0; i < policy->n_resources; i++)
    if (match_holds(&policy->resources[i].match, &v))
      out[n++] = i;
  return n;
}

/* ---- the compiled matcher ---- */

/* One byte of a walk (tables.h): a dense state looks its row up, a sparse
 * one scans its few inline edges, sorted by byte. */
static inline uint32_t dfa_step(const struct sentc_dfa *d, uint32_t state, unsigned char byte) {
  const uint32_t *s = d->code + state;
  if (s[0] == SENTC_DFA_DENSE)
    return s[2 + d->byte_class[byte]];
  for (const uint32_t *edge = s + 2, *end = edge + s[0]; edge < end; edge++) {
    uint32_t edge_byte = *edge & 0xff;
    if (edge_byte >= byte)
      return edge_byte == byte ? *edge >> 8 : s[1];
  }
  return s[1];
}

/* Does the input start with the n bytes of a run record's words?  Four
 * bytes at a time (the compiler makes each word one load). */
static int run_holds(const uint32_t *words, uint32_t n, const char *in) {
  const unsigned char *b = (const unsigned char *)in;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4)
    if (((uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
         (uint32_t)b[i + 3] << 24) != words[i / 4])
      return 0;
  for (; i < n; i++)
    if (b[i] != (words[i / 4] >> (i % 4 * 8) & 0xff))
      return 0;
  return 1;
}

/* Where the path walk ends: runs take a whole stretch of bytes at once,
 * and a state that keeps every byte but one skips straight to that byte
 * (the tail of a prefix or a "**" keeps all, a {x} all but '/'). */
static uint32_t walk_path(const struct sentc_dfa *d, const char *path, size_t len) {
  uint32_t state = d->start;
  for (size_t i = 0; i < len && state != SENTC_DFA_DEAD;) {
    const uint32_t *s = d->code + state;
    if (s[1] == state && s[0] <= 1) {          /* sparse, `other` is itself */
      if (s[0] == 0)
        return state;
      while (i < len && (unsigned char)path[i] != (s[2] & 0xff))
        i++;
      if (i == len)
        return state;
      state = s[2] >> 8;
      i++;
    } else if (s[0] != SENTC_DFA_DENSE && (s[0] & SENTC_DFA_RUN)) {
      uint32_t n = s[0] & ~SENTC_DFA_RUN;
      if (len - i < n || !run_holds(s + 2, n, path + i))
        return SENTC_DFA_DEAD;
      state = s[1];
      i += n;
    } else {
      state = dfa_step(d, state, (unsigned char)path[i++]);
    }
  }
  return state;
}

/* A sorted run of candidates: matcher entries (tables.h) or plain
 * resource indices (shift 0), whose whole match is then tested. */
struct run {
  const uint32_t *next, *end;
  int shift;
  int hosts_known;            /* found by the host walk */
};

/* The entries accepted where a walk ended. */
static struct run accepted(const struct sentc_dfa *d, uint32_t state, int hosts_known) {
  const uint32_t *s = d->code + state;
  uint32_t width = s[0] == SENTC_DFA_DENSE ? d->n_classes
                   : s[0] & SENTC_DFA_RUN ? ((s[0] & ~SENTC_DFA_RUN) + 3) / 4
                   : s[0];
  const uint32_t *n_accept = s + 2 + width;
  if (*n_accept & SENTC_DFA_SHARED)
    n_accept = d->code + (*n_accept & ~SENTC_DFA_SHARED);
  return (struct run){n_accept + 1, n_accept + 1 + *n_accept, SENTC_ENTRY_RESOURCE_SHIFT,
                      hosts_known};
}

static struct run path_candidates(const struct sentc_dfa *d, const struct view *v) {
  if (!d->code || v->path_len == 0)
    return (struct run){NULL, NULL, 0, 0};
  return accepted(d, walk_path(d, v->path, v->path_len), 0);
}

/* The host DFA reads the host backwards, so "*.example.com" is a prefix. */
static struct run host_candidates(const struct sentc_dfa *d, struct view *v) {
  if (!SENTC_USES(SENTC_USE_HOSTS) || !d->code)
    return (struct run){NULL, NULL, 0, 0};
  size_t len = view_host(v);
  const char *host = v->host;
  uint32_t state = d->start;
  for (size_t i = len; i > 0 && state != SENTC_DFA_DEAD; i--)
    state = dfa_step(d, state, lower((unsigned char)host[i - 1]));
  return accepted(d, state, 1);
}

/* A walk's entry: the entry itself says whether it needs gRPC and which
 * methods it takes, so a candidate's sentc_match (likely not in cache with
 * many resources) is read only when it has hosts or headers to check. */
static int entry_holds(const struct sentc_policy *p, uint32_t entry, struct view *v,
                       int hosts_known) {
  uint32_t methods = entry >> SENTC_ENTRY_METHOD_SHIFT & SENTC_ENTRY_METHODS;
  if ((entry & SENTC_ENTRY_GRPC) && !sentc_request_grpc(v->request))
    return 0;
  if (methods && !(methods & view_method(v)))
    return 0;
  return !(entry & SENTC_ENTRY_MORE) ||
         rest_holds(&p->resources[entry >> SENTC_ENTRY_RESOURCE_SHIFT].match, v, hosts_known);
}

/* Takes the run whose next resource comes first; NULL when all are done. */
static struct run *first_run(struct run *runs, size_t n) {
  struct run *best = NULL;
  for (size_t i = 0; i < n; i++)
    if (runs[i].next < runs[i].end &&
        (!best || (*runs[i].next >> runs[i].shift) < (*best->next >> best->shift)))
      best = &runs[i];
  return best;
}

/* Adds r to runs unless it is empty: most requests have one run at most. */
static void add_run(struct run *runs, size_t *n, struct run r) {
  if (r.next < r.end)
    runs[(*n)++] = r;
}

uint32_t sentc_match_resources(const struct sentc_policy *policy,
                               const struct sentc_request *request,
                               const struct sentc_path_view *path, uint32_t *out) {
  const struct sentc_matcher *m = policy->matcher;
  if (!m)
    return sentc_match_resources_naive(policy, request, path, out);
  struct view v;
  make_view(request, path, &v);
  struct run runs[3];
  size_t n_runs = 0;
  /* (An empty list may be a null pointer: no arithmetic on it.) */
  if (request->protocol == SENTC_TCP) {
    if (m->n_tcp)
      add_run(runs, &n_runs, (struct run){m->tcp, m->tcp + m->n_tcp, 0, 0});
  } else {
    add_run(runs, &n_runs, path_candidates(&m->paths, &v));
    add_run(runs, &n_runs, host_candidates(&m->hosts, &v));
    if (m->n_http_any)
      add_run(runs, &n_runs, (struct run){m->http_any, m->http_any + m->n_http_any, 0, 0});
  }
  uint32_t n = 0;
  for (struct run *r; (r = first_run(runs, n_runs)) != NULL; r->next++) {
    uint32_t entry = *r->next, resource = entry >> r->shift;
    if (r->shift ? entry_holds(policy, entry, &v, r->hosts_known)
                 : match_holds(&policy->resources[resource].match, &v))
      out[n++] = resource;
  }
  return n;
}
