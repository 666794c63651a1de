/*
 * matchgen.c: matches as C tables (see matchgen.h).
 *
 * Each resource keeps its own `struct sentc_match` (the runtime checks a
 * candidate's method, hosts and headers with it, and --explain reads it).
 * The matcher keys every resource by the most selective thing it has:
 * its paths go into the path DFA, else its hosts (reversed) into the host
 * DFA, else it lands on the list checked for every request.
 */
#include <stdlib.h>
#include "../runtime/tables.h"
#include "codegen.h"
#include "cwrite.h"
#include "dfa.h"
#include "matchgen.h"

/* Above this many states an automaton is not worth shipping; nor one whose
 * construction would take more than this many steps (each a few ns and a
 * few bytes: dfa.h), however few states it ends with. */
#define MAX_DFA_STATES (1u << 22)
#define MAX_DFA_WORK ((size_t)1 << 26)
/* Walks' entries hold the resource index above their flags (tables.h). */
#define MAX_KEYED_RESOURCES (UINT32_MAX >> SENTC_ENTRY_RESOURCE_SHIFT)
/* dfa.c packs NFA node numbers in 24 bits. */
#define MAX_NFA_NODES 0xfff000u

/* Bit i of a method set is method_names[i] (tables.h's list). */
static const char *method_names[] = {
#define METHOD_NAME(name, bit) [bit] = "SENTC_" #name,
  SENTC_METHOD_LIST(METHOD_NAME)
#undef METHOD_NAME
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

static const char *const path_kinds[] = {SENTC_PATH_KIND_LIST(SENTC_ENUM_NAME)};
static const char *const header_ops[] = {SENTC_HEADER_OP_LIST(SENTC_ENUM_NAME)};
static const char *const protocols[] = {SENTC_PROTOCOL_LIST(SENTC_ENUM_NAME)};

void matchgen_emit_arrays(FILE *out, const struct ir_match *m, size_t index) {
  if (m->n_hosts) {
    fprintf(out, "static const struct sentc_host hosts_%zu[] = {\n", index);
    for (size_t i = 0; i < m->n_hosts; i++) {
      fprintf(out, "  {.wildcard = %d, .name = ", m->hosts[i].wildcard);
      cwrite_string(out, m->hosts[i].name);
      fprintf(out, "},  /* line %d */\n", m->hosts[i].loc.line);
    }
    fputs("};\n", out);
  }
  if (m->n_paths) {
    fprintf(out, "static const struct sentc_path paths_%zu[] = {\n", index);
    for (size_t i = 0; i < m->n_paths; i++) {
      fprintf(out, "  {.kind = %s, .grpc = %d, .text = ", path_kinds[m->paths[i].kind],
              m->paths[i].grpc);
      cwrite_string(out, m->paths[i].text);
      fprintf(out, "},  /* line %d */\n", m->paths[i].loc.line);
    }
    fputs("};\n", out);
  }
  if (m->n_headers) {
    fprintf(out, "static const struct sentc_header_match headers_%zu[] = {\n", index);
    for (size_t i = 0; i < m->n_headers; i++) {
      fputs("  {.name = ", out);
      cwrite_string(out, m->headers[i].name);
      fprintf(out, ", .op = %s, .value = ", header_ops[m->headers[i].op]);
      cwrite_string(out, m->headers[i].value);
      fprintf(out, "},  /* line %d */\n", m->headers[i].loc.line);
    }
    fputs("};\n", out);
  }
  if (m->n_ports) {
    fprintf(out, "static const uint16_t ports_%zu[] = {", index);
    for (size_t i = 0; i < m->n_ports; i++)
      fprintf(out, "%s%u", i ? ", " : "", m->ports[i]);
    fputs("};\n", out);
  }
}

static void emit_list(FILE *out, size_t n, const char *name, size_t index) {
  codegen_array(out, name, n, "%s_%zu", name, index);
}

void matchgen_emit_match(FILE *out, const struct ir_match *m, size_t index) {
  fprintf(out, "{.protocol = %s", protocols[m->protocol]);
  if (m->methods) {
    fputs(", .methods = ", out);
    emit_methods(out, m->methods);
  }
  emit_list(out, m->n_hosts, "hosts", index);
  emit_list(out, m->n_paths, "paths", index);
  emit_list(out, m->n_headers, "headers", index);
  emit_list(out, m->n_ports, "ports", index);
  fputc('}', out);
}

/* ---- the matcher ---- */

struct automata {
  struct dfa paths, hosts;
  struct dfa_code path_code, host_code;
  uint32_t *http_any, *tcp;
  size_t n_http_any, n_tcp;
  size_t by_path, by_host;
};

/* Hosts are walked backwards, so "*.example.com" (".example.com") becomes
 * the prefix "moc.elpmaxe.". */
static void add_host(struct nfa *nfa, const struct ir_host *h, uint32_t accept) {
  char *reversed = malloc(h->name.len + 1);
  for (size_t i = 0; i < h->name.len; i++)
    reversed[i] = h->name.text[h->name.len - 1 - i];
  nfa_add(nfa, h->wildcard ? DFA_PREFIX : DFA_EXACT, reversed, h->name.len, accept);
  free(reversed);
}

/* A walk's entry for the resource (tables.h): what it needs besides its key,
 * so the runtime reads its sentc_match only for hosts or headers. */
static uint32_t entry(const struct ir_match *m, uint32_t index, int hosts_known, int grpc) {
  int more = m->n_headers || (m->n_hosts && !hosts_known);
  return index << SENTC_ENTRY_RESOURCE_SHIFT | m->methods << SENTC_ENTRY_METHOD_SHIFT |
         (more ? SENTC_ENTRY_MORE : 0) | (grpc ? SENTC_ENTRY_GRPC : 0);
}

static void key_resource(const struct ir_match *m, uint32_t index, struct automata *a,
                         struct nfa *paths, struct nfa *hosts, int keyed) {
  static const enum dfa_kind kinds[] = {
    [SENTC_PATH_EXACT] = DFA_EXACT, [SENTC_PATH_PREFIX] = DFA_PREFIX,
    [SENTC_PATH_TEMPLATE] = DFA_TEMPLATE,
  };
  if (m->protocol == SENTC_TCP) {
    a->tcp[a->n_tcp++] = index;
  } else if (!keyed) {
    a->http_any[a->n_http_any++] = index;
  } else if (m->n_paths) {
    for (size_t i = 0; i < m->n_paths; i++)
      nfa_add(paths, kinds[m->paths[i].kind], m->paths[i].text.text, m->paths[i].text.len,
              entry(m, index, 0, m->paths[i].grpc));
    a->by_path++;
  } else if (m->n_hosts) {
    for (size_t i = 0; i < m->n_hosts; i++)
      add_host(hosts, &m->hosts[i], entry(m, index, 1, 0));
    a->by_host++;
  } else {
    a->http_any[a->n_http_any++] = index;
  }
}

static void free_automata(struct automata *a) {
  dfa_free(&a->paths);
  dfa_free(&a->hosts);
  dfa_code_free(&a->path_code);
  dfa_code_free(&a->host_code);
  free(a->http_any);
  free(a->tcp);
}

/* Returns -1 when an automaton would be too large.  Not `keyed`: every
 * HTTP resource is a candidate for every request, the automata are empty. */
static int build_automata(const struct ir_policy *p, struct automata *a, int keyed) {
  *a = (struct automata){0};
  a->http_any = calloc(p->n_resources + 1, sizeof *a->http_any);
  a->tcp = calloc(p->n_resources + 1, sizeof *a->tcp);
  struct nfa *paths = nfa_new(), *hosts = nfa_new();
  for (size_t i = 0; i < p->n_resources; i++)
    key_resource(&p->resources[i].match, (uint32_t)i, a, paths, hosts, keyed);
  int status = -1;
  if ((!keyed || p->n_resources <= MAX_KEYED_RESOURCES) && nfa_size(paths) < MAX_NFA_NODES && nfa_size(hosts) < MAX_NFA_NODES &&
      dfa_build(paths, &a->paths, MAX_DFA_STATES, MAX_DFA_WORK) == 0 &&
      dfa_build(hosts, &a->hosts, MAX_DFA_STATES, MAX_DFA_WORK) == 0 &&
      dfa_pack(&a->paths, 1, &a->path_code) == 0 && dfa_pack(&a->hosts, 0, &a->host_code) == 0)
    status = 0;
  nfa_free(paths);
  nfa_free(hosts);
  return status;
}

static void emit_u32s(FILE *out, const char *type, const char *name, const uint32_t *v,
                      size_t n) {
  fprintf(out, "static const %s %s[] = {", type, name);
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s%u,", i % 16 ? " " : "\n  ", v[i]);
  fputs("\n};\n", out);
}

/* A DFA that accepts nothing is shipped as none: no walk at all. */
static void emit_dfa(FILE *out, const char *name, const struct dfa_code *c) {
  if (!c->accepts_any)
    return;
  fprintf(out, "static const uint8_t %s_classes[256] = {", name);
  for (size_t i = 0; i < 256; i++)
    fprintf(out, "%s%u,", i % 16 ? " " : "\n  ", c->byte_class[i]);
  fputs("\n};\n", out);
  char array[64];
  snprintf(array, sizeof array, "%s_code", name);
  emit_u32s(out, "uint32_t", array, c->words, c->n_words);
}

static void emit_dfa_init(FILE *out, const char *field, const char *name,
                          const struct dfa_code *c) {
  if (!c->accepts_any) {
    fprintf(out, "  .%s = {0}", field);
    return;
  }
  fprintf(out, "  .%s = {.start = %u, .n_classes = %u, .byte_class = %s_classes, .code = %s_code}",
          field, c->start, c->n_classes, name, name);
}

void matchgen_emit_matcher(FILE *out, const struct ir_policy *p) {
  struct automata a;
  if (build_automata(p, &a, 1) != 0) {
    free_automata(&a);
    fputs("sentc: warning: the policy's paths need too large an automaton; resources "
          "will be tested one by one\n", stderr);
    build_automata(p, &a, 0);
  }
  fprintf(out, "\n/* The matcher: %zu resources found by path, %zu by host, %zu checked "
               "for every HTTP request, %zu for every TCP connection. */\n",
          a.by_path, a.by_host, a.n_http_any, a.n_tcp);
  emit_dfa(out, "matcher_path", &a.path_code);
  emit_dfa(out, "matcher_host", &a.host_code);
  if (a.n_http_any)
    emit_u32s(out, "uint32_t", "matcher_http_any", a.http_any, a.n_http_any);
  if (a.n_tcp)
    emit_u32s(out, "uint32_t", "matcher_tcp", a.tcp, a.n_tcp);
  fputs("static const struct sentc_matcher matcher = {\n", out);
  emit_dfa_init(out, "paths", "matcher_path", &a.path_code);
  fputs(",\n", out);
  emit_dfa_init(out, "hosts", "matcher_host", &a.host_code);
  codegen_array(out, "http_any", a.n_http_any, "matcher_http_any");
  codegen_array(out, "tcp", a.n_tcp, "matcher_tcp");
  fputs(",\n};\n", out);
  free_automata(&a);
}

/* ---- --explain ---- */

static const char *path_words[] = {
  [SENTC_PATH_EXACT] = "is exactly", [SENTC_PATH_PREFIX] = "starts with",
  [SENTC_PATH_TEMPLATE] = "fits the template",
};

static void explain_tcp(FILE *out, const struct ir_match *m, const char *indent) {
  if (!m->n_ports) {
    fprintf(out, "%severy TCP connection\n", indent);
    return;
  }
  fprintf(out, "%sTCP connections to port", indent);
  for (size_t i = 0; i < m->n_ports; i++)
    fprintf(out, "%s %u", i ? " or" : "", m->ports[i]);
  fputc('\n', out);
}

static void explain_path(FILE *out, const struct ir_path *path, const char *lead) {
  if (!path->grpc) {
    fprintf(out, "%s path %s ", lead, path_words[path->kind]);
    cwrite_literal(out, path->text);
  } else if (path->kind == SENTC_PATH_EXACT) {
    fprintf(out, "%s gRPC method ", lead);
    cwrite_literal(out, (struct ir_string){path->text.text + 1, path->text.len - 1});
  } else {
    fprintf(out, "%s gRPC service ", lead);
    cwrite_literal(out, (struct ir_string){path->text.text + 1, path->text.len - 2});
    fputs(" (any method)", out);
  }
  fputc('\n', out);
}

static void explain_header(FILE *out, const struct ir_header *h, const char *lead) {
  static const char *words[] = {
    [SENTC_HEADER_EXACT] = "is", [SENTC_HEADER_PREFIX] = "starts with",
    [SENTC_HEADER_PRESENT] = "is present", [SENTC_HEADER_ABSENT] = "is absent",
  };
  fprintf(out, "%s header ", lead);
  cwrite_literal(out, h->name);
  fprintf(out, " %s", words[h->op]);
  if (h->op == SENTC_HEADER_EXACT || h->op == SENTC_HEADER_PREFIX) {
    fputc(' ', out);
    cwrite_literal(out, h->value);
  }
  fputc('\n', out);
}

void matchgen_explain(FILE *out, const struct ir_match *m, const char *indent) {
  if (m->protocol == SENTC_TCP) {
    explain_tcp(out, m, indent);
    return;
  }
  if (!m->methods && !m->n_hosts && !m->n_paths && !m->n_headers) {
    fprintf(out, "%severy HTTP request\n", indent);
    return;
  }
  for (size_t i = 0; i < m->n_hosts; i++) {
    fprintf(out, "%s%s host %s", indent, i ? "or" : "the", m->hosts[i].wildcard ? "ends with " :
                                                                                "is ");
    cwrite_literal(out, m->hosts[i].name);
    fputc('\n', out);
  }
  if (m->methods) {
    fprintf(out, "%s%smethod is one of:", indent, m->n_hosts ? "and " : "");
    for (unsigned i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
      if (m->methods & (1u << i))
        fprintf(out, " %s", method_names[i] + 6);
    fputc('\n', out);
  }
  /* The first condition reads "the ...", later kinds "and ...", and further
   * path alternatives "or ...". */
  int said = m->n_hosts || m->methods;
  char lead[64];
  for (size_t i = 0; i < m->n_paths; i++) {
    snprintf(lead, sizeof lead, "%s%s", indent, i ? "or" : said ? "and" : "the");
    explain_path(out, &m->paths[i], lead);
  }
  said |= m->n_paths > 0;
  for (size_t i = 0; i < m->n_headers; i++) {
    snprintf(lead, sizeof lead, "%s%s", indent, said || i ? "and" : "the");
    explain_header(out, &m->headers[i], lead);
  }
}

static void explain_dfa(FILE *out, const char *indent, size_t n, const char *key,
                        const struct dfa *d, const struct dfa_code *c) {
  fprintf(out, "%s%zu resource%s found by %s", indent, n, n == 1 ? "" : "s", key);
  if (c->accepts_any)
    fprintf(out, ": a DFA of %zu states and %zu edges (%zu dense, %zu runs; %zu reuse an "
            "earlier state's list of resources), %zu bytes of tables\n", d->n_states,
            d->n_edges, c->n_dense, c->n_runs, c->n_shared,
            c->n_words * sizeof *c->words + sizeof c->byte_class);
  else
    fputs(": no automaton, no walk\n", out);
}

void matchgen_explain_matcher(FILE *out, const struct ir_policy *p, const char *indent) {
  struct automata a;
  if (build_automata(p, &a, 1) != 0) {
    fprintf(out, "%stoo large for one automaton: resources are tested one by one\n", indent);
    free_automata(&a);
    return;
  }
  explain_dfa(out, indent, a.by_path, "path", &a.paths, &a.path_code);
  explain_dfa(out, indent, a.by_host, "host", &a.hosts, &a.host_code);
  fprintf(out, "%s%zu resource%s checked for every HTTP request, %zu for every TCP connection\n",
          indent, a.n_http_any, a.n_http_any == 1 ? "" : "s", a.n_tcp);
  free_automata(&a);
}
