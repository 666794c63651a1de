/*
 * yaml.c: the block-style YAML printer of yaml.h.
 */
#include <string.h>
#include <strings.h>
#include "json.h"
#include "yaml.h"

static void yaml_indent(FILE *out, int n) {
  for (int i = 0; i < n; i++)
    putc(' ', out);
}

/* Words a YAML 1.1 reader (kubectl's) takes for a boolean or null. */
static int yaml_reserved(const char *k, size_t len) {
  static const char *const words[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strlen(words[i]) == len && strncasecmp(words[i], k, len) == 0)
      return 1;
  return 0;
}

/* Plain keys: letters, digits, '_', '-', '.', '/', not starting with a
 * digit or '-', and not a YAML 1.1 boolean or null; anything else is quoted. */
static void yaml_key(FILE *out, const char *k, size_t len) {
  int plain = len > 0 && !(k[0] >= '0' && k[0] <= '9') && k[0] != '-' && !yaml_reserved(k, len);
  for (size_t i = 0; plain && i < len; i++) {
    char c = k[i];
    plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-' || c == '.' || c == '/';
  }
  if (plain)
    fwrite(k, 1, len, out);
  else
    json_quote(out, k, len);
}

static int yaml_is_block(const struct doc *d) {
  return (d->kind == DOC_MAP || d->kind == DOC_LIST) && d->n > 0;
}

static void yaml_scalar(FILE *out, const struct doc *d) {
  if (d->kind == DOC_MAP)
    fputs("{}", out);
  else if (d->kind == DOC_LIST)
    fputs("[]", out);
  else
    json_write(out, d);
}

static void yaml_node(FILE *out, const struct doc *d, int indent);

/* The entries of a block map; the first one continues the current line
 * when `inline_first` (after "- "). */
static void yaml_map(FILE *out, const struct doc *d, int indent, int inline_first) {
  for (size_t i = 0; i < d->n; i++) {
    if (i > 0 || !inline_first)
      yaml_indent(out, indent);
    yaml_key(out, d->items[i].key, d->items[i].key_len);
    const struct doc *v = d->items[i].value;
    if (yaml_is_block(v)) {
      fputs(":\n", out);
      yaml_node(out, v, indent + 2);
    } else {
      fputs(": ", out);
      yaml_scalar(out, v);
      putc('\n', out);
    }
  }
}

static void yaml_list(FILE *out, const struct doc *d, int indent) {
  for (size_t i = 0; i < d->n; i++) {
    const struct doc *v = d->items[i].value;
    yaml_indent(out, indent);
    fputs("- ", out);
    if (v->kind == DOC_MAP && v->n > 0) {
      yaml_map(out, v, indent + 2, 1);
    } else if (v->kind == DOC_LIST && v->n > 0) {
      putc('\n', out);
      yaml_list(out, v, indent + 2);
    } else {
      yaml_scalar(out, v);
      putc('\n', out);
    }
  }
}

static void yaml_node(FILE *out, const struct doc *d, int indent) {
  if (d->kind == DOC_MAP && d->n > 0)
    yaml_map(out, d, indent, 0);
  else if (d->kind == DOC_LIST && d->n > 0)
    yaml_list(out, d, indent);
  else {
    yaml_indent(out, indent);
    yaml_scalar(out, d);
    putc('\n', out);
  }
}

void yaml_write(FILE *out, const struct doc *d) { yaml_node(out, d, 0); }

void yaml_comment(FILE *out, const char *text) { fprintf(out, "# %s\n", text); }
