/* Unit tests for the OKR coach (common/lint.c): each rule fires exactly when
 * it should. A healthy objective is built, one case at a time breaks it, and
 * the findings must be exactly the expected ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lint.h"

#define DAY    INT64_C(86400000)
#define START  INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define MAX_KR 8

#define K_OBJ OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE
#define K_KR  OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT

typedef struct fixture {
    Okr__Cycle cycle;
    Okr__Objective obj, parent;
    Okr__KeyResult kr[MAX_KR];
    const Okr__KeyResult *ptrs[MAX_KR];
    okr_lint_input_t in;
    uint32_t stale_days;
    int64_t now;
} fixture_t;

/* A healthy objective: owned, 3 measurable, owned, recently checked-in key
 * results, in an active 2026-Q1 cycle, aligned to a parent of the same cycle. */
static void fixture_init(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    okr__cycle__init(&f->cycle);
    f->cycle.id = 1;
    f->cycle.name = "2026-Q1";
    f->cycle.start_at = START;
    f->cycle.end_at = START + 89 * DAY;
    f->cycle.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    f->now = START + 30 * DAY;
    f->stale_days = 14;

    okr__objective__init(&f->parent);
    f->parent.id = 3;
    f->parent.cycle_id = 1;
    f->parent.title = "Grow the company";
    f->parent.owner_team_id = 1;
    f->parent.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;

    okr__objective__init(&f->obj);
    f->obj.id = 12;
    f->obj.cycle_id = 1;
    f->obj.title = "提高客户满意度";
    f->obj.owner_user_id = 5;
    f->obj.parent_id = 3;
    f->obj.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;

    for (size_t i = 0; i < MAX_KR; i++) {
        Okr__KeyResult *kr = &f->kr[i];
        okr__key_result__init(kr);
        kr->id = 101 + i;
        kr->objective_id = 12;
        kr->title = "Reach 100 customers";
        kr->metric = OKR__METRIC__METRIC_NUMBER;
        kr->start = 0;
        kr->target = 100;
        kr->current = 10;
        kr->weight = 1;
        kr->owner_user_id = 5;
        kr->created_at = START;
        kr->last_checkin_at = f->now - 2 * DAY;
        f->ptrs[i] = kr;
    }
    f->in.objective = &f->obj;
    f->in.key_results = f->ptrs;
    f->in.n_key_results = 3;
    f->in.cycle = &f->cycle;
    f->in.parent = &f->parent;
}

typedef struct expect {
    const char *rule; /* NULL ends the list */
    Okr__EntityKind kind;
    uint64_t id;
} expect_t;

typedef struct lint_case {
    const char *name;
    void (*mutate)(fixture_t *f);
    expect_t want[8];
} lint_case_t;

/* ---------------------------------------------------------------- mutations */

