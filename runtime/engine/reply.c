/*
 * reply.c: renders replies into the engine's reply buffer (see reply.h).
 * The buffer is sized for the policy's largest reply, so a write never
 * runs out of room: an assertion says so in native builds (the fuzzer
 * checks it), and main.wasm would cut rather than overrun.
 */
#include <stdlib.h>
#include <string.h>
#include "../layout.h"
#include "bound.h"
#include "names.h"
#include "reply.h"
#include "text.h"

_Static_assert(SENTC_REPLY_MAX_HEADERS >= SENTC_REPLY_HEADERS_MAX + 4,
               "a reply carries a fallback's headers, retry-after and RateLimit headers");

/* The most bytes template `t` renders to. */
static size_t template_max(const struct sentc_template *t, uint32_t resource_max) {
  size_t bytes = 0;
  for (uint32_t i = 0; i < t->n_pieces; i++)
    bytes += sentc_layout_piece_max(t->pieces[i].kind, t->pieces[i].text.len, resource_max);
  return bytes;
}

static size_t fallback_max(const struct sentc_fallback *f, uint32_t resource_max) {
  size_t bytes = f->has_body ? template_max(&f->body, resource_max) : 0;
  for (uint32_t i = 0; i < f->n_headers; i++)
    bytes += template_max(&f->headers[i].value, resource_max);
  return bytes;
}

int sentc_reply_open(struct sentc_reply_text *t, const struct sentc_policy *p) {
  uint32_t resource_max = sizeof "system" - 1, rule_max = 0;
  for (uint32_t i = 0; i < p->n_resources; i++)
    if (p->resources[i].name.len > resource_max)
      resource_max = p->resources[i].name.len;
  for (int k = 0; k < SENTC_N_RULE_KINDS; k++)
    for (uint32_t j = 0; j < sentc_tables_count(p, k); j++)
      if (strlen(sentc_tables_rule(p, k, j)->name) > rule_max)
        rule_max = (uint32_t)strlen(sentc_tables_rule(p, k, j)->name);
  size_t largest = 0;
  for (uint32_t i = 0; i < p->n_fallbacks; i++)
    if (fallback_max(&p->fallbacks[i], resource_max) > largest)
      largest = fallback_max(&p->fallbacks[i], resource_max);
  /* Beside a fallback's own text (or instead of it): the built-in reply's
   * header and JSON body (the resource escaped: twice its length at
   * most), a retry-after, the shadow header, the RateLimit headers (the
   * rule's resource/name twice, numbers of at most 10 digits). */
  t->room = largest + 4 * (size_t)resource_max + 4 * SENTC_KIND_NAME_MAX +
            2 * ((size_t)resource_max + rule_max) + 256;
  t->text = malloc(t->room);
  return t->text ? 0 : -1;
}

void sentc_reply_close(struct sentc_reply_text *t) {
  free(t->text);
  *t = (struct sentc_reply_text){0};
}

struct writer {
  char *at;
  char *end;
};

static struct writer writer_of(struct sentc_reply_text *t) {
  return (struct writer){t->text, t->text + t->room};
}

static void put(struct writer *w, const char *s, size_t len) {
  size_t room = (size_t)(w->end - w->at);
  SENTC_ASSERT(len <= room);
  if (len > room)
    len = room;
  memcpy(w->at, s, len);
  w->at += len;
}

static void puts_(struct writer *w, const char *s) { put(w, s, strlen(s)); }

static void put_uint(struct writer *w, uint64_t n) {
  char digits[20];
  struct sentc_text t = sentc_text_on(digits, sizeof digits);
  sentc_text_uint(&t, n);
  put(w, digits, (size_t)(t.at - digits));
}

/* Writes s as the inside of a JSON string. */
static void put_json(struct writer *w, const char *s) {
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      put(w, "\\", 1);
    if ((unsigned char)*s < 0x20)
      put(w, "?", 1);
    else
      put(w, s, 1);
  }
}

