/*
 * dfa.h: byte patterns (exact, prefix, path template) joined into one
 * deterministic automaton, the shape tables.h's `struct sentc_dfa` has.
 *
 * Patterns go into a trie-shaped NFA (a prefix is a node that loops on
 * every byte from there on; a template's {x} a node that loops on every
 * byte but '/'); the subset construction then makes it deterministic, so
 * the runtime walks each input byte once, however many patterns there are.
 * dfa_pack finally lays it out as the runtime reads it (tables.h).
 */
#ifndef SENTC_DFA_H
#define SENTC_DFA_H

#include <stddef.h>
#include <stdint.h>

enum dfa_kind { DFA_EXACT, DFA_PREFIX, DFA_TEMPLATE };

struct dfa_state {
  uint32_t edges, n_edges, other, accept, n_accept;
};

/* State 0 is dead, state 1 the start (tables.h).  Accept entries are the
 * ids given to dfa_add, sorted; of two entries with the same id >> 1 only
 * the smaller is kept (a resource accepted with and without gRPC needs no
 * gRPC). */
struct dfa {
  struct dfa_state *states;
  size_t n_states;
  uint8_t *edge_bytes;
  uint32_t *edge_next;
  size_t n_edges;
  uint32_t *accepts;
  size_t n_accepts;
};

struct nfa;

struct nfa *nfa_new(void);
/* Adds a pattern whose match reports `accept`.  Templates are checked
 * already: segments are literal, "{name}" or a last "**". */
void nfa_add(struct nfa *nfa, enum dfa_kind kind, const char *text, size_t len, uint32_t accept);
size_t nfa_size(const struct nfa *nfa);
void nfa_free(struct nfa *nfa);

/* Makes the DFA; returns -1 (and leaves *dfa empty) when it would need
 * more than max_states states, or more than max_work steps: the NFA node
 * ids the subset construction copies, sorts and compares, which bounds its
 * time and, since every state's node set is kept, its memory. */
int dfa_build(const struct nfa *nfa, struct dfa *dfa, size_t max_states, size_t max_work);
void dfa_free(struct dfa *dfa);

/* ---- dfa_pack.c ---- */

/* The DFA as tables.h's `struct sentc_dfa` ships it: state records inline
 * in `words`, depth first; wide states dense over byte classes; with
 * `runs`, chains of one-edge states as one record that compares their bytes
 * at once. */
struct dfa_code {
  uint32_t *words;
  size_t n_words;
  uint32_t start;
  uint32_t n_classes;
  uint8_t byte_class[256];
  size_t n_dense, n_runs;      /* records of each kind */
  size_t n_shared;             /* records pointing at another's accepts */
  int accepts_any;             /* some state accepts something */
};

/* Returns -1 (and leaves *code empty) when the records would need offsets
 * of more than 24 bits (64 MiB of tables). */
int dfa_pack(const struct dfa *dfa, int runs, struct dfa_code *code);
void dfa_code_free(struct dfa_code *code);

#endif
