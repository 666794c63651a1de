/*
 * source.c: the table of source files and the reading of files a policy
 * names (see source.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
static char *confined_to;  /* the real path of --confine's directory, or NULL */

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

int source_count(void) { return n_sources; }

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

int source_confine(const char *dir) {
  char *real = realpath(dir, NULL);
  struct stat st;
  if (!real || stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (real)
      errno = ENOTDIR;
    free(real);
    return -1;
  }
  free(confined_to);
  confined_to = real;
  return 0;
}

/* Does the name leave the directory it is relative to? */
static int escapes(const char *name, size_t len) {
  if (len && name[0] == '/')
    return 1;
  for (size_t i = 0; i + 1 < len; i++)
    if (name[i] == '.' && name[i + 1] == '.' && (i == 0 || name[i - 1] == '/') &&
        (i + 2 == len || name[i + 2] == '/'))
      return 1;
  return 0;
}

/* Is the real path `real` confined_to or below it? */
static int inside(const char *real) {
  size_t n = strlen(confined_to);
  if (n == 1)                          /* confined to "/" */
    return 1;
  return strncmp(real, confined_to, n) == 0 && (real[n] == '/' || real[n] == 0);
}

char *source_read_near(int from, const char *name, size_t name_len, size_t limit, char *path,
                       size_t size, size_t *len) {
  if (memchr(name, 0, name_len)) {
    errno = EILSEQ;
    return NULL;
  }
  const char *base = source_path(from);
  const char *slash = strrchr(base, '/');
  int n = name[0] == '/' || !slash
              ? snprintf(path, size, "%s", name)
              : snprintf(path, size, "%.*s/%s", (int)(slash - base), base, name);
  if (n < 0 || (size_t)n >= size) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  if (!confined_to)
    return read_regular_file(path, limit, len);
  if (escapes(name, name_len)) {
    errno = EPERM;
    return NULL;
  }
  char *real = realpath(path, NULL);
  if (!real)
    return NULL;
  char *text = NULL;
  if (!inside(real))
    errno = EPERM;
  else
    text = read_regular_file(real, limit, len);
  int saved = errno;
  free(real);
  errno = saved;
  return text;
}

const char *source_read_error(int err, size_t limit) {
  static char words[64];
  switch (err) {
  case EFBIG:
    if (limit % (1u << 20) == 0)
      snprintf(words, sizeof words, "larger than %zu MiB", limit >> 20);
    else
      snprintf(words, sizeof words, "larger than %zu bytes", limit);
    return words;
  case EINVAL: return "not a regular file";
  case EILSEQ: return "the path holds a NUL byte";
  case EPERM: return "outside the directory sentc was confined to (--confine)";
  default: return strerror(err);
  }
}
