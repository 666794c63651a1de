/*
 * dfa_pack.c: a built DFA laid out the way the runtime walks it
 * (tables.h, `struct sentc_dfa`), so that a request touches as little
 * memory as it can whatever the number of resources.
 *
 * Every state becomes one record of words holding its edges inline, and
 * records are placed depth first, so a path's states mostly follow one
 * another in memory.  A state with many edges gets a dense row indexed by
 * byte class (one lookup instead of a scan).  With `runs` (the path DFA),
 * a chain of states that each have one edge, no `other` and no accepts,
 * reached only from one another (a literal stretch like "/history/"),
 * becomes one record that compares all its bytes at once; the states
 * inside it get no record at all.
 */
#include <stdlib.h>
#include <string.h>
#include "../runtime/tables.h"
#include "dfa.h"
#include "util.h"

/* A state with at least this many edges is laid out dense unless its row
 * would be over 4 times its edge list. */
#define DENSE_MIN_EDGES 6
/* Edges hold next << 8: offsets must fit 24 bits. */
#define MAX_OFFSET 0xffffffu
#define NO_STATE UINT32_MAX

struct packer {
  const struct dfa *dfa;
  struct dfa_code *code;
  uint32_t *pred;              /* the one predecessor, NO_STATE if none or several */
  uint8_t *inside;             /* inside a run: no record of its own */
  uint32_t *offset;            /* a record's offset in code->words */
  uint32_t *shared;            /* where an earlier record lists the same accepts,
                                  NO_STATE if this record lists them itself */
};

/* Class 0: the bytes no edge has; every other byte on some edge gets its
 * own class. */
static void make_classes(const struct dfa *dfa, struct dfa_code *code) {
  memset(code->byte_class, 0, sizeof code->byte_class);
  for (size_t i = 0; i < dfa->n_edges; i++)
    code->byte_class[dfa->edge_bytes[i]] = 1;
  code->n_classes = 1;
  code->accepts_any = dfa->n_accepts > 0;
  for (int b = 0; b < 256; b++)
    if (code->byte_class[b])
      code->byte_class[b] = (uint8_t)code->n_classes++;
}

static int is_dense(const struct packer *p, uint32_t s) {
  uint32_t n = p->dfa->states[s].n_edges;
  return n >= DENSE_MIN_EDGES && p->code->n_classes <= 4 * n;
}

/* One edge, nowhere else to go, nothing accepted: a link of a run. */
static int is_link(const struct dfa *dfa, uint32_t s) {
  const struct dfa_state *st = &dfa->states[s];
  return st->n_edges == 1 && st->other == 0 && st->n_accept == 0;
}

static uint32_t only_next(const struct dfa *dfa, uint32_t s) {
  return dfa->edge_next[dfa->states[s].edges];
}

/* A state goes inside a run when it is a link reached only from a link. */
static void find_runs(struct packer *p) {
  const struct dfa *dfa = p->dfa;
  uint8_t *reached = xcalloc(dfa->n_states, 1);       /* 0, 1, 2 = several times */
  for (uint32_t s = 0; s < dfa->n_states; s++) {
    const struct dfa_state *st = &dfa->states[s];
    for (uint32_t i = 0; i <= st->n_edges; i++) {
      uint32_t to = i < st->n_edges ? dfa->edge_next[st->edges + i] : st->other;
      if (reached[to] < 2)
        reached[to]++;
      p->pred[to] = reached[to] == 1 ? s : NO_STATE;
    }
  }
  for (uint32_t s = 2; s < dfa->n_states; s++)       /* never the dead state or the start */
    p->inside[s] = reached[s] == 1 && p->pred[s] != NO_STATE && p->pred[s] != s &&
                   is_link(dfa, s) && is_link(dfa, p->pred[s]);
  free(reached);
}

