/*
 * toolchain.c: runs clang (wasm32-wasi), and wasm-opt when present, on the
 * generated tables (see toolchain.h).
 *
 * The runtime is found relative to the sentc executable, so an installed
 * tree can be moved as a whole (prefix-relocatable): first
 * $SENTC_RUNTIME_DIR, then the build tree's rtlib/ beside sentc, then
 * pkglibdir reached from sentc's own directory by the same relative path as
 * at install time, and last the configured pkglibdir itself.
 */
#include <dirent.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "toolchain.h"
#include "util.h"

extern char **environ;

static int has_runtime(const char *dir) {
  char path[PATH_MAX];
  struct stat st;
  return snprintf(path, sizeof path, "%s/tables.h", dir) < (int)sizeof path &&
         stat(path, &st) == 0;
}

static void exe_dir(char *out, size_t size) {
  ssize_t n = readlink("/proc/self/exe", out, size - 1);
  out[n > 0 ? n : 0] = 0;
  char *slash = strrchr(out, '/');
  if (slash)
    *slash = 0;
}

/* Length of the leading path components that a and b share. */
static size_t common_components(const char *a, const char *b) {
  size_t common = 0, i = 0;
  for (; a[i] && a[i] == b[i]; i++)
    if (a[i] == '/')
      common = i;
  if ((!a[i] || a[i] == '/') && (!b[i] || b[i] == '/'))
    common = i;
  return common;
}

/* The path from directory `from` to directory `to`, both absolute. */
static void relative_path(const char *from, const char *to, char *out, size_t size) {
  size_t common = common_components(from, to);
  out[0] = 0;
  for (const char *p = from + common; *p; p++)
    if (*p == '/')
      strncat(out, "../", size - strlen(out) - 1);
  const char *rest = to + common;
  strncat(out, *rest == '/' ? rest + 1 : rest, size - strlen(out) - 1);
}

const char *toolchain_runtime_dir(void) {
  static char dir[2 * PATH_MAX + 8];
  const char *env = getenv("SENTC_RUNTIME_DIR");
  if (env && *env)
    return has_runtime(env) ? env : NULL;
  char exe[PATH_MAX], rel[PATH_MAX];
  exe_dir(exe, sizeof exe);
  snprintf(dir, sizeof dir, "%s/rtlib", exe);
  if (has_runtime(dir))
    return dir;
  relative_path(SENTC_BINDIR, SENTC_PKGLIBDIR, rel, sizeof rel);
  snprintf(dir, sizeof dir, "%s/%s", exe, rel);
  if (has_runtime(dir))
    return dir;
  return has_runtime(SENTC_PKGLIBDIR) ? SENTC_PKGLIBDIR : NULL;
}

/* Runs argv, waits; returns its exit status or -1 if it could not start. */
static int run(char **argv) {
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
    fprintf(stderr, "sentc: cannot run %s\n", argv[0]);
    return -1;
  }
  int status;
  if (waitpid(pid, &status, 0) < 0)
    return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int is_object(const struct dirent *e) {
  size_t n = strlen(e->d_name);
  return n > 2 && strcmp(e->d_name + n - 2, ".o") == 0;
}

/* Splits a space-separated flag string into argv entries (no quoting). */
static void push_words(char **argv, int *argc, char *words) {
  for (char *w = strtok(words, " "); w; w = strtok(NULL, " "))
    argv[(*argc)++] = w;
}

int toolchain_build(const char *c_file, const char *out_wasm) {
  const char *rt = toolchain_runtime_dir();
  if (!rt) {
    fprintf(stderr, "sentc: cannot find the sentc runtime (tables.h and *.o); "
                    "set SENTC_RUNTIME_DIR or reinstall sentc\n");
    return -1;
  }
  struct dirent **objects;
  int n_objects = scandir(rt, &objects, is_object, alphasort);
  if (n_objects <= 0) {
    fprintf(stderr, "sentc: the runtime directory %s holds no objects\n", rt);
    return -1;
  }

  const char *cc = getenv("SENTC_CC");
  char flags[] = SENTC_WASM_TARGET_FLAGS;
  /* How every Proxy-Wasm module is built (Makefile.am: WASM_MODULE_FLAGS,
   * which bench/reference.wasm is built with too). */
  char module_flags[] = SENTC_WASM_MODULE_FLAGS;
  char include[PATH_MAX + 2];
  snprintf(include, sizeof include, "-I%s", rt);
  char **argv = xcalloc((size_t)n_objects + 32, sizeof *argv);
  char **paths = xcalloc((size_t)n_objects, sizeof *paths);
  int argc = 0;
  argv[argc++] = (char *)(cc && *cc ? cc : SENTC_WASM_CC);
  push_words(argv, &argc, flags);
  push_words(argv, &argc, module_flags);
  char *fixed[] = {include, (char *)c_file};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    argv[argc++] = fixed[i];
  for (int i = 0; i < n_objects; i++) {
    size_t len = strlen(rt) + strlen(objects[i]->d_name) + 2;
    paths[i] = xmalloc(len);
    snprintf(paths[i], len, "%s/%s", rt, objects[i]->d_name);
    argv[argc++] = paths[i];
  }
  char *tail[] = {"-o", (char *)out_wasm};
  for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
    argv[argc++] = tail[i];

  int status = run(argv);
  if (status == 0 && SENTC_WASM_OPT[0] && access(SENTC_WASM_OPT, X_OK) == 0 &&
      !getenv("SENTC_NO_WASM_OPT")) {
    char *opt[] = {SENTC_WASM_OPT, "-Oz", (char *)out_wasm, "-o", (char *)out_wasm, NULL};
    status = run(opt);
  }
  for (int i = 0; i < n_objects; i++) {
    free(paths[i]);
    free(objects[i]);
  }
  free(objects);
  free(paths);
  free(argv);
  if (status != 0) {
    fprintf(stderr, "sentc: the wasm toolchain failed (%s)\n", cc && *cc ? cc : SENTC_WASM_CC);
    return -1;
  }
  return 0;
}
