/*
 * explain.c: `sentc --explain` (see explain.h).  Everything it says comes
 * from the resolved IR, so it shows the defaults the compiler filled in,
 * not just what the file wrote; the match is described by matchgen.
 */
#include <inttypes.h>
#include "cwrite.h"
#include "explain.h"
#include "matchgen.h"
#include "statesize.h"

/* "500ms", "1.5s", "2m": durations as the policy language writes them. */
static void put_ms(FILE *out, uint32_t ms) {
  if (ms && ms % 3600000 == 0)
    fprintf(out, "%uh", ms / 3600000);
  else if (ms && ms % 60000 == 0)
    fprintf(out, "%um", ms / 60000);
  else if (ms >= 1000 && ms % 100 == 0)
    fprintf(out, "%gs", ms / 1000.0);
  else
    fprintf(out, "%ums", ms);
}

static void put_window(FILE *out, struct ir_window w) {
  put_ms(out, w.window_ms);
  fprintf(out, " (%u bucket%s of ", w.buckets, w.buckets == 1 ? "" : "s");
  put_ms(out, w.window_ms / w.buckets);
  fputc(')', out);
}

/* Which response a blocked request gets: `breaker` picks the defaults. */
static void put_fallback(FILE *out, const struct ir_policy *p, int index, int breaker) {
  int status = breaker ? 503 : 429, grpc = breaker ? 14 : 8;
  if (index < 0) {
    fprintf(out, "the built-in fallback (status %d, grpc-status %d)", status, grpc);
    return;
  }
  const struct ir_fallback *f = &p->fallbacks[index];
  if (f->name.len)
    fprintf(out, "fallback '%s'", f->name.text);
  else
    fprintf(out, "the inline fallback of line %d", f->loc.line);
  if (f->forward)
    fputs(" (forwards the request upstream with its headers)", out);
  else
    fprintf(out, " (status %d, grpc-status %d)", f->status ? f->status : status,
            f->grpc_status >= 0 ? f->grpc_status : grpc);
}

static const char *scope_words(enum ir_scope s) {
  return s == IR_SCOPE_WORKER ? "per Envoy worker" : "proxy-wide, shared by all workers";
}

/* "264 bytes of shared data + 28 bytes per worker": where state lives. */
static void put_state(FILE *out, struct state_bytes s) {
  if (s.shared)
    fprintf(out, "%" PRIu64 " bytes of shared data", s.shared);
  if (s.shared && s.worker)
    fputs(" + ", out);
  if (s.worker || !s.shared)
    fprintf(out, "%" PRIu64 " bytes per worker", s.worker);
}

/* The line every rule ends with: its counters' scope, its fallback, its
 * state.  It ends the rule's last line first unless that already ended. */
static struct state_bytes put_rule_tail(FILE *out, const struct ir_policy *p,
                                        const struct ir_rule *r, int breaker,
                                        struct state_bytes bytes) {
  fprintf(out, "%s      counted %s; answered by ", breaker ? "" : "\n", scope_words(r->scope));
  put_fallback(out, p, r->fallback, breaker);
  fputs("; state ", out);
  put_state(out, bytes);
  fputc('\n', out);
  return bytes;
}

static struct state_bytes explain_flow(FILE *out, const struct ir_policy *p, const struct ir_flow *f) {
  fprintf(out, "    %s (line %d): at most %u requests per ", f->rule.label, f->rule.loc.line,
          f->count);
  put_window(out, f->window);
  if (f->of >= 0)
    fprintf(out, ", counting the traffic of resource '%s'", p->resources[f->of].name.text);
  if (f->warmup) {
    fprintf(out, "; after a cold period starts at 1/%g of it and warms up over ", f->cold_factor);
    put_ms(out, f->warmup_ms);
  }
  if (f->throttle && f->max_queue_ms) {
    fputs("; paced evenly, holding a request up to ", out);
    put_ms(out, f->max_queue_ms);
  } else if (f->throttle) {
    fputs("; paced evenly, blocking a request that would have to wait", out);
  } else {
    fputs("; blocks the excess", out);
  }
  return put_rule_tail(out, p, &f->rule, 0, state_flow(f));
}

