/*
 * dfa.c: patterns to NFA to DFA (see dfa.h).
 *
 * The NFA is a byte trie with two kinds of loops: a prefix's node has an
 * `any` edge to a node that accepts and loops on every byte; a template's
 * {x} has a `nonslash` edge to a node that loops on every byte but '/' and
 * from which the rest of the template continues (always with '/').
 * A DFA state is a sorted set of NFA nodes, found again through a hash
 * table; its edges are the bytes some member has a literal edge for, and
 * `other` the set the loops alone reach.
 *
 * Templates can make the number of states exponential, and each state's
 * set large: the construction counts the node ids it handles (`work`) and
 * gives up past the caller's bound as it does past its state bound, so
 * neither time nor memory can run away before the state count does.
 */
#include <stdlib.h>
#include <string.h>
#include "dfa.h"
#include "util.h"

#define NONE UINT32_MAX

struct vec {
  uint32_t *v;
  size_t n, cap;
};

static void push(struct vec *a, uint32_t x) {
  if (a->n == a->cap) {
    a->cap = a->cap ? 2 * a->cap : 8;
    a->v = xrealloc(a->v, a->cap * sizeof *a->v);
  }
  a->v[a->n++] = x;
}

struct nfa_node {
  struct vec edges;          /* byte << 24 | target: sorting groups by byte */
  struct vec accepts;
  uint32_t any, nonslash;    /* loop edges, NONE if absent */
};

struct nfa {
  struct nfa_node *nodes;
  size_t n, cap;
};

static uint32_t new_node(struct nfa *nfa) {
  if (nfa->n == nfa->cap) {
    nfa->cap = nfa->cap ? 2 * nfa->cap : 64;
    nfa->nodes = xrealloc(nfa->nodes, nfa->cap * sizeof *nfa->nodes);
  }
  nfa->nodes[nfa->n] = (struct nfa_node){.any = NONE, .nonslash = NONE};
  return (uint32_t)nfa->n++;
}

struct nfa *nfa_new(void) {
  struct nfa *nfa = xcalloc(1, sizeof *nfa);
  new_node(nfa);                       /* the root */
  return nfa;
}

size_t nfa_size(const struct nfa *nfa) { return nfa->n; }

void nfa_free(struct nfa *nfa) {
  for (size_t i = 0; i < nfa->n; i++) {
    free(nfa->nodes[i].edges.v);
    free(nfa->nodes[i].accepts.v);
  }
  free(nfa->nodes);
  free(nfa);
}

/* Node numbers stay below 2^24, so an edge fits one uint32. */
#define EDGE(byte, to) ((uint32_t)(byte) << 24 | (to))
#define EDGE_BYTE(e) ((e) >> 24)
#define EDGE_TO(e) ((e) & 0xffffffu)

static uint32_t child(struct nfa *nfa, uint32_t node, unsigned char byte) {
  struct vec *edges = &nfa->nodes[node].edges;
  for (size_t i = 0; i < edges->n; i++)
    if (EDGE_BYTE(edges->v[i]) == byte)
      return EDGE_TO(edges->v[i]);
  uint32_t to = new_node(nfa);
  push(&nfa->nodes[node].edges, EDGE(byte, to));
  return to;
}

static void accept_prefix(struct nfa *nfa, uint32_t node, uint32_t accept) {
  push(&nfa->nodes[node].accepts, accept);
  if (nfa->nodes[node].any == NONE) {
    uint32_t loop = new_node(nfa);
    nfa->nodes[loop].any = loop;
    nfa->nodes[node].any = loop;
  }
  push(&nfa->nodes[nfa->nodes[node].any].accepts, accept);
}

static uint32_t segment_wildcard(struct nfa *nfa, uint32_t node) {
  if (nfa->nodes[node].nonslash == NONE) {
    uint32_t loop = new_node(nfa);
    nfa->nodes[loop].nonslash = loop;
    nfa->nodes[node].nonslash = loop;
  }
  return nfa->nodes[node].nonslash;
}

void nfa_add(struct nfa *nfa, enum dfa_kind kind, const char *text, size_t len, uint32_t accept) {
  uint32_t node = 0;
  size_t i = 0;
  while (i < len) {
    if (kind == DFA_TEMPLATE && len - i == 3 && memcmp(text + i, "/**", 3) == 0) {
      /* a last "**" takes nothing, or '/' and anything */
      push(&nfa->nodes[node].accepts, accept);
      accept_prefix(nfa, child(nfa, node, '/'), accept);
      return;
    }
    if (kind == DFA_TEMPLATE && text[i] == '{') {
      node = segment_wildcard(nfa, node);
      while (i < len && text[i] != '}')
        i++;
      i++;
    } else {
      node = child(nfa, node, (unsigned char)text[i++]);
    }
  }
  if (kind == DFA_PREFIX)
    accept_prefix(nfa, node, accept);
  else
    push(&nfa->nodes[node].accepts, accept);
}

