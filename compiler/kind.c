/*
 * kind.c: the table of every rule kind's operations (see kind.h), written
 * by the registry: a kind missing one of them does not link; the pieces
 * the kinds' default names are made of; and the unreachable-rule warning
 * the kinds share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diag.h"
#include "kind.h"

const struct kind_ops kinds[SENTC_N_RULE_KINDS] = {
#define KIND_OPS(K, k, status_, grpc, tcp_)                                         \
  [SENTC_KIND_##K] = {.name = #k, .constant = "SENTC_KIND_" #K, .example = k##_example, \
                      .tcp = tcp_,                                                    \
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

/* ---- unreachable rules (kind.h) ---- */

static int rival_order(const void *x, const void *y) {
  const struct kind_rival *a = x, *b = y;
  for (int i = 0; i < 3; i++)
    if (a->group[i] != b->group[i])
      return a->group[i] < b->group[i] ? -1 : 1;
  if (a->limit != b->limit)
    return a->limit < b->limit ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static int by_index(const void *x, const void *y) {
  const struct kind_rival *a = *(const struct kind_rival *const *)x,
                          *b = *(const struct kind_rival *const *)y;
  return a->index < b->index ? -1 : a->index > b->index;
}

void kind_warn_unreachable(struct kind_rival *r, size_t n, const char *kind,
                           void (*hint)(const struct kind_rival *by)) {
  if (n < 2)
    return;
  qsort(r, n, sizeof *r, rival_order);
  /* In sorted order every rival before b in its group blocks before b
   * can; the first of them stops b if ir_rule_stops says so: any rule
   * stops a shadow one, an enforced one only an enforced one. */
  const struct kind_rival *first = NULL, *first_enforced = NULL;
  size_t flagged = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || memcmp(r[i].group, r[i - 1].group, sizeof r[i].group) != 0)
      first = first_enforced = NULL;
    const struct kind_rival *by = r[i].rule->mode == SENTC_SHADOW ? first : first_enforced;
    if (by && ir_rule_stops(by->rule, r[i].rule)) {
      r[i].unreachable = 1;
      r[i].by = by;
      flagged++;
    }
    if (!first)
      first = &r[i];
    if (!first_enforced && r[i].rule->mode == SENTC_ENFORCE)
      first_enforced = &r[i];
  }
  if (!flagged)
    return;
  const struct kind_rival **order = malloc(flagged * sizeof *order);
  if (!order)
    return;
  for (size_t i = 0, k = 0; i < n; i++)
    if (r[i].unreachable)
      order[k++] = &r[i];
  qsort(order, flagged, sizeof *order, by_index);
  for (size_t k = 0; k < flagged; k++) {
    diag_warning(order[k]->rule->loc, "this %s rule can never block", kind);
    hint(order[k]->by);
  }
  free(order);
}
