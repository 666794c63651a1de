/*
 * config.c: the plugin configuration (see config.h; its format is in
 * docs/operations.md).
 *
 * A configuration is read in one pass over its JSON tokens (json.h) onto a
 * fresh copy of the compiled arrays: every key is checked as it is met,
 * against the compiled policy and the language's limits (tables.h), and the
 * first mistake stops the pass with its JSON path.  Modes resolve as the
 * language's do: a rule's wins over its resource's, which wins over the
 * configuration's top one, which wins over the compiled mode.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "json.h"
#include "bound.h"
#include "names.h"

/* A JSON token takes two bytes of text at least (a value and a comma),
 * so a configuration of `len` bytes has at most len / 2 + 2. */
static uint32_t max_tokens(size_t len) { return (uint32_t)(len / 2 + 2); }

/* A pass over one configuration. */
struct pass {
  const struct sentc_policy *compiled;
  struct sentc_config_arrays *arrays;    /* being filled */
  struct sentc_policy *live;             /* the copy the arrays belong to */
  const char *text;
  const struct sentc_json_token *tokens;
  struct sentc_text *out;
  char *out_start;                       /* what was applied is unsaid on a mistake */
  char path[256];                        /* the JSON path being read */
  size_t path_len;
  uint32_t *items_room;                  /* per hotspot rule: its items' room */
  size_t items_used, items_cap;          /* in arrays->items */
  size_t values_used, values_room;       /* in arrays->values */
  int changes;
  /* Modes the configuration gives, -1 where it gives none: at the top, per
   * resource, per rule of each kind. */
  int top_mode;
  int *resource_mode;
  int8_t *rule_mode[SENTC_N_RULE_KINDS];
};

/* ---- the live arrays ---- */

static void free_arrays(struct sentc_config_arrays *a) {
  free(a->resources);
#define FREE_KIND(K, k, status, grpc, tcp) free(a->k);
  SENTC_RULE_KINDS(FREE_KIND)
#undef FREE_KIND
  free(a->items);
  free(a->values);
  *a = (struct sentc_config_arrays){0};
}

static void *copy_of(const void *from, size_t n, size_t size) {
  void *to = malloc(n ? n * size : 1);
  if (to && n)
    memcpy(to, from, n * size);
  return to;
}

/* Copies of the compiled arrays into `a`, and `live` pointing at them;
 * room for `more_items` items and `values_room` bytes of their text beyond
 * the compiled ones.  Returns the items used. */
