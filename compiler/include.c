/*
 * include.c: `include "path";` at the top level, as textual inclusion (see
 * frontend.h).  The included file's statements take the include's place,
 * so the checker sees one list; every location keeps its own file index,
 * so diagnostics name the file a mistake is in.  Paths are relative to the
 * including file (source.c reads them); a file that includes itself,
 * directly or not, is an error naming the whole cycle.
 *
 * A file may be included more than once (by different files), so without
 * a bound a few small files that each include the next four times would
 * expand to 4^16 copies: the number of inclusions and the text of all the
 * policy's files together are bounded (frontend.h), and the first include
 * past either bound is an error that stops further inclusion.
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

/* The files being included, outermost first, by canonical path, and what
 * the whole expansion has read so far. */
struct chain {
  const char *paths[FRONTEND_MAX_INCLUDE_DEPTH + 1];
  int files[FRONTEND_MAX_INCLUDE_DEPTH + 1];
  int depth;
  size_t inclusions;
  size_t bytes;                /* of every file read, the main one too */
  int stopped;                 /* a bound was hit: include nothing more */
};

static const char *canonical(struct arena *arena, const char *path) {
  char *real = realpath(path, NULL);
  const char *kept = arena_strndup(arena, real ? real : path, strlen(real ? real : path));
  free(real);
  return kept;
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

/* Reports the first include past a bound; the rest are skipped quietly. */
static void stop(struct chain *chain, const struct value *v, const char *why) {
  diag_error(v->loc, "cannot include '%s': %s", v->text, why);
  diag_hint("a policy makes at most %u inclusions, and its files hold at most %u MiB "
            "together; no further file is included",
            FRONTEND_MAX_INCLUSIONS, FRONTEND_MAX_POLICY_BYTES >> 20);
  chain->stopped = 1;
}

static struct stmt *expand(struct stmt *stmts, struct chain *chain, struct arena *arena);

/* The statements of the file `s` includes, expanded; NULL when none. */
static struct stmt *include_one(const struct stmt *s, struct chain *chain, struct arena *arena) {
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s) || !arg_need(s, v, V_STRING, "include \"common.sentinel\";") ||
      !args_done(s, v->next))
    return NULL;
  if (v->kind != V_STRING || v->text_len == 0) {
    diag_error(v->loc, "'include' needs a file path in quotes");
    return NULL;
  }
  if (chain->stopped)
    return NULL;
  if (chain->inclusions >= FRONTEND_MAX_INCLUSIONS) {
    stop(chain, v, "too many inclusions");
    return NULL;
  }
  if (chain->depth > FRONTEND_MAX_INCLUDE_DEPTH) {
    diag_error(v->loc, "includes nest more than %d deep", FRONTEND_MAX_INCLUDE_DEPTH);
    return NULL;
  }
  size_t len, left = FRONTEND_MAX_POLICY_BYTES - chain->bytes;
  char path[PATH_MAX];
  char *text = source_read_near(s->loc.file, v->text, v->text_len, left, path, sizeof path,
                                &len);
  if (!text && errno == EFBIG) {
    stop(chain, v, "it would take the policy's files past their size limit");
    return NULL;
  }
  if (!text) {
    diag_error(v->loc, "cannot include '%s': %s", errno == EILSEQ ? v->text : path,
               source_read_error(errno, left));
    diag_hint("%s", errno == EPERM ? SOURCE_CONFINE_HINT
                                   : "the path is relative to the file that includes it");
    return NULL;
  }
  const char *key = canonical(arena, path);
  for (int i = 0; i < chain->depth; i++) {
    if (strcmp(chain->paths[i], key) == 0) {
      free(text);
      report_cycle(s, chain, i);
      return NULL;
    }
  }
  chain->inclusions++;
  chain->bytes += len;
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
  source_text(file, &chain.bytes);
  return expand(stmts, &chain, arena);
}
