/*
 * main.c: the sentc command.
 *
 *   sentc POLICY.sentinel [-o main.wasm] [--emit-c FILE] [--check] [--explain]
 *         [--envoy FILE] [--istio FILE] [--envoyfilter FILE] [--oci DIR]
 *         [--ratelimit-config FILE] [...]
 *         [--confine DIR]
 *   sentc --inspect MODULE.wasm
 *
 * Reads and checks the policy, writes its tables as C, and builds main.wasm
 * with the wasm32 toolchain: the linker writes a temporary file, and sentc
 * writes the final module itself, with its identity section (ident.h)
 * appended, so any output path works (/dev/null included).  Then, if
 * asked, the deployment files: an Envoy bootstrap, Istio manifests, an OCI
 * image layout, the rate-limit service's configuration.  Silent on success (--explain prints the resolved policy
 * instead of building).  Exit status: 0 success (warnings allowed), 1
 * errors in the policy (--inspect: not a sentc module), 2 usage, file or
 * toolchain problems.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ast.h"
#include "codegen.h"
#include "deploy_envoy.h"
#include "deploy_istio.h"
#include "deploy_ratelimit.h"
#include "diag.h"
#include "explain.h"
#include "frontend.h"
#include "ident.h"
#include "oci.h"
#include "sha256.h"
#include "source.h"
#include "toolchain.h"
#include "util.h"
#include "wasmfile.h"

/* The largest module sentc reads back from its linker. */
#define MAX_MODULE_BYTES (256u << 20)

static void usage(FILE *out) {
  fputs("usage: sentc POLICY.sentinel [-o OUTPUT.wasm] [--emit-c FILE] [--check] [--explain]\n"
        "             [--envoy FILE] [--istio FILE] [--envoyfilter FILE] [--oci DIR]\n"
        "             [--ratelimit-config FILE] [OPTIONS]\n"
        "             [--confine DIR]\n"
        "       sentc --inspect MODULE.wasm\n"
        "\n"
        "Compiles a traffic-protection policy into a Proxy-Wasm module for Envoy.\n"
        "\n"
        "  -o FILE        write the module to FILE (default main.wasm)\n"
        "  --emit-c FILE  also keep the generated C tables in FILE\n"
        "  --check        only check the policy; needs no wasm toolchain\n"
        "  --explain      print the resolved policy in plain words (implies --check)\n"
        "  --inspect FILE print the policy a module was built from (name, source\n"
        "                 sha256, sentc and tables versions) and the module's sha256\n"
        "  --confine DIR  read included files and fallback body files only inside DIR\n"
        "                 (for policies that are not trusted like source code)\n"
        "  --help         show this help\n"
        "  --version      show the version\n"
        "\n"
        "Deployment (written after the module; see docs/deploy.md):\n"
        "  --envoy FILE          an Envoy v3 bootstrap: HTTP listener, a TCP listener per\n"
        "                        TCP port of the policy, admin, upstream, stats tags\n"
        "  --istio FILE          Istio WasmPlugin(s) (HTTP, and NETWORK for TCP resources)\n"
        "                        and the stats ConfigMap; needs --url\n"
        "  --envoyfilter FILE    the same as an Istio EnvoyFilter; needs --url file:///...\n"
        "  --oci DIR             an OCI image layout of the module (Wasm image, compat)\n"
        "  --ratelimit-config FILE  the envoyproxy/ratelimit configuration of the rules in\n"
        "                        scope cluster (docs/cluster.md)\n"
        "  --oci-tag TAG         its tag in DIR/index.json (default latest)\n"
        "  --plugin-config FILE  the plugin configuration, a JSON object (default {})\n"
        "  --module-path PATH    the module's filename in the Envoy bootstrap (default: -o)\n"
        "  --upstream HOST:PORT  the sample upstream (default 127.0.0.1:8080)\n"
        "  --ratelimit-address HOST:PORT  the rate-limit service, for the cluster the\n"
        "                        bootstrap and the Istio EnvoyFilter add (default\n"
        "                        127.0.0.1:8081; Istio: ratelimit.NAMESPACE.svc.cluster.local:8081)\n"
        "  --http-port N         the HTTP listener's port (default 8099)\n"
        "  --tcp-port N          the TCP listener of TCP resources without ports (18000)\n"
        "  --admin-port N        Envoy's admin listener on 127.0.0.1 (default 9901)\n"
        "  --url URL             where Istio gets the module: oci://, file:///, http(s)://\n"
        "  --namespace NS        metadata.namespace of the Istio objects\n"
        "  --istio-selector L=V[,L=V...]  the workloads' labels\n"
        "  --istio-phase PHASE   AUTHN (default), AUTHZ, STATS or UNSPECIFIED_PHASE\n"
        "  --istio-priority N    order within the phase (default 0)\n"
        "  --istio-match MODE    CLIENT, SERVER or CLIENT_AND_SERVER traffic only\n"
        "\n"
        "Exit status: 0 ok, 1 errors in the policy (--inspect: not a sentc module),\n"
        "2 usage, file or toolchain problem.\n",
        out);
}

