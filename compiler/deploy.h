/*
 * deploy.h: what the Envoy bootstrap (deploy_envoy.c) and the Istio
 * manifests (deploy_istio.c) share, so that they cannot disagree: the
 * plugin's identity in Envoy (root_id, vm_id, plugin name), its failure
 * policy, the plugin configuration, the TCP ports of the policy, and the
 * tag extractors that turn sentc's metric names into Prometheus labels.
 * docs/deploy.md explains each choice to operators.
 */
#ifndef SENTC_DEPLOY_H
#define SENTC_DEPLOY_H

#include <stdint.h>
#include <stdio.h>
#include "doc.h"
#include "ir.h"

/* The root context id every sentc module answers to (Istio: pluginName). */
#define DEPLOY_ROOT_ID "sentc"
#define DEPLOY_RUNTIME "envoy.wasm.runtime.v8"
#define DEPLOY_STRING_VALUE "type.googleapis.com/google.protobuf.StringValue"
/* Metrics are sentc.* in the module; Envoy puts them in this namespace. */
#define DEPLOY_STATS_PREFIX "wasmcustom.sentc."
#define DEPLOY_DEFAULT_TCP_PORT 18000

struct deploy_options {
  const char *module_path;     /* Envoy: the module's local filename */
  const char *plugin_config;   /* a JSON file, or NULL for {} */
  const char *upstream_host;   /* the sample upstream */
  int upstream_port;
  int http_port, admin_port, tcp_port;
  const char *url;             /* Istio: oci://, file://, http(s):// */
  const char *ns;              /* Istio: metadata.namespace, or NULL */
  const char *selector;        /* Istio: "k=v,k=v" matchLabels, or NULL */
  const char *phase;           /* Istio: AUTHN, AUTHZ, STATS, UNSPECIFIED_PHASE */
  int priority;
  const char *match_mode;      /* Istio: CLIENT, SERVER, CLIENT_AND_SERVER, or NULL */
  const char *ratelimit_host;  /* the rate-limit service, or NULL for the default */
  int ratelimit_port;
  char module_sha256[65];      /* the final main.wasm */
  char image_digest[65];       /* its OCI image's manifest */
};

/* Everything derived from the policy and the options, built once. */
struct deploy {
  const struct ir_policy *policy;
  const struct deploy_options *options;
  struct arena *arena;
  char vm_id[160];             /* "sentc.<policy>" */
  char source_sha256[65];
  struct doc *plugin_config;   /* the parsed JSON object */
  char *plugin_config_json;    /* compact, as the module receives it */
  uint16_t *tcp_ports;         /* sorted, distinct; empty without TCP resources */
  size_t n_tcp_ports;
};

/* Reads the plugin configuration and derives the rest; problems printed,
 * -1 on failure. */
int deploy_init(struct deploy *d, const struct ir_policy *policy,
                const struct deploy_options *options, struct arena *arena);

/* Envoy's PluginConfig (extensions.wasm.v3) for the module at `filename`. */
struct doc *deploy_plugin_config(const struct deploy *d, const char *filename);
/* stats_config.stats_tags: sentc_resource and sentc_rule extractors. */
struct doc *deploy_stats_tags(const struct deploy *d);
/* A typed_config: {"@type": type.googleapis.com/<type>}, fields to be added. */
struct doc *deploy_typed(const struct deploy *d, const char *type);

/* Writes `docs` (NULL-terminated) as a YAML file with a header comment;
 * problems printed, -1 on failure. */
int deploy_write_yaml(const struct deploy *d, const char *path, const char *what,
                      struct doc **docs, const char *const *notes);

#endif
