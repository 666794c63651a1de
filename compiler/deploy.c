/*
 * deploy.c: the settings the Envoy and Istio writers share (deploy.h).
 *
 * vm_id is "sentc." followed by the policy name.  Envoy keeps shared data,
 * where sentc holds proxy-wide budgets, per vm_id, and gives every filter
 * with the same vm_id, code and runtime the same VM on each worker: so the
 * HTTP and TCP listeners of one policy share their budgets, and a policy
 * deployed under a new name starts from fresh ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "deploy.h"
#include "frontend.h"
#include "ident.h"
#include "json.h"
#include "source.h"
#include "util.h"
#include "yaml.h"

static int deploy_port_cmp(const void *a, const void *b) {
  return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The listener ports of the TCP resources: every port they name, plus the
 * default TCP port when one of them names none (it takes any connection). */
static void deploy_tcp_ports(struct deploy *d) {
  const struct ir_policy *p = d->policy;
  size_t cap = 1;
  for (size_t i = 0; i < p->n_resources; i++)
    cap += p->resources[i].match.n_ports;
  d->tcp_ports = arena_alloc(d->arena, cap * sizeof *d->tcp_ports);
  size_t n = 0;
  for (size_t i = 0; i < p->n_resources; i++) {
    const struct ir_match *m = &p->resources[i].match;
    if (m->protocol != SENTC_TCP)
      continue;
    if (m->n_ports == 0)
      d->tcp_ports[n++] = (uint16_t)d->options->tcp_port;
    for (size_t k = 0; k < m->n_ports; k++)
      d->tcp_ports[n++] = m->ports[k];
  }
  qsort(d->tcp_ports, n, sizeof *d->tcp_ports, deploy_port_cmp);
  size_t distinct = 0;
  for (size_t i = 0; i < n; i++)
    if (distinct == 0 || d->tcp_ports[distinct - 1] != d->tcp_ports[i])
      d->tcp_ports[distinct++] = d->tcp_ports[i];
  d->n_tcp_ports = distinct;
}

static int deploy_read_config(struct deploy *d) {
  const char *path = d->options->plugin_config;
  if (!path) {
    d->plugin_config = doc_map(d->arena);
  } else {
    size_t len;
    char *text = read_regular_file(path, FRONTEND_MAX_FILE_BYTES, &len);
    if (!text) {
      fprintf(stderr, "sentc: cannot read %s: %s\n", path,
              source_read_error(errno, FRONTEND_MAX_FILE_BYTES));
      return -1;
    }
    char err[160];
    d->plugin_config = json_parse(d->arena, text, len, err, sizeof err);
    free(text);
    if (!d->plugin_config) {
      fprintf(stderr, "sentc: %s: not JSON: %s\n", path, err);
      return -1;
    }
    if (d->plugin_config->kind != DOC_MAP) {
      fprintf(stderr, "sentc: %s: the plugin configuration must be a JSON object ({...})\n", path);
      return -1;
    }
  }
  size_t len;
  char *json = json_text(d->plugin_config, &len);
  d->plugin_config_json = arena_strndup(d->arena, json, len);
  free(json);
  return 0;
}

int deploy_init(struct deploy *d, const struct ir_policy *policy,
                const struct deploy_options *options, struct arena *arena) {
  memset(d, 0, sizeof *d);
  d->policy = policy;
  d->options = options;
  d->arena = arena;
  snprintf(d->vm_id, sizeof d->vm_id, "sentc.%.*s", (int)policy->name.len, policy->name.text);
  ident_source_digest(d->source_sha256);
  deploy_tcp_ports(d);
  return deploy_read_config(d);
}

struct doc *deploy_typed(const struct deploy *d, const char *type) {
  char url[200];
  snprintf(url, sizeof url, "type.googleapis.com/%s", type);
  struct doc *t = doc_map(d->arena);
  doc_set(d->arena, t, "@type", doc_str(d->arena, url));
  return t;
}

struct doc *deploy_plugin_config(const struct deploy *d, const char *filename) {
  struct arena *a = d->arena;
  struct doc *c = doc_map(a);
  doc_set(a, c, "name", doc_str(a, d->vm_id));
  doc_set(a, c, "root_id", doc_str(a, DEPLOY_ROOT_ID));
  struct doc *vm = doc_map_at(a, c, "vm_config");
  doc_set(a, vm, "vm_id", doc_str(a, d->vm_id));
  doc_set(a, vm, "runtime", doc_str(a, DEPLOY_RUNTIME));
  struct doc *local = doc_map_at(a, doc_map_at(a, vm, "code"), "local");
  doc_set(a, local, "filename", doc_str(a, filename));
  struct doc *conf = doc_set(a, c, "configuration", deploy_typed(d, "google.protobuf.StringValue"));
  doc_set(a, conf, "value", doc_str(a, d->plugin_config_json));
  doc_set(a, c, "fail_open", doc_bool(a, !d->policy->on_error_deny));
  return c;
}

/* Envoy applies each extractor to the whole name: the first group is cut
 * out of the name, the second is the tag's value.  See docs/deploy.md. */
struct doc *deploy_stats_tags(const struct deploy *d) {
  static const char *const tags[][2] = {
    {"sentc_resource", "^wasmcustom\\.sentc(\\.([^.]+))\\.[^.]+"},
    {"sentc_rule", "^wasmcustom\\.sentc\\.[^.]+\\.[^.]+(\\.([^.]+))$"},
  };
  struct arena *a = d->arena;
  struct doc *list = doc_list(a);
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
    struct doc *t = doc_map_in(a, list);
    doc_set(a, t, "tag_name", doc_str(a, tags[i][0]));
    doc_set(a, t, "regex", doc_str(a, tags[i][1]));
  }
  return list;
}

int deploy_write_yaml(const struct deploy *d, const char *path, const char *what,
                      struct doc **docs, const char *const *notes) {
  FILE *out = fopen(path, "w");
  if (!out) {
    fprintf(stderr, "sentc: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[400];
  snprintf(line, sizeof line, "%s, generated by sentc " PACKAGE_VERSION " from policy %.*s", what,
           (int)d->policy->name.len, d->policy->name.text);
  for (char *c = line; *c; c++)
    if ((unsigned char)*c < 0x20)
      *c = '?';
  yaml_comment(out, line);
  snprintf(line, sizeof line, "policy source sha256 %s", d->source_sha256);
  yaml_comment(out, line);
  for (size_t i = 0; notes && notes[i]; i++)
    yaml_comment(out, notes[i]);
  for (size_t i = 0; docs[i]; i++) {
    if (i > 0)
      fputs("---\n", out);
    yaml_write(out, docs[i]);
  }
  if (fclose(out) != 0) {
    fprintf(stderr, "sentc: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}
