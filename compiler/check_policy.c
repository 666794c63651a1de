/*
 * check_policy.c: the policy block and its system block (LANGUAGE.md,
 * "policy").  Only one policy block; its options apply to the whole file
 * wherever the block stands (rule defaults are filled in afterwards).
 */
#include "check_ctx.h"
#include "check_values.h"
#include "diag.h"
#include "schema.h"
#include "source.h"

static void check_scope(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  scope_word(s, "scope proxy;", &c->policy->scope);
}

static void check_mode(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  mode_word(s, "mode shadow;", &c->policy->mode);
}

/* `ratelimit_headers off|on|draft|envoy;`: on is the IETF draft's fields. */
static void check_ratelimit_headers(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  static const char *const words[] = {"off", "on", "draft", "envoy", NULL};
  static const enum sentc_ratelimit_headers flavours[] = {
    SENTC_RATELIMIT_OFF, SENTC_RATELIMIT_DRAFT, SENTC_RATELIMIT_DRAFT, SENTC_RATELIMIT_ENVOY};
  int i = single_word(s, words, "ratelimit_headers on;");
  if (i >= 0)
    c->policy->ratelimit_headers = flavours[i];
}

static void check_on_error(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  static const char *const words[] = {"allow", "deny", NULL};
  int i = single_word(s, words, "on_error deny;");
  if (i >= 0)
    c->policy->on_error_deny = i;
}

/* client_ip peer;  client_ip xff N; */
static void check_client_ip(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  static const char *const words[] = {"peer", "xff", NULL};
  const struct value *v = s->args;
  if (!stmt_no_block(s) || args_bad(s))
    return;
  int i = value_word(s, v, words, "client_ip xff 1;");
  if (i == 0 && args_done(s, v->next)) {
    c->policy->client_ip = SENTC_CLIENT_IP_PEER;
  } else if (i == 1) {
    uint32_t hops;
    if (!value_uint(s, v->next, 0, MAX_XFF_HOPS, "client_ip xff 1;", &hops) ||
        !args_done(s, v->next->next))
      return;
    c->policy->client_ip = SENTC_CLIENT_IP_XFF;
    c->policy->xff_hops = (int)hops;
  }
}

static void check_policy_fallback(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_NAME, "fallback busy;");
  if (v)
    ref_add(c, REF_FALLBACK, OWN_POLICY, 0, v);
}

/* ---- system { qps N; concurrency N; avg_rt D; adaptive; } ---- */

static void check_qps(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_INT, "qps 5000;");
  if (v)
    value_uint(s, v, 1, SENTC_MAX_RATE_COUNT, "qps 5000;", &c->policy->system.qps);
}

static void check_system_concurrency(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_INT, "concurrency 800;");
  if (v)
    value_uint(s, v, 1, SENTC_MAX_CONCURRENCY, "concurrency 800;", &c->policy->system.concurrency);
}

static void check_avg_rt(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = single_arg(s, V_DURATION, "avg_rt 300ms;");
  if (v)
    value_duration(s, v, 1, SENTC_MAX_RT_MS, "avg_rt 300ms;", &c->policy->system.avg_rt_ms);
}

static void check_adaptive(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  if (no_args(s))
    c->policy->system.adaptive = 1;
}

static const struct schema_rule system_rules[] = {
  {"qps", check_qps},
  {"concurrency", check_system_concurrency},
  {"avg_rt", check_avg_rt},
  {"adaptive", check_adaptive},
  {NULL, NULL},
};
const struct schema_block system_block = {"the system block", system_rules};

static void check_system(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  struct ir_system *sys = &c->policy->system;
  if (args_bad(s) || !args_done(s, s->args) || !stmt_need_block(s))
    return;
  if (sys->present) {
    diag_error(s->loc, "there is already a system block");
    diag_hint("the first one is at line %d", sys->loc.line);
    return;
  }
  sys->present = 1;
  sys->loc = s->loc;
  check_block_once(c, s->body, &system_block, NULL);
  if (sys->adaptive && !sys->concurrency) {
    diag_error(s->loc, "'adaptive' needs a 'concurrency' limit in the system block");
    diag_hint("adaptive applies above that limit: system { concurrency 800; adaptive; }");
  } else if (!s->body) {
    diag_warning(s->loc, "this system block sets no limit");
    diag_hint("give it qps, concurrency or avg_rt, or remove it");
  }
}

static const struct schema_rule policy_rules[] = {
  {"scope", check_scope},
  {"mode", check_mode},
  {"ratelimit_headers", check_ratelimit_headers},
  {"client_ip", check_client_ip},
  {"on_error", check_on_error},
  {"fallback", check_policy_fallback},
  {"system", check_system},
  {NULL, NULL},
};
const struct schema_block policy_block = {"the policy block", policy_rules};

void check_policy_stmt(void *ctx, const struct stmt *s) {
  struct checker *c = ctx;
  const struct value *v = s->args;
  if (args_bad(s) || !stmt_need_block(s))
    return;
  if (c->policy_stmt) {
    diag_error(s->loc, "there is already a policy block");
    diag_hint("the first one is at %s:%d", source_path(c->policy_stmt->loc.file),
              c->policy_stmt->loc.line);
    return;
  }
  c->policy_stmt = s;
  c->policy->loc = s->loc;
  if (v) {
    if (!arg_need(s, v, V_NAME, "policy shop { ... }") || !valid_name(v) ||
        !args_done(s, v->next))
      return;
    c->policy->name = (struct ir_string){v->text, v->text_len};
  }
  check_block_once(c, s->body, &policy_block, NULL);
}
