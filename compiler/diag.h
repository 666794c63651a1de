/*
 * diag.h: diagnostics a person can act on.
 *
 *   shop.sentinel:7:3: error: unknown statement 'flwo' in a resource
 *       7 |   flwo 100/s;
 *         |   ^~~~
 *         = hint: did you mean 'flow'?
 *
 * Every message names file:line:col, quotes the line, and marks the span.
 * They are kept as they are found and printed by diag_flush in source
 * order, whichever pass found them; the counts decide sentc's exit status.
 */
#ifndef SENTC_DIAG_H
#define SENTC_DIAG_H

#include <stdio.h>
#include "ast.h"

void diag_error(struct loc loc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_warning(struct loc loc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A hint for the diagnostic just printed. */
void diag_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints every diagnostic kept so far, in source order. */
void diag_flush(void);

int diag_errors(void);
void diag_reset(void);
/* Where diagnostics go (stderr by default). */
void diag_set_output(FILE *out);

/* The closest of `candidates` (NULL-terminated) to `word`, or NULL when
 * none is close enough to be the likely intent. */
const char *diag_closest(const char *word, const char *const *candidates);

#endif