struct options {
  const char *policy;
  const char *output;
  const char *emit_c;
  const char *confine;
  int check_only;
  int explain;
  const char *inspect;
  const char *envoy, *istio, *envoyfilter, *oci, *oci_tag, *ratelimit_config;
  struct deploy_options deploy;
};

/* A port number for option `name`; -1 (after saying why) if it is not one. */
static int port_arg(const char *name, const char *text) {
  char *end;
  long v = strtol(text, &end, 10);
  if (*text == 0 || *end != 0 || v < 1 || v > 65535) {
    fprintf(stderr, "sentc: %s needs a port from 1 to 65535, got '%s'\n", name, text);
    return -1;
  }
  return (int)v;
}

/* Option `name` HOST:PORT (--upstream, --ratelimit-address): the host
 * copied into `buffer` (256 bytes, the option's own), then *host and *port. */
static int host_port_arg(const char *name, const char *text, char *buffer, const char **host,
                         int *port) {
  const char *colon = strrchr(text, ':');
  if (!colon || colon == text) {
    fprintf(stderr, "sentc: %s needs HOST:PORT, got '%s'\n", name, text);
    return -1;
  }
  if ((size_t)(colon - text) > 255) {
    fprintf(stderr, "sentc: %s's host is longer than 255 bytes\n", name);
    return -1;
  }
  memcpy(buffer, text, (size_t)(colon - text));
  buffer[colon - text] = 0;
  *host = buffer;
  *port = port_arg(name, colon + 1);
  return *port > 0 ? 0 : -1;
}

