/*
 * ratelimit.c: scope cluster in the compiler (see ratelimit.h).
 *
 * The rate-limit service (envoyproxy/ratelimit, Limitador) counts fixed
 * windows of one unit (second, minute, hour, day) per descriptor, and
 * answers each request yes or no.  So a cluster rule is a plain rate over
 * exactly one unit: what needs a sliding window, pacing, warm-up, a burst
 * or requests in flight stays in scope proxy, and the diagnostics say so.
 */
#include <stdlib.h>
#include <string.h>
#include "check_values.h"
#include "codegen.h"
#include "cwrite.h"
#include "diag.h"
#include "explain.h"
#include "kind.h"
#include "ratelimit.h"
#include "util.h"

static const struct {
  const char *word, *constant;
  uint32_t seconds;
} units[SENTC_N_RLS_UNITS] = {
  [SENTC_RLS_UNKNOWN] = {"unknown", "SENTC_RLS_UNKNOWN", 0},
#define UNIT_ROW(NAME, word, seconds) [SENTC_RLS_##NAME] = {#word, "SENTC_RLS_" #NAME, seconds},
  SENTC_RLS_UNIT_LIST(UNIT_ROW)
#undef UNIT_ROW
};

enum sentc_rls_unit ratelimit_unit(uint32_t window_ms) {
  for (int u = 1; u < SENTC_N_RLS_UNITS; u++)
    if ((uint64_t)units[u].seconds * 1000 == window_ms)
      return (enum sentc_rls_unit)u;
  return SENTC_RLS_UNKNOWN;
}

const char *ratelimit_unit_word(enum sentc_rls_unit unit) { return units[unit].word; }

uint32_t ratelimit_unit_seconds(enum sentc_rls_unit unit) { return units[unit].seconds; }

/* The rate language spells for `count` per `unit`: "30/m", "2/h", "5/s",
 * and a day as 24h. */
static void rate_text(char *out, size_t room, uint64_t count, enum sentc_rls_unit unit) {
  static const char *const suffix[SENTC_N_RLS_UNITS] = {
    [SENTC_RLS_SECOND] = "s", [SENTC_RLS_MINUTE] = "m", [SENTC_RLS_HOUR] = "h",
    [SENTC_RLS_DAY] = "24h"};
  snprintf(out, room, "%llu/%s", (unsigned long long)count, suffix[unit]);
}

int ratelimit_rate_maps(struct loc loc, const char *what, uint32_t count, uint32_t window_ms) {
  if (ratelimit_unit(window_ms) != SENTC_RLS_UNKNOWN)
    return 1;
  char window[32];
  value_ms_word(window, sizeof window, window_ms);
  diag_error(loc, "the rate-limit service cannot count %s, %u per %s", what, count, window);
  /* The first unit at least as long as the window in which the same
   * average is a whole count. */
  for (int u = 1; u < SENTC_N_RLS_UNITS; u++) {
    uint64_t unit_ms = (uint64_t)units[u].seconds * 1000;
    if (unit_ms < window_ms || (count * unit_ms) % window_ms != 0)
      continue;
    char rate[48];
    rate_text(rate, sizeof rate, count * unit_ms / window_ms, (enum sentc_rls_unit)u);
    diag_hint("it counts fixed windows of one second, minute, hour or day: the same average "
              "is %s, counted per %s", rate, units[u].word);
    return 0;
  }
  diag_hint("it counts fixed windows of exactly one second, minute, hour or day");
  return 0;
}

void ratelimit_refuse(struct loc loc, const char *option, const char *why) {
  diag_error(loc, "a rule in scope cluster cannot have %s", option);
  diag_hint("%s", why);
}

/* ---- the policy ---- */

/* Calls fn on every rule in scope cluster, kind by kind, resource by
 * resource (so each kind's rules come in their array's order). */
