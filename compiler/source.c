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
};

static struct source *sources;
static int n_sources;

int source_add(const char *path, char *text, size_t len) {
  sources = xrealloc(sources, (size_t)(n_sources + 1) * sizeof *sources);
  sources[n_sources] = (struct source){xstrdup(path), text, len};
  return n_sources++;
}

const char *source_path(int file) { return sources[file].path; }

int source_count(void) { return n_sources; }

const char *source_text(int file, size_t *len) {
  *len = sources[file].len;
  return sources[file].text;
}

const char *source_line(int file, int line, size_t *len) {
  const char *p = sources[file].text, *end = p + sources[file].len;
  for (int n = 1; n < line; n++) {
    p = memchr(p, '\n', (size_t)(end - p));
    if (!p)
      return NULL;
    p++;
  }
  const char *eol = memchr(p, '\n', (size_t)(end - p));
  *len = (size_t)((eol ? eol : end) - p);
  if (*len && p[*len - 1] == '\r')
    (*len)--;
  return p;
}

void source_free_all(void) {
  for (int i = 0; i < n_sources; i++) {
    free(sources[i].path);
    free(sources[i].text);
  }
  free(sources);
  sources = NULL;
  n_sources = 0;
}
