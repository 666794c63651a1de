/*
 * codegen.c: writes a policy's tables (runtime/tables.h) as readable C.
 *
 * The output includes only tables.h and is all const: the runtime sizes its
 * own state from these tables.  Every table entry carries a comment naming
 * the policy line it came from.  The tables are written to memory first so
 * that `hash` can cover all of them: two policies (or two sentc versions)
 * that compile differently get different hashes, which namespace their
 * shared state in Envoy.
 */
#include <stdarg.h>
#include <stdlib.h>
#include "codegen.h"
#include "cwrite.h"
#include "matchgen.h"
#include "util.h"
#include "../runtime/tables.h"

static unsigned line16(struct loc loc) { return loc.line > 65535 ? 65535 : (unsigned)loc.line; }

/* ", N, name" for an array and its length, or ", 0, 0" when empty. */
static void emit_array_ref(FILE *out, size_t n, const char *fmt, ...) {
  if (!n) {
    fputs("0, 0", out);
    return;
  }
  fprintf(out, "%zu, ", n);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
}

static void emit_rule(FILE *out, const struct ir_rule *rule) {
  fprintf(out, "{\"%s\", %s, %d, %u}", rule->label,
          rule->scope == IR_SCOPE_WORKER ? "SENTC_SCOPE_WORKER" : "SENTC_SCOPE_PROXY",
          rule->fallback, line16(rule->loc));
}

/* ---- fallbacks ---- */

static const char *piece_kinds[] = {
  [IR_PIECE_TEXT] = "SENTC_PIECE_TEXT", [IR_PIECE_RESOURCE] = "SENTC_PIECE_RESOURCE",
  [IR_PIECE_KIND] = "SENTC_PIECE_KIND", [IR_PIECE_RETRY_AFTER] = "SENTC_PIECE_RETRY_AFTER",
};

static void emit_pieces(FILE *out, const struct ir_template *t, const char *name) {
  if (!t->n_pieces)
    return;
  fprintf(out, "static const struct sentc_piece %s[] = {\n", name);
  for (size_t i = 0; i < t->n_pieces; i++) {
    fprintf(out, "  {%s, ", piece_kinds[t->pieces[i].kind]);
    cwrite_string(out, t->pieces[i].text);
    fputs("},\n", out);
  }
  fputs("};\n", out);
}

static void emit_template(FILE *out, const struct ir_template *t, const char *name) {
  fputc('{', out);
  emit_array_ref(out, t->n_pieces, "%s", name);
  fputc('}', out);
}