static struct state_bytes explain_concurrency(FILE *out, const struct ir_policy *p,
                                              const struct ir_concurrency *c) {
  fprintf(out, "    %s (line %d): at most %u in flight", c->rule.label, c->rule.loc.line,
          c->limit);
  return put_rule_tail(out, p, &c->rule, 0, state_concurrency(c));
}

static void put_errors(FILE *out, const struct ir_breaker *b) {
  fputs("      errors: HTTP status ", out);
  for (size_t i = 0; i < b->n_error_ranges; i++) {
    fprintf(out, "%s%u", i ? ", " : "", b->error_ranges[i].lo);
    if (b->error_ranges[i].hi != b->error_ranges[i].lo)
      fprintf(out, "-%u", b->error_ranges[i].hi);
  }
  fputs("; grpc-status", out);
  const char *sep = " ";
  for (unsigned code = 0; code < 32; code++)
    if (b->grpc_errors & (1u << code)) {
      fprintf(out, "%s%u", sep, code);
      sep = ", ";
    }
  fputs("; a stream that ends without a response\n", out);
}

static struct state_bytes explain_breaker(FILE *out, const struct ir_policy *p, const struct ir_breaker *b) {
  fprintf(out, "    %s (line %d): opens when ", b->rule.label, b->rule.loc.line);
  if (b->kind == IR_BREAKER_ERROR_COUNT) {
    fprintf(out, "%u requests fail", b->count);
  } else {
    fprintf(out, "%g%% of requests are %s", b->ratio * 100,
            b->kind == IR_BREAKER_SLOW_RATIO ? "slow" : "errors");
    if (b->kind == IR_BREAKER_SLOW_RATIO) {
      fputs(" (slower than ", out);
      put_ms(out, b->max_rt_ms);
      fputc(')', out);
    }
  }
  fputs(" in ", out);
  put_window(out, b->window);
  fprintf(out, ", once it has seen %u requests;\n      stays open ", b->min_requests);
  put_ms(out, b->open_ms);
  fprintf(out, ", then closes after %u successful probe%s\n", b->probes, b->probes == 1 ? "" : "s");
  if (b->kind != IR_BREAKER_SLOW_RATIO)
    put_errors(out, b);
  return put_rule_tail(out, p, &b->rule, 1, state_breaker(b));
}

static const char *key_words[] = {
  [IR_KEY_HEADER] = "header", [IR_KEY_QUERY] = "query parameter", [IR_KEY_COOKIE] = "cookie",
  [IR_KEY_CLIENT_IP] = "client IP", [IR_KEY_HOST] = "host", [IR_KEY_PATH] = "path",
  [IR_KEY_METHOD] = "method",
};

static struct state_bytes explain_hotspot(FILE *out, const struct ir_policy *p, const struct ir_hotspot *h) {
  fprintf(out, "    %s (line %d): per value of the %s", h->rule.label, h->rule.loc.line,
          key_words[h->key]);
  if (h->key_name.len) {
    fputc(' ', out);
    cwrite_literal(out, h->key_name);
  }
  if (h->concurrency) {
    fprintf(out, ", at most %u in flight", h->count);
  } else {
    fprintf(out, ", at most %u per ", h->count);
    put_ms(out, h->window_ms);
    if (h->throttle) {
      fputs(", paced, holding a request up to ", out);
      put_ms(out, h->max_queue_ms);
    } else {
      fprintf(out, " plus a burst of %u", h->burst);
    }
  }
  if (h->rule.scope == IR_SCOPE_WORKER)
    fprintf(out, "; tracks at most %u values (least recently used forgotten)", h->capacity);
  else
    fprintf(out, "; values share %u slots by hash, across workers", h->capacity);
  for (size_t i = 0; i < h->n_items; i++) {
    fputs("\n      value ", out);
    cwrite_literal(out, h->items[i].value);
    fprintf(out, ": at most %u per ", h->items[i].count);
    put_ms(out, h->items[i].window_ms);
  }
  return put_rule_tail(out, p, &h->rule, 0, state_hotspot(h));
}

