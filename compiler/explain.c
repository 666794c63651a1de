/*
 * explain.c: `sentc --explain` (see explain.h).  Everything it says comes
 * from the resolved IR, so it shows the defaults the compiler filled in,
 * not just what the file wrote; the match is described by matchgen, each
 * rule by its kind's file (kind.h).
 */
#include <inttypes.h>
#include "explain.h"
#include "kind.h"
#include "matchgen.h"

void explain_ms(FILE *out, uint32_t ms) {
  if (ms && ms % 3600000 == 0)
    fprintf(out, "%uh", ms / 3600000);
  else if (ms && ms % 60000 == 0)
    fprintf(out, "%um", ms / 60000);
  else if (ms >= 1000 && ms % 100 == 0)
    fprintf(out, "%gs", ms / 1000.0);
  else
    fprintf(out, "%ums", ms);
}

void explain_window(FILE *out, struct ir_window w) {
  explain_ms(out, w.window_ms);
  fprintf(out, " (%u bucket%s of ", w.buckets, w.buckets == 1 ? "" : "s");
  explain_ms(out, w.window_ms / w.buckets);
  fputc(')', out);
}

/* Which response a blocked request gets, with the defaults of `status`
 * and `grpc` when the fallback leaves them to the kind. */
static void put_fallback(FILE *out, const struct ir_policy *p, int index, int status, int grpc) {
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

static const char *scope_words(enum sentc_scope s) {
  return s == SENTC_SCOPE_WORKER ? "per Envoy worker" : "proxy-wide, shared by all workers";
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

struct state_bytes explain_rule_tail(FILE *out, const struct ir_policy *p, enum sentc_kind kind,
                                     const struct ir_rule *r, struct state_bytes bytes) {
  if (r->mode == SENTC_SHADOW && p->mode != SENTC_SHADOW)
    fputs("      shadow: a request it would block is counted as such and goes upstream\n", out);
  fprintf(out, "      counted %s; answered by ", scope_words(r->scope));
  put_fallback(out, p, r->fallback, kinds[kind].status, kinds[kind].grpc_status);
  fputs("; state ", out);
  put_state(out, bytes);
  fputc('\n', out);
  return bytes;
}

static struct state_bytes explain_resource(FILE *out, const struct ir_policy *p,
                                           const struct ir_resource *r) {
  fprintf(out, "\nresource %s (line %d)\n  matches:\n", r->name.text, r->loc.line);
  matchgen_explain(out, &r->match, "    ");
  size_t n = 0;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    n += r->rules[k].n;
  fprintf(out, "  rules, in the order they are checked:%s\n", n ? "" : " none");
  struct state_bytes bytes = {0, 0};
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (size_t i = r->rules[k].first; i < r->rules[k].first + r->rules[k].n; i++)
      state_add(&bytes, kinds[k].explain(out, p, i));
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
    explain_ms(out, s->avg_rt_ms);
    fputc('\n', out);
  }
  fputs("    answered by ", out);
  put_fallback(out, p, s->fallback, 429, 8);
  fputs("; state ", out);
  put_state(out, state_system(s));
  fputc('\n', out);
}

void explain_policy(const struct ir_policy *p, FILE *out) {
  fprintf(out, "policy %s\n", p->name.text);
  fprintf(out, "  mode: %s\n", p->mode == SENTC_SHADOW
                                   ? "shadow (counts everything, blocks nothing; would-be "
                                     "blocks get header x-sentinel-shadow)"
                                   : "enforce");
  fprintf(out, "  counters: %s, unless a rule says otherwise\n", scope_words(p->scope));
  if (p->client_ip == SENTC_CLIENT_IP_XFF)
    fprintf(out, "  client IP: from x-forwarded-for, %d trusted hop%s\n", p->xff_hops,
            p->xff_hops == 1 ? "" : "s");
  else
    fputs("  client IP: the downstream peer address\n", out);
  fprintf(out, "  when the filter cannot decide: %s the request\n",
          p->on_error_deny ? "deny" : "allow");
  static const char *const ratelimit_words[] = {
    [SENTC_RATELIMIT_OFF] = "off",
    [SENTC_RATELIMIT_DRAFT] = "RateLimit-Policy and RateLimit (the IETF httpapi draft)",
    [SENTC_RATELIMIT_ENVOY] = "x-ratelimit-limit, -remaining and -reset (as Envoy's)",
  };
  fprintf(out, "  ratelimit headers: %s\n", ratelimit_words[p->ratelimit_headers]);
  fputs("  default fallback: ", out);
  put_fallback(out, p, p->fallback, 429, 8);
  fputc('\n', out);
  fputs("  matching:\n", out);
  matchgen_explain_matcher(out, p, "    ");
  explain_system(out, p);
  struct state_bytes bytes = state_system(&p->system);
  for (size_t i = 0; i < p->n_resources; i++)
    state_add(&bytes, explain_resource(out, p, &p->resources[i]));
  fprintf(out, "\nstate: %" PRIu64 " bytes per Envoy worker, %" PRIu64 " bytes of shared data "
               "(once per Envoy process), plus %" PRIu32 " bytes per request in flight\n"
               "  (and %zu more for each rule or resource beyond %d that one request meets)\n",
          bytes.worker, bytes.shared, state_stream(), sizeof(struct sentc_effect),
          SENTC_STREAM_INLINE);
}
