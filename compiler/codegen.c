/*
 * codegen.c: writes a policy's tables (runtime/tables.h) as readable C.
 *
 * The output includes only tables.h and is all const: the runtime sizes its
 * own state from these tables.  Every struct is written with designated
 * initializers, so a field added to or moved in tables.h fails to compile
 * rather than being misread, and every table entry carries a comment naming
 * the policy line it came from.  Each rule kind writes its own table
 * (kind.h); this file writes the rest and the policy that ties them.  The
 * tables are written to memory first so that `hash` can cover all of them:
 * two policies (or two sentc versions) that compile differently get
 * different hashes, which namespace their shared state in Envoy.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "codegen.h"
#include "cwrite.h"
#include "kind.h"
#include "matchgen.h"
#include "ratelimit.h"
#include "util.h"

static const char *const scope_names[] = {SENTC_SCOPE_LIST(SENTC_ENUM_NAME)};
static const char *const piece_names[] = {SENTC_PIECE_KIND_LIST(SENTC_ENUM_NAME)};
static const char *const mode_names[] = {SENTC_MODE_LIST(SENTC_ENUM_NAME)};
static const char *const client_ip_names[] = {SENTC_CLIENT_IP_LIST(SENTC_ENUM_NAME)};
static const char *const on_error_names[] = {SENTC_ON_ERROR_LIST(SENTC_ENUM_NAME)};
static const char *const ratelimit_names[] = {SENTC_RATELIMIT_HEADERS_LIST(SENTC_ENUM_NAME)};

unsigned codegen_line(struct loc loc) { return loc.line > 65535 ? 65535 : (unsigned)loc.line; }

void codegen_array(FILE *out, const char *field, size_t n, const char *fmt, ...) {
  if (!n)
    return;
  fprintf(out, ", .n_%s = %zu, .%s = ", field, n, field);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
}

void codegen_rule(FILE *out, const struct ir_rule *rule) {
  fputs(".rule = {.name = ", out);
  cwrite_literal(out, (struct ir_string){rule->name, strlen(rule->name)});
  fprintf(out, ", .resource = %zu, .scope = %s, .mode = %s, .fallback = %d, .line = %u}",
          rule->resource, scope_names[rule->scope], mode_names[rule->mode], rule->fallback,
          codegen_line(rule->loc));
}

void codegen_window(FILE *out, const char *field, struct ir_window w) {
  fprintf(out, ".%s = {.window_ms = %u, .buckets = %u}", field, w.window_ms, w.buckets);
}

/* ---- fallbacks ---- */

static void emit_pieces(FILE *out, const struct ir_template *t, const char *name) {
  if (!t->n_pieces)
    return;
  fprintf(out, "static const struct sentc_piece %s[] = {\n", name);
  for (size_t i = 0; i < t->n_pieces; i++) {
    fprintf(out, "  {.kind = %s, .text = ", piece_names[t->pieces[i].kind]);
    cwrite_string(out, t->pieces[i].text);
    fputs("},\n", out);
  }
  fputs("};\n", out);
}

static void emit_template(FILE *out, const struct ir_template *t, const char *name) {
  if (t->n_pieces)
    fprintf(out, "{.n_pieces = %zu, .pieces = %s}", t->n_pieces, name);
  else
    fputs("{0}", out);
}

static void emit_fallback_arrays(FILE *out, const struct ir_fallback *f, size_t i) {
  char name[64];
  fprintf(out, "\n/* line %u: fallback %s */\n", codegen_line(f->loc),
          f->name.len ? f->name.text : "(inline)");
  for (size_t h = 0; h < f->n_headers; h++) {
    snprintf(name, sizeof name, "fallback_%zu_header_%zu", i, h);
    emit_pieces(out, &f->headers[h].value, name);
  }
  if (f->n_headers) {
    fprintf(out, "static const struct sentc_reply_header fallback_%zu_headers[] = {\n", i);
    for (size_t h = 0; h < f->n_headers; h++) {
      fputs("  {.name = ", out);
      cwrite_string(out, f->headers[h].name);
      snprintf(name, sizeof name, "fallback_%zu_header_%zu", i, h);
      fputs(", .value = ", out);
      emit_template(out, &f->headers[h].value, name);
      fputs("},\n", out);
    }
    fputs("};\n", out);
  }
  snprintf(name, sizeof name, "fallback_%zu_body", i);
  emit_pieces(out, &f->body, name);
}

