/*
 * diag.c: diagnostics with the quoted line and a caret (see diag.h).
 *
 * The lexer, the parser and the checker find mistakes in different passes;
 * the user wants them in source order.  So each diagnostic is rendered into
 * a memory stream as it is found and kept, and diag_flush prints them all
 * sorted by position.
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

void diag_set_output(FILE *f) { output = f; }
int diag_errors(void) { return errors; }

/* Closes the stream of the diagnostic being written and files it. */
static void file_current(void) {
  if (!current_stream)
    return;
  fclose(current_stream);
  current_stream = NULL;
  records[n_records - 1].text = current;
}

static FILE *out(void) { return current_stream; }

static void begin(struct loc loc) {
  file_current();
  records = xrealloc(records, (n_records + 1) * sizeof *records);
  records[n_records] = (struct record){loc, n_records, NULL};
  n_records++;
  current_stream = open_memstream(&current, &current_len);
  if (!current_stream) {
    fputs("sentc: out of memory\n", stderr);
    exit(2);
  }
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
  free(records);
  records = NULL;
  n_records = 0;
}

void diag_reset(void) {
  diag_flush();
  errors = 0;
}

/* Columns count characters, not bytes: skip UTF-8 continuation bytes. */
static int is_continuation(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* The quoted line and a marker under [col, end_col) of it. */
static void quote(struct loc loc) {
  size_t len;
  const char *line = source_line(loc.file, loc.line, &len);
  if (!line)
    return;
  FILE *f = out();
  fprintf(f, "%5d | %.*s\n      | ", loc.line, (int)len, line);
  int end_col = loc.end_line == loc.line && loc.end_col > loc.col ? loc.end_col : loc.col + 1;
  int col = 1;
  for (size_t i = 0; i < len && col < end_col; i++) {
    if (is_continuation(line[i]))
      continue;
    if (col == loc.col)
      fputc('^', f);
    else if (col > loc.col)
      fputc('~', f);
    else
      fputc(line[i] == '\t' ? '\t' : ' ', f);
    col++;
  }
  if (col <= loc.col) {            /* the span starts at or past the end of the line */
    for (; col < loc.col; col++)
      fputc(' ', f);
    fputc('^', f);
  }
  fputc('\n', f);
}

static void report(const char *severity, struct loc loc, const char *fmt, va_list ap) {
  begin(loc);
  FILE *f = out();
  fprintf(f, "%s:%d:%d: %s: ", source_path(loc.file), loc.line, loc.col, severity);
  vfprintf(f, fmt, ap);
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
  vfprintf(out(), fmt, ap);
  fputc('\n', out());
  va_end(ap);
}

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
