/* Unit tests for okr_spread (client/live.h): the jitter that keeps the
 * dashboards of an office from retrying all at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "live.h"

/* Every draw within [0, bound], and the draws cover the range. */
static void test_within_and_spread(void **state)
{
    (void)state;
    int x = 0;
    uint64_t rng = okr_spread_seed(&x);
    assert_true(rng != 0);
    enum { BOUND = 99, DRAWS = 10000 };
    unsigned seen[BOUND + 1];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = okr_spread(&rng, BOUND);
        assert_true(v <= BOUND);
        seen[v]++;
    }
    /* 100 draws expected each: none missing, none hoarding */
    for (int v = 0; v <= BOUND; v++)
        assert_true(seen[v] > 40 && seen[v] < 200);
    assert_int_equal(okr_spread(&rng, 0), 0);
}

/* Two dashboards (two seeds) do not draw the same delays. */
static void test_seeds_differ(void **state)
{
    (void)state;
    int a = 0, b = 0;
    uint64_t ra = okr_spread_seed(&a), rb = okr_spread_seed(&b);
    assert_true(ra != rb);
    int same = 0;
    for (int i = 0; i < 20; i++)
        same += okr_spread(&ra, 60000) == okr_spread(&rb, 60000);
    assert_true(same < 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_within_and_spread),
        cmocka_unit_test(test_seeds_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