static size_t each_cluster_rule(const struct ir_policy *p,
                                void (*fn)(const struct ir_policy *, const struct ir_resource *,
                                           enum sentc_kind, size_t, void *),
                                void *ctx) {
  size_t n = 0;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t r = 0; r < p->n_resources; r++) {
      const struct ir_resource *res = &p->resources[r];
      for (size_t i = res->rules[k].first; i < IR_SLICE_END(res->rules[k]); i++)
        if (ir_rule_at(p, k, i)->scope == SENTC_SCOPE_CLUSTER) {
          if (fn)
            fn(p, res, k, i, ctx);
          n++;
        }
    }
  return n;
}

int ratelimit_used(const struct ir_policy *p) { return each_cluster_rule(p, NULL, NULL) > 0; }

/* A kind that cannot be counted by the service, and a cluster rule with
 * no service to count it; the first such rule is `*first`. */
static void refuse_kind(const struct ir_policy *p, const struct ir_resource *r, enum sentc_kind k,
                        size_t i, void *ctx) {
  (void)r;
  const struct ir_rule *rule = ir_rule_at(p, k, i), **first = ctx;
  if (!*first)
    *first = rule;
  if (kinds[k].no_cluster[0]) {
    diag_error(rule->scope_loc, "a %s rule cannot have scope cluster", kinds[k].name);
    diag_hint("%s; scope cluster applies to flow and rate hotspot rules", kinds[k].no_cluster);
  }
}

/* The service's text must need no spelling (ratelimit_service's checks). */
static int plain_text(struct ir_string s) {
  char spelled[SENTC_RLS_VALUE_MAX];
  return s.len > 0 && s.len <= 255 && sentc_rls_value(s.text, s.len, spelled) == s.len &&
         memcmp(spelled, s.text, s.len) == 0;
}

void ratelimit_resolve(struct ir_policy *p) {
  const struct ir_rule *first = NULL;
  each_cluster_rule(p, refuse_kind, &first);
  struct ir_rls *rls = &p->rls;
  if (first && !rls->present) {
    diag_error(first->scope_loc, "scope cluster needs the policy's ratelimit_service block");
    diag_hint("name the Envoy cluster of the rate-limit service: policy %s { "
              "ratelimit_service { cluster \"ratelimit\"; } }", p->name.text);
  }
  if (!rls->on_error_given)
    rls->on_error_deny = p->on_error_deny;
  if (rls->present && !rls->domain.len) {
    rls->domain = p->name;
    if (!plain_text(rls->domain)) {
      diag_error(rls->loc, "the policy's name '%s' cannot be the rate-limit domain", p->name.text);
      diag_hint("give the block a domain of UTF-8 text without '%%': domain \"shop\";");
    }
  }
}

void ratelimit_warn(const struct ir_policy *p) {
  if (p->rls.present && !ratelimit_used(p)) {
    diag_warning(p->rls.loc, "the ratelimit_service block is never used");
    diag_hint("no rule has 'scope cluster;', so no request asks the service");
  }
}

/* ---- descriptors ---- */

static void set_entry(struct ratelimit_entry *e, const char *key, const char *text, size_t len) {
  e->key = key;
  e->len = sentc_rls_value(text, len, e->value);
}

static void describe(const struct ir_policy *p, const struct ir_resource *r, enum sentc_kind k,
                     size_t i, void *ctx) {
  struct ratelimit_descriptor **at = ctx, *d = (*at)++;
  const struct ir_rule *rule = ir_rule_at(p, k, i);
  *d = (struct ratelimit_descriptor){.kind = k, .rule = i, .resource = r};
  set_entry(&d->entries[0], "resource", r->name.text, r->name.len);
  set_entry(&d->entries[1], "rule", rule->name, strlen(rule->name));
  if (k == SENTC_KIND_HOTSPOT) {
    d->value_key = "value";
    d->count = p->hotspot[i].count;
    d->window_ms = p->hotspot[i].window_ms;
  } else {
    d->count = p->flow[i].count;
    d->window_ms = p->flow[i].window.window_ms;
  }
}

size_t ratelimit_descriptors(const struct ir_policy *p, struct ratelimit_descriptor **out) {
  size_t n = each_cluster_rule(p, NULL, NULL);
  struct ratelimit_descriptor *at = *out = xcalloc(n ? n : 1, sizeof **out);
  each_cluster_rule(p, describe, &at);
  return n;
}

