/*
 * request.h: what the policy may look at in a request or a connection.
 *
 * The ABI layer fills one of these per request from Envoy's headers and
 * properties; the engine and the matcher read it.  Strings are not
 * NUL-terminated and may be empty; missing ones are empty.  Headers other
 * than the ones named here are looked up on demand through `header`, so a
 * request pays only for the headers some rule asks about.
 */
#ifndef SENTC_REQUEST_H
#define SENTC_REQUEST_H

#include <stddef.h>
#include <stdint.h>

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
  /* The host could not hand over one of the above (not: it was absent):
   * the policy's on_error decides (engine.c). */
  uint8_t unreadable;
  /* The first value of request header `name` (lower case), or NULL: absent,
   * or with *value_len SENTC_UNREADABLE when the host could not hand it
   * over (then the rule that wanted it follows on_error). */
  const char *(*header)(void *ctx, const char *name, size_t name_len, size_t *value_len);
  void *header_ctx;
};

#define SENTC_UNREADABLE SIZE_MAX

#endif