/* ---- subset construction ---- */

struct builder {
  const struct nfa *nfa;
  struct dfa *dfa;
  struct vec pool;             /* every state's node set, one after another */
  struct vec set_start;        /* per state: where its set starts in pool */
  uint32_t *table;             /* hash table of state numbers + 1 */
  size_t table_cap;
  size_t max_states;
  size_t edges_cap, accepts_cap;
  size_t work, max_work;       /* node ids handled so far, and the bound */
};

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void sort_unique(struct vec *s) {
  if (s->n > 1)                         /* qsort(NULL, 0) is undefined */
    qsort(s->v, s->n, sizeof *s->v, cmp_u32);
  size_t n = 0;
  for (size_t i = 0; i < s->n; i++)
    if (n == 0 || s->v[n - 1] != s->v[i])
      s->v[n++] = s->v[i];
  s->n = n;
}

static size_t set_len(const struct builder *b, uint32_t state) {
  size_t end = state + 1 < b->set_start.n ? b->set_start.v[state + 1] : b->pool.n;
  return end - b->set_start.v[state];
}

static uint64_t hash_set(const uint32_t *set, size_t n) {
  uint64_t h = 1469598103934665603u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ set[i]) * 1099511628211u;
  return h;
}

static int same_set(const struct builder *b, uint32_t state, const struct vec *s) {
  return set_len(b, state) == s->n &&
         memcmp(b->pool.v + b->set_start.v[state], s->v, s->n * sizeof *s->v) == 0;
}

static void rehash(struct builder *b) {
  size_t cap = b->table_cap ? 2 * b->table_cap : 1024;
  uint32_t *table = xcalloc(cap, sizeof *table);
  for (uint32_t st = 0; st < b->set_start.n; st++) {
    size_t h = hash_set(b->pool.v + b->set_start.v[st], set_len(b, st)) & (cap - 1);
    while (table[h])
      h = (h + 1) & (cap - 1);
    table[h] = st + 1;
  }
  free(b->table);
  b->table = table;
  b->table_cap = cap;
}

/* The state for node set s (sorted, unique), made if new; NONE when there
 * would be too many. */
static uint32_t state_for(struct builder *b, const struct vec *s) {
  size_t h = hash_set(s->v, s->n) & (b->table_cap - 1);
  for (; b->table[h]; h = (h + 1) & (b->table_cap - 1))
    if (same_set(b, b->table[h] - 1, s))
      return b->table[h] - 1;
  if (b->set_start.n >= b->max_states)
    return NONE;
  uint32_t state = (uint32_t)b->set_start.n;
  push(&b->set_start, (uint32_t)b->pool.n);
  for (size_t i = 0; i < s->n; i++)
    push(&b->pool, s->v[i]);
  b->table[h] = state + 1;
  if (2 * b->set_start.n > b->table_cap)
    rehash(b);
  return state;
}

static void add_edge(struct builder *b, uint32_t byte, uint32_t next) {
  struct dfa *d = b->dfa;
  if (d->n_edges == b->edges_cap) {
    b->edges_cap = b->edges_cap ? 2 * b->edges_cap : 256;
    d->edge_bytes = xrealloc(d->edge_bytes, b->edges_cap);
    d->edge_next = xrealloc(d->edge_next, b->edges_cap * sizeof *d->edge_next);
  }
  d->edge_bytes[d->n_edges] = (uint8_t)byte;
  d->edge_next[d->n_edges++] = next;
}

/* The state's accepts: sorted, one entry per resource (id >> 1). */
static void add_accepts(struct builder *b, const struct vec *members, struct dfa_state *st) {
  struct vec all = {0};
  for (size_t i = 0; i < members->n; i++) {
    const struct vec *a = &b->nfa->nodes[members->v[i]].accepts;
    for (size_t j = 0; j < a->n; j++)
      push(&all, a->v[j]);
  }
  sort_unique(&all);
  b->work += all.n;
  struct dfa *d = b->dfa;
  st->accept = (uint32_t)d->n_accepts;
  for (size_t i = 0; i < all.n; i++) {
    if (i > 0 && all.v[i] >> 1 == all.v[i - 1] >> 1)
      continue;
    if (d->n_accepts == b->accepts_cap) {
      b->accepts_cap = b->accepts_cap ? 2 * b->accepts_cap : 256;
      d->accepts = xrealloc(d->accepts, b->accepts_cap * sizeof *d->accepts);
    }
    d->accepts[d->n_accepts++] = all.v[i];
  }
  st->n_accept = (uint32_t)(d->n_accepts - st->accept);
  free(all.v);
}