static struct state_bytes explain_resource(FILE *out, const struct ir_policy *p,
                                           const struct ir_resource *r) {
  fprintf(out, "\nresource %s (line %d)\n  matches:\n", r->name.text, r->loc.line);
  matchgen_explain(out, &r->match, "    ");
  size_t n = r->flows.n + r->concurrency.n + r->breakers.n + r->hotspots.n;
  fprintf(out, "  rules, in the order they are checked:%s\n", n ? "" : " none");
  struct state_bytes bytes = {0, 0};
  for (size_t i = r->flows.first; i < r->flows.first + r->flows.n; i++)
    state_add(&bytes, explain_flow(out, p, &p->flows[i]));
  for (size_t i = r->concurrency.first; i < r->concurrency.first + r->concurrency.n; i++)
    state_add(&bytes, explain_concurrency(out, p, &p->concurrency[i]));
  for (size_t i = r->hotspots.first; i < r->hotspots.first + r->hotspots.n; i++)
    state_add(&bytes, explain_hotspot(out, p, &p->hotspots[i]));
  for (size_t i = r->breakers.first; i < r->breakers.first + r->breakers.n; i++)
    state_add(&bytes, explain_breaker(out, p, &p->breakers[i]));
  return bytes;
}

static void explain_system(FILE *out, const struct ir_policy *p) {
  const struct ir_system *s = &p->system;
  if (!s->present) {
    fputs("  system protection: none\n", out);
    return;
  }
  fprintf(out, "  system protection (line %d), before any resource:\n", s->loc.line);
  if (s->qps)
    fprintf(out, "    at most %u requests in the last second\n", s->qps);
  if (s->concurrency)
    fprintf(out, "    at most %u requests in flight%s\n", s->concurrency,
            s->adaptive ? ", and above that only while in flight stays within the estimated"
                          " capacity (max completed per second x min response time)" : "");
  if (s->avg_rt_ms) {
    fputs("    blocks while the average response time of the last second is above ", out);
    put_ms(out, s->avg_rt_ms);
    fputc('\n', out);
  }
  fputs("    answered by ", out);
  put_fallback(out, p, s->fallback, 0);
  fputs("; state ", out);
  put_state(out, state_system(s));
  fputc('\n', out);
}

void explain_policy(const struct ir_policy *p, FILE *out) {
  fprintf(out, "policy %s\n", p->name.text);
  fprintf(out, "  mode: %s\n", p->mode == IR_SHADOW
                                   ? "shadow (counts everything, blocks nothing; would-be "
                                     "blocks get header x-sentinel-shadow)"
                                   : "enforce");
  fprintf(out, "  counters: %s, unless a rule says otherwise\n", scope_words(p->scope));
  if (p->client_ip == IR_CLIENT_IP_XFF)
    fprintf(out, "  client IP: from x-forwarded-for, %d trusted hop%s\n", p->xff_hops,
            p->xff_hops == 1 ? "" : "s");
  else
    fputs("  client IP: the downstream peer address\n", out);
  fprintf(out, "  when the filter cannot decide: %s the request\n",
          p->on_error_deny ? "deny" : "allow");
  fprintf(out, "  ratelimit headers: %s\n", p->ratelimit_headers ? "on" : "off");
  fputs("  default fallback: ", out);
  put_fallback(out, p, p->fallback, 0);
  fputc('\n', out);
  fputs("  matching:\n", out);
  matchgen_explain_matcher(out, p, "    ");
  explain_system(out, p);
  struct state_bytes bytes = state_system(&p->system);
  for (size_t i = 0; i < p->n_resources; i++)
    state_add(&bytes, explain_resource(out, p, &p->resources[i]));
  fprintf(out, "\nstate: %" PRIu64 " bytes per Envoy worker, %" PRIu64 " bytes of shared data "
               "(once per Envoy process), plus %" PRIu32 " bytes per request in flight\n",
          bytes.worker, bytes.shared, state_stream(p));
}
