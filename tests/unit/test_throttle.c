/* test_throttle.c — growing delays, cap, reset, forgetting and the size bound,
 * all on an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "throttle.h"

static okr_throttle_t *new_default(void)
{
    okr_throttle_params_t p;
    okr_throttle_params_default(&p);
    okr_throttle_t *t = okr_throttle_new(&p);
    assert_non_null(t);
    return t;
}

static void test_defaults(void **state)
{
    (void)state;
    okr_throttle_params_t p;
    okr_throttle_params_default(&p);
    assert_int_equal(p.free_failures, 3);
    assert_int_equal(p.base_ms, 1000);
    assert_int_equal(p.max_ms, 300000);
    assert_int_equal(p.capacity, 10000);
}

static void test_unknown_key_may_try(void **state)
{
    (void)state;
    okr_throttle_t *t = new_default();
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 1000), 0);
    assert_int_equal(okr_throttle_size(t), 0);
    okr_throttle_success(t, "alice"); /* unknown key: no-op */
    assert_int_equal(okr_throttle_size(t), 0);
    okr_throttle_free(t);
}

static void test_free_failures_then_doubling(void **state)
{
    (void)state;
    okr_throttle_t *t = new_default();
    uint64_t now = 50000;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(okr_throttle_wait_ms(t, "alice", now), 0);
        okr_throttle_fail(t, "alice", now);
    }
    /* Three free failures: the next attempt is still allowed. */
    assert_int_equal(okr_throttle_wait_ms(t, "alice", now), 0);
    assert_int_equal(okr_throttle_size(t), 1);

    /* Each further failure doubles the wait: 1 s, 2 s, 4 s, 8 s. */
    uint64_t expect = 1000;
    for (int i = 0; i < 4; i++) {
        okr_throttle_fail(t, "alice", now);
        assert_int_equal(okr_throttle_wait_ms(t, "alice", now), expect);
        assert_int_equal(okr_throttle_wait_ms(t, "alice", now + 1), expect - 1);
        assert_int_equal(okr_throttle_wait_ms(t, "alice", now + expect - 1), 1);
        assert_int_equal(okr_throttle_wait_ms(t, "alice", now + expect), 0);
        now += expect;
        expect *= 2;
    }
    /* Other keys are unaffected. */
    assert_int_equal(okr_throttle_wait_ms(t, "bob", now), 0);
    okr_throttle_free(t);
}

static void test_capped_at_max(void **state)
{
    (void)state;
    okr_throttle_t *t = new_default();
    uint64_t now = 1;
    uint64_t last = 0;

    /* 3 free + 100 more: far past 2^63, must neither overflow nor exceed max. */
    for (int i = 0; i < 103; i++) {
        uint64_t w = okr_throttle_wait_ms(t, "mallory", now);
        now += w; /* the attacker waits exactly as long as told */
        okr_throttle_fail(t, "mallory", now);
        last = okr_throttle_wait_ms(t, "mallory", now);
        assert_true(last <= 300000);
    }
    assert_int_equal(last, 300000);
    /* 1, 2, 4, ..., 256 s, then 300 s: the cap is reached at the tenth extra failure. */
    okr_throttle_free(t);

    okr_throttle_t *u = new_default();
    now = 0;
    for (int i = 0; i < 3 + 9; i++)
        okr_throttle_fail(u, "m", now);
    assert_int_equal(okr_throttle_wait_ms(u, "m", now), 256000);
    okr_throttle_fail(u, "m", now);
    assert_int_equal(okr_throttle_wait_ms(u, "m", now), 300000);
    okr_throttle_free(u);
}

static void test_success_resets(void **state)
{
    (void)state;
    okr_throttle_t *t = new_default();
    for (int i = 0; i < 5; i++)
        okr_throttle_fail(t, "alice", 1000);
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 1000), 2000);
    okr_throttle_success(t, "alice");
    assert_int_equal(okr_throttle_size(t), 0);
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 1000), 0);
    /* The free failures are available again. */
    for (int i = 0; i < 3; i++)
        okr_throttle_fail(t, "alice", 2000);
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 2000), 0);
    okr_throttle_fail(t, "alice", 2000);
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 2000), 1000);
    okr_throttle_free(t);
}