/* Where the members go on `byte`, given their literal edges on it. */
static uint32_t step(struct builder *b, const struct vec *members, const uint32_t *lit,
                     size_t n_lit, int byte, struct vec *target) {
  target->n = 0;
  for (size_t i = 0; i < n_lit; i++)
    push(target, EDGE_TO(lit[i]));
  for (size_t i = 0; i < members->n; i++) {
    const struct nfa_node *m = &b->nfa->nodes[members->v[i]];
    if (m->any != NONE)
      push(target, m->any);
    if (m->nonslash != NONE && byte != '/')
      push(target, m->nonslash);
  }
  sort_unique(target);
  b->work += target->n;
  if (b->work > b->max_work)
    return NONE;
  return state_for(b, target);
}

/* Fills in state `s`: its edges, other and accepts.  -1 when too big. */
static int expand(struct builder *b, uint32_t s, struct vec *members, struct vec *lits,
                  struct vec *target) {
  members->n = lits->n = 0;
  for (size_t i = 0, n = set_len(b, s); i < n; i++)
    push(members, b->pool.v[b->set_start.v[s] + i]);
  int loops_on_nonslash = 0;
  for (size_t i = 0; i < members->n; i++) {
    const struct nfa_node *m = &b->nfa->nodes[members->v[i]];
    for (size_t j = 0; j < m->edges.n; j++)
      push(lits, m->edges.v[j]);
    loops_on_nonslash |= m->nonslash != NONE;
  }
  if (loops_on_nonslash)
    push(lits, EDGE('/', 0xffffffu));     /* '/' leaves {x} even with no edge on it */
  if (lits->n)                            /* qsort(NULL, 0) is undefined */
    qsort(lits->v, lits->n, sizeof *lits->v, cmp_u32);
  b->work += members->n + lits->n;
  struct dfa_state st = {(uint32_t)b->dfa->n_edges, 0, 0, 0, 0};
  st.other = step(b, members, NULL, 0, -1, target);
  if (st.other == NONE)
    return -1;
  for (size_t i = 0; i < lits->n;) {
    uint32_t byte = EDGE_BYTE(lits->v[i]);
    size_t j = i;
    while (j < lits->n && EDGE_BYTE(lits->v[j]) == byte)
      j++;
    size_t n_real = j - i - (EDGE_TO(lits->v[j - 1]) == 0xffffffu);
    uint32_t next = step(b, members, lits->v + i, n_real, (int)byte, target);
    if (next == NONE)
      return -1;
    if (next != st.other)
      add_edge(b, byte, next);
    i = j;
  }
  st.n_edges = (uint32_t)(b->dfa->n_edges - st.edges);
  add_accepts(b, members, &st);
  b->dfa->states[s] = st;
  return 0;
}

int dfa_build(const struct nfa *nfa, struct dfa *dfa, size_t max_states, size_t max_work) {
  struct builder b = {.nfa = nfa, .dfa = dfa, .max_states = max_states, .max_work = max_work};
  *dfa = (struct dfa){0};
  rehash(&b);
  struct vec members = {0}, lits = {0}, target = {0};
  state_for(&b, &target);                  /* 0: the empty set, dead */
  push(&target, 0);
  state_for(&b, &target);                  /* 1: the root */
  int status = 0;
  size_t states_cap = 0;
  for (uint32_t s = 0; s < b.set_start.n && status == 0; s++) {
    if (b.set_start.n > states_cap) {
      states_cap = 2 * b.set_start.n;
      dfa->states = xrealloc(dfa->states, states_cap * sizeof *dfa->states);
    }
    status = expand(&b, s, &members, &lits, &target);
  }
  dfa->n_states = b.set_start.n;
  free(members.v);
  free(lits.v);
  free(target.v);
  free(b.pool.v);
  free(b.set_start.v);
  free(b.table);
  if (status != 0)
    dfa_free(dfa);
  return status;
}

void dfa_free(struct dfa *dfa) {
  free(dfa->states);
  free(dfa->edge_bytes);
  free(dfa->edge_next);
  free(dfa->accepts);
  *dfa = (struct dfa){0};
}
