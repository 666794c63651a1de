/*
 * source.c: the table of source files (see source.h).
 */
#include <stdlib.h>
#include <string.h>
#include "source.h"
#include "util.h"

struct source {
  char *path;
  char *text;
  size_t len;
  size_t *lines;           /* where each line starts, made when first quoted */
  size_t n_lines;
};

static struct source *sources;
static int n_sources;

int source_add(const char *path, char *text, size_t len) {
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
    memmove(text, text + 3, len - 3 + 1);
    len -= 3;
  }
  sources = xrealloc(sources, (size_t)(n_sources + 1) * sizeof *sources);
  sources[n_sources] = (struct source){xstrdup(path), text, len, NULL, 0};
  return n_sources++;
}

const char *source_path(int file) { return sources[file].path; }

const char *source_text(int file, size_t *len) {
  *len = sources[file].len;
  return sources[file].text;
}

static void index_lines(struct source *s) {
  size_t n = 1;
  for (const char *p = s->text, *end = p + s->len; (p = memchr(p, '\n', (size_t)(end - p)));
       p++)
    n++;
  s->lines = xmalloc(n * sizeof *s->lines);
  s->lines[0] = 0;
  s->n_lines = 1;
  for (const char *p = s->text, *end = p + s->len; (p = memchr(p, '\n', (size_t)(end - p)));
       p++)
    s->lines[s->n_lines++] = (size_t)(p + 1 - s->text);
}

const char *source_line(int file, int line, size_t *len) {
  struct source *s = &sources[file];
  if (!s->lines)
    index_lines(s);
  if (line < 1 || (size_t)line > s->n_lines)
    return NULL;
  const char *p = s->text + s->lines[line - 1];
  const char *end = (size_t)line < s->n_lines ? s->text + s->lines[line] - 1 : s->text + s->len;
  *len = (size_t)(end - p);
  if (*len && p[*len - 1] == '\r')
    (*len)--;
  return p;
}

void source_free_all(void) {
  for (int i = 0; i < n_sources; i++) {
    free(sources[i].path);
    free(sources[i].text);
    free(sources[i].lines);
  }
  free(sources);
  sources = NULL;
  n_sources = 0;
}