static int copy_arrays(const struct sentc_policy *p, struct sentc_config_arrays *a,
                       struct sentc_policy *live, size_t more_items, size_t values_room,
                       size_t *items_used) {
  *a = (struct sentc_config_arrays){0};
  a->resources = copy_of(p->resources, p->n_resources, sizeof *p->resources);
  int ok = a->resources != NULL;
#define COPY_KIND(K, k, status, grpc, tcp) \
  ok = (a->k = copy_of(p->k, p->n_##k, sizeof *p->k)) && ok;
  SENTC_RULE_KINDS(COPY_KIND)
#undef COPY_KIND
  size_t n_items = more_items;
  for (uint32_t i = 0; i < p->n_hotspot; i++)
    n_items += p->hotspot[i].n_items;
  a->items = malloc(n_items ? n_items * sizeof *a->items : 1);
  a->values = malloc(values_room ? values_room : 1);
  if (!ok || !a->items || !a->values) {
    free_arrays(a);
    return -1;
  }
  struct sentc_item *at = a->items;
  for (uint32_t i = 0; i < p->n_hotspot; i++) {
    if (p->hotspot[i].n_items)
      memcpy(at, p->hotspot[i].items, p->hotspot[i].n_items * sizeof *at);
    a->hotspot[i].items = at;
    at += p->hotspot[i].n_items;
  }
  *items_used = (size_t)(at - a->items);
  *live = *p;
  live->resources = a->resources;
#define POINT_KIND(K, k, status, grpc, tcp) live->k = a->k;
  SENTC_RULE_KINDS(POINT_KIND)
#undef POINT_KIND
  return 0;
}

int sentc_config_start(struct sentc_config *c, const struct sentc_policy *compiled) {
  *c = (struct sentc_config){.compiled = compiled};
  size_t used;
  return copy_arrays(compiled, &c->arrays, &c->live, 0, 0, &used);
}

void sentc_config_stop(struct sentc_config *c) {
  free_arrays(&c->arrays);
  *c = (struct sentc_config){0};
}

/* ---- reading values ---- */

static int wrong(struct pass *s, const char *what) {
  s->out->at = s->out_start;
  if (s->path_len)
    sentc_text_bytes(s->out, s->path, s->path_len);
  else
    sentc_text_str(s->out, "the configuration");
  sentc_text_str(s->out, ": ");
  sentc_text_str(s->out, what);
  return -1;
}

/* Enters member `key` of the path (until leave(s, len)). */
static size_t enter(struct pass *s, const char *key, size_t key_len) {
  size_t was = s->path_len;
  if (s->path_len && s->path_len < sizeof s->path - 1)
    s->path[s->path_len++] = '.';
  size_t room = sizeof s->path - 1 - s->path_len;
  if (key_len > room)
    key_len = room;
  memcpy(s->path + s->path_len, key, key_len);
  s->path_len += key_len;
  return was;
}

static void leave(struct pass *s, size_t was) { s->path_len = was; }

static const struct sentc_json_token *token(const struct pass *s, uint32_t t) { return &s->tokens[t]; }

static int need(struct pass *s, uint32_t t, enum sentc_json_type type, const char *what) {
  return token(s, t)->type == type ? 0 : wrong(s, what);
}

/* A string value decoded into `out` (room bytes). */
static int string_value(struct pass *s, uint32_t t, char *out, size_t room, const char *what) {
  if (need(s, t, SENTC_JSON_STRING, what) != 0)
    return -1;
  if (sentc_json_string(s->text, token(s, t), out, room) < 0)
    return wrong(s, "too long, or not plain ASCII text");
  return 0;
}

/* A whole number from `lo` to `hi`. */
static int uint_value(struct pass *s, uint32_t t, uint32_t lo, uint32_t hi, uint32_t *out) {
  const struct sentc_json_token *k = token(s, t);
  uint64_t n = 0;
  int ok = k->type == SENTC_JSON_NUMBER;
  for (uint32_t i = k->start; ok && i < k->end; i++) {
    char c = s->text[i];
    ok = c >= '0' && c <= '9' && (n = n * 10 + (uint64_t)(c - '0')) <= UINT32_MAX;
  }
  if (!ok || n < lo || n > hi) {
    char line[96];
    struct sentc_text m = sentc_text_on(line, sizeof line - 1);
    sentc_text_str(&m, "expected a whole number from ");
    sentc_text_uint(&m, lo);
    sentc_text_str(&m, " to ");
    sentc_text_uint(&m, hi);
    *m.at = 0;
    return wrong(s, line);
  }
  *out = (uint32_t)n;
  return 0;
}

/* "10", "1.5" (at most three decimals): the value and what makes it whole
 * (tables.h), as the language reads a rate's count. */
static int decimal(const char *text, size_t len, double *value, uint32_t *whole) {
  double v = 0, scale = 1;
  int dot = 0, digits = 0, decimals = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '.' && !dot) {
      dot = 1;
      continue;
    }
    if (text[i] < '0' || text[i] > '9' || decimals == 3 || v > 1e12)
      return -1;
    digits++;
    if (dot) {
      scale *= 10;
      decimals++;
    }
    v = v * 10 + (text[i] - '0');
  }
  if (!digits)
    return -1;
  *value = v / scale;
  *whole = sentc_rate_whole_factor(*value);
  return 0;
}