static void emit_fallback_arrays(FILE *out, const struct ir_fallback *f, size_t i) {
  char name[64];
  fprintf(out, "\n/* line %u: fallback %s */\n", line16(f->loc), f->name.len ? f->name.text : "(inline)");
  for (size_t h = 0; h < f->n_headers; h++) {
    snprintf(name, sizeof name, "fallback_%zu_header_%zu", i, h);
    emit_pieces(out, &f->headers[h].value, name);
  }
  if (f->n_headers) {
    fprintf(out, "static const struct sentc_reply_header fallback_%zu_headers[] = {\n", i);
    for (size_t h = 0; h < f->n_headers; h++) {
      fputs("  {", out);
      cwrite_string(out, f->headers[h].name);
      snprintf(name, sizeof name, "fallback_%zu_header_%zu", i, h);
      fputs(", ", out);
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
    fprintf(out, "  /* %zu, line %u */\n  {", i, line16(f->loc));
    cwrite_string(out, f->name);
    fprintf(out, ", %d, %d, %d, ", f->status, f->grpc_status, f->forward);
    cwrite_string(out, f->details);
    fputs(", ", out);
    emit_array_ref(out, f->n_headers, "fallback_%zu_headers", i);
    fprintf(out, ", %d, ", f->has_body);
    snprintf(name, sizeof name, "fallback_%zu_body", i);
    emit_template(out, &f->body, name);
    fprintf(out, ", %u},\n", line16(f->loc));
  }
  fputs("};\n", out);
}

/* ---- rules ---- */

static void emit_flows(FILE *out, const struct ir_policy *p) {
  if (!p->n_flows)
    return;
  fputs("\nstatic const struct sentc_flow flows[] = {\n", out);
  for (size_t i = 0; i < p->n_flows; i++) {
    const struct ir_flow *f = &p->flows[i];
    fprintf(out, "  /* %zu, line %u: %u per %ums in %u buckets */\n  {", i, line16(f->rule.loc),
            f->count, f->window.window_ms, f->window.buckets);
    emit_rule(out, &f->rule);
    const char *flags = f->throttle && f->warmup ? "SENTC_FLOW_THROTTLE | SENTC_FLOW_WARMUP"
                        : f->throttle            ? "SENTC_FLOW_THROTTLE"
                        : f->warmup              ? "SENTC_FLOW_WARMUP"
                                                 : "0";
    fprintf(out, ", %u, {%u, %u}, %s, %u, %u, %.17g, %d},\n", f->count, f->window.window_ms,
            f->window.buckets, flags, f->max_queue_ms, f->warmup_ms, f->cold_factor, f->of);
  }
  fputs("};\n", out);
}

static void emit_concurrency(FILE *out, const struct ir_policy *p) {
  if (!p->n_concurrency)
    return;
  fputs("\nstatic const struct sentc_concurrency concurrency[] = {\n", out);
  for (size_t i = 0; i < p->n_concurrency; i++) {
    const struct ir_concurrency *c = &p->concurrency[i];
    fprintf(out, "  /* %zu, line %u: at most %u in flight */\n  {", i, line16(c->rule.loc),
            c->limit);
    emit_rule(out, &c->rule);
    fprintf(out, ", %u},\n", c->limit);
  }
  fputs("};\n", out);
}

static const char *breaker_kinds[] = {
  [IR_BREAKER_SLOW_RATIO] = "SENTC_BREAKER_SLOW_RATIO",
  [IR_BREAKER_ERROR_RATIO] = "SENTC_BREAKER_ERROR_RATIO",
  [IR_BREAKER_ERROR_COUNT] = "SENTC_BREAKER_ERROR_COUNT",
};

static void emit_breakers(FILE *out, const struct ir_policy *p) {
  if (!p->n_breakers)
    return;
  for (size_t i = 0; i < p->n_breakers; i++) {
    const struct ir_breaker *b = &p->breakers[i];
    fprintf(out, "\n/* line %u: the statuses that count as errors */\n", line16(b->rule.loc));
    fprintf(out, "static const struct sentc_status_range breaker_%zu_errors[] = {", i);
    for (size_t r = 0; r < b->n_error_ranges; r++)
      fprintf(out, "%s{%u, %u}", r ? ", " : "", b->error_ranges[r].lo, b->error_ranges[r].hi);
    fputs("};\n", out);
  }
  fputs("\nstatic const struct sentc_breaker breakers[] = {\n", out);
  for (size_t i = 0; i < p->n_breakers; i++) {
    const struct ir_breaker *b = &p->breakers[i];
    fprintf(out, "  /* %zu, line %u */\n  {", i, line16(b->rule.loc));
    emit_rule(out, &b->rule);
    fprintf(out, ", %s, %.17g, %u, %u, %u, {%u, %u}, %u, %u, ", breaker_kinds[b->kind], b->ratio,
            b->count, b->max_rt_ms, b->min_requests, b->window.window_ms, b->window.buckets,
            b->open_ms, b->probes);
    emit_array_ref(out, b->n_error_ranges, "breaker_%zu_errors", i);
    fprintf(out, ", 0x%xu},\n", b->grpc_errors);
  }
  fputs("};\n", out);
}

static const char *key_kinds[] = {
  [IR_KEY_HEADER] = "SENTC_KEY_HEADER", [IR_KEY_QUERY] = "SENTC_KEY_QUERY",
  [IR_KEY_COOKIE] = "SENTC_KEY_COOKIE", [IR_KEY_CLIENT_IP] = "SENTC_KEY_CLIENT_IP",
  [IR_KEY_HOST] = "SENTC_KEY_HOST", [IR_KEY_PATH] = "SENTC_KEY_PATH",
  [IR_KEY_METHOD] = "SENTC_KEY_METHOD",
};

static void emit_hotspots(FILE *out, const struct ir_policy *p) {
  if (!p->n_hotspots)
    return;
  for (size_t i = 0; i < p->n_hotspots; i++) {
    const struct ir_hotspot *h = &p->hotspots[i];
    if (!h->n_items)
      continue;
    fprintf(out, "\nstatic const struct sentc_item hotspot_%zu_items[] = {\n", i);
    for (size_t k = 0; k < h->n_items; k++) {
      fprintf(out, "  /* line %u */ {", line16(h->items[k].loc));
      cwrite_string(out, h->items[k].value);
      fprintf(out, ", %u, %u},\n", h->items[k].count, h->items[k].window_ms);
    }
    fputs("};\n", out);
  }
  fputs("\nstatic const struct sentc_hotspot hotspots[] = {\n", out);
  for (size_t i = 0; i < p->n_hotspots; i++) {
    const struct ir_hotspot *h = &p->hotspots[i];
    fprintf(out, "  /* %zu, line %u */\n  {", i, line16(h->rule.loc));
    emit_rule(out, &h->rule);
    fprintf(out, ", %s, ", key_kinds[h->key]);
    cwrite_string(out, h->key_name);
    fprintf(out, ", %s, %u, %u, %u, %d, %u, %u, ",
            h->concurrency ? "SENTC_HOTSPOT_CONCURRENCY" : "SENTC_HOTSPOT_RATE", h->count,
            h->window_ms, h->burst, h->throttle, h->max_queue_ms, h->capacity);
    emit_array_ref(out, h->n_items, "hotspot_%zu_items", i);
    fputs("},\n", out);
  }
  fputs("};\n", out);
}

/* ---- resources ---- */

/* The flow rules elsewhere that count resource r's traffic (`of r`). */
static size_t emit_watchers(FILE *out, const struct ir_policy *p, size_t r) {
  size_t n = 0;
  for (size_t i = 0; i < p->n_flows; i++) {
    if (p->flows[i].of != (int)r)
      continue;
    if (!n++)
      fprintf(out, "static const uint32_t watchers_%zu[] = {", r);
    fprintf(out, "%s%zu", n > 1 ? ", " : "", i);
  }
  if (n)
    fputs("};\n", out);
  return n;
}

static void emit_slice(FILE *out, struct ir_slice s) { fprintf(out, "{%zu, %zu}", s.first, s.n); }

static void emit_resources(FILE *out, const struct ir_policy *p) {
  size_t *watchers = xcalloc(p->n_resources, sizeof *watchers);
  for (size_t i = 0; i < p->n_resources; i++) {
    fprintf(out, "\n/* resource %zu, %s, line %u */\n", i, p->resources[i].name.text,
            line16(p->resources[i].loc));
    matchgen_emit_arrays(out, &p->resources[i].match, i);
    watchers[i] = emit_watchers(out, p, i);
  }
  if (p->n_resources)
    fputs("\nstatic const struct sentc_resource resources[] = {\n", out);
  for (size_t i = 0; i < p->n_resources; i++) {
    const struct ir_resource *r = &p->resources[i];
    fprintf(out, "  /* %zu, line %u */\n  {", i, line16(r->loc));
    cwrite_string(out, r->name);
    fprintf(out, ", %u, ", line16(r->loc));
    matchgen_emit_match(out, &r->match, i);
    fputs(", ", out);
    emit_slice(out, r->flows);
    fputs(", ", out);
    emit_slice(out, r->concurrency);
    fputs(", ", out);
    emit_slice(out, r->breakers);
    fputs(", ", out);
    emit_slice(out, r->hotspots);
    fputs(", ", out);
    emit_array_ref(out, watchers[i], "watchers_%zu", i);
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
  emit_flows(out, p);
  emit_concurrency(out, p);
  emit_breakers(out, p);
  emit_hotspots(out, p);
}

/* The policy's own options, which the hash covers too. */
static void emit_options(FILE *out, const struct ir_policy *p) {
  fputs("  .name = ", out);
  cwrite_string(out, p->name);
  fprintf(out, ",\n  .mode = %s,\n  .ratelimit_headers = %d,\n",
          p->mode == IR_SHADOW ? "SENTC_SHADOW" : "SENTC_ENFORCE", p->ratelimit_headers);
  fprintf(out, "  .client_ip = %s,\n  .xff_hops = %d,\n  .on_error = %s,\n",
          p->client_ip == IR_CLIENT_IP_XFF ? "SENTC_CLIENT_IP_XFF" : "SENTC_CLIENT_IP_PEER",
          p->xff_hops, p->on_error_deny ? "SENTC_ON_ERROR_DENY" : "SENTC_ON_ERROR_ALLOW");
  const struct ir_system *s = &p->system;
  if (s->present)
    fprintf(out, "  /* line %u: system */\n", line16(s->loc));
  fprintf(out, "  .system = {%d, %u, %u, %u, %d, %d, %u},\n", s->present, s->qps, s->concurrency,
          s->avg_rt_ms, s->adaptive, s->fallback, s->present ? line16(s->loc) : 0);
}

static void emit_table_refs(FILE *out, const struct ir_policy *p) {
  static const char *names[] = {"resources", "flows", "concurrency", "breakers", "hotspots",
                                "fallbacks"};
  size_t counts[] = {p->n_resources, p->n_flows, p->n_concurrency, p->n_breakers,
                     p->n_hotspots, p->n_fallbacks};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
    fprintf(out, "  .n_%s = %zu,\n  .%s = %s,\n", names[i], counts[i], names[i],
            counts[i] ? names[i] : "0");
  fputs("  .matcher = &matcher,\n", out);
}

int codegen_emit(const struct ir_policy *p, const char *source_path, FILE *out) {
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
  fprintf(out, "  .hash = 0x%016llxull,\n", (unsigned long long)hash);
  fwrite(options, 1, options_len, out);
  emit_table_refs(out, p);
  fputs("};\n", out);
  free(tables);
  free(options);
  return ferror(out) ? -1 : 0;
}
