/*
 * json.h: a small JSON reader for the plugin configuration (config.c).
 *
 * The text is split once into tokens, in document order, in an array the
 * caller gives (no allocation): a container is followed by its children,
 * an object's members as key and value tokens, and each token knows where
 * the next one after it and its children starts, so a reader walks the
 * tree without recursion.  Strings keep their escapes (sentc_json_string
 * decodes one).  Nesting, token count and string sizes are bounded by the
 * caller's array; anything malformed is an error with its byte offset.
 */
#ifndef SENTC_JSON_H
#define SENTC_JSON_H

#include <stddef.h>
#include <stdint.h>

enum sentc_json_type {
  SENTC_JSON_OBJECT, SENTC_JSON_ARRAY, SENTC_JSON_STRING, SENTC_JSON_NUMBER,
  SENTC_JSON_TRUE, SENTC_JSON_FALSE, SENTC_JSON_NULL
};

struct sentc_json_token {
  uint8_t type;              /* enum sentc_json_type */
  uint32_t start, end;       /* its text (a string's without the quotes) */
  uint32_t size;             /* an object's members, an array's elements */
  uint32_t next;             /* the token after it and its children */
};

/* Tokens of `text` into `tokens` (at most `max`): their number, or -1 with
 * *error (a message) and *at (the byte offset) set. */
int sentc_json_parse(const char *text, size_t len, struct sentc_json_token *tokens,
                     uint32_t max, const char **error, size_t *at);

/* Decodes string token `t` of `text` into `out` (room bytes, NUL-ended):
 * its length, or -1 when it does not fit or holds a NUL or a non-ASCII
 * \u escape (names and values of a configuration are ASCII). */
int sentc_json_string(const char *text, const struct sentc_json_token *t, char *out, size_t room);

/* The member of object token `object` named `key`: its value's index, or -1. */
int32_t sentc_json_member(const char *text, const struct sentc_json_token *tokens, uint32_t object,
                          const char *key);

#endif