/* A duration "300ms", "10s", "2m", "1h" (a number before the unit, whole). */
static int parse_duration(const char *text, uint64_t *ms) {
  size_t len = strlen(text), n = 0;
  while (n < len && text[n] >= '0' && text[n] <= '9')
    n++;
  if (n == 0 || n > 9)
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++)            /* strtoull would add 2.4 KB to main.wasm */
    v = v * 10 + (uint64_t)(text[i] - '0');
  const char *unit = text + n;
  uint64_t per = strcmp(unit, "ms") == 0 ? 1 : strcmp(unit, "s") == 0 ? 1000
               : strcmp(unit, "m") == 0 ? 60000 : strcmp(unit, "h") == 0 ? 3600000 : 0;
  if (!per)
    return -1;
  *ms = v * per;
  return 0;
}

static int duration_value(struct pass *s, uint32_t t, uint32_t lo, uint32_t hi, uint32_t *out) {
  char text[32];
  uint64_t ms;
  if (string_value(s, t, text, sizeof text, "expected a duration in quotes, e.g. \"10s\"") != 0)
    return -1;
  if (parse_duration(text, &ms) != 0 || ms < lo || ms > hi)
    return wrong(s, ms > hi && parse_duration(text, &ms) == 0
                        ? "too long a duration"
                        : "expected a duration such as \"300ms\", \"10s\", \"5m\" or \"1h\"");
  *out = (uint32_t)ms;
  return 0;
}

/* A rate "COUNT/WINDOW" as the language writes it ("100/s", "5/10s",
 * "1.5/s" = 3 per 2s): count and window, the count made whole. */
static int rate_value(struct pass *s, uint32_t t, uint32_t *count, uint32_t *window_ms) {
  char text[48];
  const char *example = "expected a rate in quotes, e.g. \"100/s\" or \"5/10s\"";
  if (string_value(s, t, text, sizeof text, example) != 0)
    return -1;
  char *slash = memchr(text, '/', strlen(text));
  double v;
  uint32_t whole;
  if (!slash || decimal(text, (size_t)(slash - text), &v, &whole) != 0)
    return wrong(s, example);
  char window[40] = "1";
  const char *w = slash + 1;
  if (*w < '0' || *w > '9') {              /* "/s": one of the unit */
    if (strlen(w) + 2 > sizeof window)
      return wrong(s, example);
    memcpy(window + 1, w, strlen(w) + 1);    /* after the "1" */
    w = window;
  }
  uint64_t ms;
  if (parse_duration(w, &ms) != 0 || ms < 1 || ms > SENTC_MAX_WINDOW_MS)
    return wrong(s, "a rate's window must be from 1ms to 24h, e.g. \"100/s\"");
  if (ms * whole > SENTC_MAX_WINDOW_MS || round(v * whole) > SENTC_MAX_RATE_COUNT)
    return wrong(s, "a rate's count must be from 0 to 1000000000, its window at most 24h");
  *count = (uint32_t)round(v * whole);
  *window_ms = (uint32_t)(ms * whole);
  return 0;
}

/* A ratio: a number from 0 to 1, or "N%". */
static int ratio_value(struct pass *s, uint32_t t, double *ratio) {
  const struct sentc_json_token *k = token(s, t);
  char text[32];
  double v;
  uint32_t whole;
  size_t len = k->end - k->start;
  if (k->type == SENTC_JSON_NUMBER && len < sizeof text &&
      decimal(s->text + k->start, len, &v, &whole) == 0 && v <= 1) {
    *ratio = v;
    return 0;
  }
  if (k->type == SENTC_JSON_STRING && sentc_json_string(s->text, k, text, sizeof text) > 1 &&
      text[strlen(text) - 1] == '%' && decimal(text, strlen(text) - 1, &v, &whole) == 0 &&
      v <= 100) {
    *ratio = v / 100;
    return 0;
  }
  return wrong(s, "expected a ratio: a number from 0 to 1, or a percentage such as \"50%\"");
}

