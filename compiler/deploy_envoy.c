/*
 * deploy_envoy.c: `sentc --envoy FILE`, a complete Envoy v3 bootstrap for
 * a policy, runnable as `envoy -c FILE` next to main.wasm:
 *
 *   - the admin listener (127.0.0.1, --admin-port, default 9901);
 *   - the HTTP listener (--http-port, default 8099): the connection
 *     manager runs envoy.filters.http.wasm, then the router, to the sample
 *     upstream cluster;
 *   - one TCP listener per port the policy's TCP resources match (a TCP
 *     resource without ports gets --tcp-port, default 18000), running
 *     envoy.filters.network.wasm, then tcp_proxy to the same upstream;
 *   - the upstream cluster `upstream` (--upstream HOST:PORT, default
 *     127.0.0.1:8080);
 *   - with rules in scope cluster, the cluster the policy's
 *     ratelimit_service names, over HTTP/2 to the rate-limit service
 *     (--ratelimit-address HOST:PORT, default 127.0.0.1:8081);
 *   - stats_config.stats_tags turning resource and rule into tags.
 *
 * Every filter carries the same PluginConfig (deploy.c): one vm_id, so all
 * listeners share one VM per worker and one set of proxy-wide budgets.
 */
#include <stdio.h>
#include "deploy.h"
#include "deploy_envoy.h"
#include "deploy_ratelimit.h"
#include "ratelimit.h"

#define HCM_TYPE "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"

static struct doc *envoy_address(const struct deploy *d, const char *host, int port) {
  struct arena *a = d->arena;
  struct doc *addr = doc_map(a);
  struct doc *sock = doc_map_at(a, addr, "socket_address");
  doc_set(a, sock, "address", doc_str(a, host));
  doc_set(a, sock, "port_value", doc_int(a, port));
  return addr;
}

/* A filter entry {name, typed_config} with the Wasm plugin of the policy. */
static struct doc *envoy_wasm_filter(const struct deploy *d, const char *name, const char *type) {
  struct arena *a = d->arena;
  struct doc *f = doc_map(a);
  doc_set(a, f, "name", doc_str(a, name));
  struct doc *typed = doc_set(a, f, "typed_config", deploy_typed(d, type));
  doc_set(a, typed, "config", deploy_plugin_config(d, d->options->module_path));
  return f;
}

static struct doc *envoy_http_listener(const struct deploy *d) {
  struct arena *a = d->arena;
  struct doc *l = doc_map(a);
  doc_set(a, l, "name", doc_str(a, "sentc_http"));
  doc_set(a, l, "address", envoy_address(d, "0.0.0.0", d->options->http_port));
  struct doc *chain = doc_map_in(a, doc_list_at(a, l, "filter_chains"));
  struct doc *hcm = doc_map_in(a, doc_list_at(a, chain, "filters"));
  doc_set(a, hcm, "name", doc_str(a, "envoy.filters.network.http_connection_manager"));
  struct doc *cfg = doc_set(a, hcm, "typed_config", deploy_typed(d, HCM_TYPE));
  doc_set(a, cfg, "stat_prefix", doc_str(a, "sentc_http"));
  struct doc *route = doc_map_at(a, cfg, "route_config");
  doc_set(a, route, "name", doc_str(a, "local_route"));
  struct doc *vhost = doc_map_in(a, doc_list_at(a, route, "virtual_hosts"));
  doc_set(a, vhost, "name", doc_str(a, "upstream"));
  doc_add(a, doc_list_at(a, vhost, "domains"), doc_str(a, "*"));
  struct doc *r = doc_map_in(a, doc_list_at(a, vhost, "routes"));
  doc_set(a, doc_map_at(a, r, "match"), "prefix", doc_str(a, "/"));
  doc_set(a, doc_map_at(a, r, "route"), "cluster", doc_str(a, "upstream"));
  struct doc *filters = doc_list_at(a, cfg, "http_filters");
  doc_add(a, filters, envoy_wasm_filter(d, "envoy.filters.http.wasm",
                                         "envoy.extensions.filters.http.wasm.v3.Wasm"));
  struct doc *router = doc_map_in(a, filters);
  doc_set(a, router, "name", doc_str(a, "envoy.filters.http.router"));
  doc_set(a, router, "typed_config", deploy_typed(d, "envoy.extensions.filters.http.router.v3.Router"));
  return l;
}

