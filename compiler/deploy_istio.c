/*
 * deploy_istio.c: `sentc --istio FILE` and `sentc --envoyfilter FILE`.
 *
 * --istio writes, as one multi-document YAML file for `kubectl apply -f`:
 *
 *   - a WasmPlugin (extensions.istio.io/v1alpha1) of type HTTP: `url` as
 *     given, `sha256` what Istio checks it against (for oci:// the digest of
 *     the image manifest, which Istio's image fetcher compares; for file://
 *     and http(s):// the module's own digest), `pluginName` sentc (Istio
 *     makes it the root_id), `phase` and `priority`, `failStrategy` from the
 *     policy's on_error, `pluginConfig`, and selector and match if given;
 *   - a second WasmPlugin of type NETWORK when the policy has TCP
 *     resources, matching their ports;
 *   - a ConfigMap holding a custom bootstrap with sentc's stats_tags, for
 *     the pod annotation sidecar.istio.io/bootstrapOverride.  The header
 *     comment names the two pod annotations Istio needs before it exports
 *     sentc's metrics (proxy.istio.io/config with a proxyStatsMatcher
 *     inclusion of wasmcustom.sentc.) and tags them.
 *
 * With rules in scope cluster (docs/cluster.md), both files end with an
 * EnvoyFilter adding the Envoy cluster of the rate-limit service (unless
 * the policy names one Istio makes for a Service, "outbound|..."), and a
 * ConfigMap of the service's configuration (config.yaml, for
 * envoyproxy/ratelimit).
 *
 * --envoyfilter writes the same plugin as networking.istio.io/v1alpha3
 * EnvoyFilter patches (the module must then be a file in the proxy's
 * container: --url file:///...), plus the same ConfigMaps and the same
 * rate-limit service objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "deploy_istio.h"
#include "deploy_ratelimit.h"
#include "json.h"
#include "ratelimit.h"

static const char *const istio_phases[] = {"AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE", NULL};
static const char *const istio_modes[] = {"CLIENT", "SERVER", "CLIENT_AND_SERVER", NULL};

static int istio_one_of(const char *value, const char *const *allowed) {
  for (size_t i = 0; allowed[i]; i++)
    if (strcmp(value, allowed[i]) == 0)
      return 1;
  return 0;
}

static int istio_has_prefix(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

int deploy_istio_check_options(const struct deploy_options *o, int envoyfilter) {
  if (!o->url) {
    fprintf(stderr, "sentc: --istio and --envoyfilter need --url: where the proxy gets the module "
                    "(oci://REGISTRY/IMAGE:TAG, file:///PATH or https://...)\n");
    return -1;
  }
  if (envoyfilter && !istio_has_prefix(o->url, "file:///")) {
    fprintf(stderr, "sentc: --envoyfilter needs --url file:///PATH (a module mounted into the proxy's "
                    "container); Istio pulls oci:// and http(s):// URLs only for WasmPlugins\n");
    return -1;
  }
  if (!istio_has_prefix(o->url, "oci://") && !istio_has_prefix(o->url, "file:///") &&
      !istio_has_prefix(o->url, "http://") && !istio_has_prefix(o->url, "https://")) {
    fprintf(stderr, "sentc: --url %s: Istio takes oci://, file:///, http:// or https:// URLs\n", o->url);
    return -1;
  }
  if (!istio_one_of(o->phase, istio_phases)) {
    fprintf(stderr, "sentc: --istio-phase %s: one of AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE\n", o->phase);
    return -1;
  }
  if (o->match_mode && !istio_one_of(o->match_mode, istio_modes)) {
    fprintf(stderr, "sentc: --istio-match %s: one of CLIENT, SERVER, CLIENT_AND_SERVER\n", o->match_mode);
    return -1;
  }
  for (const char *s = o->selector; s && *s;) {
    const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
    const char *eq = memchr(s, '=', (size_t)(end - s));
    if (!eq || eq == s) {
      fprintf(stderr, "sentc: --istio-selector %s: write LABEL=VALUE[,LABEL=VALUE...]\n", o->selector);
      return -1;
    }
    s = comma ? comma + 1 : end;
  }
  return 0;
}

/* "sentc-" and the policy name as a Kubernetes name: lower case, [a-z0-9-]. */
static void istio_name(const struct deploy *d, const char *suffix, char *out, size_t size) {
  size_t n = (size_t)snprintf(out, size, "sentc-");
  const struct ir_string *name = &d->policy->name;
  for (size_t i = 0; i < name->len && n + 1 < size && n < 40; i++) {
    char c = name->text[i];
    c = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    out[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-';
  }
  while (n > 0 && out[n - 1] == '-')
    n--;
  snprintf(out + n, size - n, "%s", suffix);
}

static struct doc *istio_metadata(const struct deploy *d, struct doc *obj, const char *suffix) {
  struct arena *a = d->arena;
  char name[64];
  istio_name(d, suffix, name, sizeof name);
  struct doc *meta = doc_map_at(a, obj, "metadata");
  doc_set(a, meta, "name", doc_str(a, name));
  if (d->options->ns)
    doc_set(a, meta, "namespace", doc_str(a, d->options->ns));
  struct doc *labels = doc_map_at(a, meta, "labels");
  doc_set(a, labels, "app.kubernetes.io/managed-by", doc_str(a, "sentc"));
  struct doc *notes = doc_map_at(a, meta, "annotations");
  doc_set(a, notes, "sentc.io/policy", doc_strn(a, d->policy->name.text, d->policy->name.len));
  doc_set(a, notes, "sentc.io/source-sha256", doc_str(a, d->source_sha256));
  doc_set(a, notes, "sentc.io/module-sha256", doc_str(a, d->options->module_sha256));
  return meta;
}

static struct doc *istio_object(const struct deploy *d, const char *api, const char *kind,
                                const char *suffix) {
  struct arena *a = d->arena;
  struct doc *obj = doc_map(a);
  doc_set(a, obj, "apiVersion", doc_str(a, api));
  doc_set(a, obj, "kind", doc_str(a, kind));
  istio_metadata(d, obj, suffix);
  return obj;
}

static struct doc *istio_labels(const struct deploy *d) {
  struct arena *a = d->arena;
  struct doc *labels = doc_map(a);
  for (const char *s = d->options->selector; s && *s;) {
    const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
    const char *eq = memchr(s, '=', (size_t)(end - s));
    doc_setn(a, labels, s, (size_t)(eq - s), doc_strn(a, eq + 1, (size_t)(end - eq - 1)));
    s = comma ? comma + 1 : end;
  }
  return labels;
}

static struct doc *istio_wasmplugin(const struct deploy *d, int network) {
  struct arena *a = d->arena;
  const struct deploy_options *o = d->options;
  struct doc *wp = istio_object(d, "extensions.istio.io/v1alpha1", "WasmPlugin", network ? "-tcp" : "");
  struct doc *spec = doc_map_at(a, wp, "spec");
  if (o->selector)
    doc_set(a, doc_map_at(a, spec, "selector"), "matchLabels", istio_labels(d));
  doc_set(a, spec, "url", doc_str(a, o->url));
  int oci = istio_has_prefix(o->url, "oci://");
  doc_set(a, spec, "sha256", doc_str(a, oci ? o->image_digest : o->module_sha256));
  if (oci)
    doc_set(a, spec, "imagePullPolicy", doc_str(a, "IfNotPresent"));
  doc_set(a, spec, "pluginName", doc_str(a, DEPLOY_ROOT_ID));
  doc_set(a, spec, "phase", doc_str(a, o->phase));
  doc_set(a, spec, "priority", doc_int(a, o->priority));
  doc_set(a, spec, "failStrategy", doc_str(a, d->policy->on_error_deny ? "FAIL_CLOSE" : "FAIL_OPEN"));
  doc_set(a, spec, "type", doc_str(a, network ? "NETWORK" : "HTTP"));
  if (o->match_mode || network) {
    struct doc *m = doc_map_in(a, doc_list_at(a, spec, "match"));
    doc_set(a, m, "mode", doc_str(a, o->match_mode ? o->match_mode : "SERVER"));
    if (network) {
      struct doc *ports = doc_list_at(a, m, "ports");
      for (size_t i = 0; i < d->n_tcp_ports; i++)
        doc_set(a, doc_map_in(a, ports), "number", doc_int(a, d->tcp_ports[i]));
    }
  }
  doc_set(a, spec, "pluginConfig", d->plugin_config);
  return wp;
}

static struct doc *istio_stats_configmap(const struct deploy *d) {
  struct arena *a = d->arena;
  struct doc *cm = istio_object(d, "v1", "ConfigMap", "-stats");
  struct doc *bootstrap = doc_map(a);
  doc_set(a, doc_map_at(a, bootstrap, "stats_config"), "stats_tags", deploy_stats_tags(d));
  size_t len;
  char *json = json_text(bootstrap, &len);
  doc_set(a, doc_map_at(a, cm, "data"), "custom_bootstrap.json", doc_strn(a, json, len));
  free(json);
  return cm;
}

/* The header comment: what each pod needs, in the form host/envoyconf.js
 * and the tests read back ("# pod annotation: NAME: VALUE"). */
static const char **istio_notes(const struct deploy *d, char *buf, size_t size) {
  static const char *notes[6];
  char cm[64];
  istio_name(d, "-stats", cm, sizeof cm);
  size_t half = size / 2;
  snprintf(buf, half, "pod annotation: proxy.istio.io/config: "
           "'{\"proxyStatsMatcher\":{\"inclusionPrefixes\":[\"" DEPLOY_STATS_PREFIX "\"]}}'");
  snprintf(buf + half, size - half, "pod annotation: sidecar.istio.io/bootstrapOverride: %s", cm);
  notes[0] = "Apply with: kubectl apply -f FILE (the ConfigMap in each workload's namespace).";
  notes[1] = "Istio exports sentc's metrics, tagged by resource and rule, only when each pod";
  notes[2] = "template carries these two annotations (see docs/deploy.md):";
  notes[3] = buf;
  notes[4] = buf + half;
  notes[5] = NULL;
  return notes;
}

/* Scope cluster: the Envoy cluster the policy's ratelimit_service names,
 * as an EnvoyFilter patch adding it (unless Istio makes it itself for a
 * Service: "outbound|PORT||HOST"), and the configuration of
 * envoyproxy/ratelimit as a ConfigMap for its Deployment to mount
 * (examples/istio/ratelimit.yaml).  Appends them to docs; returns how many. */
static size_t istio_ratelimit(const struct deploy *d, struct doc **docs) {
  struct arena *a = d->arena;
  const struct deploy_options *o = d->options;
  if (!ratelimit_used(d->policy))
    return 0;
  size_t n = 0;
  const struct ir_string *cluster = &d->policy->rls.cluster;
  if (!(cluster->len >= 9 && memcmp(cluster->text, "outbound|", 9) == 0)) {
    char host[300];
    snprintf(host, sizeof host, "ratelimit.%s.svc.cluster.local", o->ns ? o->ns : "default");
    struct doc *ef = istio_object(d, "networking.istio.io/v1alpha3", "EnvoyFilter", "-ratelimit");
    struct doc *spec = doc_map_at(a, ef, "spec");
    if (o->selector)
      doc_set(a, doc_map_at(a, spec, "workloadSelector"), "labels", istio_labels(d));
    struct doc *patch = doc_map_in(a, doc_list_at(a, spec, "configPatches"));
    doc_set(a, patch, "applyTo", doc_str(a, "CLUSTER"));
    doc_set(a, doc_map_at(a, patch, "match"), "context", doc_str(a, "ANY"));
    struct doc *add = doc_map_at(a, patch, "patch");
    doc_set(a, add, "operation", doc_str(a, "ADD"));
    doc_set(a, add, "value", deploy_ratelimit_cluster(d, o->ratelimit_host ? o->ratelimit_host : host,
                                                      o->ratelimit_port ? o->ratelimit_port
                                                                        : DEPLOY_RATELIMIT_PORT));
    docs[n++] = ef;
  }
  struct doc *cm = istio_object(d, "v1", "ConfigMap", "-ratelimit-config");
  size_t len;
  char *text = deploy_ratelimit_text(d, &len);
  doc_set(a, doc_map_at(a, cm, "data"), "config.yaml", doc_strn(a, text, len));
  free(text);
  docs[n++] = cm;
  return n;
}

int deploy_istio_write(const struct deploy *d, const char *path) {
  struct doc *docs[6] = {istio_wasmplugin(d, 0), NULL, NULL, NULL, NULL, NULL};
  size_t n = 1;
  if (d->n_tcp_ports > 0)
    docs[n++] = istio_wasmplugin(d, 1);
  docs[n++] = istio_stats_configmap(d);
  istio_ratelimit(d, docs + n);
  char buf[512];
  return deploy_write_yaml(d, path, "Istio WasmPlugin manifests", docs, istio_notes(d, buf, sizeof buf));
}

/* One EnvoyFilter patch inserting the Wasm filter before `before`. */
static void istio_patch(const struct deploy *d, struct doc *patches, int network, int port) {
  struct arena *a = d->arena;
  struct doc *p = doc_map_in(a, patches);
  doc_set(a, p, "applyTo", doc_str(a, network ? "NETWORK_FILTER" : "HTTP_FILTER"));
  struct doc *match = doc_map_at(a, p, "match");
  doc_set(a, match, "context", doc_str(a, "SIDECAR_INBOUND"));
  struct doc *listener = doc_map_at(a, match, "listener");
  if (network)
    doc_set(a, listener, "portNumber", doc_int(a, port));
  struct doc *filter = doc_map_at(a, doc_map_at(a, listener, "filterChain"), "filter");
  if (network) {
    doc_set(a, filter, "name", doc_str(a, "envoy.filters.network.tcp_proxy"));
  } else {
    doc_set(a, filter, "name", doc_str(a, "envoy.filters.network.http_connection_manager"));
    doc_set(a, doc_map_at(a, filter, "subFilter"), "name", doc_str(a, "envoy.filters.http.router"));
  }
  struct doc *patch = doc_map_at(a, p, "patch");
  doc_set(a, patch, "operation", doc_str(a, "INSERT_BEFORE"));
  struct doc *value = doc_map_at(a, patch, "value");
  doc_set(a, value, "name", doc_str(a, network ? "envoy.filters.network.wasm" : "envoy.filters.http.wasm"));
  struct doc *typed = doc_set(a, value, "typed_config",
                              deploy_typed(d, network ? "envoy.extensions.filters.network.wasm.v3.Wasm"
                                                      : "envoy.extensions.filters.http.wasm.v3.Wasm"));
  doc_set(a, typed, "config", deploy_plugin_config(d, d->options->url + strlen("file://")));
}

int deploy_istio_envoyfilter_write(const struct deploy *d, const char *path) {
  struct arena *a = d->arena;
  struct doc *ef = istio_object(d, "networking.istio.io/v1alpha3", "EnvoyFilter", "");
  struct doc *spec = doc_map_at(a, ef, "spec");
  if (d->options->selector)
    doc_set(a, doc_map_at(a, spec, "workloadSelector"), "labels", istio_labels(d));
  struct doc *patches = doc_list_at(a, spec, "configPatches");
  istio_patch(d, patches, 0, 0);
  for (size_t i = 0; i < d->n_tcp_ports; i++)
    istio_patch(d, patches, 1, d->tcp_ports[i]);
  struct doc *docs[5] = {ef, istio_stats_configmap(d), NULL, NULL, NULL};
  istio_ratelimit(d, docs + 2);
  char buf[512];
  return deploy_write_yaml(d, path, "Istio EnvoyFilter (for Istio before 1.12)", docs,
                           istio_notes(d, buf, sizeof buf));
}