static uint64_t retry_seconds(const struct sentc_block *b) {
  int64_t s = (b->retry_after_ms + 999) / 1000;
  return s < 1 ? 1 : (uint64_t)s;
}

static void put_template(struct writer *w, const struct sentc_template *t,
                         const struct sentc_block *b) {
  for (uint32_t i = 0; i < t->n_pieces; i++) {
    const struct sentc_piece *p = &t->pieces[i];
    if (p->kind == SENTC_PIECE_TEXT)
      put(w, p->text.text, p->text.len);
    else if (p->kind == SENTC_PIECE_RESOURCE)
      puts_(w, b->resource);
    else if (p->kind == SENTC_PIECE_KIND)
      puts_(w, sentc_names_kind[b->kind]);
    else
      put_uint(w, retry_seconds(b));
  }
}

static void add_header(struct sentc_reply *reply, const char *name, size_t name_len,
                       const char *value, size_t value_len) {
  SENTC_ASSERT(reply->n_headers < SENTC_REPLY_MAX_HEADERS);
  if (reply->n_headers == SENTC_REPLY_MAX_HEADERS)
    return;
  reply->headers[reply->n_headers++] =
      (struct sentc_header){name, name_len, value, value_len};
}

static int has_header(const struct sentc_reply *reply, const char *name) {
  for (uint16_t i = 0; i < reply->n_headers; i++)
    if (reply->headers[i].name_len == strlen(name) &&
        memcmp(reply->headers[i].name, name, reply->headers[i].name_len) == 0)
      return 1;
  return 0;
}

static void put_blocked_header(struct writer *w, struct sentc_reply *reply, const char *name,
                               const struct sentc_block *b) {
  char *value = w->at;
  puts_(w, b->resource);
  puts_(w, "/");
  puts_(w, sentc_names_kind[b->kind]);
  add_header(reply, name, strlen(name), value, (size_t)(w->at - value));
}

static void render_builtin(struct writer *w, struct sentc_reply *reply,
                           const struct sentc_block *b) {
  put_blocked_header(w, reply, "x-sentinel-blocked", b);
  char *body = w->at;
  if (b->grpc) {
    puts_(w, "blocked by sentinel: ");
    puts_(w, b->resource);
    puts_(w, "/");
    puts_(w, sentc_names_kind[b->kind]);
  } else {
    add_header(reply, "content-type", 12, "application/json", 16);
    puts_(w, "{\"error\":\"blocked\",\"resource\":\"");
    put_json(w, b->resource);
    puts_(w, "\",\"kind\":\"");
    puts_(w, sentc_names_kind[b->kind]);
    puts_(w, "\"}\n");
  }
  reply->body = body;
  reply->body_len = (size_t)(w->at - body);
}

static void render_fallback(struct writer *w, struct sentc_reply *reply,
                            const struct sentc_fallback *f, const struct sentc_block *b) {
  if (f->status)
    reply->status = f->status;
  if (f->grpc_status >= 0)
    reply->grpc_status = f->grpc_status;
  if (f->details.len)
    reply->details = f->details.text;
  reply->forward = f->forward;
  for (uint32_t i = 0; i < f->n_headers; i++) {
    char *value = w->at;
    put_template(w, &f->headers[i].value, b);
    add_header(reply, f->headers[i].name.text, f->headers[i].name.len, value,
               (size_t)(w->at - value));
  }
  char *body = w->at;
  if (f->has_body)
    put_template(w, &f->body, b);
  reply->body = body;
  reply->body_len = (size_t)(w->at - body);
}

/* "RES/RULE" of the quota's rule. */
static void put_quota_name(struct writer *w, const struct sentc_policy *p,
                           const struct sentc_quota *q) {
  const struct sentc_rule *rule = sentc_tables_rule(p, (enum sentc_kind)q->kind, q->rule);
  put(w, "\"", 1);
  put(w, p->resources[rule->resource].name.text, p->resources[rule->resource].name.len);
  put(w, "/", 1);
  puts_(w, rule->name);
  put(w, "\"", 1);
}

