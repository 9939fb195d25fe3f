/* Unit tests for progress, roll-up, pace, status and grades (common/progress.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "progress.h"

#define EPS 1e-12
#define DAY INT64_C(86400000)

static Okr__KeyResult kr_make(Okr__Metric metric, double start, double target, double current)
{
    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    kr.metric = metric;
    kr.start = start;
    kr.target = target;
    kr.current = current;
    kr.weight = 1;
    return kr;
}

static double kr_progress(double start, double target, double current)
{
    Okr__KeyResult kr = kr_make(OKR__METRIC__METRIC_NUMBER, start, target, current);
    return okr_kr_progress(&kr);
}

static void test_clamp01(void **state)
{
    (void)state;
    assert_float_equal(okr_clamp01(0.25), 0.25, EPS);
    assert_float_equal(okr_clamp01(-0.1), 0.0, EPS);
    assert_float_equal(okr_clamp01(1.5), 1.0, EPS);
    assert_float_equal(okr_clamp01(NAN), 0.0, EPS);
    assert_float_equal(okr_clamp01(INFINITY), 1.0, EPS);
    assert_float_equal(okr_clamp01(-INFINITY), 0.0, EPS);
}

static void test_kr_increase(void **state)
{
    (void)state;
    assert_float_equal(kr_progress(0, 100, 0), 0.0, EPS);
    assert_float_equal(kr_progress(0, 100, 25), 0.25, EPS);
    assert_float_equal(kr_progress(10, 20, 15), 0.5, EPS);
    assert_float_equal(kr_progress(0, 100, 100), 1.0, EPS);
    Okr__KeyResult pct = kr_make(OKR__METRIC__METRIC_PERCENT, 40, 80, 70);
    assert_float_equal(okr_kr_progress(&pct), 0.75, EPS);
    Okr__KeyResult usd = kr_make(OKR__METRIC__METRIC_CURRENCY, -1000, 1000, 0);
    assert_float_equal(okr_kr_progress(&usd), 0.5, EPS);
}

static void test_kr_decrease_is_better(void **state)
{
    (void)state;
    assert_float_equal(kr_progress(100, 20, 60), 0.5, EPS);
    assert_float_equal(kr_progress(100, 20, 100), 0.0, EPS);
    assert_float_equal(kr_progress(100, 20, 20), 1.0, EPS);
    assert_float_equal(kr_progress(100, 20, 80), 0.25, EPS);
}

static void test_kr_clamped(void **state)
{
    (void)state;
    assert_float_equal(kr_progress(0, 100, -50), 0.0, EPS);  /* worse than start */
    assert_float_equal(kr_progress(0, 100, 150), 1.0, EPS);  /* beyond target */
    assert_float_equal(kr_progress(100, 20, 150), 0.0, EPS); /* decrease: went up */
    assert_float_equal(kr_progress(100, 20, 0), 1.0, EPS);   /* decrease: overshot */
}

static void test_kr_boolean(void **state)
{
    (void)state;
    Okr__KeyResult kr = kr_make(OKR__METRIC__METRIC_BOOLEAN, 0, 1, 0);
    assert_float_equal(okr_kr_progress(&kr), 0.0, EPS);
    kr.current = 1;
    assert_float_equal(okr_kr_progress(&kr), 1.0, EPS);
    kr.current = 0.5;
    assert_float_equal(okr_kr_progress(&kr), 1.0, EPS);
    kr.current = 0.49;
    assert_float_equal(okr_kr_progress(&kr), 0.0, EPS);
    /* start and target do not matter for a boolean */
    kr = kr_make(OKR__METRIC__METRIC_BOOLEAN, 0, 0, 1);
    assert_float_equal(okr_kr_progress(&kr), 1.0, EPS);
    kr = kr_make(OKR__METRIC__METRIC_BOOLEAN, 1, 0, 1);
    assert_float_equal(okr_kr_progress(&kr), 1.0, EPS);
    kr.current = NAN;
    assert_float_equal(okr_kr_progress(&kr), 0.0, EPS);
    kr.current = INFINITY;
    assert_float_equal(okr_kr_progress(&kr), 0.0, EPS);
}

static void test_kr_linked(void **state)
{
    (void)state;
    Okr__KeyResult kr = kr_make(OKR__METRIC__METRIC_NUMBER, 0, 100, 90);
    kr.linked_objective_id = 7;
    assert_float_equal(okr_kr_progress_linked(&kr, 0.3), 0.3, EPS);
    assert_float_equal(okr_kr_progress_linked(&kr, 1.7), 1.0, EPS);
    assert_float_equal(okr_kr_progress_linked(&kr, -0.2), 0.0, EPS);
    assert_float_equal(okr_kr_progress_linked(&kr, NAN), 0.0, EPS);
    /* okr_kr_progress ignores the link and uses the figures */
    assert_float_equal(okr_kr_progress(&kr), 0.9, EPS);
}