static int mode_value(struct pass *s, uint32_t t, int *mode) {
  char text[16];
  if (string_value(s, t, text, sizeof text, "expected \"enforce\" or \"shadow\"") != 0)
    return -1;
  if (strcmp(text, "enforce") != 0 && strcmp(text, "shadow") != 0)
    return wrong(s, "expected \"enforce\" or \"shadow\"");
  *mode = text[0] == 's' ? SENTC_SHADOW : SENTC_ENFORCE;
  return 0;
}

static int bool_value(struct pass *s, uint32_t t, int *on) {
  const struct sentc_json_token *k = token(s, t);
  if (k->type != SENTC_JSON_TRUE && k->type != SENTC_JSON_FALSE)
    return wrong(s, "expected true or false");
  *on = k->type == SENTC_JSON_TRUE;
  return 0;
}

/* Says what was applied: "PATH=VALUE" (the value as written). */
static void applied(struct pass *s, uint32_t t) {
  const struct sentc_json_token *k = token(s, t);
  sentc_text_str(s->out, s->changes++ ? ", " : "");
  sentc_text_bytes(s->out, s->path, s->path_len);
  sentc_text_str(s->out, "=");
  if (k->type == SENTC_JSON_STRING)
    sentc_text_str(s->out, "\"");
  sentc_text_bytes(s->out, s->text + k->start, k->end - k->start);
  if (k->type == SENTC_JSON_STRING)
    sentc_text_str(s->out, "\"");
}

/* Each member of object token `object`: fn(s, key, value) with the path
 * entered; stops at the first failure. */
typedef int (*member_fn)(struct pass *s, const char *key, uint32_t value, void *arg);

static int each_member(struct pass *s, uint32_t object, member_fn fn, void *arg) {
  if (need(s, object, SENTC_JSON_OBJECT, "expected an object { ... }") != 0)
    return -1;
  uint32_t at = object + 1;
  for (uint32_t m = 0; m < token(s, object)->size; m++) {
    char key[SENTC_MAX_NAME_LEN + 1];
    if (sentc_json_string(s->text, token(s, at), key, sizeof key) < 0)
      return wrong(s, "a member name longer than a name can be");
    size_t was = enter(s, key, strlen(key));
    int r = fn(s, key, at + 1, arg);
    leave(s, was);
    if (r != 0)
      return -1;
    at = token(s, at + 1)->next;
  }
  return 0;
}

static int unknown_key(struct pass *s, const char *known) {
  char line[160];
  struct sentc_text m = sentc_text_on(line, sizeof line - 1);
  sentc_text_str(&m, "unknown key (known here: ");
  sentc_text_str(&m, known);
  sentc_text_str(&m, ")");
  *m.at = 0;
  return wrong(s, line);
}

/* ---- rules ---- */

struct rule_at {
  enum sentc_kind kind;
  uint32_t index;
  int mode;                    /* the rule's own `mode` in the configuration, or -1 */
};

/* In scope proxy, permits are listed per VM in a cell sized by the compiled
 * limit (layout.h): a configuration may lower it, not raise it. */
static int permit_limit(struct pass *s, uint32_t t, const struct sentc_rule *rule, uint32_t compiled,
                        uint32_t *out) {
  if (uint_value(s, t, 0, SENTC_MAX_CONCURRENCY, out) != 0)
    return -1;
  if (rule->scope == SENTC_SCOPE_PROXY && *out > compiled) {
    char line[200];
    struct sentc_text m = sentc_text_on(line, sizeof line - 1);
    sentc_text_str(&m, "in scope proxy a limit can be lowered live, raised only up to its compiled "
                       "value (");
    sentc_text_uint(&m, compiled);
    sentc_text_str(&m, "), which sizes its shared state: compile the higher limit");
    *m.at = 0;
    return wrong(s, line);
  }
  return 0;
}

