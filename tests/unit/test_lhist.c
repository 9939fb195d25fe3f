/* Unit tests for the log-bucket histogram of microseconds (common/lhist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lhist.h"

/* Every value lands in a bucket whose midpoint is within 1/32 of it, and the
 * buckets are in order. */
static void test_index_and_precision(void **state)
{
    (void)state;
    size_t last = 0;
    for (uint64_t v = 0; v < 5000000; v = v < 64 ? v + 1 : v + v / 97 + 1) {
        size_t i = okr_lhist_index(v);
        assert_true(i < OKR_LHIST_BUCKETS);
        assert_true(i >= last);
        last = i;
        okr_lhist_t h;
        okr_lhist_init(&h);
        okr_lhist_add(&h, v);
        uint64_t q = okr_lhist_quantile(&h, 0.5);
        uint64_t diff = q > v ? q - v : v - q;
        assert_true(diff * 32 <= v || diff == 0);
    }
    /* Small values are exact; huge ones share the last bucket. */
    assert_int_equal(okr_lhist_index(0), 0);
    assert_int_equal(okr_lhist_index(31), 31);
    assert_int_equal(okr_lhist_index(32), 32);
    assert_int_equal(okr_lhist_index(UINT64_C(1) << 40), OKR_LHIST_BUCKETS - 1);
    assert_int_equal(okr_lhist_index(UINT64_MAX), OKR_LHIST_BUCKETS - 1);
}

static void test_quantiles(void **state)
{
    (void)state;
    okr_lhist_t h;
    okr_lhist_init(&h);
    assert_int_equal(okr_lhist_quantile(&h, 0.5), 0);
    assert_true(okr_lhist_mean(&h) == 0.0);
    assert_int_equal(okr_lhist_used(&h), 0);
    for (uint64_t v = 1; v <= 100; v++)
        okr_lhist_add(&h, v * 10); /* 10 .. 1000 µs */
    assert_int_equal(h.count, 100);
    assert_int_equal(h.sum, 50500);
    assert_true(okr_lhist_mean(&h) == 505.0);
    uint64_t p50 = okr_lhist_quantile(&h, 0.5), p99 = okr_lhist_quantile(&h, 0.99);
    assert_true(p50 >= 500 - 500 / 32 && p50 <= 500 + 500 / 32);
    assert_true(p99 >= 990 - 990 / 32 && p99 <= 990 + 990 / 32);
    assert_int_equal(okr_lhist_quantile(&h, 0), 10);
    uint64_t max = okr_lhist_quantile(&h, 1);
    assert_true(max >= 1000 - 1000 / 32 && max <= 1000 + 1000 / 32);
    assert_int_equal(okr_lhist_used(&h), okr_lhist_index(1000) + 1);
}

/* Two readings of one histogram: what happened in between, from raw counts
 * as Stats carries them. */
static void test_sub_and_counts(void **state)
{
    (void)state;
    static okr_lhist_t a, b, a2, b2, d;
    okr_lhist_init(&a);
    for (int i = 0; i < 1000; i++)
        okr_lhist_add(&a, 20000); /* 20 ms, before */
    b = a;
    for (int i = 0; i < 100; i++)
        okr_lhist_add(&b, 400); /* 400 µs, in between */
    okr_lhist_from_counts(&a2, a.b, okr_lhist_used(&a), a.sum);
    okr_lhist_from_counts(&b2, b.b, okr_lhist_used(&b), b.sum);
    assert_int_equal(a2.count, 1000);
    assert_int_equal(b2.count, 1100);
    okr_lhist_sub(&d, &b2, &a2);
    assert_int_equal(d.count, 100);
    assert_int_equal(d.sum, 40000);
    uint64_t p99 = okr_lhist_quantile(&d, 0.99);
    assert_true(p99 >= 400 - 400 / 32 && p99 <= 400 + 400 / 32);
    /* Readings in the wrong order (a restarted server) do not underflow. */
    okr_lhist_sub(&d, &a2, &b2);
    assert_int_equal(d.count, 1000 - 1000); /* 20 ms: 0; 400 µs: 0 - 100 -> 0 */
    assert_int_equal(d.sum, 0);
    /* More counts than buckets: the extra ones are ignored. */
    static uint64_t many[OKR_LHIST_BUCKETS + 5];
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        many[i] = 1;
    okr_lhist_from_counts(&d, many, sizeof many / sizeof many[0], 7);
    assert_int_equal(d.count, OKR_LHIST_BUCKETS);
}

/* okr_lhist_export: the figures Stats carries, the buckets in place. */
static void test_export(void **state)
{
    (void)state;
    static okr_lhist_t h;
    okr_lhist_init(&h);
    for (uint64_t us = 1; us <= 100; us++)
        okr_lhist_add(&h, us);
    uint64_t p50, p99, sum, *buckets;
    size_t n;
    okr_lhist_export(&h, &p50, &p99, &sum, &n, &buckets);
    assert_int_equal(p50, okr_lhist_quantile(&h, 0.5));
    assert_int_equal(p99, okr_lhist_quantile(&h, 0.99));
    assert_int_equal(sum, 5050);
    assert_int_equal(n, okr_lhist_index(100) + 1);
    assert_ptr_equal(buckets, h.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_and_precision),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_sub_and_counts),
        cmocka_unit_test(test_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
