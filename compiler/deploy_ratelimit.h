/*
 * deploy_ratelimit.h: what deploys scope cluster's rate-limit service
 * (docs/cluster.md): `sentc --ratelimit-config FILE`, the envoyproxy/
 * ratelimit configuration of the policy; the Envoy cluster that reaches
 * the service, for the bootstrap (deploy_envoy.c) and, as an EnvoyFilter
 * patch, for Istio (deploy_istio.c, which also puts the configuration in
 * a ConfigMap).  The configuration is written from the descriptors
 * the module sends (ratelimit.h), so the two cannot disagree.
 */
#ifndef SENTC_DEPLOY_RATELIMIT_H
#define SENTC_DEPLOY_RATELIMIT_H

#include "deploy.h"

/* envoyproxy/ratelimit's default gRPC port. */
#define DEPLOY_RATELIMIT_PORT 8081

/* The configuration: domain and nested descriptors with their limits. */
struct doc *deploy_ratelimit_config(const struct deploy *d);

/* Writes it to `path` as YAML; problems printed, -1 on failure (also when
 * the policy has no rule in scope cluster). */
int deploy_ratelimit_write(const struct deploy *d, const char *path);

/* The Envoy cluster (config.cluster.v3.Cluster, HTTP/2) the policy's
 * ratelimit_service names, at `host`:`port`. */
struct doc *deploy_ratelimit_cluster(const struct deploy *d, const char *host, int port);

/* The configuration as YAML text (for Istio's ConfigMap), malloc'ed. */
char *deploy_ratelimit_text(const struct deploy *d, size_t *len);

#endif