/* Returns -1 to exit 2, 1 to exit 0 (help/version), 0 to go on. */
static int parse_options(int argc, char **argv, struct options *o) {
  enum { O_INSPECT = 256, O_ENVOY, O_ISTIO, O_ENVOYFILTER, O_OCI, O_OCI_TAG, O_PLUGIN_CONFIG,
         O_MODULE_PATH, O_UPSTREAM, O_HTTP_PORT, O_TCP_PORT, O_ADMIN_PORT, O_URL, O_NAMESPACE,
         O_SELECTOR, O_PHASE, O_PRIORITY, O_MATCH, O_RATELIMIT_ADDRESS, O_RATELIMIT_CONFIG };
  static const struct option longs[] = {
    {"emit-c", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
    {"explain", no_argument, NULL, 'x'},      {"confine", required_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
    {"inspect", required_argument, NULL, O_INSPECT},
    {"envoy", required_argument, NULL, O_ENVOY}, {"istio", required_argument, NULL, O_ISTIO},
    {"envoyfilter", required_argument, NULL, O_ENVOYFILTER}, {"oci", required_argument, NULL, O_OCI},
    {"oci-tag", required_argument, NULL, O_OCI_TAG},
    {"plugin-config", required_argument, NULL, O_PLUGIN_CONFIG},
    {"module-path", required_argument, NULL, O_MODULE_PATH},
    {"upstream", required_argument, NULL, O_UPSTREAM},
    {"http-port", required_argument, NULL, O_HTTP_PORT},
    {"tcp-port", required_argument, NULL, O_TCP_PORT},
    {"admin-port", required_argument, NULL, O_ADMIN_PORT},
    {"url", required_argument, NULL, O_URL}, {"namespace", required_argument, NULL, O_NAMESPACE},
    {"istio-selector", required_argument, NULL, O_SELECTOR},
    {"istio-phase", required_argument, NULL, O_PHASE},
    {"istio-priority", required_argument, NULL, O_PRIORITY},
    {"istio-match", required_argument, NULL, O_MATCH},
    {"ratelimit-address", required_argument, NULL, O_RATELIMIT_ADDRESS},
    {"ratelimit-config", required_argument, NULL, O_RATELIMIT_CONFIG},
    {NULL, 0, NULL, 0},
  };
  static char upstream_host[256], ratelimit_host[256];
  int ch, deploy_opts = 0;
  char *end;
  *o = (struct options){.output = "main.wasm", .oci_tag = "latest"};
  struct deploy_options *d = &o->deploy;
  *d = (struct deploy_options){.upstream_host = "127.0.0.1", .upstream_port = 8080,
                               .http_port = 8099, .admin_port = 9901,
                               .tcp_port = DEPLOY_DEFAULT_TCP_PORT, .phase = "AUTHN"};
  while ((ch = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    deploy_opts += ch >= O_OCI_TAG;
    switch (ch) {
    case 'o': o->output = optarg; break;
    case 'c': o->emit_c = optarg; break;
    case 'k': o->check_only = 1; break;
    case 'x': o->explain = o->check_only = 1; break;
    case 'C': o->confine = optarg; break;
    case 'h': usage(stdout); return 1;
    case 'V': puts("sentc " PACKAGE_VERSION); return 1;
    case O_INSPECT: o->inspect = optarg; break;
    case O_ENVOY: o->envoy = optarg; break;
    case O_ISTIO: o->istio = optarg; break;
    case O_ENVOYFILTER: o->envoyfilter = optarg; break;
    case O_OCI: o->oci = optarg; break;
    case O_OCI_TAG: o->oci_tag = optarg; break;
    case O_PLUGIN_CONFIG: d->plugin_config = optarg; break;
    case O_MODULE_PATH: d->module_path = optarg; break;
    case O_UPSTREAM:
      if (host_port_arg("--upstream", optarg, upstream_host, &d->upstream_host, &d->upstream_port))
        return -1;
      break;
    case O_RATELIMIT_ADDRESS:
      if (host_port_arg("--ratelimit-address", optarg, ratelimit_host, &d->ratelimit_host,
                        &d->ratelimit_port))
        return -1;
      break;
    case O_RATELIMIT_CONFIG: o->ratelimit_config = optarg; break;
    case O_HTTP_PORT: if ((d->http_port = port_arg("--http-port", optarg)) < 0) return -1; break;
    case O_TCP_PORT: if ((d->tcp_port = port_arg("--tcp-port", optarg)) < 0) return -1; break;
    case O_ADMIN_PORT: if ((d->admin_port = port_arg("--admin-port", optarg)) < 0) return -1; break;
    case O_URL: d->url = optarg; break;
    case O_NAMESPACE: d->ns = optarg; break;
    case O_SELECTOR: d->selector = optarg; break;
    case O_PHASE: d->phase = optarg; break;
    case O_PRIORITY:
      d->priority = (int)strtol(optarg, &end, 10);
      if (!*optarg || *end) {
        fprintf(stderr, "sentc: --istio-priority needs a whole number, got '%s'\n", optarg);
        return -1;
      }
      break;
    case O_MATCH: d->match_mode = optarg; break;
    default: usage(stderr); return -1;
    }
  }
  if (o->inspect) {
    if (optind != argc) {
      fputs("sentc: --inspect takes one module and no policy\n", stderr);
      return -1;
    }
    return 0;
  }
  int writes = o->envoy || o->istio || o->envoyfilter || o->oci || o->ratelimit_config;
  if (o->check_only && (writes || deploy_opts)) {
    fputs("sentc: --check and --explain write nothing; the deployment options need a build\n", stderr);
    return -1;
  }
  if ((o->istio && deploy_istio_check_options(d, 0)) ||
      (o->envoyfilter && deploy_istio_check_options(d, 1)))
    return -1;
  if (!d->module_path)
    d->module_path = o->output;
  if (optind != argc - 1) {
    fputs(optind >= argc ? "sentc: no policy file given\n" : "sentc: give one policy file\n",
          stderr);
    usage(stderr);
    return -1;
  }
  o->policy = argv[optind];
  return 0;
}

/* Loads the policy file into the source table; -1 if it cannot be read. */
static int load(const char *path) {
  size_t len;
  char *text = read_regular_file(path, FRONTEND_MAX_FILE_BYTES, &len);
  if (!text) {
    fprintf(stderr, "sentc: cannot read %s: %s\n", path,
            source_read_error(errno, FRONTEND_MAX_FILE_BYTES));
    return -1;
  }
  return source_add(path, text, len);
}

static int write_c(const struct ir_policy *policy, const char *source, const char *path) {
  FILE *out = fopen(path, "w");
  if (!out) {
    fprintf(stderr, "sentc: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  char digest[65];
  ident_source_digest(digest);
  int failed = codegen_emit(policy, source, digest, out);
  if (fclose(out) != 0 || failed) {
    fprintf(stderr, "sentc: cannot write %s\n", path);
    return -1;
  }
  return 0;
}

/* A new empty temporary file named from template (its suffix is kept). */
static int make_temp(char *template, int suffix) {
  int fd = mkstemps(template, suffix);
  if (fd < 0) {
    fprintf(stderr, "sentc: cannot create a temporary file: %s\n", strerror(errno));
    return -1;
  }
  close(fd);
  return 0;
}

/* Writes bytes to path, which may be any writable file (/dev/null too). */
static int write_output(const char *path, const uint8_t *bytes, size_t len) {
  FILE *out = fopen(path, "wb");
  int ok = out && fwrite(bytes, 1, len, out) == len;
  if (out && fclose(out) != 0)
    ok = 0;
  if (!ok)
    fprintf(stderr, "sentc: cannot write %s: %s\n", path, strerror(errno));
  return ok ? 0 : -1;
}

/* The linked module with the identity section appended (malloc'ed). */
static uint8_t *finish_module(const struct ir_policy *policy, const char *linked, size_t *len) {
  size_t raw_len, ident_len;
  char *raw = read_regular_file(linked, MAX_MODULE_BYTES, &raw_len);
  if (!raw) {
    fprintf(stderr, "sentc: cannot read the linked module %s: %s\n", linked, strerror(errno));
    return NULL;
  }
  char *ident = ident_json(policy, &ident_len);
  uint8_t *wasm = wasmfile_append((const uint8_t *)raw, raw_len, IDENT_SECTION, ident, ident_len, len);
  free(raw);
  free(ident);
  return wasm;
}

/* The deployment files, from the final module's bytes. */
static int write_deployment(const struct ir_policy *policy, struct options *o, const uint8_t *wasm,
                            size_t len) {
  struct deploy_options *d = &o->deploy;
  struct oci_image image;
  sha256_hex(wasm, len, d->module_sha256);
  oci_build(&image, wasm, len, policy, o->oci_tag);
  memcpy(d->image_digest, image.manifest.digest, sizeof d->image_digest);
  int status = o->oci ? oci_write(&image, o->oci) : 0;
  oci_free(&image);
  if (status || !(o->envoy || o->istio || o->envoyfilter || o->ratelimit_config))
    return status;
  struct arena *arena = arena_new();
  struct deploy dep;
  status = deploy_init(&dep, policy, d, arena);
  if (!status && o->envoy)
    status = deploy_envoy_write(&dep, o->envoy);
  if (!status && o->istio)
    status = deploy_istio_write(&dep, o->istio);
  if (!status && o->envoyfilter)
    status = deploy_istio_envoyfilter_write(&dep, o->envoyfilter);
  if (!status && o->ratelimit_config)
    status = deploy_ratelimit_write(&dep, o->ratelimit_config);
  arena_free(arena);
  return status;
}

/* Writes the C (to --emit-c or a temporary file), links the module into a
 * temporary file, and writes the final module and the deployment files. */
static int build(const struct ir_policy *policy, struct options *o) {
  char c_temp[] = "/tmp/sentc-XXXXXX.c", wasm_temp[] = "/tmp/sentc-XXXXXX.wasm";
  const char *c_file = o->emit_c;
  if (!c_file && make_temp(c_temp, 2))
    return -1;
  if (make_temp(wasm_temp, 5)) {
    if (!o->emit_c)
      unlink(c_temp);
    return -1;
  }
  c_file = c_file ? c_file : c_temp;
  int status = write_c(policy, o->policy, c_file);
  if (status == 0)
    status = toolchain_build(c_file, wasm_temp);
  size_t len = 0;
  uint8_t *wasm = status == 0 ? finish_module(policy, wasm_temp, &len) : NULL;
  if (!wasm)
    status = -1;
  if (status == 0)
    status = write_output(o->output, wasm, len);
  if (status == 0)
    status = write_deployment(policy, o, wasm, len);
  free(wasm);
  if (!o->emit_c)
    unlink(c_temp);
  unlink(wasm_temp);
  return status;
}

int main(int argc, char **argv) {
  struct options o;
  int opt = parse_options(argc, argv, &o);
  if (opt != 0)
    return opt < 0 ? 2 : 0;
  if (o.inspect)
    return ident_inspect(o.inspect, stdout);
  if (o.confine && source_confine(o.confine) != 0) {
    fprintf(stderr, "sentc: cannot confine files to %s: %s\n", o.confine, strerror(errno));
    return 2;
  }
  int file = load(o.policy);
  if (file < 0)
    return 2;

  struct arena *arena = arena_new();
  struct ir_policy *policy = frontend_check(file, arena);
  int status = 0;
  diag_flush();
  if (diag_errors() > 0) {
    fprintf(stderr, "sentc: %d error%s\n", diag_errors(), diag_errors() == 1 ? "" : "s");
    status = 1;
  } else if (o.explain) {
    explain_policy(policy, stdout);
  } else if (!o.check_only && build(policy, &o) != 0) {
    status = 2;
  }
  arena_free(arena);
  frontend_reset();
  return status;
}
