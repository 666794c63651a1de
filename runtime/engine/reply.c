/*
 * reply.c: renders local replies into one static buffer (see reply.h).
 */
#include <string.h>
#include "reply.h"

/* Resource names are at most 128 bytes (the checker's limit), JSON escaping
 * at most doubles them: 2 KiB holds a reply with room to spare. */
static char buffer[2048];

struct writer {
  char *at;
  char *end;
};

static void put(struct writer *w, const char *s, size_t len) {
  size_t room = (size_t)(w->end - w->at);
  if (len > room)
    len = room;
  memcpy(w->at, s, len);
  w->at += len;
}

static void puts_(struct writer *w, const char *s) { put(w, s, strlen(s)); }

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

static void set_header(struct sentc_reply *reply, const char *name,
                       const char *value, size_t value_len) {
  struct sentc_header *h = &reply->headers[reply->n_headers++];
  h->name = name;
  h->name_len = strlen(name);
  h->value = value;
  h->value_len = value_len;
}

void sentc_reply_builtin(struct sentc_reply *reply, const char *resource,
                         const char *kind) {
  struct writer w = {buffer, buffer + sizeof buffer};
  reply->status = 429;
  reply->details = "sentinel_blocked";
  reply->n_headers = 0;

  char *blocked = w.at;
  puts_(&w, resource);
  puts_(&w, "/");
  puts_(&w, kind);
  set_header(reply, "x-sentinel-blocked", blocked, (size_t)(w.at - blocked));
  set_header(reply, "content-type", "application/json", 16);

  char *body = w.at;
  puts_(&w, "{\"error\":\"blocked\",\"resource\":\"");
  put_json(&w, resource);
  puts_(&w, "\",\"kind\":\"");
  puts_(&w, kind);
  puts_(&w, "\"}\n");
  reply->body = body;
  reply->body_len = (size_t)(w.at - body);
}