static void m_none(fixture_t *f)
{
    (void)f;
}
static void m_no_krs(fixture_t *f)
{
    f->in.n_key_results = 0;
}
static void m_no_krs_null(fixture_t *f)
{
    f->in.key_results = NULL;
    f->in.n_key_results = 3;
}
static void m_one_kr(fixture_t *f)
{
    f->in.n_key_results = 1;
}
static void m_five_krs(fixture_t *f)
{
    f->in.n_key_results = 5;
}
static void m_six_krs(fixture_t *f)
{
    f->in.n_key_results = 6;
}
static void m_six_one_archived(fixture_t *f)
{
    f->in.n_key_results = 6;
    f->kr[2].archived = 1;
    f->kr[2].owner_user_id = 0; /* an archived key result is not linted */
    f->kr[2].target = f->kr[2].start;
}
static void m_all_archived(fixture_t *f)
{
    for (size_t i = 0; i < 3; i++)
        f->kr[i].archived = 1;
}
static void m_target_eq_start(fixture_t *f)
{
    f->kr[0].start = f->kr[0].target = 50;
}
static void m_start_nan(fixture_t *f)
{
    f->kr[1].start = NAN;
}
static void m_target_inf(fixture_t *f)
{
    f->kr[1].target = -INFINITY;
}
static void m_current_inf(fixture_t *f)
{
    f->kr[2].current = INFINITY;
}
static void m_boolean_same(fixture_t *f)
{
    f->kr[0].metric = OKR__METRIC__METRIC_BOOLEAN;
    f->kr[0].start = f->kr[0].target = 0;
    f->kr[0].current = 0;
}
static void m_boolean_nan(fixture_t *f)
{
    f->kr[0].metric = OKR__METRIC__METRIC_BOOLEAN;
    f->kr[0].current = NAN;
}
static void m_decrease(fixture_t *f)
{
    f->kr[0].start = 100;
    f->kr[0].target = 20;
}
static void m_linked_same(fixture_t *f)
{
    f->kr[0].linked_objective_id = 40;
    f->kr[0].start = f->kr[0].target = 0;
}
static void m_obj_no_owner(fixture_t *f)
{
    f->obj.owner_user_id = 0;
}
static void m_obj_team_owner(fixture_t *f)
{
    f->obj.owner_user_id = 0;
    f->obj.owner_team_id = 9;
}
static void m_kr_no_owner(fixture_t *f)
{
    f->kr[1].owner_user_id = 0;
}
static void m_stale_exact(fixture_t *f)
{
    f->kr[0].last_checkin_at = f->now - 14 * DAY;
}
static void m_stale_almost(fixture_t *f)
{
    f->kr[0].last_checkin_at = f->now - 14 * DAY + 1;
}
static void m_stale_old(fixture_t *f)
{
    f->kr[2].last_checkin_at = f->now - 29 * DAY;
}
static void m_never_old(fixture_t *f)
{
    f->kr[0].last_checkin_at = 0;
    f->kr[0].created_at = f->now - 20 * DAY;
}
static void m_never_new(fixture_t *f)
{
    f->kr[0].last_checkin_at = 0;
    f->kr[0].created_at = f->now - 10 * DAY;
}
static void m_never_unknown(fixture_t *f)
{
    f->kr[0].last_checkin_at = 0;
    f->kr[0].created_at = 0;
}
static void m_checkin_future(fixture_t *f)
{
    f->kr[0].last_checkin_at = f->now + DAY;
}
static void m_stale_planning(fixture_t *f)
{
    m_stale_old(f);
    f->cycle.state = OKR__CYCLE_STATE__CYCLE_STATE_PLANNING;
}
static void m_stale_closed_cycle(fixture_t *f)
{
    m_stale_old(f);
    f->cycle.state = OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
}
static void m_stale_closed_objective(fixture_t *f)
{
    m_stale_old(f);
    f->obj.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED;
}
static void m_stale_linked(fixture_t *f)
{
    m_stale_old(f);
    f->kr[2].linked_objective_id = 40;
}
static void m_stale_days_0_fresh(fixture_t *f)
{
    f->stale_days = 0; /* the default, 14 */
    f->kr[0].last_checkin_at = f->now - 13 * DAY;
}
static void m_stale_days_0_stale(fixture_t *f)
{
    f->stale_days = 0;
    f->kr[0].last_checkin_at = f->now - 14 * DAY;
}
static void m_stale_days_30(fixture_t *f)
{
    f->stale_days = 30;
    f->kr[0].last_checkin_at = f->now - 29 * DAY;
}
static void m_stale_days_1(fixture_t *f)
{
    f->stale_days = 1;
    f->kr[0].last_checkin_at = f->now - DAY;
    f->kr[1].last_checkin_at = f->now - DAY + 1;
    f->kr[2].last_checkin_at = f->now;
}
static void m_due_inside(fixture_t *f)
{
    f->kr[0].due_at = START + 45 * DAY;
    f->kr[1].due_at = f->cycle.start_at;
    f->kr[2].due_at = f->cycle.end_at;
}
static void m_due_before(fixture_t *f)
{
    f->kr[0].due_at = f->cycle.start_at - 1;
}
static void m_due_after(fixture_t *f)
{
    f->kr[1].due_at = f->cycle.end_at + 1;
}
static void m_cycle_inverted(fixture_t *f)
{
    f->cycle.end_at = f->cycle.start_at - DAY;
    f->kr[0].due_at = START + 45 * DAY; /* not reported on top */
}
static void m_cycle_zero_length(fixture_t *f)
{
    f->cycle.end_at = f->cycle.start_at;
}
static void m_no_cycle(fixture_t *f)
{
    f->in.cycle = NULL;
    f->kr[0].due_at = START - DAY;
    f->kr[1].last_checkin_at = f->now - 60 * DAY;
}
static void m_cross_cycle(fixture_t *f)
{
    f->parent.cycle_id = 2;
}
static void m_no_parent(fixture_t *f)
{
    f->in.parent = NULL;
    f->parent.cycle_id = 2;
}
static void m_archived_objective(fixture_t *f)
{
    f->obj.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED;
    f->obj.owner_user_id = 0;
    f->parent.cycle_id = 2;
    f->in.n_key_results = 7;
    f->kr[0].owner_user_id = 0;
    f->kr[1].target = f->kr[1].start;
    f->kr[2].last_checkin_at = f->now - 40 * DAY;
}
static void m_archived_kr(fixture_t *f)
{
    f->kr[0].archived = 1;
    f->kr[0].owner_user_id = 0;
    f->kr[0].start = NAN;
    f->kr[0].last_checkin_at = f->now - 40 * DAY;
    f->kr[0].due_at = START - DAY;
}
static void m_null_kr_entry(fixture_t *f)
{
    f->ptrs[1] = NULL; /* tolerated and not counted */
}
static void m_many(fixture_t *f)
{
    f->obj.owner_user_id = 0;
    f->parent.cycle_id = 7;
    f->in.n_key_results = 7;
    f->kr[0].target = f->kr[0].start;
    f->kr[0].owner_user_id = 0;
    f->kr[3].last_checkin_at = f->now - 20 * DAY;
    f->kr[5].due_at = f->cycle.end_at + DAY;
}