/* How many bytes the run starting at link s compares (1: no run). */
static uint32_t run_length(const struct packer *p, uint32_t s) {
  uint32_t n = 1;
  for (uint32_t t = only_next(p->dfa, s); p->inside[t]; t = only_next(p->dfa, t))
    n++;
  return n;
}

static int is_run(const struct packer *p, uint32_t s) {
  return is_link(p->dfa, s) && p->inside[only_next(p->dfa, s)];
}

/* The words between a record's `other` and its accepts. */
static size_t record_width(const struct packer *p, uint32_t s) {
  if (is_run(p, s))
    return (run_length(p, s) + 3) / 4;
  return is_dense(p, s) ? p->code->n_classes : p->dfa->states[s].n_edges;
}

/* Where s's record has its n_accept word (once its offset is known). */
static uint32_t accepts_offset(const struct packer *p, uint32_t s) {
  return p->offset[s] + 2 + (uint32_t)record_width(p, s);
}

/* States with a record, depth first from the dead state and the start. */
static uint32_t *depth_first(const struct packer *p, size_t *n) {
  const struct dfa *dfa = p->dfa;
  uint32_t *order = xcalloc(dfa->n_states, sizeof *order);
  uint32_t *stack = xcalloc(dfa->n_edges + dfa->n_states + 2, sizeof *stack);
  uint8_t *seen = xcalloc(dfa->n_states, 1);
  size_t depth = 0;
  *n = 0;
  stack[depth++] = 1;
  stack[depth++] = 0;
  while (depth) {
    uint32_t s = stack[--depth];
    if (seen[s])
      continue;
    seen[s] = 1;
    if (!p->inside[s])
      order[(*n)++] = s;
    const struct dfa_state *st = &dfa->states[s];
    stack[depth++] = st->other;
    for (uint32_t i = st->n_edges; i > 0; i--)      /* the lowest byte comes next */
      stack[depth++] = dfa->edge_next[st->edges + i - 1];
  }
  free(stack);
  free(seen);
  return order;
}

static void write_run(const struct packer *p, uint32_t s, uint32_t *w) {
  uint32_t n = run_length(p, s), t = s;
  w[0] = SENTC_DFA_RUN | n;
  memset(w + 2, 0, (n + 3) / 4 * sizeof *w);
  for (uint32_t i = 0; i < n; i++, t = only_next(p->dfa, t))
    w[2 + i / 4] |= (uint32_t)p->dfa->edge_bytes[p->dfa->states[t].edges] << (i % 4 * 8);
  w[1] = p->offset[t];
}

static void write_edges(const struct packer *p, uint32_t s, uint32_t *w) {
  const struct dfa *dfa = p->dfa;
  const struct dfa_state *st = &dfa->states[s];
  int dense = is_dense(p, s);
  w[0] = dense ? SENTC_DFA_DENSE : st->n_edges;
  w[1] = p->offset[st->other];
  for (uint32_t i = 0; dense && i < p->code->n_classes; i++)
    w[2 + i] = p->offset[st->other];
  for (uint32_t i = 0; i < st->n_edges; i++) {
    uint8_t byte = dfa->edge_bytes[st->edges + i];
    uint32_t next = p->offset[dfa->edge_next[st->edges + i]];
    if (dense)
      w[2 + p->code->byte_class[byte]] = next;
    else
      w[2 + i] = next << 8 | byte;
  }
}

static void write_record(const struct packer *p, uint32_t s, uint32_t *w) {
  const struct dfa_state *st = &p->dfa->states[s];
  if (is_run(p, s))
    write_run(p, s, w);
  else
    write_edges(p, s, w);
  uint32_t *accepts = w + 2 + record_width(p, s);
  if (p->shared[s] != NO_STATE) {
    accepts[0] = SENTC_DFA_SHARED | p->shared[s];
    return;
  }
  accepts[0] = st->n_accept;
  if (st->n_accept)                     /* accepts may be NULL */
    memcpy(accepts + 1, p->dfa->accepts + st->accept, st->n_accept * sizeof *accepts);
}