/* ---- codegen ---- */

void ratelimit_emit_tables(FILE *out, const struct ir_policy *p) {
  struct ratelimit_descriptor *d;
  size_t n = ratelimit_descriptors(p, &d);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "\nstatic const struct sentc_rls_entry rls_%zu_entries[] = {\n", i);
    for (int e = 0; e < RATELIMIT_ENTRIES; e++) {
      fputs("  {.key = ", out);
      cwrite_string(out, (struct ir_string){d[i].entries[e].key, strlen(d[i].entries[e].key)});
      fputs(", .value = ", out);
      cwrite_string(out, (struct ir_string){d[i].entries[e].value, d[i].entries[e].len});
      fputs("},\n", out);
    }
    fputs("};\n", out);
  }
  if (n)
    fputs("\nstatic const struct sentc_rls_descriptor rls_descriptors[] = {\n", out);
  for (size_t i = 0; i < n; i++) {
    const struct ir_rule *rule = ir_rule_at(p, d[i].kind, d[i].rule);
    fprintf(out, "  /* %zu, line %u: %s/%s */\n  {.kind = %s, .rule = %zu", i,
            codegen_line(rule->loc), d[i].resource->name.text, rule->name,
            kinds[d[i].kind].constant, d[i].rule);
    codegen_array(out, "entries", RATELIMIT_ENTRIES, "rls_%zu_entries", i);
    if (d[i].value_key) {
      fputs(", .value_key = ", out);
      cwrite_string(out, (struct ir_string){d[i].value_key, strlen(d[i].value_key)});
    }
    fprintf(out, ",\n   .requests_per_unit = %u, .unit = %s},\n", d[i].count,
            units[ratelimit_unit(d[i].window_ms)].constant);
  }
  if (n)
    fputs("};\n", out);
  free(d);
}

void ratelimit_emit_policy(FILE *out, const struct ir_policy *p) {
  size_t n = each_cluster_rule(p, NULL, NULL);
  const struct ir_rls *rls = &p->rls;
  if (!n)
    return;
  fprintf(out, "  /* line %u: ratelimit_service */\n  .rls = {.present = 1, .cluster = ",
          codegen_line(rls->loc));
  cwrite_string(out, rls->cluster);
  fputs(", .domain = ", out);
  cwrite_string(out, rls->domain);
  fprintf(out, ", .timeout_ms = %u, .on_error = %s,\n          .n_descriptors = %zu, "
               ".descriptors = rls_descriptors, .line = %u},\n",
          rls->timeout_ms, rls->on_error_deny ? "SENTC_ON_ERROR_DENY" : "SENTC_ON_ERROR_ALLOW", n,
          codegen_line(rls->loc));
}

/* ---- explain ---- */

void ratelimit_explain_service(FILE *out, const struct ir_policy *p) {
  const struct ir_rls *rls = &p->rls;
  if (!rls->present)
    return;
  fprintf(out, "  rate-limit service (line %d): Envoy cluster \"%.*s\", domain \"%.*s\"; a "
               "request that a cluster rule matches waits up to ", rls->loc.line,
          (int)rls->cluster.len, rls->cluster.text, (int)rls->domain.len, rls->domain.text);
  explain_ms(out, rls->timeout_ms);
  fprintf(out, " for its answer (one round trip, after the local rules passed it); when the "
               "service fails or does not answer in time: %s the request\n",
          rls->on_error_deny ? "deny" : "allow");
  if (!ratelimit_used(p))
    fputs("    no rule has scope cluster: the service is never asked\n", out);
}

void ratelimit_explain_rule(FILE *out, uint32_t count, uint32_t window_ms) {
  enum sentc_rls_unit u = ratelimit_unit(window_ms);
  fprintf(out, "      in fixed windows of one %s on the service's clock, so up to %llu can pass "
               "within one %s that spans two of them; asked once per request, after the local "
               "rules passed it\n",
          units[u].word, 2ull * count, units[u].word);
}
