/*
 * alloc.c: main.wasm's malloc, calloc, realloc and free, in place of
 * wasi-libc's.
 *
 * Why: the runtime allocates when a VM starts (its state, sized by the
 * policy, in arrays that grow by doubling while cells are reserved) and
 * seldom after (more streams in flight than ever before, a request bigger
 * than the scratch region), and frees when it stops.  dlmalloc, made for
 * every pattern, is 11 KB of code, as much as all the rest of a one-rule
 * filter; this is the free list of K&R's malloc (The C Programming
 * Language, 8.7) in well under 1 KB: free blocks kept in address order,
 * taken first fit and split, merged with their free neighbours when freed.
 * realloc grows a block where it is when it can, into the free block after
 * it (extended by new pages when it ends the heap), else down into the
 * free block before it (the bytes moved down): two arrays that double in
 * turn then take what they hold, not that again in holes left behind.
 * The heap is linear memory from the linker's __heap_base on; memory grows
 * by whole pages when no free block is big enough (WebAssembly memory
 * never shrinks).  Blocks are 16-byte aligned, as malloc's must be, after
 * a 16-byte header.  A Proxy-Wasm VM is single-threaded.
 *
 * The allocator itself is the static alloc_* functions; main.wasm gets them
 * as malloc & co.  tests/unit/check_alloc.c includes this file natively
 * with a memory of its own (HEAP_BASE, MEMORY_END, MEMORY_GROW).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PAGE 65536u

#ifdef __wasm__
extern unsigned char __heap_base;    /* defined by the linker */
#define HEAP_BASE ((uintptr_t)&__heap_base)
#define MEMORY_END() ((uintptr_t)__builtin_wasm_memory_size(0) * PAGE)
#define MEMORY_GROW(pages) __builtin_wasm_memory_grow(0, (pages))
#endif
/* The largest block asked for: sizes stay well within 32 bits. */
#define ALLOC_MAX (UINT32_MAX / 2)

/* A block's header; sizes count headers (16-byte units), its own included. */
union header {
  struct {
    union header *next;        /* a free block: the next free one, in address order */
    size_t units;
  } h;
  _Alignas(16) unsigned char align[16];
};
_Static_assert(sizeof(union header) == 16, "a header is one 16-byte unit");

static union header base;      /* the list's anchor: a free block of 0 units */
static union header *freep;    /* where the list is entered (the last change) */
static uintptr_t heap_end;     /* where memory not yet in the heap starts */

/* Units for `size` bytes and the header. */
static size_t units_for(size_t size) { return (size + sizeof(union header) - 1) / sizeof(union header) + 1; }

static void alloc_free(void *p) {
  if (!p)
    return;
  union header *b = (union header *)p - 1, *at = freep;
  /* The free block just before b (the list is a circle in address order). */
  while (!(b > at && b < at->h.next)) {
    if (at >= at->h.next && (b > at || b < at->h.next))
      break;                   /* b is beyond either end of the list */
    at = at->h.next;
  }
  if (b + b->h.units == at->h.next) {         /* merge with the next */
    b->h.units += at->h.next->h.units;
    b->h.next = at->h.next->h.next;
  } else {
    b->h.next = at->h.next;
  }
  if (at + at->h.units == b) {                /* merge with the previous */
    at->h.units += b->h.units;
    at->h.next = b->h.next;
  } else {
    at->h.next = b;
  }
  freep = at;
}

/* Takes the first `units` of free block b, which follows prev in the free
 * list, out of the list: what is left of b stays free, in b's place. */
static void take_head(union header *prev, union header *b, size_t units) {
  if (b->h.units == units) {
    prev->h.next = b->h.next;
  } else {
    union header *rest = b + units;
    rest->h.units = b->h.units - units;
    rest->h.next = b->h.next;
    prev->h.next = rest;
  }
}

/* Adds memory for at least `units` more to the free list: first the rest of
 * the memory the module started with, then new pages.  0, or -1. */