/* ---- accepts listed once ---- */

/* Records with the same accepts, found by hashing the lists: the first
 * record (in layout order) lists them, the others point at its list.  When
 * patterns overlap (a prefix over many routes), most states accept the
 * same few resources, and the lists would otherwise be most of the table. */
struct lists {
  uint32_t *state;             /* the state that lists them, NO_STATE if free */
  size_t mask;
};

static struct lists lists_new(size_t n_records) {
  struct lists l = {NULL, 1};
  while (l.mask < 2 * n_records)
    l.mask = 2 * l.mask + 1;
  l.state = xmalloc((l.mask + 1) * sizeof *l.state);
  memset(l.state, 0xff, (l.mask + 1) * sizeof *l.state);     /* all NO_STATE */
  return l;
}

static uint64_t hash_accepts(const struct dfa *dfa, uint32_t s) {
  const struct dfa_state *st = &dfa->states[s];
  uint64_t h = 1469598103934665603u;
  for (uint32_t i = 0; i < st->n_accept; i++)
    h = (h ^ dfa->accepts[st->accept + i]) * 1099511628211u;
  return h;
}

static int same_accepts(const struct dfa *dfa, uint32_t a, uint32_t b) {
  const struct dfa_state *x = &dfa->states[a], *y = &dfa->states[b];
  return x->n_accept == y->n_accept &&
         memcmp(dfa->accepts + x->accept, dfa->accepts + y->accept,
                x->n_accept * sizeof *dfa->accepts) == 0;
}

/* The state that already lists s's accepts, else NO_STATE, and s lists them. */
static uint32_t lister(struct lists *l, const struct dfa *dfa, uint32_t s) {
  size_t i = (size_t)hash_accepts(dfa, s) & l->mask;
  for (; l->state[i] != NO_STATE; i = (i + 1) & l->mask)
    if (same_accepts(dfa, l->state[i], s))
      return l->state[i];
  l->state[i] = s;
  return NO_STATE;
}

int dfa_pack(const struct dfa *dfa, int runs, struct dfa_code *code) {
  *code = (struct dfa_code){0};
  struct packer p = {dfa, code, xcalloc(dfa->n_states, sizeof *p.pred),
                     xcalloc(dfa->n_states, 1), xcalloc(dfa->n_states, sizeof *p.offset),
                     xcalloc(dfa->n_states, sizeof *p.shared)};
  make_classes(dfa, code);
  if (runs)
    find_runs(&p);
  size_t n_records, at = 0;
  uint32_t *order = depth_first(&p, &n_records);
  struct lists lists = lists_new(n_records);
  for (size_t i = 0; i < n_records && at <= MAX_OFFSET; i++) {
    uint32_t s = order[i];
    uint32_t first = dfa->states[s].n_accept ? lister(&lists, dfa, s) : NO_STATE;
    p.offset[s] = (uint32_t)at;
    p.shared[s] = first == NO_STATE ? NO_STATE : accepts_offset(&p, first);
    at += 3 + record_width(&p, s) + (first == NO_STATE ? dfa->states[s].n_accept : 0);
    code->n_dense += !is_run(&p, s) && is_dense(&p, s);
    code->n_runs += is_run(&p, s);
    code->n_shared += first != NO_STATE;
  }
  free(lists.state);
  int status = at > MAX_OFFSET ? -1 : 0;
  if (status == 0) {
    code->words = xcalloc(at, sizeof *code->words);
    code->n_words = at;
    code->start = p.offset[1];
    for (size_t i = 0; i < n_records; i++)
      write_record(&p, order[i], code->words + p.offset[order[i]]);
  } else {
    dfa_code_free(code);
  }
  free(order);
  free(p.pred);
  free(p.inside);
  free(p.offset);
  free(p.shared);
  return status;
}

void dfa_code_free(struct dfa_code *code) {
  free(code->words);
  *code = (struct dfa_code){0};
}
