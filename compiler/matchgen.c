/*
 * matchgen.c: matches as C tables (see matchgen.h).  First cut: methods and
 * paths, one resource at a time.
 */
#include "cwrite.h"
#include "matchgen.h"

static const char *method_names[] = {
  "SENTC_GET", "SENTC_HEAD", "SENTC_POST", "SENTC_PUT", "SENTC_DELETE",
  "SENTC_CONNECT", "SENTC_OPTIONS", "SENTC_TRACE", "SENTC_PATCH",
};

static void emit_methods(FILE *out, uint32_t methods) {
  if (!methods) {
    fputs("0", out);
    return;
  }
  const char *sep = "";
  for (unsigned i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
    if (methods & (1u << i)) {
      fprintf(out, "%s%s", sep, method_names[i]);
      sep = " | ";
    }
  }
}

static const char *path_kinds[] = {
  [IR_PATH_EXACT] = "SENTC_PATH_EXACT", [IR_PATH_PREFIX] = "SENTC_PATH_PREFIX",
  [IR_PATH_TEMPLATE] = "SENTC_PATH_TEMPLATE",
};

void matchgen_emit_arrays(FILE *out, const struct ir_match *m, size_t index) {
  if (!m->n_paths)
    return;
  fprintf(out, "static const struct sentc_path paths_%zu[] = {\n", index);
  for (size_t i = 0; i < m->n_paths; i++) {
    fprintf(out, "  {%s, %d, ", path_kinds[m->paths[i].kind], m->paths[i].grpc);
    cwrite_string(out, m->paths[i].text);
    fprintf(out, "},  /* line %d */\n", m->paths[i].loc.line);
  }
  fputs("};\n", out);
}

void matchgen_emit_match(FILE *out, const struct ir_match *m, size_t index) {
  fprintf(out, "{%s, ", m->protocol == IR_TCP ? "SENTC_TCP" : "SENTC_HTTP");
  emit_methods(out, m->methods);
  fputs(", 0, 0, ", out);
  if (m->n_paths)
    fprintf(out, "%zu, paths_%zu", m->n_paths, index);
  else
    fputs("0, 0", out);
  fputs(", 0, 0, 0, 0}", out);
}

static const char *path_words[] = {
  [IR_PATH_EXACT] = "is exactly", [IR_PATH_PREFIX] = "starts with",
  [IR_PATH_TEMPLATE] = "fits the template",
};

void matchgen_explain(FILE *out, const struct ir_match *m, const char *indent) {
  if (!m->methods && !m->n_paths) {
    fprintf(out, "%severy HTTP request\n", indent);
    return;
  }
  if (m->methods) {
    fprintf(out, "%smethod is one of:", indent);
    for (unsigned i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
      if (m->methods & (1u << i))
        fprintf(out, " %s", method_names[i] + 6);
    fputc('\n', out);
  }
  for (size_t i = 0; i < m->n_paths; i++) {
    fprintf(out, "%s%s path %s ", indent, i ? "or" : "and", path_words[m->paths[i].kind]);
    cwrite_literal(out, m->paths[i].text);
    fputc('\n', out);
  }
}
