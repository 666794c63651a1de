/*
 * keyspace.h: the names of a policy's shared-data keys.
 *
 * Every key a policy's VMs share is "sentc/NAME/HASH/SUFFIX": the policy's
 * name and its tables' hash (16 hex digits), so two policies, or two
 * versions of one, never see each other's state.  Suffixes: a proxy cell's
 * rank ("0", "1"...), "vms" (the VM registry), "seed" (the hotspot hash
 * seed), "clock" (the process time offset).
 */
#ifndef SENTC_KEYSPACE_H
#define SENTC_KEYSPACE_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"

struct sentc_keyspace {
  char *key;               /* the prefix, then room for a suffix */
  size_t prefix_len;
};

/* Sets the prefix for policy `name` with tables `hash`: 0, or -1 without
 * memory. */
int sentc_keyspace_open(struct sentc_keyspace *k, const struct sentc_string *name, uint64_t hash);
void sentc_keyspace_close(struct sentc_keyspace *k);

/* The full key for `suffix`; valid until the next call. */
const char *sentc_keyspace_key(struct sentc_keyspace *k, const char *suffix, size_t *len);

/* The key of proxy cell number `n`. */
const char *sentc_keyspace_cell(struct sentc_keyspace *k, uint32_t n, size_t *len);

#endif
