/*
 * diag.c: diagnostics with the quoted line and a caret (see diag.h).
 *
 * The lexer, the parser and the checker find mistakes in different passes;
 * the user wants them in source order.  So each diagnostic is rendered into
 * a memory stream as it is found and kept, and diag_flush prints them all
 * sorted by position.
 *
 * A policy is text from someone else as often as not, so what is printed is
 * bounded and inert: at most DIAG_MAX diagnostics are kept (the lexer stops
 * there, see diag_stopped); a long line is quoted as a window around the
 * caret; a long message is cut; and bytes that a terminal would act on
 * (control characters, escape sequences, bidirectional overrides,
 * invisible characters, invalid UTF-8) are shown as \xHH, the quoted line
 * and its caret kept in step.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "source.h"
#include "util.h"

struct record {
  struct loc loc;
  size_t order;            /* keeps equal positions in the order found */
  char *text;
};

static int errors;
static FILE *output;
static struct record *records;
static size_t n_records;
static char *current;      /* the text of the diagnostic being written */
static size_t current_len;
static FILE *current_stream;

/* Where the last quote stopped counting columns: the lexer reports a long
 * line's mistakes left to right, so each quote goes on from there instead
 * of counting from the start of the line again. */
static struct {
  const char *line;
  int col;
  size_t at;
} last_count;

void diag_set_output(FILE *f) { output = f; }
int diag_errors(void) { return errors; }
int diag_stopped(void) { return n_records >= DIAG_MAX; }

/* Closes the stream of the diagnostic being written and files it. */
static void file_current(void) {
  if (!current_stream)
    return;
  fclose(current_stream);
  current_stream = NULL;
  records[n_records - 1].text = current;
}

static FILE *out(void) { return current_stream; }

/* Starts a diagnostic at loc; 0 when it is one too many (dropped). */
static int begin(struct loc loc) {
  file_current();
  if (diag_stopped())
    return 0;
  records = xrealloc(records, (n_records + 1) * sizeof *records);
  records[n_records] = (struct record){loc, n_records, NULL};
  n_records++;
  current_stream = open_memstream(&current, &current_len);
  if (!current_stream) {
    fputs("sentc: out of memory\n", stderr);
    exit(2);
  }
  return 1;
}

