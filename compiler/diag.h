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
 *
 * Bounds (docs/language.md, "Limits"): at most DIAG_MAX diagnostics are
 * kept, later ones are only counted; a line wider than DIAG_QUOTE_COLUMNS
 * is quoted as a window that starts DIAG_QUOTE_BEFORE columns left of the
 * caret, with "..." where it is cut; a message is cut after
 * DIAG_MESSAGE_COLUMNS.  Control characters, escape sequences,
 * bidirectional controls and invalid UTF-8 are printed as \xHH.
 */
#ifndef SENTC_DIAG_H
#define SENTC_DIAG_H

#include <stdio.h>
#include "ast.h"

#define DIAG_MAX 100
#define DIAG_QUOTE_COLUMNS 120
#define DIAG_QUOTE_BEFORE 40
#define DIAG_MESSAGE_COLUMNS 400

void diag_error(struct loc loc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_warning(struct loc loc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A hint for the diagnostic just printed. */
void diag_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints every diagnostic kept so far, in source order. */
void diag_flush(void);

int diag_errors(void);
/* Have DIAG_MAX diagnostics been kept?  Then the lexer stops reading, and
 * later diagnostics are counted but not kept. */
int diag_stopped(void);
void diag_reset(void);
/* Where diagnostics go (stderr by default). */
void diag_set_output(FILE *out);

/* The closest of `candidates` (NULL-terminated) to `word`, or NULL when
 * none is close enough to be the likely intent. */
const char *diag_closest(const char *word, const char *const *candidates);

#endif
