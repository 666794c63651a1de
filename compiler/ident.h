/*
 * ident.h: the policy's identity, so that an operator can tell which
 * policy a pod runs.  sentc appends it to main.wasm as a custom section
 * named "sentc.identity" holding one JSON object:
 *
 *   {"policy":"shop","sentc":"0.1.0","source_sha256":"<64 hex>","tables_version":4}
 *
 * source_sha256 is the SHA-256 of the policy source: the bytes of the main
 * file followed by those of every included file, in the order sentc read
 * them (for a policy without includes, what `sha256sum policy.sentinel`
 * prints).  `sentc --inspect main.wasm` prints it back.
 */
#ifndef SENTC_IDENT_H
#define SENTC_IDENT_H

#include <stdio.h>
#include <stddef.h>
#include "ir.h"

#define IDENT_SECTION "sentc.identity"

/* The SHA-256 of every source file read so far (source.h), in order, as
 * hex: the digest the identity section and the start-up log line name. */
void ident_source_digest(char hex[65]);

/* The identity section's JSON (malloc'ed) for a checked policy whose
 * sources are in the source table. */
char *ident_json(const struct ir_policy *policy, size_t *len);

/* `sentc --inspect FILE`: prints the identity of a module, or says plainly
 * that the file is not WebAssembly or not a sentc module.  Returns the exit
 * status: 0 a sentc module, 1 not one, 2 the file cannot be read. */
int ident_inspect(const char *path, FILE *out);

#endif