static void test_kr_not_measurable(void **state)
{
    (void)state;
    assert_float_equal(kr_progress(50, 50, 50), 0.0, EPS);
    assert_float_equal(kr_progress(50, 50, 80), 0.0, EPS);
    assert_float_equal(kr_progress(0, 0, 0), 0.0, EPS);
    assert_float_equal(okr_kr_progress(NULL), 0.0, EPS);
}

static void test_kr_non_finite(void **state)
{
    (void)state;
    assert_float_equal(kr_progress(NAN, 100, 50), 0.0, EPS);
    assert_float_equal(kr_progress(0, NAN, 50), 0.0, EPS);
    assert_float_equal(kr_progress(0, 100, NAN), 0.0, EPS);
    assert_float_equal(kr_progress(0, INFINITY, 50), 0.0, EPS);
    assert_float_equal(kr_progress(-INFINITY, 100, 50), 0.0, EPS);
    assert_float_equal(kr_progress(0, 100, INFINITY), 0.0, EPS);
    assert_float_equal(kr_progress(0, 100, -INFINITY), 0.0, EPS);
}

static void test_kr_huge_finite(void **state)
{
    (void)state;
    /* differences overflow a double; the ratio must not become NaN */
    assert_float_equal(kr_progress(-DBL_MAX, DBL_MAX, 0), 0.5, 1e-9);
    assert_float_equal(kr_progress(-DBL_MAX, DBL_MAX, DBL_MAX), 1.0, 1e-9);
    assert_float_equal(kr_progress(DBL_MAX, -DBL_MAX, -DBL_MAX), 1.0, 1e-9);
    double tiny = kr_progress(0, DBL_TRUE_MIN, DBL_TRUE_MIN);
    assert_true(tiny >= 0.0 && tiny <= 1.0);
}

static void test_weighted(void **state)
{
    (void)state;
    double p[] = {1.0, 0.0, 0.5};
    double w[] = {2.0, 1.0, 1.0};
    assert_float_equal(okr_weighted_progress(p, w, 3), 2.5 / 4.0, EPS);
    double eq[] = {1.0, 1.0, 1.0};
    assert_float_equal(okr_weighted_progress(p, eq, 3), 0.5, EPS);
    assert_float_equal(okr_weighted_progress(p, w, 0), 0.0, EPS);
    assert_float_equal(okr_weighted_progress(NULL, NULL, 0), 0.0, EPS);
    double one[] = {0.8};
    double w3[] = {3.0};
    assert_float_equal(okr_weighted_progress(one, w3, 1), 0.8, EPS);
}

static void test_weighted_bad_weights(void **state)
{
    (void)state;
    double p[] = {1.0, 0.0};
    double zero[] = {0.0, 1.0};
    assert_float_equal(okr_weighted_progress(p, zero, 2), 0.5, EPS);
    double neg[] = {-5.0, 1.0};
    assert_float_equal(okr_weighted_progress(p, neg, 2), 0.5, EPS);
    double nan_w[] = {NAN, 1.0};
    assert_float_equal(okr_weighted_progress(p, nan_w, 2), 0.5, EPS);
    double inf_w[] = {1.0, INFINITY};
    assert_float_equal(okr_weighted_progress(p, inf_w, 2), 0.5, EPS);
    double all_zero[] = {0.0, 0.0};
    assert_float_equal(okr_weighted_progress(p, all_zero, 2), 0.5, EPS);
    double huge[] = {DBL_MAX, DBL_MAX};
    assert_float_equal(okr_weighted_progress(p, huge, 2), 0.5, EPS);
    double mixed[] = {DBL_MAX, 1.0};
    assert_float_equal(okr_weighted_progress(p, mixed, 2), 1.0, 1e-9);
}

static void test_weighted_bad_progress(void **state)
{
    (void)state;
    double p[] = {NAN, 1.0, 2.0, -1.0};
    double w[] = {1.0, 1.0, 1.0, 1.0};
    /* each value is clamped: 0 + 1 + 1 + 0 */
    assert_float_equal(okr_weighted_progress(p, w, 4), 0.5, EPS);
}

static void test_mean(void **state)
{
    (void)state;
    double p[] = {0.2, 0.4, 0.9};
    assert_float_equal(okr_mean_progress(p, 3), 0.5, EPS);
    assert_float_equal(okr_mean_progress(p, 1), 0.2, EPS);
    assert_float_equal(okr_mean_progress(p, 0), 0.0, EPS);
    assert_float_equal(okr_mean_progress(NULL, 0), 0.0, EPS);
    double bad[] = {NAN, 1.0};
    assert_float_equal(okr_mean_progress(bad, 2), 0.5, EPS);
}

