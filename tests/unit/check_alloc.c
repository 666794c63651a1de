/*
 * check_alloc.c: unit tests of main.wasm's allocator (runtime/abi/alloc.c),
 * run natively: the file is included here with a memory of our own that
 * grows by 64 KiB pages as WebAssembly memory does, up to a limit.
 *
 * Blocks are 16-byte aligned and never overlap; what a block holds
 * survives realloc, whichever way it grows (up into free room, down into
 * the free block before it, or moved); freed room is merged and used
 * again; running out of memory is NULL, never a crash; and the pattern the
 * engine's start makes (two arrays doubling in turn, store.c and
 * shared.c) costs what the arrays hold plus a page, not that again in
 * holes.  After every step the free list is checked whole: in address
 * order, inside the heap, no two free blocks touching.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runner.h"

#define MAX_PAGES 64
static _Alignas(65536) unsigned char memory[MAX_PAGES * 65536];
static size_t pages;

static size_t grow(size_t more) {
  if (pages + more > MAX_PAGES)
    return (size_t)-1;
  pages += more;
  return pages - more;
}

/* 1000 bytes stand for the module's data and stack, as __heap_base does. */
#define HEAP_BASE ((uintptr_t)memory + 1000)
#define MEMORY_END() ((uintptr_t)memory + pages * 65536)
#define MEMORY_GROW(n) grow(n)
#include "../../runtime/abi/alloc.c"

static void fresh(size_t initial_pages) {
  memset(memory, 0xee, sizeof memory);
  pages = initial_pages;
  freep = NULL;
  heap_end = 0;
}

/* The free list is whole: address order (one wrap, at the anchor), every
 * block inside the heap, no two free blocks touching. */
static void check_free_list(void) {
  if (!freep)
    return;
  size_t n = 0;
  for (union header *b = base.h.next; b != &base; b = b->h.next, n++) {
    ck_assert_msg(n < 100000, "the free list loops");
    ck_assert((uintptr_t)b >= HEAP_BASE && (uintptr_t)(b + b->h.units) <= heap_end);
    ck_assert_uint_gt(b->h.units, 0);
    if (b->h.next != &base) {
      ck_assert((uintptr_t)b < (uintptr_t)b->h.next);
      ck_assert((uintptr_t)(b + b->h.units) < (uintptr_t)b->h.next);
    }
  }
}

START_TEST(blocks_are_aligned_apart_and_used_again) {
  fresh(1);
  unsigned char *a = alloc_take(1), *b = alloc_take(100), *c = alloc_take(0);
  ck_assert(a && b && c);
  ck_assert_uint_eq((uintptr_t)a % 16, 0);
  ck_assert_uint_eq((uintptr_t)b % 16, 0);
  ck_assert(a + 16 <= b || b + 112 <= a);
  memset(b, 1, 100);
  alloc_free(b);
  check_free_list();
  unsigned char *d = alloc_take(100);
  ck_assert_ptr_eq(d, b);                  /* first fit: the same room */
  alloc_free(a);
  alloc_free(c);
  alloc_free(d);
  check_free_list();
  ck_assert_ptr_eq(base.h.next->h.next, &base);   /* all merged into one */
  alloc_free(NULL);
}
END_TEST

/* Fills p[0, n) with a pattern of `seed`, or checks it is still there. */
static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(seed * 31 + i * 7);
}
static int intact(const unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(seed * 31 + i * 7))
      return 0;
  return 1;
}

START_TEST(realloc_keeps_what_a_block_holds_whichever_way_it_grows) {
  fresh(1);
  unsigned char *a = alloc_take(64), *b = alloc_take(64), *c = alloc_take(64);
  fill(b, 64, 2);
  b = alloc_resize(b, 32);                 /* shrinking keeps the block */
  ck_assert(intact(b, 64, 2));
  alloc_free(c);
  unsigned char *up = alloc_resize(b, 200);      /* into the free room after it */
  ck_assert_ptr_eq(up, b);
  ck_assert(intact(up, 64, 2));
  c = alloc_take(64);                      /* after b again */
  alloc_free(a);
  unsigned char *down = alloc_resize(up, 240);   /* a's room before it: moved down */
  ck_assert_ptr_eq(down, a);
  ck_assert(intact(down, 64, 2));
  check_free_list();
  unsigned char *moved = alloc_resize(down, 5000);   /* neither: moved */
  ck_assert(moved && moved != down);
  ck_assert(intact(moved, 64, 2));
  check_free_list();
  unsigned char *last = alloc_resize(moved, 200000);   /* at the end: new pages */
  ck_assert_ptr_eq(last, moved);
  ck_assert(intact(last, 64, 2));
  ck_assert_uint_gt(pages, 3);
  alloc_free(c);
  alloc_free(last);
  check_free_list();
  ck_assert_ptr_nonnull(alloc_resize(NULL, 10));
}
END_TEST

