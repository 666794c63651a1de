/*
 * kind.c: the table of every rule kind's operations (see kind.h), written
 * by the registry: a kind missing one of them does not link; and the
 * pieces the kinds' default names are made of.
 */
#include <stdio.h>
#include "kind.h"

const struct kind_ops kinds[SENTC_N_RULE_KINDS] = {
#define KIND_OPS(K, k, status_, grpc, tcp_)                                         \
  [SENTC_KIND_##K] = {.name = #k, .constant = "SENTC_KIND_" #K, .example = k##_example, \
                      .tcp = tcp_, .no_cluster = k##_no_cluster,                      \
                      .status = status_, .grpc_status = grpc, .check = k##_check,    \
                      .settle = k##_settle, .default_name = k##_name, .warn = k##_warn,      \
                      .size = k##_size,                                               \
                      .explain = k##_explain, .emit = k##_emit},
  SENTC_RULE_KINDS(KIND_OPS)
#undef KIND_OPS
};

/* ---- default names (kind.h) ---- */

void kind_default_name(char *out, size_t room, const char *prefix, const char *const *parts) {
  size_t len = (size_t)snprintf(out, room, "%s", prefix);
  for (; *parts && len + 1 < room; parts++)
    len += (size_t)snprintf(out + len, room - len, "_%s", *parts);
  if (len >= room)
    len = room - 1;
  for (size_t i = 0; i < len; i++) {
    char ch = out[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '_' || ch == '-'))
      out[i] = '_';
  }
}

void kind_window_word(char *out, size_t room, uint32_t ms) {
  if (ms % 3600000 == 0)
    snprintf(out, room, "%uh", ms / 3600000);
  else if (ms % 60000 == 0)
    snprintf(out, room, "%um", ms / 60000);
  else if (ms % 1000 == 0)
    snprintf(out, room, "%us", ms / 1000);
  else
    snprintf(out, room, "%ums", ms);
}