static void test_idle_entries_forgotten(void **state)
{
    (void)state;
    okr_throttle_params_t p;
    okr_throttle_params_default(&p);
    p.max_ms = 10000;
    okr_throttle_t *t = okr_throttle_new(&p);
    assert_non_null(t);

    for (int i = 0; i < 10; i++)
        okr_throttle_fail(t, "alice", 1000);
    okr_throttle_fail(t, "bob", 5000);
    assert_int_equal(okr_throttle_size(t), 2);
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 1000), 10000); /* capped */

    /* Exactly max_ms idle: still remembered (its wait has just ended). */
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 11000), 0);
    assert_int_equal(okr_throttle_size(t), 2);
    /* Longer: alice is forgotten, bob is not yet. */
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 11001), 0);
    assert_int_equal(okr_throttle_size(t), 1);
    /* A new failure for alice starts from one, so it is free again. */
    okr_throttle_fail(t, "alice", 11001);
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 11001), 0);
    /* bob goes after his own max_ms. */
    assert_int_equal(okr_throttle_wait_ms(t, "carol", 15001), 0);
    assert_int_equal(okr_throttle_size(t), 1);
    okr_throttle_free(t);
}

static void test_capacity_evicts_oldest(void **state)
{
    (void)state;
    okr_throttle_params_t p;
    okr_throttle_params_default(&p);
    p.capacity = 4;
    p.free_failures = 0;
    okr_throttle_t *t = okr_throttle_new(&p);
    assert_non_null(t);

    okr_throttle_fail(t, "a", 100);
    okr_throttle_fail(t, "b", 200);
    okr_throttle_fail(t, "c", 300);
    okr_throttle_fail(t, "d", 400);
    assert_int_equal(okr_throttle_size(t), 4);
    /* A newer failure for "a" makes "b" the oldest. */
    okr_throttle_fail(t, "a", 500);
    okr_throttle_fail(t, "e", 600);
    assert_int_equal(okr_throttle_size(t), 4);
    assert_int_equal(okr_throttle_wait_ms(t, "b", 600), 0);    /* evicted */
    assert_int_equal(okr_throttle_wait_ms(t, "a", 600), 1900); /* 2 failures: 2 s from 500 */
    assert_int_equal(okr_throttle_wait_ms(t, "c", 600), 700);
    assert_int_equal(okr_throttle_wait_ms(t, "d", 600), 800);
    assert_int_equal(okr_throttle_wait_ms(t, "e", 600), 1000);

    /* A spray of new keys never grows the table past capacity. */
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
        okr_throttle_fail(t, key, 1000 + (uint64_t)i);
        assert_true(okr_throttle_size(t) <= 4);
    }
    assert_int_equal(okr_throttle_size(t), 4);
    /* The four newest survive. */
    for (int i = 996; i < 1000; i++) {
        snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
        assert_true(okr_throttle_wait_ms(t, key, 2000) > 0);
    }
    assert_int_equal(okr_throttle_wait_ms(t, "a", 2000), 0);
    okr_throttle_free(t);
}

/* A larger table, to exercise growth and many distinct keys. */
static void test_many_keys(void **state)
{
    (void)state;
    okr_throttle_params_t p;
    okr_throttle_params_default(&p);
    p.capacity = 5000;
    p.free_failures = 1;
    okr_throttle_t *t = okr_throttle_new(&p);
    assert_non_null(t);
    char key[32];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 5000; i++) {
            snprintf(key, sizeof key, "user%d", i);
            okr_throttle_fail(t, key, 1000);
        }
    }
    assert_int_equal(okr_throttle_size(t), 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "user%d", i);
        assert_int_equal(okr_throttle_wait_ms(t, key, 1000), 1000);
    }
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof key, "user%d", i);
        okr_throttle_success(t, key);
    }
    assert_int_equal(okr_throttle_size(t), 2500);
    okr_throttle_free(t);
}

static void test_capacity_zero_tracks_nothing(void **state)
{
    (void)state;
    okr_throttle_params_t p;
    okr_throttle_params_default(&p);
    p.capacity = 0;
    okr_throttle_t *t = okr_throttle_new(&p);
    assert_non_null(t);
    for (int i = 0; i < 10; i++)
        okr_throttle_fail(t, "alice", 0);
    assert_int_equal(okr_throttle_size(t), 0);
    assert_int_equal(okr_throttle_wait_ms(t, "alice", 0), 0);
    okr_throttle_free(t);
    okr_throttle_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_key_may_try),
        cmocka_unit_test(test_free_failures_then_doubling),
        cmocka_unit_test(test_capped_at_max),
        cmocka_unit_test(test_success_resets),
        cmocka_unit_test(test_idle_entries_forgotten),
        cmocka_unit_test(test_capacity_evicts_oldest),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_capacity_zero_tracks_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