/* ---------------------------------------------------------------- the table */

#define NONE                                                                                       \
    {                                                                                              \
        {                                                                                          \
            NULL, 0, 0                                                                             \
        }                                                                                          \
    }

static const lint_case_t cases[] = {
    {"healthy", m_none, NONE},
    {"no key results", m_no_krs, {{"kr-count", K_OBJ, 12}}},
    {"key_results NULL", m_no_krs_null, {{"kr-count", K_OBJ, 12}}},
    {"one key result", m_one_kr, NONE},
    {"five key results", m_five_krs, NONE},
    {"six key results", m_six_krs, {{"kr-count", K_OBJ, 12}}},
    {"six with one archived", m_six_one_archived, NONE},
    {"all archived", m_all_archived, {{"kr-count", K_OBJ, 12}}},
    {"target equals start", m_target_eq_start, {{"not-measurable", K_KR, 101}}},
    {"start NaN", m_start_nan, {{"not-measurable", K_KR, 102}}},
    {"target -inf", m_target_inf, {{"not-measurable", K_KR, 102}}},
    {"current inf", m_current_inf, {{"not-measurable", K_KR, 103}}},
    {"boolean start == target", m_boolean_same, NONE},
    {"boolean NaN", m_boolean_nan, {{"not-measurable", K_KR, 101}}},
    {"decrease is better", m_decrease, NONE},
    {"linked, target == start", m_linked_same, NONE},
    {"objective without owner", m_obj_no_owner, {{"no-owner", K_OBJ, 12}}},
    {"objective owned by a team", m_obj_team_owner, NONE},
    {"key result without owner", m_kr_no_owner, {{"no-owner", K_KR, 102}}},
    {"stale at exactly 14 days", m_stale_exact, {{"stale", K_KR, 101}}},
    {"1 ms short of stale", m_stale_almost, NONE},
    {"stale for 29 days", m_stale_old, {{"stale", K_KR, 103}}},
    {"never checked in, created 20 days ago", m_never_old, {{"stale", K_KR, 101}}},
    {"never checked in, created 10 days ago", m_never_new, NONE},
    {"never checked in, creation unknown", m_never_unknown, NONE},
    {"check-in in the future", m_checkin_future, NONE},
    {"stale in a planning cycle", m_stale_planning, NONE},
    {"stale in a closed cycle", m_stale_closed_cycle, NONE},
    {"stale in a closed objective", m_stale_closed_objective, NONE},
    {"stale but linked", m_stale_linked, NONE},
    {"stale_days 0 means 14: 13 days", m_stale_days_0_fresh, NONE},
    {"stale_days 0 means 14: 14 days", m_stale_days_0_stale, {{"stale", K_KR, 101}}},
    {"stale_days 30: 29 days", m_stale_days_30, NONE},
    {"stale_days 1: 1 day", m_stale_days_1, {{"stale", K_KR, 101}}},
    {"due inside and on the edges", m_due_inside, NONE},
    {"due before the cycle", m_due_before, {{"dates", K_KR, 101}}},
    {"due after the cycle", m_due_after, {{"dates", K_KR, 102}}},
    {"cycle ends before it starts", m_cycle_inverted, {{"dates", K_OBJ, 12}}},
    {"zero-length cycle", m_cycle_zero_length, NONE},
    {"no cycle known", m_no_cycle, NONE},
    {"parent in another cycle", m_cross_cycle, {{"cross-cycle", K_OBJ, 12}}},
    {"no parent", m_no_parent, NONE},
    {"archived objective", m_archived_objective, NONE},
    {"archived key result", m_archived_kr, NONE},
    {"NULL key result entry", m_null_kr_entry, NONE},
    {"many at once",
     m_many,
     {{"no-owner", K_OBJ, 12},
      {"kr-count", K_OBJ, 12},
      {"cross-cycle", K_OBJ, 12},
      {"not-measurable", K_KR, 101},
      {"no-owner", K_KR, 101},
      {"stale", K_KR, 104},
      {"dates", K_KR, 106}}},
};