static void emit_fallbacks(FILE *out, const struct ir_policy *p) {
  if (!p->n_fallbacks)
    return;
  for (size_t i = 0; i < p->n_fallbacks; i++)
    emit_fallback_arrays(out, &p->fallbacks[i], i);
  fputs("\nstatic const struct sentc_fallback fallbacks[] = {\n", out);
  for (size_t i = 0; i < p->n_fallbacks; i++) {
    const struct ir_fallback *f = &p->fallbacks[i];
    char name[64];
    fprintf(out, "  /* %zu, line %u */\n  {.name = ", i, codegen_line(f->loc));
    cwrite_string(out, f->name);
    fprintf(out, ", .status = %d, .grpc_status = %d, .forward = %d, .details = ", f->status,
            f->grpc_status, f->forward);
    cwrite_string(out, f->details);
    codegen_array(out, "headers", f->n_headers, "fallback_%zu_headers", i);
    fprintf(out, ",\n   .has_body = %d, .body = ", f->has_body);
    snprintf(name, sizeof name, "fallback_%zu_body", i);
    emit_template(out, &f->body, name);
    fprintf(out, ", .line = %u},\n", codegen_line(f->loc));
  }
  fputs("};\n", out);
}

/* ---- resources ---- */

/* The flow rules elsewhere that count resource r's traffic (`of r`). */
static size_t emit_watchers(FILE *out, const struct ir_policy *p, size_t r) {
  size_t n = 0;
  for (size_t i = 0; i < p->n_flow; i++) {
    if (p->flow[i].of != (int)r)
      continue;
    if (!n++)
      fprintf(out, "static const uint32_t watchers_%zu[] = {", r);
    fprintf(out, "%s%zu", n > 1 ? ", " : "", i);
  }
  if (n)
    fputs("};\n", out);
  return n;
}

static void emit_resources(FILE *out, const struct ir_policy *p) {
  size_t *watchers = xcalloc(p->n_resources, sizeof *watchers);
  for (size_t i = 0; i < p->n_resources; i++) {
    fprintf(out, "\n/* resource %zu, %s, line %u */\n", i, p->resources[i].name.text,
            codegen_line(p->resources[i].loc));
    matchgen_emit_arrays(out, &p->resources[i].match, i);
    watchers[i] = emit_watchers(out, p, i);
  }
  if (p->n_resources)
    fputs("\nstatic const struct sentc_resource resources[] = {\n", out);
  for (size_t i = 0; i < p->n_resources; i++) {
    const struct ir_resource *r = &p->resources[i];
    fprintf(out, "  /* %zu, line %u */\n  {.name = ", i, codegen_line(r->loc));
    cwrite_string(out, r->name);
    fprintf(out, ", .line = %u,\n   .match = ", codegen_line(r->loc));
    matchgen_emit_match(out, &r->match, i);
    fputs(",\n   .rules = {", out);
    const char *sep = "";
    for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
      if (r->rules[k].n) {
        fprintf(out, "%s[%s] = {%zu, %zu}", sep, kinds[k].constant, r->rules[k].first,
                r->rules[k].n);
        sep = ", ";
      }
    fputc('}', out);
    codegen_array(out, "watchers", watchers[i], "watchers_%zu", i);
    fputs("},\n", out);
  }
  if (p->n_resources)
    fputs("};\n", out);
  free(watchers);
}