/* A rule in scope cluster is counted by the rate-limit service, from its
 * own configuration (docs/cluster.md): only `enabled` and `mode` apply. */
#define CLUSTER_COUNTED "the rule is in scope cluster: the rate-limit service counts it, from its " \
                        "own configuration (sentc --ratelimit-config); only enabled and mode apply"

static int flow_key(struct pass *s, const char *key, uint32_t v, struct sentc_flow *f) {
  const struct sentc_flow *was = &s->compiled->flow[f - s->arrays->flow];
  if (strcmp(key, "rate") != 0)
    return unknown_key(s, "enabled, mode, rate");
  if (was->rule.scope == SENTC_SCOPE_CLUSTER)
    return wrong(s, CLUSTER_COUNTED);
  uint32_t count, window_ms;
  if (rate_value(s, v, &count, &window_ms) != 0)
    return -1;
  if (window_ms != was->window.window_ms)
    return wrong(s, "the rule counts over the window it was compiled with: give its rate per "
                    "that window (sentc --explain shows it)");
  if (count == 0 && (was->flags & (SENTC_FLOW_THROTTLE | SENTC_FLOW_WARMUP)))
    return wrong(s, "a throttled or warming-up rule needs a rate above 0");
  f->count = count;
  return 0;
}

static int item_member(struct pass *s, const char *key, uint32_t v, void *arg) {
  struct sentc_hotspot *h = arg;
  struct sentc_item item = {0};
  if (rate_value(s, v, &item.count, &item.window_ms) != 0)
    return -1;
  applied(s, v);
  struct sentc_item *items = (struct sentc_item *)h->items;
  size_t len = strlen(key);
  for (uint32_t i = 0; i < h->n_items; i++)
    if (items[i].value.len == len && memcmp(items[i].value.text, key, len) == 0) {
      items[i].count = item.count;
      items[i].window_ms = item.window_ms;
      return 0;
    }
  if (h->n_items == SENTC_MAX_ITEMS)
    return wrong(s, "a hotspot has at most 1000 items");
  SENTC_ASSERT(h->n_items < s->items_room[h - s->arrays->hotspot]);
  SENTC_ASSERT(s->values_used + len + 1 <= s->values_room);
  char *text = s->arrays->values + s->values_used;
  memcpy(text, key, len + 1);
  s->values_used += len + 1;
  item.value = (struct sentc_string){text, len};
  items[h->n_items++] = item;
  return 0;
}

/* A rule's items, moved to the end of the pool with room for the members
 * of `object` more, before they are read. */
static int items_key(struct pass *s, uint32_t object, struct sentc_hotspot *h) {
  if (need(s, object, SENTC_JSON_OBJECT, "expected an object { \"VALUE\": \"RATE\", ... }") != 0)
    return -1;
  uint32_t room = h->n_items + token(s, object)->size;
  SENTC_ASSERT(s->items_used + room <= s->items_cap);
  struct sentc_item *moved = s->arrays->items + s->items_used;
  if (h->n_items)
    memmove(moved, h->items, h->n_items * sizeof *moved);
  h->items = moved;
  s->items_used += room;
  s->items_room[h - s->arrays->hotspot] = room;
  return each_member(s, object, item_member, h);
}

static int hotspot_key(struct pass *s, const char *key, uint32_t v, struct sentc_hotspot *h) {
  const struct sentc_hotspot *was = &s->compiled->hotspot[h - s->arrays->hotspot];
  int concurrency = h->mode == SENTC_HOTSPOT_CONCURRENCY;
  if (was->rule.scope == SENTC_SCOPE_CLUSTER)
    return wrong(s, CLUSTER_COUNTED);
  if (concurrency && strcmp(key, "limit") == 0)
    return permit_limit(s, v, &h->rule, was->count, &h->count);
  if (!concurrency && strcmp(key, "rate") == 0) {
    uint32_t count, window_ms;
    if (rate_value(s, v, &count, &window_ms) != 0)
      return -1;
    if (count == 0 && h->throttle)
      return wrong(s, "a throttled rule needs a rate above 0");
    h->count = count;
    h->window_ms = window_ms;
    return 0;
  }
  if (!concurrency && strcmp(key, "burst") == 0)
    return uint_value(s, v, 0, SENTC_MAX_RATE_COUNT, &h->burst);
  if (!concurrency && strcmp(key, "items") == 0)
    return items_key(s, v, h);
  return unknown_key(s, concurrency ? "enabled, mode, limit" : "enabled, mode, rate, burst, items");
}