static size_t expect_count(const expect_t *want)
{
    size_t n = 0;
    while (n < 8 && want[n].rule)
        n++;
    return n;
}

/* Every finding is well-formed and the set equals want (order aside). */
static void check_findings(const lint_case_t *c, const fixture_t *f, const okr_lint_findings_t *got)
{
    size_t n_want = expect_count(c->want);
    int used[8] = {0};
    if (got->n != n_want) {
        print_error("case \"%s\": %zu findings, want %zu\n", c->name, got->n, n_want);
        for (size_t i = 0; i < got->n; i++)
            print_error("  %s %d %llu: %s\n", got->items[i]->rule, (int)got->items[i]->kind,
                        (unsigned long long)got->items[i]->entity_id, got->items[i]->message);
        fail();
    }
    for (size_t i = 0; i < got->n; i++) {
        const Okr__LintFinding *g = got->items[i];
        assert_non_null(g);
        assert_non_null(g->rule);
        assert_non_null(g->title);
        assert_non_null(g->message);
        assert_true(strlen(g->message) > 20);
        if (g->kind == K_OBJ)
            assert_string_equal(g->title, f->obj.title);
        else
            assert_string_equal(g->title, f->kr[g->entity_id - 101].title);
        size_t j = 0;
        for (; j < n_want; j++)
            if (!used[j] && strcmp(c->want[j].rule, g->rule) == 0 && c->want[j].kind == g->kind &&
                c->want[j].id == g->entity_id)
                break;
        if (j == n_want) {
            print_error("case \"%s\": unexpected %s %d %llu: %s\n", c->name, g->rule, (int)g->kind,
                        (unsigned long long)g->entity_id, g->message);
            fail();
        }
        used[j] = 1;
    }
}

static void test_rules_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture_t f;
        fixture_init(&f);
        cases[i].mutate(&f);
        okr_lint_findings_t out = {0};
        assert_int_equal(okr_lint_objective(&f.in, f.stale_days, f.now, &out), 0);
        check_findings(&cases[i], &f, &out);
        okr_lint_findings_free(&out);
        assert_null(out.items);
        assert_int_equal(out.n, 0);
    }
}

static const Okr__LintFinding *find_rule(const okr_lint_findings_t *got, const char *rule)
{
    for (size_t i = 0; i < got->n; i++)
        if (strcmp(got->items[i]->rule, rule) == 0)
            return got->items[i];
    return NULL;
}

