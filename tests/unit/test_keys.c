/* test_keys.c — big-endian key encoding and username folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "keys.h"

static void test_u64_round_trip(void **state)
{
    (void)state;
    const uint64_t values[] = {
        0,          1,          0xff,       0x100,         0x0102030405060708ull,
        UINT32_MAX, 1ull << 63, UINT64_MAX, UINT64_MAX - 1};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint8_t buf[OKR_KEY_U64_LEN];
        okr_key_put_u64(buf, values[i]);
        assert_int_equal(okr_key_get_u64(buf), values[i]);
    }

    uint8_t buf[OKR_KEY_U64_LEN];
    okr_key_put_u64(buf, 0x0102030405060708ull);
    const uint8_t want[OKR_KEY_U64_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(buf, want, sizeof want);

    okr_key_put_u64(buf, 0);
    const uint8_t zero[OKR_KEY_U64_LEN] = {0};
    assert_memory_equal(buf, zero, sizeof zero);
    okr_key_put_u64(buf, UINT64_MAX);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xff);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* memcmp order of the encodings must be numeric order: that is what makes
 * LMDB's default key comparison sort ids. */
static void test_u64_sorts_numerically(void **state)
{
    (void)state;
    const uint64_t values[] = {0,          1,          2,          255,
                               256,        65535,      65536,      UINT32_MAX,
                               1ull << 32, 1ull << 63, UINT64_MAX, 12345678901ull};
    size_t n = sizeof values / sizeof values[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            uint8_t a[OKR_KEY_U64_LEN], b[OKR_KEY_U64_LEN];
            okr_key_put_u64(a, values[i]);
            okr_key_put_u64(b, values[j]);
            int want = (values[i] > values[j]) - (values[i] < values[j]);
            assert_int_equal(sign(memcmp(a, b, sizeof a)), want);
        }
    }
    /* And with random values. */
    srand(42);
    for (int k = 0; k < 10000; k++) {
        uint64_t x = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
        uint64_t y = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
        uint8_t a[OKR_KEY_U64_LEN], b[OKR_KEY_U64_LEN];
        okr_key_put_u64(a, x);
        okr_key_put_u64(b, y);
        assert_int_equal(sign(memcmp(a, b, sizeof a)), (x > y) - (x < y));
    }
}

static void test_pair(void **state)
{
    (void)state;
    uint8_t k[2 * OKR_KEY_U64_LEN];
    okr_key_put_u64_pair(k, 7, UINT64_MAX);
    assert_int_equal(okr_key_get_u64(k), 7);
    assert_int_equal(okr_key_get_u64(k + OKR_KEY_U64_LEN), UINT64_MAX);

    /* Sorts by a, then b. */
    uint8_t k1[16], k2[16], k3[16];
    okr_key_put_u64_pair(k1, 1, UINT64_MAX);
    okr_key_put_u64_pair(k2, 2, 0);
    okr_key_put_u64_pair(k3, 2, 1);
    assert_true(memcmp(k1, k2, 16) < 0);
    assert_true(memcmp(k2, k3, 16) < 0);
    assert_true(memcmp(k1, k3, 16) < 0);
}

/* Folds both names and compares the results. */
static int fold_equal(const char *a, const char *b)
{
    char *fa = okr_key_fold_name(a);
    char *fb = okr_key_fold_name(b);
    assert_non_null(fa);
    assert_non_null(fb);
    int eq = strcmp(fa, fb) == 0;
    free(fa);
    free(fb);
    return eq;
}

static void test_fold_ascii(void **state)
{
    (void)state;
    assert_true(fold_equal("Alice", "ALICE"));
    assert_true(fold_equal("Alice", "alice"));
    assert_false(fold_equal("alice", "alicia"));
    assert_false(fold_equal("alice", "alice "));

    char *f = okr_key_fold_name("Alice");
    assert_string_equal(f, "alice");
    free(f);

    f = okr_key_fold_name("");
    assert_non_null(f);
    assert_string_equal(f, "");
    free(f);

    assert_null(okr_key_fold_name(NULL));
}

static void test_fold_unicode(void **state)
{
    (void)state;
    /* German: ß folds to "ss", and capital ẞ too. */
    assert_true(fold_equal("Stra\xc3\x9f"
                           "e",
                           "STRASSE"));
    assert_true(fold_equal("\xe1\xba\x9e", "ss"));
    /* Turkish dotted/dotless i: only consistency is required (default, not
     * Turkish, case folding): each form folds the same way every time, and
     * folding is idempotent. */
    const char *turkish[] = {"\xc4\xb0stanbul", "\xc4\xb1stanbul", "Istanbul", "istanbul"};
    for (size_t i = 0; i < sizeof turkish / sizeof turkish[0]; i++) {
        char *a = okr_key_fold_name(turkish[i]);
        char *b = okr_key_fold_name(turkish[i]);
        assert_non_null(a);
        assert_string_equal(a, b);
        char *c = okr_key_fold_name(a);
        assert_string_equal(a, c);
        free(a);
        free(b);
        free(c);
    }
    assert_true(fold_equal("Istanbul", "istanbul"));
    /* Composed and decomposed forms: "é" vs "e" + U+0301. */
    assert_true(fold_equal("Jos\xc3\xa9", "jose\xcc\x81"));
    assert_true(fold_equal("\xc3\x89MILE", "\xc3\xa9mile"));
    /* Greek final sigma and capital sigma. */
    assert_true(fold_equal("\xce\xa3", "\xcf\x83"));
}

static void test_fold_compat(void **state)
{
    (void)state;
    /* Fullwidth "Ｆｕｌｌ" (U+FF26 U+FF55 U+FF4C U+FF4C) folds like "full". */
    const char *fullwidth = "\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c";
    assert_true(fold_equal(fullwidth, "full"));
    char *f = okr_key_fold_name(fullwidth);
    assert_string_equal(f, "full");
    free(f);
    /* The "ﬁ" ligature (U+FB01) is "fi". */
    assert_true(fold_equal("\xef\xac\x81le", "FILE"));
}

static void test_fold_invalid(void **state)
{
    (void)state;
    const char *bad[] = {
        "\xff",             /* never valid */
        "abc\x80",          /* stray continuation byte */
        "\xc3",             /* truncated sequence */
        "\xc0\xaf",         /* overlong "/" */
        "\xed\xa0\x80",     /* UTF-16 surrogate U+D800 */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "ok\xe2\x82",       /* truncated at the end */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(okr_key_fold_name(bad[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u64_round_trip), cmocka_unit_test(test_u64_sorts_numerically),
        cmocka_unit_test(test_pair),           cmocka_unit_test(test_fold_ascii),
        cmocka_unit_test(test_fold_unicode),   cmocka_unit_test(test_fold_compat),
        cmocka_unit_test(test_fold_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
