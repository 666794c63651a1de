/*
 * shared.h: proxy cells (state.h) in Proxy-Wasm shared data, for state.c.
 *
 * Each proxy cell is one shared-data key, "sentc/NAME/HASH/N" (N: the cell's
 * rank among the proxy cells, the same in every VM because cells are
 * reserved in table order), holding the cell's bytes followed, for each
 * permit field, by SENTC_VM_SLOTS {token, count} shares (vmreg.h).  Keys
 * are bounded by the policy: one per cell, plus the registry and the seed.
 */
#ifndef SENTC_SHARED_H
#define SENTC_SHARED_H

#include <stddef.h>
#include <stdint.h>
#include "../tables.h"

void sentc_shared_namespace(const struct sentc_string *name, uint64_t hash);
uint32_t sentc_shared_reserve(uint32_t size, const uint32_t *permit_offsets, uint32_t n_permits);
int sentc_shared_seal(void);
void sentc_shared_reset(void);

/* `reuse`: may start from the copy got earlier in this callback. */
uint32_t sentc_shared_load(uint32_t cell, void *out, int reuse);
int sentc_shared_store(uint32_t cell, const void *in, uint32_t version);

/* The update of `cell` to `in` gave up: permits it gave back stay given
 * back in this VM's share, and are written with its next store. */
void sentc_shared_give_up(uint32_t cell, const void *in);

void sentc_shared_agree(void *value, uint32_t len);

/* Proxy cells reserved, and their bytes as stored (permit shares included). */
uint32_t sentc_shared_cells(void);
uint64_t sentc_shared_bytes(void);

/* Whether the policy has proxy cells (sealed). */
int sentc_shared_in_use(void);

/* The full key for `suffix` in this policy's namespace; valid until the
 * next call. */
const char *sentc_shared_key(const char *suffix, size_t *len);

#endif
