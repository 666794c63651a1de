/*
 * keys.h: the value a hotspot rule limits, taken from a request.
 */
#ifndef SENTC_KEYS_H
#define SENTC_KEYS_H

#include <stddef.h>
#include "../tables.h"
#include "match.h"
#include "request.h"

/* Where the client address comes from (policy `client_ip`). */
struct sentc_client_ip_policy {
  uint8_t source;     /* enum sentc_client_ip */
  uint8_t xff_hops;
};

/* The key of `rule` in `request`, whose normalized path is `path`
 * (match.h: path keys are spelled as the matcher spells paths, so that
 * "//api/x" and "/%61pi/x" are "/api/x"; a path that cannot be normalized
 * is its own key, up to the query): a pointer into the request, `path` or
 * `buffer` (room `room`), its length in *len; NULL when the request has no
 * such key (the rule is then skipped), with *len SENTC_UNREADABLE when a
 * header it needs could not be read (request.h). */
const char *sentc_keys_of(const struct sentc_hotspot *rule, const struct sentc_request *request,
                         const struct sentc_path_view *path,
                         const struct sentc_client_ip_policy *client_ip, char *buffer,
                         size_t room, size_t *len);

#endif
