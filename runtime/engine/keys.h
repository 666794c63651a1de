/*
 * keys.h: the value a hotspot rule limits, taken from a request.
 */
#ifndef SENTC_KEYS_H
#define SENTC_KEYS_H

#include <stddef.h>
#include "../tables.h"
#include "request.h"

/* Where the client address comes from (policy `client_ip`). */
struct sentc_client_ip_policy {
  uint8_t source;     /* enum sentc_client_ip */
  uint8_t xff_hops;
};

/* The key of `rule` in `request`: a pointer into the request or into
 * `buffer` (room `room`), its length in *len; NULL when the request has no
 * such key (the rule is then skipped). */
const char *sentc_keys_of(const struct sentc_hotspot *rule, const struct sentc_request *request,
                         const struct sentc_client_ip_policy *client_ip, char *buffer,
                         size_t room, size_t *len);

#endif
