/*
 * source.h: the files a compilation reads, kept whole in memory so that a
 * diagnostic can quote the line it is about, and so includes can be named
 * by index in every location.
 */
#ifndef SENTC_SOURCE_H
#define SENTC_SOURCE_H

#include <stddef.h>

/* Takes ownership of text (NUL-terminated, len bytes); returns its index.
 * A UTF-8 byte-order mark at the start is dropped. */
int source_add(const char *path, char *text, size_t len);
const char *source_path(int file);
const char *source_text(int file, size_t *len);
/* The text of a 1-based line without its newline; NULL past the end.
 * Constant time: the lines are indexed once. */
const char *source_line(int file, int line, size_t *len);
void source_free_all(void);

#endif
