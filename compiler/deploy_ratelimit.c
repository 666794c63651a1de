/*
 * deploy_ratelimit.c: the rate-limit service's configuration and cluster
 * (see deploy_ratelimit.h).
 *
 * envoyproxy/ratelimit reads YAML files of this shape (one per domain):
 *
 *   domain: shop
 *   descriptors:
 *     - key: resource
 *       value: checkout
 *       descriptors:
 *         - key: rule
 *           value: flow
 *           rate_limit: {unit: second, requests_per_unit: 100}
 *
 * A request's descriptor [resource=checkout, rule=flow] then counts against
 * that limit.  A hotspot rule's level has one more, `key: value` without a
 * value (each value its own counter) and one `value: ITEM` per item.
 */
#include <stdlib.h>
#include <string.h>
#include "deploy_ratelimit.h"
#include "ratelimit.h"
#include "yaml.h"

static struct doc *limit_doc(struct arena *a, uint32_t count, uint32_t window_ms) {
  struct doc *l = doc_map(a);
  doc_set(a, l, "unit", doc_str(a, ratelimit_unit_word(ratelimit_unit(window_ms))));
  doc_set(a, l, "requests_per_unit", doc_int(a, count));
  return l;
}

/* {key: KEY, value: VALUE} (no value when NULL). */
static struct doc *level(struct arena *a, struct doc *list, const char *key, const char *value,
                         size_t len) {
  struct doc *m = doc_map_in(a, list);
  doc_set(a, m, "key", doc_str(a, key));
  if (value)
    doc_set(a, m, "value", doc_strn(a, value, len));
  return m;
}

/* A hotspot rule's values: any value at the rule's rate, items at theirs. */
static void hotspot_values(struct arena *a, struct doc *rule, const struct ir_hotspot *h,
                           const char *key) {
  struct doc *values = doc_list_at(a, rule, "descriptors");
  doc_set(a, level(a, values, key, NULL, 0), "rate_limit", limit_doc(a, h->count, h->window_ms));
  for (size_t k = 0; k < h->n_items; k++) {
    char spelled[SENTC_RLS_VALUE_MAX];
    size_t len = sentc_rls_value(h->items[k].value.text, h->items[k].value.len, spelled);
    struct doc *item = level(a, values, key, spelled, len);
    doc_set(a, item, "rate_limit", limit_doc(a, h->items[k].count, h->items[k].window_ms));
  }
}

struct doc *deploy_ratelimit_config(const struct deploy *d) {
  struct arena *a = d->arena;
  const struct ir_policy *p = d->policy;
  struct ratelimit_descriptor *ds;
  size_t n = ratelimit_descriptors(p, &ds);
  struct doc *config = doc_map(a);
  doc_set(a, config, "domain", doc_strn(a, p->rls.domain.text, p->rls.domain.len));
  struct doc *resources = doc_list_at(a, config, "descriptors");
  for (size_t r = 0; r < p->n_resources; r++) {
    struct doc *rules = NULL;
    for (size_t i = 0; i < n; i++) {
      const struct ratelimit_descriptor *x = &ds[i];
      if (x->resource != &p->resources[r])
        continue;
      if (!rules)
        rules = doc_list_at(a, level(a, resources, x->entries[0].key, x->entries[0].value,
                                     x->entries[0].len), "descriptors");
      struct doc *rule = level(a, rules, x->entries[1].key, x->entries[1].value, x->entries[1].len);
      if (x->kind == SENTC_KIND_HOTSPOT)
        hotspot_values(a, rule, &p->hotspot[x->rule], x->value_key);
      else
        doc_set(a, rule, "rate_limit", limit_doc(a, x->count, x->window_ms));
    }
  }
  free(ds);
  return config;
}

int deploy_ratelimit_write(const struct deploy *d, const char *path) {
  if (!ratelimit_used(d->policy)) {
    fprintf(stderr, "sentc: --ratelimit-config: policy %s has no rule in scope cluster, so the "
                    "rate-limit service has nothing to count\n", d->policy->name.text);
    return -1;
  }
  static const char *const notes[] = {
    "For envoyproxy/ratelimit: one file of its runtime directory",
    "(RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config/). See docs/cluster.md.",
    NULL,
  };
  struct doc *docs[] = {deploy_ratelimit_config(d), NULL};
  return deploy_write_yaml(d, path, "envoyproxy/ratelimit configuration", docs, notes);
}

char *deploy_ratelimit_text(const struct deploy *d, size_t *len) {
  char *text = NULL;
  FILE *out = open_memstream(&text, len);
  if (!out) {
    fputs("sentc: out of memory\n", stderr);
    exit(2);
  }
  yaml_write(out, deploy_ratelimit_config(d));
  fclose(out);
  return text;
}

struct doc *deploy_ratelimit_cluster(const struct deploy *d, const char *host, int port) {
  struct arena *a = d->arena;
  const struct ir_rls *rls = &d->policy->rls;
  struct doc *c = doc_map(a);
  doc_set(a, c, "name", doc_strn(a, rls->cluster.text, rls->cluster.len));
  doc_set(a, c, "type", doc_str(a, "STRICT_DNS"));
  doc_set(a, c, "connect_timeout", doc_str(a, "1s"));
  /* gRPC needs HTTP/2 to the service. */
  static const char options[] = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  struct doc *typed = doc_set(a, doc_map_at(a, c, "typed_extension_protocol_options"), options,
                              deploy_typed(d, options));
  doc_map_at(a, doc_map_at(a, typed, "explicit_http_config"), "http2_protocol_options");
  struct doc *load = doc_map_at(a, c, "load_assignment");
  doc_set(a, load, "cluster_name", doc_strn(a, rls->cluster.text, rls->cluster.len));
  struct doc *endpoints = doc_map_in(a, doc_list_at(a, load, "endpoints"));
  struct doc *lb = doc_map_in(a, doc_list_at(a, endpoints, "lb_endpoints"));
  struct doc *sock = doc_map_at(a, doc_map_at(a, doc_map_at(a, lb, "endpoint"), "address"),
                                "socket_address");
  doc_set(a, sock, "address", doc_str(a, host));
  doc_set(a, sock, "port_value", doc_int(a, port));
  return c;
}
