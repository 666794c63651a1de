/*
 * match.c: request matching, first cut (see match.h): methods and
 * exact/prefix paths, tested resource by resource.  Hosts, templates,
 * headers, gRPC and the compiled automaton come with the matcher.
 */
#include <string.h>
#include "match.h"

static const struct { const char *name; uint32_t bit; } methods[] = {
  {"GET", SENTC_GET}, {"HEAD", SENTC_HEAD}, {"POST", SENTC_POST},
  {"PUT", SENTC_PUT}, {"DELETE", SENTC_DELETE}, {"CONNECT", SENTC_CONNECT},
  {"OPTIONS", SENTC_OPTIONS}, {"TRACE", SENTC_TRACE}, {"PATCH", SENTC_PATCH},
};

uint32_t sentc_method_bit(const char *method, size_t len) {
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    if (strlen(methods[i].name) == len && memcmp(methods[i].name, method, len) == 0)
      return methods[i].bit;
  return SENTC_OTHER_METHOD;
}

/* Length of the path proper: up to the query or fragment. */
static size_t path_length(const char *path, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (path[i] == '?' || path[i] == '#')
      return i;
  return len;
}

static int path_holds(const struct sentc_path *want, const char *path, size_t len) {
  if (want->kind == SENTC_PATH_EXACT)
    return len == want->text.len && memcmp(path, want->text.text, len) == 0;
  return len >= want->text.len && memcmp(path, want->text.text, want->text.len) == 0;
}

static int match_holds(const struct sentc_match *match, uint32_t method_bit,
                       const char *path, size_t path_len) {
  if (match->methods && !(match->methods & method_bit))
    return 0;
  if (match->n_paths == 0)
    return 1;
  for (uint32_t i = 0; i < match->n_paths; i++)
    if (path_holds(&match->paths[i], path, path_len))
      return 1;
  return 0;
}

uint32_t sentc_match_resources(const struct sentc_policy *policy,
                               const struct sentc_request *request, uint32_t *out) {
  uint32_t method = sentc_method_bit(request->method, request->method_len);
  size_t path_len = path_length(request->path, request->path_len);
  uint32_t n = 0;
  for (uint32_t i = 0; i < policy->n_resources; i++)
    if (match_holds(&policy->resources[i].match, method, request->path, path_len))
      out[n++] = i;
  return n;
}