static struct doc *envoy_tcp_listener(const struct deploy *d, int port) {
  struct arena *a = d->arena;
  char name[32];
  snprintf(name, sizeof name, "sentc_tcp_%d", port);
  struct doc *l = doc_map(a);
  doc_set(a, l, "name", doc_str(a, name));
  doc_set(a, l, "address", envoy_address(d, "0.0.0.0", port));
  struct doc *chain = doc_map_in(a, doc_list_at(a, l, "filter_chains"));
  struct doc *filters = doc_list_at(a, chain, "filters");
  doc_add(a, filters, envoy_wasm_filter(d, "envoy.filters.network.wasm",
                                         "envoy.extensions.filters.network.wasm.v3.Wasm"));
  struct doc *proxy = doc_map_in(a, filters);
  doc_set(a, proxy, "name", doc_str(a, "envoy.filters.network.tcp_proxy"));
  struct doc *cfg = doc_set(a, proxy, "typed_config",
                            deploy_typed(d, "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"));
  doc_set(a, cfg, "stat_prefix", doc_str(a, name));
  doc_set(a, cfg, "cluster", doc_str(a, "upstream"));
  return l;
}

static struct doc *envoy_cluster(const struct deploy *d) {
  struct arena *a = d->arena;
  struct doc *c = doc_map(a);
  doc_set(a, c, "name", doc_str(a, "upstream"));
  doc_set(a, c, "type", doc_str(a, "STRICT_DNS"));
  doc_set(a, c, "connect_timeout", doc_str(a, "1s"));
  struct doc *load = doc_map_at(a, c, "load_assignment");
  doc_set(a, load, "cluster_name", doc_str(a, "upstream"));
  struct doc *endpoints = doc_map_in(a, doc_list_at(a, load, "endpoints"));
  struct doc *lb = doc_map_in(a, doc_list_at(a, endpoints, "lb_endpoints"));
  doc_set(a, doc_map_at(a, lb, "endpoint"), "address",
          envoy_address(d, d->options->upstream_host, d->options->upstream_port));
  return c;
}

struct doc *deploy_envoy_bootstrap(const struct deploy *d) {
  struct arena *a = d->arena;
  struct doc *b = doc_map(a);
  doc_set(a, doc_map_at(a, b, "admin"), "address",
          envoy_address(d, "127.0.0.1", d->options->admin_port));
  doc_set(a, doc_map_at(a, b, "stats_config"), "stats_tags", deploy_stats_tags(d));
  struct doc *res = doc_map_at(a, b, "static_resources");
  struct doc *listeners = doc_list_at(a, res, "listeners");
  doc_add(a, listeners, envoy_http_listener(d));
  for (size_t i = 0; i < d->n_tcp_ports; i++)
    doc_add(a, listeners, envoy_tcp_listener(d, d->tcp_ports[i]));
  struct doc *clusters = doc_list_at(a, res, "clusters");
  doc_add(a, clusters, envoy_cluster(d));
  if (ratelimit_used(d->policy)) {
    const struct deploy_options *o = d->options;
    doc_add(a, clusters, deploy_ratelimit_cluster(d, o->ratelimit_host ? o->ratelimit_host : "127.0.0.1",
                                                  o->ratelimit_port ? o->ratelimit_port
                                                                    : DEPLOY_RATELIMIT_PORT));
  }
  return b;
}

int deploy_envoy_write(const struct deploy *d, const char *path) {
  static const char *const notes[] = {
    "Run it where main.wasm is: envoy -c envoy.yaml (or func-e run -c envoy.yaml).",
    "See docs/deploy.md: vm_id and shared budgets, fail_open, filter order, stats tags.",
    NULL,
  };
  struct doc *docs[] = {deploy_envoy_bootstrap(d), NULL};
  return deploy_write_yaml(d, path, "Envoy v3 bootstrap", docs, notes);
}