static void test_expected(void **state)
{
    (void)state;
    int64_t s = INT64_C(1767225600000); /* 2026-01-01 */
    int64_t e = s + 90 * DAY;
    assert_float_equal(okr_expected_progress(s, e, s), 0.0, EPS);
    assert_float_equal(okr_expected_progress(s, e, s + 45 * DAY), 0.5, EPS);
    assert_float_equal(okr_expected_progress(s, e, s + 9 * DAY), 0.1, EPS);
    assert_float_equal(okr_expected_progress(s, e, e), 1.0, EPS);
    assert_float_equal(okr_expected_progress(s, e, s - DAY), 0.0, EPS);
    assert_float_equal(okr_expected_progress(s, e, e + DAY), 1.0, EPS);
    /* extreme times do not overflow */
    assert_float_equal(okr_expected_progress(INT64_MIN, INT64_MAX, 0), 0.5, 1e-9);
    assert_float_equal(okr_expected_progress(INT64_MIN, INT64_MAX, INT64_MIN), 0.0, EPS);
    assert_float_equal(okr_expected_progress(INT64_MIN, INT64_MAX, INT64_MAX), 1.0, EPS);
}

static void test_expected_zero_length(void **state)
{
    (void)state;
    int64_t s = INT64_C(1767225600000);
    assert_float_equal(okr_expected_progress(s, s, s - 1), 0.0, EPS);
    assert_float_equal(okr_expected_progress(s, s, s), 1.0, EPS);
    assert_float_equal(okr_expected_progress(s, s, s + DAY), 1.0, EPS);
    /* an inverted cycle is treated like a zero-length one */
    assert_float_equal(okr_expected_progress(s, s - DAY, s), 1.0, EPS);
    assert_float_equal(okr_expected_progress(s, s - DAY, s - 2 * DAY), 0.0, EPS);
}

#define ON   OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK
#define RISK OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK
#define OFF  OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK

static void test_status_pace(void **state)
{
    (void)state;
    assert_int_equal(okr_progress_status(0.5, 0.5, -1), ON);
    assert_int_equal(okr_progress_status(0.9, 0.2, -1), ON); /* ahead never hurts */
    /* at-risk boundary: a gap of exactly 0.15 is still on track */
    assert_int_equal(okr_progress_status(0.35, 0.5, -1), ON);
    assert_int_equal(okr_progress_status(0.34, 0.5, -1), RISK);
    assert_int_equal(okr_progress_status(0.45, 0.6, -1), ON);
    /* off-track boundary: a gap of exactly 0.30 is at risk */
    assert_int_equal(okr_progress_status(0.2, 0.5, -1), RISK);
    assert_int_equal(okr_progress_status(0.4, 0.7, -1), RISK);
    assert_int_equal(okr_progress_status(0.19, 0.5, -1), OFF);
    assert_int_equal(okr_progress_status(0.0, 1.0, -1), OFF);
    assert_int_equal(okr_progress_status(0.0, 0.0, -1), ON);
    /* non-finite figures are clamped, never a crash */
    assert_int_equal(okr_progress_status(NAN, 1.0, -1), OFF);
    assert_int_equal(okr_progress_status(0.5, NAN, -1), ON);
}

static void test_status_confidence(void **state)
{
    (void)state;
    /* on pace; confidence decides */
    assert_int_equal(okr_progress_status(0.5, 0.5, 10), ON);
    assert_int_equal(okr_progress_status(0.5, 0.5, 7), ON);
    assert_int_equal(okr_progress_status(0.5, 0.5, 6), RISK);
    assert_int_equal(okr_progress_status(0.5, 0.5, 4), RISK);
    assert_int_equal(okr_progress_status(0.5, 0.5, 3), OFF);
    assert_int_equal(okr_progress_status(0.5, 0.5, 0), OFF);
    /* low confidence overrides a good pace */
    assert_int_equal(okr_progress_status(0.9, 0.1, 2), OFF);
    /* but not a figure that is done: a confidence given on the way no longer
     * counts (okr checkin K1 done keeps the last one given) */
    assert_true(okr_progress_done(1.0) && okr_progress_done(1.0 - 1e-12));
    assert_false(okr_progress_done(0.999) || okr_progress_done(NAN));
    assert_int_equal(okr_progress_status(1.0, 0.1, 2), ON);
    assert_int_equal(okr_progress_status(1.0, 1.0, 0), ON);
    /* high confidence does not rescue a bad pace */
    assert_int_equal(okr_progress_status(0.1, 0.9, 10), OFF);
    assert_int_equal(okr_progress_status(0.3, 0.5, 10), RISK);
    /* the worse of the two wins */
    assert_int_equal(okr_progress_status(0.3, 0.5, 2), OFF);
    assert_int_equal(okr_progress_status(0.0, 0.5, 5), OFF);
    /* unknown */
    assert_int_equal(okr_progress_status(0.5, 0.5, -1), ON);
    assert_int_equal(okr_progress_status(0.5, 0.5, -100), ON);
}