/* ---- the policy ---- */

static uint64_t fnv1a(uint64_t h, const char *bytes, size_t len) {
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)bytes[i]) * 1099511628211ull;
  return h;
}

static void emit_tables(FILE *out, const struct ir_policy *p) {
  emit_fallbacks(out, p);
  emit_resources(out, p);
  matchgen_emit_matcher(out, p);
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    if (ir_count(p, k))
      kinds[k].emit(out, p);
  ratelimit_emit_tables(out, p);
}

/* The policy's own options, which the hash covers too. */
static void emit_options(FILE *out, const struct ir_policy *p) {
  fputs("  .name = ", out);
  cwrite_string(out, p->name);
  fprintf(out, ",\n  .mode = %s,\n  .ratelimit_headers = %s,\n", mode_names[p->mode],
          ratelimit_names[p->ratelimit_headers]);
  fprintf(out, "  .client_ip = %s,\n  .xff_hops = %d,\n  .on_error = %s,\n",
          client_ip_names[p->client_ip], p->xff_hops,
          on_error_names[p->on_error_deny ? SENTC_ON_ERROR_DENY : SENTC_ON_ERROR_ALLOW]);
  const struct ir_system *s = &p->system;
  if (s->present)
    fprintf(out, "  /* line %u: system */\n", codegen_line(s->loc));
  fprintf(out,
          "  .system = {.present = %d, .qps = %u, .concurrency = %u, .avg_rt_ms = %u, "
          ".adaptive = %d, .fallback = %d, .line = %u},\n",
          s->present, s->qps, s->concurrency, s->avg_rt_ms, s->adaptive, s->fallback,
          s->present ? codegen_line(s->loc) : 0);
  ratelimit_emit_policy(out, p);
}

/* "  .n_FIELD = N, .FIELD = FIELD,": one of the policy's tables. */
static void emit_table_ref(FILE *out, const char *field, size_t n) {
  if (n)
    fprintf(out, "  .n_%s = %zu, .%s = %s,\n", field, n, field, field);
}

static void emit_table_refs(FILE *out, const struct ir_policy *p) {
  emit_table_ref(out, "resources", p->n_resources);
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    emit_table_ref(out, kinds[k].name, ir_count(p, k));
  emit_table_ref(out, "fallbacks", p->n_fallbacks);
  fputs("  .matcher = &matcher,\n", out);
}

/* What of the runtime the policy uses (tables.h, sentc_policy.uses). */
static uint32_t policy_uses(const struct ir_policy *p) {
  uint32_t uses = 0;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = 0; i < ir_count(p, k); i++)
      uses |= SENTC_USE_KIND(k) |
              (ir_rule_at(p, k, i)->scope == SENTC_SCOPE_PROXY ? SENTC_USE_PROXY : 0) |
              (ir_rule_at(p, k, i)->scope == SENTC_SCOPE_CLUSTER ? SENTC_USE_CLUSTER : 0);
  if (p->system.present)
    uses |= SENTC_USE_KIND(SENTC_KIND_SYSTEM) | SENTC_USE_PROXY;
  if (p->ratelimit_headers != SENTC_RATELIMIT_OFF)
    uses |= SENTC_USE_RATELIMIT;
  for (size_t i = 0; i < p->n_flow; i++)
    uses |= (p->flow[i].throttle ? SENTC_USE_THROTTLE : 0) | (p->flow[i].warmup ? SENTC_USE_WARMUP : 0);
  if (p->n_fallbacks)
    uses |= SENTC_USE_FALLBACKS;
  for (size_t i = 0; i < p->n_hotspot; i++)
    uses |= SENTC_USE_KEY(p->hotspot[i].key);
  for (size_t i = 0; i < p->n_resources; i++) {
    const struct ir_match *m = &p->resources[i].match;
    uses |= (m->protocol == SENTC_TCP ? SENTC_USE_TCP : 0) | (m->n_hosts ? SENTC_USE_HOSTS : 0) |
            (m->n_headers ? SENTC_USE_HEADERS : 0);
    for (size_t j = 0; j < m->n_paths; j++)
      uses |= m->paths[j].kind == SENTC_PATH_TEMPLATE ? SENTC_USE_TEMPLATES : 0;
  }
  return uses;
}

