/*
 * main.c: the sentc command.
 *
 *   sentc POLICY.sentinel [-o main.wasm] [--emit-c FILE] [--check] [--explain]
 *                         [--confine DIR]
 *
 * Reads and checks the policy, writes its tables as C, and builds main.wasm
 * with the wasm32 toolchain.  Silent on success (--explain prints the
 * resolved policy instead of building).  Exit status: 0 success
 * (warnings allowed), 1 errors in the policy, 2 usage or toolchain problems.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ast.h"
#include "codegen.h"
#include "diag.h"
#include "explain.h"
#include "frontend.h"
#include "source.h"
#include "toolchain.h"
#include "util.h"

static void usage(FILE *out) {
  fputs("usage: sentc POLICY.sentinel [-o OUTPUT.wasm] [--emit-c FILE] [--check] [--explain]\n"
        "                             [--confine DIR]\n"
        "\n"
        "Compiles a traffic-protection policy into a Proxy-Wasm module for Envoy.\n"
        "\n"
        "  -o FILE        write the module to FILE (default main.wasm)\n"
        "  --emit-c FILE  also keep the generated C tables in FILE\n"
        "  --check        only check the policy; needs no wasm toolchain\n"
        "  --explain      print the resolved policy in plain words (implies --check)\n"
        "  --confine DIR  read included files and fallback body files only inside DIR\n"
        "                 (for policies that are not trusted like source code)\n"
        "  --help         show this help\n"
        "  --version      show the version\n"
        "\n"
        "Exit status: 0 ok, 1 errors in the policy, 2 usage or toolchain problem.\n",
        out);
}

struct options {
  const char *policy;
  const char *output;
  const char *emit_c;
  const char *confine;
  int check_only;
  int explain;
};

/* Returns -1 to exit 2, 1 to exit 0 (help/version), 0 to go on. */
static int parse_options(int argc, char **argv, struct options *o) {
  static const struct option longs[] = {
    {"emit-c", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
    {"explain", no_argument, NULL, 'x'},      {"confine", required_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
  };
  int ch;
  *o = (struct options){.output = "main.wasm"};
  while ((ch = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    switch (ch) {
    case 'o': o->output = optarg; break;
    case 'c': o->emit_c = optarg; break;
    case 'k': o->check_only = 1; break;
    case 'x': o->explain = o->check_only = 1; break;
    case 'C': o->confine = optarg; break;
    case 'h': usage(stdout); return 1;
    case 'V': puts("sentc " PACKAGE_VERSION); return 1;
    default: usage(stderr); return -1;
    }
  }
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
            errno == EFBIG    ? "larger than 64 MiB"
            : errno == EINVAL ? "not a regular file"
                              : strerror(errno));
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
  int failed = codegen_emit(policy, source, out);
  if (fclose(out) != 0 || failed) {
    fprintf(stderr, "sentc: cannot write %s\n", path);
    return -1;
  }
  return 0;
}

/* Writes the C (to --emit-c or a temporary file) and builds the module. */
static int build(const struct ir_policy *policy, const struct options *o) {
  char temp[] = "/tmp/sentc-XXXXXX.c";
  const char *c_file = o->emit_c;
  if (!c_file) {
    int fd = mkstemps(temp, 2);
    if (fd < 0) {
      fprintf(stderr, "sentc: cannot create a temporary file: %s\n", strerror(errno));
      return -1;
    }
    close(fd);
    c_file = temp;
  }
  int status = write_c(policy, o->policy, c_file);
  if (status == 0)
    status = toolchain_build(c_file, o->output);
  if (!o->emit_c)
    unlink(temp);
  return status;
}

int main(int argc, char **argv) {
  struct options o;
  int opt = parse_options(argc, argv, &o);
  if (opt != 0)
    return opt < 0 ? 2 : 0;
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