static int more(size_t units) {
  uintptr_t top = heap_end, end = MEMORY_END();
  if (!top)
    top = (HEAP_BASE + 15) & ~(uintptr_t)15;
  uint64_t want = (uint64_t)units * sizeof(union header);
  if (end - top < want) {
    uint64_t pages = (want - (end - top) + PAGE - 1) / PAGE;
    if (MEMORY_GROW((size_t)pages) == (size_t)-1)
      return -1;
    end += (uintptr_t)pages * PAGE;
  }
  union header *b = (union header *)top;
  b->h.units = (end - top) / sizeof(union header);
  heap_end = end;
  alloc_free(b + 1);
  return 0;
}

static void *alloc_take(size_t size) {
  if (size > ALLOC_MAX)
    return NULL;
  size_t units = units_for(size);
  if (!freep) {
    base.h.next = freep = &base;
    base.h.units = 0;
  }
  for (;;) {
    for (union header *prev = &base, *b = base.h.next; b != &base; prev = b, b = b->h.next)
      if (b->h.units >= units) {
        take_head(prev, b, units);
        b->h.units = units;
        freep = prev;
        return b + 1;
      }
    if (more(units) != 0)
      return NULL;
  }
}

/* The free block that starts where b ends, with the free block before it
 * in the list in *before; NULL when b's neighbour is not free. */
static union header *free_after(union header *b, union header **before) {
  union header *at = freep;
  do {
    if (at->h.next == b + b->h.units) {
      *before = at;
      return at->h.next;
    }
    at = at->h.next;
  } while (at != freep);
  return NULL;
}

/* The free block that ends where b starts, likewise. */
static union header *free_before(union header *b, union header **before) {
  union header *at = freep;
  do {
    union header *next = at->h.next;
    if (next != &base && next + next->h.units == b) {
      *before = at;
      return next;
    }
    at = next;
  } while (at != freep);
  return NULL;
}

/* Grows b to `units` into the free block after it, which new pages extend
 * (or make) when it ends the heap: 0, or -1 when it cannot. */
static int grow_up(union header *b, size_t units) {
  union header *before, *next = free_after(b, &before);
  size_t have = b->h.units + (next ? next->h.units : 0);
  uintptr_t end = (uintptr_t)(next ? next + next->h.units : b + b->h.units);
  if (have < units && end == heap_end) {
    if (more(units - have) != 0)
      return -1;
    next = free_after(b, &before);
    have = b->h.units + (next ? next->h.units : 0);
  }
  if (!next || have < units)
    return -1;
  take_head(before, next, units - b->h.units);
  b->h.units = units;
  freep = before;
  return 0;
}

/* Moves b down into the free block before it, taking the free block after
 * it too: the grown block, or NULL when the three are too small. */
static union header *grow_down(union header *b, size_t units) {
  union header *before, *ignored, *pre = free_before(b, &before), *next = free_after(b, &ignored);
  size_t total = pre ? pre->h.units + b->h.units + (next ? next->h.units : 0) : 0;
  if (total < units)
    return NULL;
  before->h.next = next ? next->h.next : pre->h.next;   /* pre and next leave the list */
  memmove(pre + 1, b + 1, (b->h.units - 1) * sizeof(union header));
  if (total > units) {                        /* past the moved bytes: what is left */
    union header *rest = pre + units;
    rest->h.units = total - units;
    rest->h.next = before->h.next;
    before->h.next = rest;
  }
  pre->h.units = units;
  freep = before;
  return pre;
}

static void *alloc_resize(void *p, size_t size) {
  if (!p)
    return alloc_take(size);
  if (size > ALLOC_MAX)
    return NULL;
  union header *b = (union header *)p - 1, *down;
  size_t units = units_for(size);
  if (units <= b->h.units || grow_up(b, units) == 0)
    return p;
  if ((down = grow_down(b, units)) != NULL)
    return down + 1;
  void *moved = alloc_take(size);
  if (moved) {
    memcpy(moved, p, (b->h.units - 1) * sizeof(union header));
    alloc_free(p);
  }
  return moved;
}

#ifdef __wasm__
void *malloc(size_t size) { return alloc_take(size); }

void free(void *p) { alloc_free(p); }

void *realloc(void *p, size_t size) { return alloc_resize(p, size); }

void *calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  void *p = alloc_take(n * size);
  if (p)
    memset(p, 0, n * size);
  return p;
}
#endif