/* A stored status is from an objective's last change; the pace has moved on
 * since, so the worse of the two wins. */
static void test_status_now(void **state)
{
    (void)state;
    /* on track when written (10% expected), at 50% expected: the pace says off */
    assert_int_equal(okr_status_now(ON, 0.3, 0.5), RISK);
    assert_int_equal(okr_status_now(ON, 0.1, 0.9), OFF);
    /* a low confidence stored stays, whatever the pace */
    assert_int_equal(okr_status_now(OFF, 0.9, 0.5), OFF);
    assert_int_equal(okr_status_now(RISK, 0.5, 0.5), RISK);
    assert_int_equal(okr_status_now(ON, 0.5, 0.5), ON);
    /* none stored takes the pace's; nonsense stored is ignored */
    assert_int_equal(okr_status_now(OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED, 0.0, 1.0),
                     OFF);
    assert_int_equal(okr_status_now((Okr__ProgressStatus)99, 0.5, 0.5), ON);
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(okr_status_name(ON), "on track");
    assert_string_equal(okr_status_name(RISK), "at risk");
    assert_string_equal(okr_status_name(OFF), "off track");
    assert_string_equal(okr_status_name(OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED),
                        "unknown");
    assert_string_equal(okr_status_name((Okr__ProgressStatus)42), "unknown");
}

static void test_grades(void **state)
{
    (void)state;
    assert_int_equal(okr_score_grade(0.0), OKR_GRADE_RED);
    assert_int_equal(okr_score_grade(0.39), OKR_GRADE_RED);
    assert_int_equal(okr_score_grade(0.4), OKR_GRADE_YELLOW);
    assert_int_equal(okr_score_grade(0.69), OKR_GRADE_YELLOW);
    assert_int_equal(okr_score_grade(0.7), OKR_GRADE_GREEN);
    assert_int_equal(okr_score_grade(1.0), OKR_GRADE_GREEN);
    /* a 0.7 reached by arithmetic grades like a typed 0.7 */
    assert_int_equal(okr_score_grade(0.1 * 7), OKR_GRADE_GREEN);
    assert_int_equal(okr_score_grade(0.1 + 0.2 + 0.1), OKR_GRADE_YELLOW);
    assert_int_equal(okr_score_grade(NAN), OKR_GRADE_RED);
    assert_int_equal(okr_score_grade(-1.0), OKR_GRADE_RED);
    assert_int_equal(okr_score_grade(2.0), OKR_GRADE_GREEN);
    assert_string_equal(okr_grade_name(OKR_GRADE_RED), "red");
    assert_string_equal(okr_grade_name(OKR_GRADE_YELLOW), "yellow");
    assert_string_equal(okr_grade_name(OKR_GRADE_GREEN), "green");
    assert_string_equal(okr_grade_name((okr_grade_t)9), "unknown");
}

static void test_score_expected(void **state)
{
    (void)state;
    assert_float_equal(okr_score_expected(OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED), 1.0, EPS);
    assert_float_equal(okr_score_expected(OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL), 0.7,
                       EPS);
    assert_float_equal(okr_score_expected(OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_UNSPECIFIED), 1.0,
                       EPS);
    /* a good aspirational result grades green */
    assert_int_equal(
        okr_score_grade(okr_score_expected(OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL)),
        OKR_GRADE_GREEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clamp01),
        cmocka_unit_test(test_kr_increase),
        cmocka_unit_test(test_kr_decrease_is_better),
        cmocka_unit_test(test_kr_clamped),
        cmocka_unit_test(test_kr_boolean),
        cmocka_unit_test(test_kr_linked),
        cmocka_unit_test(test_kr_not_measurable),
        cmocka_unit_test(test_kr_non_finite),
        cmocka_unit_test(test_kr_huge_finite),
        cmocka_unit_test(test_weighted),
        cmocka_unit_test(test_weighted_bad_weights),
        cmocka_unit_test(test_weighted_bad_progress),
        cmocka_unit_test(test_mean),
        cmocka_unit_test(test_expected),
        cmocka_unit_test(test_expected_zero_length),
        cmocka_unit_test(test_status_pace),
        cmocka_unit_test(test_status_confidence),
        cmocka_unit_test(test_status_now),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_grades),
        cmocka_unit_test(test_score_expected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