static int concurrency_key(struct pass *s, const char *key, uint32_t v, struct sentc_concurrency *c) {
  const struct sentc_concurrency *was = &s->compiled->concurrency[c - s->arrays->concurrency];
  if (strcmp(key, "limit") != 0)
    return unknown_key(s, "enabled, mode, limit");
  return permit_limit(s, v, &c->rule, was->limit, &c->limit);
}

static int breaker_key(struct pass *s, const char *key, uint32_t v, struct sentc_breaker *b) {
  int ratio = b->kind != SENTC_BREAKER_ERROR_COUNT;
  if (ratio && strcmp(key, "ratio") == 0)
    return ratio_value(s, v, &b->ratio);
  if (!ratio && strcmp(key, "count") == 0)
    return uint_value(s, v, 1, SENTC_MAX_RATE_COUNT, &b->count);
  if (strcmp(key, "min_requests") == 0)
    return uint_value(s, v, 1, SENTC_MAX_RATE_COUNT, &b->min_requests);
  if (strcmp(key, "open") == 0)
    return duration_value(s, v, 1, SENTC_MAX_WINDOW_MS, &b->open_ms);
  if (b->kind == SENTC_BREAKER_SLOW_RATIO && strcmp(key, "max_rt") == 0)
    return duration_value(s, v, 1, SENTC_MAX_RT_MS, &b->max_rt_ms);
  return unknown_key(s, b->kind == SENTC_BREAKER_SLOW_RATIO
                            ? "enabled, mode, ratio, min_requests, open, max_rt"
                        : ratio ? "enabled, mode, ratio, min_requests, open"
                                : "enabled, mode, count, min_requests, open");
}

static struct sentc_rule *live_rule(struct pass *s, const struct rule_at *r) {
  switch (r->kind) {
#define LIVE_RULE(K, k, status, grpc, tcp) \
  case SENTC_KIND_##K:                     \
    return &s->arrays->k[r->index].rule;
    SENTC_RULE_KINDS(LIVE_RULE)
#undef LIVE_RULE
  default:
    return NULL;
  }
}

/* `enabled` and `mode`, which the top, a resource and a rule all take:
 * 1 when `key` is neither, else 0 or -1 (a bad value). */
static int switch_key(struct pass *s, const char *key, uint32_t v, uint8_t *off, int *mode) {
  int on = 0;
  if (strcmp(key, "enabled") == 0) {
    if (bool_value(s, v, &on) != 0)
      return -1;
    *off = (uint8_t)!on;
  } else if (strcmp(key, "mode") == 0) {
    if (mode_value(s, v, mode) != 0)
      return -1;
  } else {
    return 1;
  }
  applied(s, v);
  return 0;
}

/* A threshold of rule r: its kind's <k>_key above (one per kind of the
 * registry, tables.h). */
