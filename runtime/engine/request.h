/*
 * request.h: what the policy may look at in a request or a connection.
 *
 * The ABI layer hands the engine one of these per request; the engine and
 * the matcher read it.  Strings are not NUL-terminated and may be empty;
 * missing ones are empty.  Every read of a fact from Envoy is a host call,
 * which is most of what a filter costs, so a request pays only for what
 * its policy looks at: the facts below are read when something first asks
 * for them (sentc_request_method...: the matcher reads the path, then the
 * method only for a resource that names methods, the authority only for
 * one that names hosts...), and headers other than these are looked up on
 * demand through `header`.
 */
#ifndef SENTC_REQUEST_H
#define SENTC_REQUEST_H

#include <stddef.h>
#include <stdint.h>

/* The facts a request is read for on demand: bits of `known`. */
enum sentc_fact {
  SENTC_FACT_METHOD = 1u << 0,
  SENTC_FACT_PATH = 1u << 1,
  SENTC_FACT_AUTHORITY = 1u << 2,
  SENTC_FACT_GRPC = 1u << 3,
  SENTC_FACT_PEER = 1u << 4,
};

struct sentc_request {
  uint8_t protocol;            /* enum sentc_protocol (tables.h) */
  const char *method;
  size_t method_len;
  const char *path;            /* as received: with query, not yet normalized */
  size_t path_len;
  const char *authority;       /* :authority (host), possibly with a port */
  size_t authority_len;
  int grpc;                    /* content-type starts with application/grpc */
  uint16_t port;               /* TCP: the destination port */
  const char *peer;            /* downstream address "ip:port" or "ip" */
  size_t peer_len;
  /* With `read` NULL every fact above is filled in by whoever made the
   * request.  Otherwise a fact whose bit is not in `known` is not yet:
   * read(request, fact) fills it in (and sets its bit) when it is first
   * asked for.  The request is the same, only read late: a `const` request
   * may still be filled in this way. */
  uint32_t known;
  void (*read)(struct sentc_request *request, uint32_t fact);
  /* The facts the host could not hand over (not: that were absent), as
   * enum sentc_fact bits: the policy's on_error decides (engine.c, keys.c). */
  uint32_t unreadable;
  /* The first value of request header `name` (lower case), or NULL: absent,
   * or with *value_len SENTC_UNREADABLE when the host could not hand it
   * over (then the rule that wanted it follows on_error). */
  const char *(*header)(void *ctx, const char *name, size_t name_len, size_t *value_len);
  void *header_ctx;
};

#define SENTC_UNREADABLE SIZE_MAX

/* Makes sure fact `fact` of `r` is filled in. */
static inline void sentc_request_need(const struct sentc_request *r, uint32_t fact) {
  if (r->read && !(r->known & fact))
    r->read((struct sentc_request *)r, fact);
}

static inline const char *sentc_request_method(const struct sentc_request *r, size_t *len) {
  sentc_request_need(r, SENTC_FACT_METHOD);
  *len = r->method ? r->method_len : 0;
  return r->method ? r->method : "";
}

static inline const char *sentc_request_path(const struct sentc_request *r, size_t *len) {
  sentc_request_need(r, SENTC_FACT_PATH);
  *len = r->path ? r->path_len : 0;
  return r->path ? r->path : "";
}

static inline const char *sentc_request_authority(const struct sentc_request *r, size_t *len) {
  sentc_request_need(r, SENTC_FACT_AUTHORITY);
  *len = r->authority ? r->authority_len : 0;
  return r->authority ? r->authority : "";
}

static inline int sentc_request_grpc(const struct sentc_request *r) {
  sentc_request_need(r, SENTC_FACT_GRPC);
  return r->grpc;
}

/* The peer address, or NULL when there is none. */
static inline const char *sentc_request_peer(const struct sentc_request *r, size_t *len) {
  sentc_request_need(r, SENTC_FACT_PEER);
  *len = r->peer ? r->peer_len : 0;
  return r->peer;
}

#endif
