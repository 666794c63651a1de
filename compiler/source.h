/*
 * source.h: the files a compilation reads, kept whole in memory so that a
 * diagnostic can quote the line it is about, and so includes can be named
 * by index in every location.  Also the one place where a policy names
 * another file (`include`, `body file`): the path is taken relative to the
 * file that names it, read with a size limit, and, when sentc runs with
 * --confine DIR, refused unless it lies inside DIR.
 */
#ifndef SENTC_SOURCE_H
#define SENTC_SOURCE_H

#include <stddef.h>

/* Takes ownership of text (NUL-terminated, len bytes); returns its index.
 * A UTF-8 byte-order mark at the start is dropped. */
int source_add(const char *path, char *text, size_t len);
const char *source_path(int file);
/* How many files were added: the main policy file first, then each
 * included file in the order it was read. */
int source_count(void);
const char *source_text(int file, size_t *len);
/* The text of a 1-based line without its newline; NULL past the end.
 * Constant time: the lines are indexed once. */
const char *source_line(int file, int line, size_t *len);
void source_free_all(void);

/* From now on source_read_near reads only files inside directory `dir`
 * (its real path, symbolic links resolved); 0, or -1 with errno set when
 * dir cannot be resolved. */
int source_confine(const char *dir);

/* Reads `name` (name_len bytes), a file that source file `from` names:
 * relative to that file's directory unless absolute, a regular file of at
 * most `limit` bytes.  The path used is written to `path` (size bytes).
 * NULL with errno set on failure: read_regular_file's codes (util.h), and
 * EILSEQ for a NUL byte in the name, ENAMETOOLONG, EPERM when --confine
 * forbids it (an absolute path, a '..' segment, or a real path outside). */
char *source_read_near(int from, const char *name, size_t name_len, size_t limit, char *path,
                       size_t size, size_t *len);

/* What a failed source_read_near's errno means, in words for a diagnostic;
 * and the hint for EPERM. */
const char *source_read_error(int err, size_t limit);
#define SOURCE_CONFINE_HINT \
  "with --confine, a policy names files by relative paths without '..', inside the directory"

#endif
