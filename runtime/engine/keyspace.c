/*
 * keyspace.c: shared-data key names (see keyspace.h).  No stdio in
 * main.wasm (it would import WASI files): keys are put together by hand.
 */
#include <stdlib.h>
#include <string.h>
#include "keyspace.h"

/* The longest suffix: a cell number or one of the fixed names. */
#define SUFFIX_ROOM 16

static size_t append(char *to, size_t at, const char *text, size_t len) {
  memcpy(to + at, text, len);
  return at + len;
}

int sentc_keyspace_open(struct sentc_keyspace *k, const struct sentc_string *name, uint64_t hash) {
  sentc_keyspace_close(k);
  k->key = malloc(name->len + 24 + SUFFIX_ROOM);
  if (!k->key)
    return -1;
  char hex[16];
  for (int i = 0; i < 16; i++)
    hex[i] = "0123456789abcdef"[(hash >> (60 - 4 * i)) & 15];
  size_t at = append(k->key, 0, "sentc/", 6);
  at = append(k->key, at, name->text, name->len);
  at = append(k->key, at, "/", 1);
  at = append(k->key, at, hex, sizeof hex);
  k->prefix_len = append(k->key, at, "/", 1);
  return 0;
}

void sentc_keyspace_close(struct sentc_keyspace *k) {
  free(k->key);
  *k = (struct sentc_keyspace){0};
}

const char *sentc_keyspace_key(struct sentc_keyspace *k, const char *suffix, size_t *len) {
  size_t n = strlen(suffix);
  if (n > SUFFIX_ROOM)
    n = SUFFIX_ROOM;
  *len = append(k->key, k->prefix_len, suffix, n);
  return k->key;
}

const char *sentc_keyspace_cell(struct sentc_keyspace *k, uint32_t n, size_t *len) {
  char digits[12], *p = digits + sizeof digits;
  *--p = 0;
  do
    *--p = (char)('0' + n % 10);
  while (n /= 10);
  return sentc_keyspace_key(k, p, len);
}
