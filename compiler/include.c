/*
 * include.c: `include "path";` at the top level, as textual inclusion (see
 * frontend.h).  The included file's statements take the include's place,
 * so the checker sees one list; every location keeps its own file index,
 * so diagnostics name the file a mistake is in.  Paths are relative to the
 * including file; a file that includes itself, directly or not, is an
 * error naming the whole cycle.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "frontend.h"
#include "parse.h"
#include "schema.h"
#include "source.h"
#include "util.h"

#define MAX_INCLUDE_DEPTH 16

/* The files being included, outermost first, by canonical path. */
struct chain {
  const char *paths[MAX_INCLUDE_DEPTH + 1];
  int files[MAX_INCLUDE_DEPTH + 1];
  int depth;
};

static const char *canonical(struct arena *arena, const char *path) {
  char *real = realpath(path, NULL);
  const char *kept = arena_strndup(arena, real ? real : path, strlen(real ? real : path));
  free(real);
  return kept;
}

/* `name` relative to the directory of source file `from`. */
static void relative_to(char *out, size_t size, int from, const char *name) {
  const char *base = source_path(from);
  const char *slash = strrchr(base, '/');
  if (name[0] == '/' || !slash)
    snprintf(out, size, "%s", name);
  else
    snprintf(out, size, "%.*s/%s", (int)(slash - base), base, name);
}

static void report_cycle(const struct stmt *s, const struct chain *chain, int from) {
  diag_error(s->args->loc, "'%s' includes itself", s->args->text);
  char cycle[1024] = "";
  for (int i = from; i < chain->depth; i++) {
    strncat(cycle, source_path(chain->files[i]), sizeof cycle - strlen(cycle) - 1);
    strncat(cycle, " -> ", sizeof cycle - strlen(cycle) - 1);
  }
  strncat(cycle, source_path(chain->files[from]), sizeof cycle - strlen(cycle) - 1);
  diag_hint("the cycle is %s", cycle);
}

static struct stmt *expand(struct stmt *stmts, struct chain *chain, struct arena *arena);

/* The statements of the file `s` includes, expanded; NULL when none. */
static struct stmt *include_one(const struct stmt *s, struct chain *chain, struct arena *arena) {
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, v, V_STRING, "include \"common.sentinel\";") ||
      !args_done(s, v->next))
    return NULL;
  if (v->kind != V_STRING || v->text_len == 0 || memchr(v->text, 0, v->text_len)) {
    diag_error(v->loc, "'include' needs a file path in quotes");
    return NULL;
  }
  char path[PATH_MAX];
  relative_to(path, sizeof path, s->loc.file, v->text);
  const char *key = canonical(arena, path);
  for (int i = 0; i < chain->depth; i++) {
    if (strcmp(chain->paths[i], key) == 0) {
      report_cycle(s, chain, i);
      return NULL;
    }
  }
  if (chain->depth > MAX_INCLUDE_DEPTH) {
    diag_error(v->loc, "includes nest more than %d deep", MAX_INCLUDE_DEPTH);
    return NULL;
  }
  size_t len;
  char *text = read_regular_file(path, FRONTEND_MAX_FILE_BYTES, &len);
  if (!text) {
    diag_error(v->loc, "cannot include '%s': %s", path,
               errno == EINVAL ? "not a regular file" : strerror(errno));
    diag_hint("the path is relative to the file that includes it");
    return NULL;
  }
  int file = source_add(path, text, len);
  chain->paths[chain->depth] = key;
  chain->files[chain->depth] = file;
  chain->depth++;
  struct stmt *included = expand(parse_file(file, arena), chain, arena);
  chain->depth--;
  return included;
}

static struct stmt *expand(struct stmt *stmts, struct chain *chain, struct arena *arena) {
  struct stmt head = {.next = stmts};
  for (struct stmt *prev = &head, *s = stmts; s; s = prev->next) {
    if (strcmp(s->keyword, "include") != 0) {
      prev = s;
      continue;
    }
    struct stmt *first = include_one(s, chain, arena), *last = first;
    while (last && last->next)
      last = last->next;
    if (last) {
      last->next = s->next;
      prev->next = first;
      prev = last;
    } else {
      prev->next = s->next;
    }
  }
  return head.next;
}

struct stmt *include_expand(struct stmt *stmts, int file, struct arena *arena) {
  struct chain chain = {.depth = 1};
  chain.paths[0] = canonical(arena, source_path(file));
  chain.files[0] = file;
  return expand(stmts, &chain, arena);
}