static int kind_key(struct pass *s, const char *key, uint32_t v, const struct rule_at *r) {
  /* A kind the policy has not (SENTC_USES) has no rule to find here:
   * main.wasm leaves its keys out. */
  switch (r->kind) {
#define KIND_KEY(K, k, status, grpc, tcp)                                    \
  case SENTC_KIND_##K:                                                       \
    return SENTC_USES(SENTC_USE_KIND(SENTC_KIND_##K))                        \
               ? k##_key(s, key, v, &s->arrays->k[r->index]) : -1;
    SENTC_RULE_KINDS(KIND_KEY)
#undef KIND_KEY
  default:
    return -1;
  }
}

static int rule_member(struct pass *s, const char *key, uint32_t v, void *arg) {
  struct rule_at *r = arg;
  int done = switch_key(s, key, v, &live_rule(s, r)->off, &r->mode);
  if (done <= 0)
    return done;
  if (kind_key(s, key, v, r) != 0)
    return -1;
  if (token(s, v)->type != SENTC_JSON_OBJECT)
    applied(s, v);
  return 0;
}

/* Rule `name` of resource r, or -1 with what it has. */
static int find_rule(struct pass *s, uint32_t r, const char *name, struct rule_at *at) {
  const struct sentc_resource *res = &s->compiled->resources[r];
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = res->rules[k].first; j < res->rules[k].first + res->rules[k].n; j++)
      if (strcmp(sentc_tables_rule(s->compiled, k, j)->name, name) == 0) {
        *at = (struct rule_at){k, j, -1};
        return 0;
      }
  char line[256];
  struct sentc_text m = sentc_text_on(line, sizeof line - 1);
  sentc_text_str(&m, "no rule '");
  sentc_text_str(&m, name);
  sentc_text_str(&m, "' in resource '");
  sentc_text_string(&m, &res->name);
  sentc_text_str(&m, "' (it has");
  int n = 0;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = res->rules[k].first; j < res->rules[k].first + res->rules[k].n; j++) {
      sentc_text_str(&m, n++ ? ", " : " ");
      sentc_text_str(&m, sentc_tables_rule(s->compiled, k, j)->name);
    }
  sentc_text_str(&m, n ? ")" : " no rules)");
  *m.at = 0;
  return wrong(s, line);
}

/* ---- resources and the top ---- */

struct resource_at {
  uint32_t index;
};

static int rules_member(struct pass *s, const char *key, uint32_t v, void *arg) {
  struct resource_at *r = arg;
  struct rule_at at;
  if (find_rule(s, r->index, key, &at) != 0 || each_member(s, v, rule_member, &at) != 0)
    return -1;
  s->rule_mode[at.kind][at.index] = (int8_t)at.mode;
  return 0;
}

static int resource_member(struct pass *s, const char *key, uint32_t v, void *arg) {
  struct resource_at *r = arg;
  int done = switch_key(s, key, v, &s->arrays->resources[r->index].off,
                        &s->resource_mode[r->index]);
  if (done <= 0)
    return done;
  if (strcmp(key, "rules") == 0)
    return each_member(s, v, rules_member, r);
  return unknown_key(s, "enabled, mode, rules");
}

static int resources_member(struct pass *s, const char *key, uint32_t v, void *arg) {
  (void)arg;
  for (uint32_t i = 0; i < s->compiled->n_resources; i++)
    if (strcmp(s->compiled->resources[i].name.text, key) == 0) {
      struct resource_at r = {i};
      return each_member(s, v, resource_member, &r);
    }
  return wrong(s, "no such resource in the compiled policy (sentc --explain lists them)");
}

static int top_member(struct pass *s, const char *key, uint32_t v, void *arg) {
  (void)arg;
  int done = switch_key(s, key, v, &s->live->off, &s->top_mode);
  if (done <= 0)
    return done;
  if (strcmp(key, "resources") == 0)
    return each_member(s, v, resources_member, NULL);
  return unknown_key(s, "enabled, mode, resources");
}

/* Every rule's mode: its own in the configuration, else its resource's,
 * else the configuration's top one, else as compiled; the system's the
 * top one, else as compiled. */
