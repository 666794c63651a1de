/*
 * deploy_istio.h: Istio manifests of a policy (see deploy_istio.c).
 */
#ifndef SENTC_DEPLOY_ISTIO_H
#define SENTC_DEPLOY_ISTIO_H

#include "deploy.h"

/* `--istio FILE`: WasmPlugin(s) and the stats ConfigMap. */
int deploy_istio_write(const struct deploy *d, const char *path);
/* `--envoyfilter FILE`: the same through an EnvoyFilter, for Istio
 * versions without WasmPlugin (before 1.12). */
int deploy_istio_envoyfilter_write(const struct deploy *d, const char *path);
/* Checks the Istio options (url, selector, phase, match); 0 or -1 after
 * printing what is wrong. */
int deploy_istio_check_options(const struct deploy_options *o, int envoyfilter);

#endif
