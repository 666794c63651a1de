/*
 * deploy_envoy.h: the Envoy bootstrap of a policy (see deploy_envoy.c).
 */
#ifndef SENTC_DEPLOY_ENVOY_H
#define SENTC_DEPLOY_ENVOY_H

#include "deploy.h"

struct doc *deploy_envoy_bootstrap(const struct deploy *d);
/* Writes it as YAML; problems printed, -1 on failure. */
int deploy_envoy_write(const struct deploy *d, const char *path);

#endif