static void settle_modes(struct pass *s) {
  const struct sentc_policy *p = s->compiled;
  if (s->top_mode >= 0)
    s->live->mode = (uint8_t)s->top_mode;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = 0; j < sentc_tables_count(p, k); j++) {
      struct rule_at at = {k, j, -1};
      struct sentc_rule *rule = live_rule(s, &at);
      int mode = s->rule_mode[k][j] >= 0 ? s->rule_mode[k][j]
               : s->resource_mode[rule->resource] >= 0 ? s->resource_mode[rule->resource]
                                                        : s->top_mode;
      if (mode >= 0)
        rule->mode = (uint8_t)mode;
    }
}

/* What a pass allocates besides the arrays; freed by pass_free. */
static int pass_alloc(struct pass *s, const struct sentc_policy *p, size_t len) {
  s->tokens = malloc(max_tokens(len) * sizeof *s->tokens);
  s->items_room = malloc((p->n_hotspot ? p->n_hotspot : 1) * sizeof *s->items_room);
  s->resource_mode = malloc((p->n_resources ? p->n_resources : 1) * sizeof *s->resource_mode);
  int ok = s->tokens && s->items_room && s->resource_mode;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++) {
    uint32_t n = sentc_tables_count(p, k);
    s->rule_mode[k] = malloc(n ? n : 1);
    ok = ok && s->rule_mode[k];
    if (s->rule_mode[k])
      memset(s->rule_mode[k], -1, n ? n : 1);
  }
  for (uint32_t i = 0; ok && i < p->n_resources; i++)
    s->resource_mode[i] = -1;
  return ok ? 0 : -1;
}

static void pass_free(struct pass *s) {
  free((void *)s->tokens);
  free(s->items_room);
  free(s->resource_mode);
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    free(s->rule_mode[k]);
}

int sentc_config_apply(struct sentc_config *c, const char *text, size_t len, struct sentc_text *out) {
  const struct sentc_policy *p = c->compiled;
  if (len > SENTC_CONFIG_MAX || !text) {
    sentc_text_str(out, len > SENTC_CONFIG_MAX ? "the configuration is larger than 256 KiB"
                                               : "the configuration could not be read");
    return -1;
  }
  size_t blank = 0;
  while (blank < len && (text[blank] == ' ' || text[blank] == '\n' || text[blank] == '\t' ||
                         text[blank] == '\r'))
    blank++;
  if (blank == len) {
    text = "{}";
    len = 2;
  }
  struct sentc_config_arrays fresh = {0};
  struct sentc_policy live;
  struct pass s = {.compiled = p, .arrays = &fresh, .live = &live, .text = text, .out = out,
                   .out_start = out->at, .values_room = len, .top_mode = -1};
  if (pass_alloc(&s, p, len) != 0) {
    pass_free(&s);
    sentc_text_str(out, "out of memory");
    return -1;
  }
  const char *error;
  size_t at;
  int result = -1;
  int n = sentc_json_parse(text, len, (struct sentc_json_token *)s.tokens, max_tokens(len), &error,
                           &at);
  if (n < 0) {
    sentc_text_str(out, "bad JSON at byte ");
    sentc_text_uint(out, at);
    sentc_text_str(out, ": ");
    sentc_text_str(out, error);
  } else if (copy_arrays(p, &fresh, &live, (size_t)n, len, &s.items_used) != 0) {
    /* Items added or moved: fewer than the tokens; their text: less than
     * the configuration's. */
    sentc_text_str(out, "out of memory");
  } else {
    s.items_cap = s.items_used + (size_t)n;
    for (uint32_t i = 0; i < p->n_hotspot; i++)
      s.items_room[i] = p->hotspot[i].n_items;
    if (each_member(&s, 0, top_member, NULL) == 0) {
      settle_modes(&s);
      result = 0;
    }
  }
  if (result == 0) {
    if (s.changes == 0)
      sentc_text_str(out, "the compiled policy as it is");
    free_arrays(&c->arrays);
    c->arrays = fresh;
    c->live = live;
  } else {
    free_arrays(&fresh);
  }
  pass_free(&s);
  return result;
}