START_TEST(running_out_of_memory_is_null) {
  fresh(1);
  ck_assert_ptr_null(alloc_take((size_t)MAX_PAGES * 65536));
  ck_assert_ptr_null(alloc_take(SIZE_MAX));
  ck_assert_ptr_null(alloc_take(ALLOC_MAX + 1));
  void *p = alloc_take(1000);
  ck_assert_ptr_nonnull(p);
  ck_assert_ptr_null(alloc_resize(p, (size_t)MAX_PAGES * 65536));
  ck_assert_ptr_null(alloc_resize(p, SIZE_MAX));
  fill(p, 1000, 5);
  ck_assert(intact(p, 1000, 5));           /* left as it was */
  check_free_list();
  size_t taken = 0;
  while (alloc_take(60000))
    taken++;
  ck_assert_uint_ge(taken, MAX_PAGES - 2);
  ck_assert_uint_eq(pages, MAX_PAGES);
  check_free_list();
}
END_TEST

START_TEST(arrays_doubling_in_turn_take_what_they_hold) {
  fresh(2);
  unsigned char *cells = NULL, *pcells = NULL;
  size_t room_cells = 0, room_pcells = 0;
  for (size_t i = 0; i < 10004; i++) {
    if (i == room_cells) {
      room_cells = room_cells ? 2 * room_cells : 64;
      cells = alloc_resize(cells, room_cells * 16);
      fill(cells, i * 16, 1);
    }
    if (i == room_pcells) {
      room_pcells = room_pcells ? 2 * room_pcells : 16;
      unsigned char *grown = alloc_resize(pcells, room_pcells * 28);
      ck_assert(!pcells || intact(grown, i * 28, 3));
      pcells = grown;
      fill(pcells, room_pcells * 28, 3);
    }
    check_free_list();
  }
  /* What they hold, a hole of at most a page, and the last page's rest
   * (moving them up each time instead takes 1.5 MiB). */
  size_t held = room_cells * 16 + room_pcells * 28 + 1000;
  ck_assert_uint_le(pages * 65536, held + 2 * 65536);
}
END_TEST

START_TEST(random_blocks_stay_whole) {
  fresh(1);
  enum { SLOTS = 64 };
  unsigned char *slot[SLOTS] = {0};
  size_t size[SLOTS] = {0};
  unsigned seed = 12345;
  for (int step = 0; step < 20000; step++) {
    seed = seed * 1103515245u + 12345u;
    int i = (int)(seed >> 8) % SLOTS, op = (int)(seed >> 20) % 3;
    size_t n = (seed >> 4) % 3 == 0 ? (seed >> 12) % 20000 : (seed >> 12) % 300;
    if (slot[i])
      ck_assert_msg(intact(slot[i], size[i], (unsigned)i), "block %d changed", i);
    if (op == 0 && slot[i]) {
      alloc_free(slot[i]);
      slot[i] = NULL;
      size[i] = 0;
    } else if (op == 1 || !slot[i]) {
      unsigned char *p = alloc_resize(slot[i], n);
      ck_assert_ptr_nonnull(p);
      ck_assert_uint_eq((uintptr_t)p % 16, 0);
      ck_assert(intact(p, size[i] < n ? size[i] : n, (unsigned)i));
      slot[i] = p;
      size[i] = n;
      fill(p, n, (unsigned)i);
    }
    check_free_list();
  }
  for (int i = 0; i < SLOTS; i++)
    alloc_free(slot[i]);
  check_free_list();
  ck_assert_ptr_eq(base.h.next->h.next, &base);
}
END_TEST

int main(void) {
  Suite *s = suite_create("alloc");
  TCase *t = tcase_create("core");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, blocks_are_aligned_apart_and_used_again);
  tcase_add_test(t, realloc_keeps_what_a_block_holds_whichever_way_it_grows);
  tcase_add_test(t, running_out_of_memory_is_null);
  tcase_add_test(t, arrays_doubling_in_turn_take_what_they_hold);
  tcase_add_test(t, random_blocks_stay_whole);
  suite_add_tcase(s, t);
  return run_suite(s);
}
