/*
 * check_sha256.c: sentc's SHA-256 (compiler/sha256.c) against the test
 * vectors of FIPS 180-4's examples (NIST CSRC "SHA256.pdf": one block,
 * two blocks, a million 'a'), the empty message, and every split of a
 * message into two updates, so block buffering cannot go wrong unseen.
 */
#include <check.h>
#include <string.h>
#include "../../compiler/sha256.h"
#include "runner.h"

static void digest_of(const char *text, size_t len, char hex[65]) { sha256_hex(text, len, hex); }

START_TEST(one_block_abc) {
  char hex[65];
  digest_of("abc", 3, hex);
  ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(two_blocks_448_bits) {
  static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  char hex[65];
  digest_of(m, strlen(m), hex);
  ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(empty_message) {
  char hex[65];
  digest_of("", 0, hex);
  ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(a_million_a_in_uneven_pieces) {
  static char chunk[997];
  memset(chunk, 'a', sizeof chunk);
  struct sha256 s;
  uint8_t d[32];
  char hex[65];
  sha256_init(&s);
  size_t left = 1000000;
  while (left) {
    size_t n = left < sizeof chunk ? left : sizeof chunk;
    sha256_update(&s, chunk, n);
    left -= n;
  }
  sha256_final(&s, d);
  sha256_to_hex(d, hex);
  ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* 896 bits (FIPS 180-4 examples): split at every offset, same digest. */
START_TEST(every_split_gives_the_same_digest) {
  static const char m[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                          "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  size_t len = strlen(m);
  for (size_t cut = 0; cut <= len; cut++) {
    struct sha256 s;
    uint8_t d[32];
    char hex[65];
    sha256_init(&s);
    sha256_update(&s, m, cut);
    sha256_update(&s, m + cut, len - cut);
    sha256_final(&s, d);
    sha256_to_hex(d, hex);
    ck_assert_str_eq(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("sha256");
  TCase *t = tcase_create("fips180-4");
  tcase_add_test(t, one_block_abc);
  tcase_add_test(t, two_blocks_448_bits);
  tcase_add_test(t, empty_message);
  tcase_add_test(t, a_million_a_in_uneven_pieces);
  tcase_add_test(t, every_split_gives_the_same_digest);
  suite_add_tcase(s, t);
  return run_suite(s);
}