static void test_messages(void **state)
{
    (void)state;
    fixture_t f;
    fixture_init(&f);
    f.in.n_key_results = 7;
    f.kr[0].last_checkin_at = f.now - 20 * DAY;
    f.kr[1].due_at = f.cycle.end_at + 10 * DAY;
    f.kr[2].last_checkin_at = 0;
    f.kr[2].created_at = f.now - 15 * DAY;
    f.kr[3].start = f.kr[3].target = 50;
    f.parent.cycle_id = 2;
    okr_lint_findings_t out = {0};
    assert_int_equal(okr_lint_objective(&f.in, 14, f.now, &out), 0);

    const Okr__LintFinding *g = find_rule(&out, "kr-count");
    assert_non_null(g);
    assert_non_null(strstr(g->message, "O12 has 7 key results"));
    assert_non_null(strstr(g->message, "3 to 5"));
    assert_non_null(strstr(g->message, "merge or drop"));

    g = find_rule(&out, "dates");
    assert_non_null(g);
    assert_non_null(strstr(g->message, "K102"));
    assert_non_null(strstr(g->message, "2026-04-10")); /* due */
    assert_non_null(strstr(g->message, "2026-Q1"));
    assert_non_null(strstr(g->message, "2026-01-01 to 2026-03-31"));

    g = find_rule(&out, "cross-cycle");
    assert_non_null(g);
    assert_non_null(strstr(g->message, "O12 is aligned to O3"));

    g = find_rule(&out, "not-measurable");
    assert_non_null(g);
    assert_non_null(strstr(g->message, "K104"));
    assert_string_equal(g->title, "Reach 100 customers");

    size_t stale = 0;
    for (size_t i = 0; i < out.n; i++) {
        if (strcmp(out.items[i]->rule, "stale") != 0)
            continue;
        stale++;
        if (out.items[i]->entity_id == 101)
            assert_non_null(strstr(out.items[i]->message, "no check-in for 20 days"));
        else
            assert_non_null(strstr(out.items[i]->message, "created 15 days ago"));
    }
    assert_int_equal(stale, 2);
    okr_lint_findings_free(&out);
}

static void test_cycle_messages(void **state)
{
    (void)state;
    fixture_t f;
    fixture_init(&f);
    f.cycle.end_at = f.cycle.start_at - 31 * DAY;
    okr_lint_findings_t out = {0};
    assert_int_equal(okr_lint_objective(&f.in, 14, f.now, &out), 0);
    assert_int_equal(out.n, 1);
    assert_non_null(strstr(out.items[0]->message, "2026-Q1"));
    assert_non_null(strstr(out.items[0]->message, "2025-12-01"));
    okr_lint_findings_free(&out);

    /* a cycle without a name is named by its id */
    fixture_init(&f);
    f.cycle.name = "";
    f.kr[0].due_at = START - DAY;
    assert_int_equal(okr_lint_objective(&f.in, 14, f.now, &out), 0);
    assert_int_equal(out.n, 1);
    assert_non_null(strstr(out.items[0]->message, "cycle #1"));
    assert_non_null(strstr(out.items[0]->message, "2025-12-31"));
    okr_lint_findings_free(&out);
}

static void test_accumulates(void **state)
{
    (void)state;
    /* findings of several objectives go into one array, growing past its
     * first allocation */
    okr_lint_findings_t out = {0};
    size_t total = 0;
    for (int round = 0; round < 10; round++) {
        fixture_t f;
        fixture_init(&f);
        f.obj.id = 1000 + (uint64_t)round;
        f.obj.owner_user_id = 0;
        f.in.n_key_results = 0;
        assert_int_equal(okr_lint_objective(&f.in, 14, f.now, &out), 0);
        total += 2;
        assert_int_equal(out.n, total);
    }
    assert_true(out.cap >= out.n);
    for (size_t i = 0; i < out.n; i++)
        assert_int_equal(out.items[i]->entity_id, 1000 + i / 2);
    okr_lint_findings_free(&out);
    assert_null(out.items);
    assert_int_equal(out.cap, 0);
    okr_lint_findings_free(&out); /* twice is harmless */
    okr_lint_findings_free(NULL);
}

static void test_null_inputs(void **state)
{
    (void)state;
    okr_lint_findings_t out = {0};
    assert_int_equal(okr_lint_objective(NULL, 14, 0, &out), 0);
    okr_lint_input_t in = {0};
    assert_int_equal(okr_lint_objective(&in, 14, 0, &out), 0);
    assert_int_equal(out.n, 0);
    fixture_t f;
    fixture_init(&f);
    assert_int_equal(okr_lint_objective(&f.in, 14, f.now, NULL), 0);
    /* an objective without title still gets a finding with an empty title */
    f.obj.title = NULL;
    f.obj.owner_user_id = 0;
    assert_int_equal(okr_lint_objective(&f.in, 14, f.now, &out), 0);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.items[0]->title, "");
    okr_lint_findings_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_table),    cmocka_unit_test(test_messages),
        cmocka_unit_test(test_cycle_messages), cmocka_unit_test(test_accumulates),
        cmocka_unit_test(test_null_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