/* sentc_policy.uses, as the SENTC_USE_* names ORed together ("0": nothing). */
static void emit_uses(FILE *out, const struct ir_policy *p) {
  static const struct { uint32_t bit; const char *name; } features[] = {
#define USE_NAME(name, bit) {SENTC_USE_##name, "SENTC_USE_" #name},
    SENTC_USE_LIST(USE_NAME)
#undef USE_NAME
  };
  uint32_t uses = policy_uses(p);
  const char *sep = "";
  fputs("  .uses = ", out);
  for (int k = 0; k < SENTC_N_KINDS; k++)
    if (uses & SENTC_USE_KIND(k)) {
      fprintf(out, "%sSENTC_USE_KIND(%s)", sep,
              k == SENTC_KIND_SYSTEM ? "SENTC_KIND_SYSTEM" : kinds[k].constant);
      sep = " | ";
    }
  for (size_t i = 0; i < sizeof features / sizeof features[0]; i++)
    if (uses & features[i].bit) {
      fprintf(out, "%s%s", sep, features[i].name);
      sep = " | ";
    }
  static const char *const key_names[] = {SENTC_KEY_KIND_LIST(SENTC_ENUM_NAME)};
  for (size_t k = 0; k < sizeof key_names / sizeof key_names[0]; k++)
    if (uses & SENTC_USE_KEY(k)) {
      fprintf(out, "%sSENTC_USE_KEY(%s)", sep, key_names[k]);
      sep = " | ";
    }
  fprintf(out, "%s,\n", *sep ? "" : "0");
}

int codegen_emit(const struct ir_policy *p, const char *source_path, const char *source_sha256,
                 FILE *out) {
  char *tables = NULL, *options = NULL;
  size_t tables_len = 0, options_len = 0;
  FILE *t = open_memstream(&tables, &tables_len);
  FILE *o = t ? open_memstream(&options, &options_len) : NULL;
  if (!t || !o) {
    fputs("sentc: out of memory\n", stderr);
    exit(2);
  }
  emit_tables(t, p);
  emit_options(o, p);
  fclose(t);
  fclose(o);
  uint64_t hash = fnv1a(14695981039346656037ull, PACKAGE_VERSION, sizeof PACKAGE_VERSION);
  hash = fnv1a(hash, (const char *)&(uint32_t){SENTC_TABLES_VERSION}, sizeof(uint32_t));
  hash = fnv1a(fnv1a(hash, tables, tables_len), options, options_len);

  fprintf(out, "/* Generated by sentc " PACKAGE_VERSION " from %s: do not edit. */\n",
          source_path);
  fputs("#include \"tables.h\"\n", out);
  fwrite(tables, 1, tables_len, out);
  fputs("\nconst struct sentc_policy sentc_policy = {\n", out);
  fputs("  .tables_version = SENTC_TABLES_VERSION,\n", out);
  fputs("  .sentc_version = ", out);
  cwrite_string(out, (struct ir_string){PACKAGE_VERSION, sizeof PACKAGE_VERSION - 1});
  fputs(",\n  .source_sha256 = ", out);
  cwrite_string(out, (struct ir_string){source_sha256, strlen(source_sha256)});
  fprintf(out, ",\n  .hash = 0x%016llxull,\n", (unsigned long long)hash);
  fwrite(options, 1, options_len, out);
  emit_table_refs(out, p);
  emit_uses(out, p);
  fputs("};\n", out);
  free(tables);
  free(options);
  return ferror(out) ? -1 : 0;
}