static uint64_t seconds_up(uint64_t ms) { return (ms + 999) / 1000; }

/* Adds the RateLimit headers of quota `q` (reply.h). */
static void put_quota(struct writer *w, struct sentc_reply *reply, const struct sentc_policy *p,
                      int flavour, const struct sentc_quota *q) {
  uint64_t window_s = seconds_up(q->window_ms), reset_s = seconds_up(q->reset_ms);
  char *value = w->at;
  if (flavour == SENTC_RATELIMIT_ENVOY) {
    put_uint(w, q->limit);
    puts_(w, ", ");
    put_uint(w, q->limit);
    puts_(w, ";w=");
    put_uint(w, window_s);
    puts_(w, ";name=");
    put_quota_name(w, p, q);
    add_header(reply, "x-ratelimit-limit", 17, value, (size_t)(w->at - value));
    value = w->at;
    put_uint(w, q->remaining);
    add_header(reply, "x-ratelimit-remaining", 21, value, (size_t)(w->at - value));
    value = w->at;
    put_uint(w, reset_s);
    add_header(reply, "x-ratelimit-reset", 17, value, (size_t)(w->at - value));
    return;
  }
  put_quota_name(w, p, q);
  puts_(w, ";q=");
  put_uint(w, q->limit);
  puts_(w, ";w=");
  put_uint(w, window_s);
  add_header(reply, "ratelimit-policy", 16, value, (size_t)(w->at - value));
  value = w->at;
  put_quota_name(w, p, q);
  puts_(w, ";r=");
  put_uint(w, q->remaining);
  puts_(w, ";t=");
  put_uint(w, reset_s);
  add_header(reply, "ratelimit", 9, value, (size_t)(w->at - value));
}

void sentc_reply_clear(struct sentc_reply *reply) {
  reply->status = 0;
  reply->details = "";
  reply->grpc_status = -1;
  reply->forward = 0;
  reply->n_headers = 0;
  reply->body = NULL;
  reply->body_len = 0;
}

void sentc_reply_render(struct sentc_reply *reply, struct sentc_reply_text *t,
                        const struct sentc_policy *policy, const struct sentc_block *b) {
  struct writer w = writer_of(t);
  sentc_reply_clear(reply);
  reply->status = sentc_names_status[b->kind];
  reply->details = "sentinel_blocked";
  reply->grpc_status = b->grpc ? sentc_names_grpc_status[b->kind] : -1;
  if (SENTC_USES(SENTC_USE_FALLBACKS) && b->fallback >= 0 &&
      (uint32_t)b->fallback < policy->n_fallbacks)      /* tables.h: else left out */
    render_fallback(&w, reply, &policy->fallbacks[b->fallback], b);
  else
    render_builtin(&w, reply, b);
  if (!b->grpc)
    reply->grpc_status = -1;
  if (b->ratelimit == SENTC_RATELIMIT_OFF || reply->forward)
    return;
  if (!has_header(reply, "retry-after")) {
    char *value = w.at;
    put_uint(&w, retry_seconds(b));
    add_header(reply, "retry-after", 11, value, (size_t)(w.at - value));
  }
  if (b->quota)
    put_quota(&w, reply, policy, b->ratelimit, b->quota);
}

void sentc_reply_shadow(struct sentc_reply *reply, struct sentc_reply_text *t,
                        const struct sentc_block *b) {
  struct writer w = writer_of(t);
  sentc_reply_clear(reply);
  put_blocked_header(&w, reply, "x-sentinel-shadow", b);
}

void sentc_reply_ratelimit(struct sentc_reply *reply, struct sentc_reply_text *t,
                           const struct sentc_policy *policy, int flavour,
                           const struct sentc_quota *q) {
  struct writer w = writer_of(t);
  sentc_reply_clear(reply);
  put_quota(&w, reply, policy, flavour, q);
}