static int by_position(const void *a, const void *b) {
  const struct record *x = a, *y = b;
  if (x->loc.file != y->loc.file)
    return x->loc.file < y->loc.file ? -1 : 1;
  if (x->loc.line != y->loc.line)
    return x->loc.line < y->loc.line ? -1 : 1;
  if (x->loc.col != y->loc.col)
    return x->loc.col < y->loc.col ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

void diag_flush(void) {
  file_current();
  if (n_records)               /* qsort may not be given a NULL array */
    qsort(records, n_records, sizeof *records, by_position);
  FILE *f = output ? output : stderr;
  for (size_t i = 0; i < n_records; i++) {
    fputs(records[i].text, f);
    free(records[i].text);
  }
  if (diag_stopped())
    fprintf(f, "sentc: too many errors and warnings: stopped after the first %d\n", DIAG_MAX);
  free(records);
  records = NULL;
  n_records = 0;
}

void diag_reset(void) {
  diag_flush();
  errors = 0;
  last_count.line = NULL;          /* the sources it points into go too */
}

/* ---- text a terminal shows as it is ---- */

/* One character as printed: the bytes as they are, or one byte as \xHH. */
struct unit {
  size_t len;              /* bytes of the source it stands for */
  int escaped;             /* printed as \xHH (then len is 1) */
  int new_column;          /* the lexer counts it as a column (not a stray
                              UTF-8 continuation byte) */
};

#define ESCAPE_WIDTH 4     /* \xHH */

/* Characters that reorder the text around them (bidirectional controls),
 * or that cannot be seen (zero-width ones, the byte-order mark). */
static int bidi_or_invisible(uint32_t cp) {
  return cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

static struct unit next_unit(const char *s, size_t n, int keep_tabs) {
  unsigned char b = (unsigned char)s[0];
  struct unit u = {1, 0, (b & 0xC0) != 0x80};
  uint32_t cp;
  size_t len = utf8_char(s, n, &cp);
  if (len == 0 || (cp < 0x20 && !(cp == '\t' && keep_tabs)) || cp == 0x7F ||
      (cp >= 0x80 && cp <= 0x9F) || bidi_or_invisible(cp))
    u.escaped = 1;
  else
    u.len = len;
  return u;
}

static int unit_width(struct unit u) { return u.escaped ? ESCAPE_WIDTH : 1; }

static void put_unit(FILE *f, const char *s, struct unit u) {
  if (u.escaped)
    fprintf(f, "\\x%02x", (unsigned char)s[0]);
  else
    fwrite(s, 1, u.len, f);
}

/* Writes text (len bytes) made inert, at most `columns` wide, then "...". */
static void put_clean(FILE *f, const char *text, size_t len, int columns) {
  int width = 0;
  for (size_t i = 0; i < len;) {
    struct unit u = next_unit(text + i, len - i, 0);
    if (width + unit_width(u) > columns) {
      fputs("...", f);
      return;
    }
    put_unit(f, text + i, u);
    width += unit_width(u);
    i += u.len;
  }
}

/* A formatted message, made inert and bounded. */
static void put_message(FILE *f, const char *fmt, va_list ap) {
  char small[512];
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0)
    return;
  char *text = (size_t)n < sizeof small ? small : xmalloc((size_t)n + 1);
  if (text != small)
    vsnprintf(text, (size_t)n + 1, fmt, ap);
  put_clean(f, text, (size_t)n, DIAG_MESSAGE_COLUMNS);
  if (text != small)
    free(text);
}

/* ---- the quoted line ---- */

static int new_column(char c) { return ((unsigned char)c & 0xC0) != 0x80; }

/* The byte of `line` where column `col` starts, or len when the line is
 * shorter; *reached is the column of that byte (one past the last column
 * for len). */
static size_t column_start(const char *line, size_t len, int col, int *reached) {
  size_t at = 0;
  int c = 0;                       /* the column of the bytes before `at` */
  if (last_count.line == line && last_count.col <= col) {
    at = last_count.at;
    c = last_count.col - 1;
  }
  for (; at < len; at++)
    if (new_column(line[at]) && ++c == col)
      break;
  *reached = at < len ? col : c + 1;
  if (at < len)
    last_count.line = line, last_count.col = col, last_count.at = at;
  return at;
}

/* Where a window showing the byte `at` starts: at most DIAG_QUOTE_BEFORE
 * columns to its left (counting every byte that may be escaped as 4). */
static size_t window_start(const char *line, size_t at) {
  int width = 0;
  while (at > 0) {
    unsigned char b = (unsigned char)line[at - 1];
    width += b >= 0x20 && b < 0x7F ? 1 : ESCAPE_WIDTH;
    if (width > DIAG_QUOTE_BEFORE)
      break;
    at--;
  }
  while (at > 0 && !new_column(line[at]))   /* start at a character */
    at--;
  return at;
}

/* Is the whole line at most DIAG_QUOTE_COLUMNS wide? */
static int fits(const char *line, size_t len) {
  if (len <= DIAG_QUOTE_COLUMNS / ESCAPE_WIDTH)
    return 1;
  int width = 0;
  for (size_t i = 0; i < len && width <= DIAG_QUOTE_COLUMNS;) {
    struct unit u = next_unit(line + i, len - i, 1);
    width += unit_width(u);
    i += u.len;
  }
  return width <= DIAG_QUOTE_COLUMNS;
}

/* The quoted line (or a window of it) and a marker under [col, end_col). */
static void quote(struct loc loc) {
  size_t len;
  const char *line = source_line(loc.file, loc.line, &len);
  if (!line)
    return;
  int end_col = loc.end_line == loc.line && loc.end_col > loc.col ? loc.end_col : loc.col + 1;
  int reached;
  size_t caret = column_start(line, len, loc.col, &reached);
  size_t from = fits(line, len) ? 0 : window_start(line, caret);
  int c = reached - 1;             /* the column before `from` */
  for (size_t i = from; i < caret; i++)
    c -= new_column(line[i]);
  FILE *f = out();
  /* The line, then the marker under it, unit by unit in the same widths. */
  fprintf(f, "%5d | %s", loc.line, from ? "..." : "");
  int width = 0;
  size_t to = from;
  while (to < len && width < DIAG_QUOTE_COLUMNS) {
    struct unit u = next_unit(line + to, len - to, 1);
    put_unit(f, line + to, u);
    width += unit_width(u);
    to += u.len;
  }
  fprintf(f, "%s\n      | %s", to < len ? "..." : "", from ? "   " : "");
  int marked = 0;
  for (size_t i = from; i < to;) {
    struct unit u = next_unit(line + i, len - i, 1);
    c += u.new_column;
    if (c >= end_col)
      break;
    for (int k = 0; k < unit_width(u); k++) {
      if (c < loc.col)
        fputc(line[i] == '\t' ? '\t' : ' ', f);
      else
        fputc(marked++ ? '~' : '^', f);
    }
    i += u.len;
  }
  if (!marked) {                   /* the span starts past the end of the line */
    for (int pad = 0; ++c < loc.col && pad < DIAG_QUOTE_COLUMNS; pad++)
      fputc(' ', f);
    fputc('^', f);
  }
  fputc('\n', f);
}

static void report(const char *severity, struct loc loc, const char *fmt, va_list ap) {
  if (!begin(loc))
    return;
  FILE *f = out();
  const char *path = source_path(loc.file);
  put_clean(f, path, strlen(path), DIAG_MESSAGE_COLUMNS);
  fprintf(f, ":%d:%d: %s: ", loc.line, loc.col, severity);
  put_message(f, fmt, ap);
  fputc('\n', f);
  quote(loc);
}

void diag_error(struct loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("error", loc, fmt, ap);
  va_end(ap);
  errors++;
}

void diag_warning(struct loc loc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("warning", loc, fmt, ap);
  va_end(ap);
}

void diag_hint(const char *fmt, ...) {
  if (!current_stream)
    return;
  va_list ap;
  va_start(ap, fmt);
  fputs("      = hint: ", out());
  put_message(out(), fmt, ap);
  fputc('\n', out());
  va_end(ap);
}

/* ---- did you mean ---- */

/* Levenshtein distance, capped: words longer than 64 are never "close". */
static size_t distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64)
    return (size_t)-1;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = diag + cost;
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *diag_closest(const char *word, const char *const *candidates) {
  if (diag_stopped())              /* the hint would not be shown */
    return NULL;
  const char *best = NULL;
  size_t best_distance = (size_t)-1;
  for (; *candidates; candidates++) {
    size_t d = distance(word, *candidates);
    if (d < best_distance) {
      best_distance = d;
      best = *candidates;
    }
  }
  /* Close enough: at most a third of the word's letters wrong, and at least one right. */
  size_t limit = strlen(word) / 3 + 1;
  return best && best_distance <= limit && best_distance < strlen(word) ? best : NULL;
}
