/*
 * config.h: the plugin configuration (Envoy's `configuration`, Istio's
 * `pluginConfig`: JSON, docs/operations.md), applied to a compiled policy
 * without a rebuild: rules and resources switched off or on, put in shadow
 * or enforce mode, and new thresholds.
 *
 * The engine runs `live`, a copy of the compiled tables whose rule and
 * resource arrays this file owns; a configuration is checked against the
 * compiled policy as a whole and applied to a fresh copy, which then takes
 * the place of the old one, or rejected, leaving the old one as it was.
 * A configuration is the whole truth: what it does not mention is as
 * compiled.  Only values change, never the layout of state, so the state
 * of every rule (windows, buckets, breakers, permits) carries over.
 */
#ifndef SENTC_CONFIG_H
#define SENTC_CONFIG_H

#include <stddef.h>
#include "../tables.h"
#include "engine.h"         /* SENTC_CONFIG_MAX */
#include "text.h"

/* The arrays of one version of the live policy. */
struct sentc_config_arrays {
  struct sentc_resource *resources;
#define SENTC_CONFIG_ARRAY(K, k, status, grpc, tcp) struct sentc_##k *k;
  SENTC_RULE_KINDS(SENTC_CONFIG_ARRAY)
#undef SENTC_CONFIG_ARRAY
  struct sentc_item *items;     /* hotspot items, every rule's in a row */
  char *values;                 /* the text of items the configuration added */
};

struct sentc_config {
  const struct sentc_policy *compiled;
  struct sentc_policy live;     /* what the engine runs (engine.c: E->policy) */
  struct sentc_config_arrays arrays;
};

/* Sets up `live` as a copy of `compiled`: 0, or -1 without memory. */
int sentc_config_start(struct sentc_config *c, const struct sentc_policy *compiled);
void sentc_config_stop(struct sentc_config *c);

/* Applies configuration `text` (`len` bytes; empty means "{}"; NULL: it
 * could not be read, or was not, being over SENTC_CONFIG_MAX): 0, with
 * what differs from the compiled policy written to `out`; or -1, with
 * what is wrong (its JSON path first) written to `out` and `live` left as
 * it was. */
int sentc_config_apply(struct sentc_config *c, const char *text, size_t len, struct sentc_text *out);

#endif
