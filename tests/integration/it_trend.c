/* Integration: progress over time (TrendRequest) against a real okrd over
 * real TLS: the samples, dated check-ins, weights, linked key results,
 * objectives that roll up their children, and who may ask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "clock.h"
#include "harness.h"
#include "okr_error.h"
#include "world.h"

#define DAY_MS   INT64_C(86400000)
#define PASSWORD "password-123"
#define EPS      1e-9

static okr_test_server_t server;

static int setup(void **state)
{
    (void)state;
    ts_start(&server, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

/* A number key result from 0 to 100 with a weight; linked to an objective
 * when link is not 0. Returns its id. */
static uint64_t kr(okr_client_t *c, uint64_t objective, const char *title, double weight,
                   uint64_t link)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = objective;
    k.title = (char *)title;
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.start = 0;
    k.target = 100;
    k.weight = weight;
    k.linked_objective_id = link;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc);
    uint64_t id = resp->key_result->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

/* A check-in of value dated at (0: now). */
static void checkin_at(okr_client_t *c, uint64_t kr_id, double value, int64_t at)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr_id;
    ci.value = value;
    ci.note = "";
    ci.at = at;
    okr__response__free_unpacked(tw_ok(c, OKR__REQUEST__OP_CHECKIN, &ci), NULL);
}

/* TrendRequest for n objectives; returns the status, the response in *out. */
static int trend(okr_client_t *c, uint64_t *ids, size_t n, uint32_t points, Okr__Response **out)
{
    Okr__TrendRequest tr = OKR__TREND_REQUEST__INIT;
    tr.objective_ids = ids;
    tr.n_objective_ids = n;
    tr.points = points;
    Okr__Request req = tw_request(OKR__REQUEST__OP_TREND, &tr);
    *out = NULL;
    return ts_call(c, &req, out);
}

static const Okr__KeyResultTrend *kr_series(const Okr__ObjectiveTrend *t, uint64_t id)
{
    for (size_t i = 0; i < t->n_key_results; i++)
        if (t->key_results[i]->key_result_id == id)
            return t->key_results[i];
    fail_msg("no series for K%llu", (unsigned long long)id);
    return NULL;
}

static void test_samples_and_weights(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "tr-weights", NULL); /* started 10 days ago */
    int64_t now = okr_wall_ms();
    uint64_t o = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t k1 = kr(admin, o, "Light", 1, 0), k3 = kr(admin, o, "Heavy", 3, 0);
    checkin_at(admin, k1, 50, now - 8 * DAY_MS);
    checkin_at(admin, k3, 20, now - 4 * DAY_MS);
    checkin_at(admin, k3, 100, 0);

    /* Two samples: 5 days ago, and now. */
    Okr__Response *resp;
    assert_int_equal(trend(admin, &o, 1, 2, &resp), OKR_OK);
    assert_int_equal(resp->trend->n_objectives, 1);
    const Okr__ObjectiveTrend *t = resp->trend->objectives[0];
    assert_int_equal(t->objective_id, o);
    assert_int_equal(t->n_at, 2);
    assert_int_equal(t->n_progress, 2);
    assert_true(t->at[1] >= now && t->at[1] - t->at[0] > 4 * DAY_MS &&
                t->at[1] - t->at[0] < 6 * DAY_MS);
    /* 5 days ago: Light 50 % (dated 8 days ago), Heavy 0 (its first, 4 days
     * ago, had not happened); weighted 1:3. Now: 50 % and 100 %. */
    assert_true(fabs(t->progress[0] - 0.5 * 1 / 4) < EPS);
    assert_true(fabs(t->progress[1] - (0.5 + 3.0) / 4) < EPS);
    assert_int_equal(t->n_key_results, 2);
    assert_true(fabs(kr_series(t, k1)->progress[0] - 0.5) < EPS);
    assert_true(fabs(kr_series(t, k3)->progress[0] - 0.0) < EPS);
    assert_true(fabs(kr_series(t, k3)->progress[1] - 1.0) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* By default one a week: 10 days make 2 samples, the last now. */
    assert_int_equal(trend(admin, &o, 1, 0, &resp), OKR_OK);
    t = resp->trend->objectives[0];
    assert_int_equal(t->n_at, 2);
    assert_true(fabs(t->progress[1] - (0.5 + 3.0) / 4) < EPS);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

static void test_links_and_children(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "tr-links", NULL);
    int64_t now = okr_wall_ms();
    const Okr__Visibility pub = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    /* top has no key results: the mean of its children, a and b. a has a key
     * result linked to c; c's own key result was at 40 % 6 days ago. */
    uint64_t top = tw_objective(admin, cyc, 0, 0, pub, "Top");
    uint64_t a = tw_objective(admin, cyc, top, 0, pub, "A");
    uint64_t b = tw_objective(admin, cyc, top, 0, pub, "B");
    uint64_t c = tw_objective(admin, cyc, a, 0, pub, "C");
    uint64_t kc = kr(admin, c, "C's number", 1, 0);
    uint64_t klink = kr(admin, a, "C done", 1, c);
    uint64_t kb = kr(admin, b, "B's number", 1, 0);
    checkin_at(admin, kc, 40, now - 6 * DAY_MS);
    checkin_at(admin, kb, 80, now - 1 * DAY_MS);

    uint64_t ids[] = {top, a};
    Okr__Response *resp;
    assert_int_equal(trend(admin, ids, 2, 2, &resp), OKR_OK);
    assert_int_equal(resp->trend->n_objectives, 2);
    const Okr__ObjectiveTrend *t = resp->trend->objectives[0], *ta = resp->trend->objectives[1];
    assert_int_equal(t->objective_id, top);
    assert_int_equal(ta->objective_id, a);
    /* 5 days ago: a = c = 40 %, b = 0 (checked in yesterday); now 40 and 80. */
    assert_true(fabs(ta->progress[0] - 0.4) < EPS);
    assert_true(fabs(kr_series(ta, klink)->progress[0] - 0.4) < EPS);
    assert_true(fabs(t->progress[0] - 0.2) < EPS);
    assert_true(fabs(t->progress[1] - 0.6) < EPS);
    assert_int_equal(t->n_key_results, 0); /* its own: none */
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

/* Several key results linked to one objective, over levels: each level
 * computed once (the work follows the objectives, not the paths), the
 * figures the same as walking every path. Stats counts the objectives
 * computed: 3 here, where walking every path would take 1 + 4 + 4 * 4. */
static void test_shared_links(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "tr-shared", NULL);
    int64_t now = okr_wall_ms();
    const Okr__Visibility pub = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    uint64_t top = tw_objective(admin, cyc, 0, 0, pub, "Top");
    uint64_t mid = tw_objective(admin, cyc, top, 0, pub, "Middle");
    uint64_t low = tw_objective(admin, cyc, mid, 0, pub, "Bottom");
    uint64_t k = kr(admin, low, "The number", 1, 0);
    for (int i = 0; i < 4; i++) {
        kr(admin, top, "Middle done", 1, mid);
        kr(admin, mid, "Bottom done", 1, low);
    }
    checkin_at(admin, k, 60, now - 3 * DAY_MS);
    Okr__Stats *before = tw_stats(admin);
    Okr__Response *resp;
    assert_int_equal(trend(admin, &top, 1, 2, &resp), OKR_OK);
    Okr__Stats *after = tw_stats(admin);
    assert_int_equal(after->trend_objectives - before->trend_objectives, 3);
    okr__stats__free_unpacked(before, NULL);
    okr__stats__free_unpacked(after, NULL);
    const Okr__ObjectiveTrend *t = resp->trend->objectives[0];
    assert_true(fabs(t->progress[0] - 0.0) < EPS); /* 5 days ago */
    assert_true(fabs(t->progress[1] - 0.6) < EPS);
    assert_int_equal(t->n_key_results, 4);
    for (size_t i = 0; i < 4; i++)
        assert_true(fabs(t->key_results[i]->progress[1] - 0.6) < EPS);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

/* A cycle closed after its end date: the samples run to its end date, and
 * the last is the frozen figure, with the late check-in in it. */
static void test_closed_cycle(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    int64_t now = okr_wall_ms();
    uint64_t cyc = tw_cycle(admin, "tr-closed", now - 30 * DAY_MS, now - 2 * DAY_MS);
    uint64_t o = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Done");
    uint64_t k = kr(admin, o, "Late number", 1, 0);
    checkin_at(admin, k, 30, now - 15 * DAY_MS);
    checkin_at(admin, k, 70, 0); /* after the end date, before the close */
    Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
    g.id = cyc;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_CYCLE_GET, &g);
    Okr__CycleCloseRequest cc = OKR__CYCLE_CLOSE_REQUEST__INIT;
    cc.id = cyc;
    cc.version = resp->cycle->version;
    okr__response__free_unpacked(resp, NULL);
    okr__response__free_unpacked(tw_ok(admin, OKR__REQUEST__OP_CYCLE_CLOSE, &cc), NULL);

    assert_int_equal(trend(admin, &o, 1, 3, &resp), OKR_OK);
    const Okr__ObjectiveTrend *t = resp->trend->objectives[0];
    assert_int_equal(t->n_at, 3);
    assert_true(t->at[2] == now - 2 * DAY_MS);     /* its end date, not its close */
    assert_true(fabs(t->progress[0] - 0.0) < EPS); /* 20 days ago: not yet */
    assert_true(fabs(t->progress[1] - 0.3) < EPS);
    assert_true(fabs(t->progress[2] - 0.7) < EPS);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

static void test_who_may_ask_and_limits(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "tr-acl", NULL);
    uint64_t team = tw_team(admin, "Trend team", 0);
    uint64_t priv = tw_objective(admin, cyc, 0, team, OKR__VISIBILITY__VISIBILITY_TEAM, "Ours");
    uint64_t pub = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Everyone's");
    assert_int_equal(ts_create_user(admin, "tia", PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    okr_client_t *tia = ts_login(&server, "tia", PASSWORD);

    /* What you may not read does not exist for you, even beside what you may. */
    uint64_t both[] = {pub, priv};
    Okr__Response *resp;
    assert_int_equal(trend(tia, both, 2, 0, &resp), OKR_E_NOT_FOUND);
    char want[32];
    snprintf(want, sizeof want, "O%llu", (unsigned long long)priv);
    assert_non_null(strstr(resp->message, want));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(trend(tia, &pub, 1, 0, &resp), OKR_OK);
    okr__response__free_unpacked(resp, NULL);
    uint64_t missing = 987654;
    assert_int_equal(trend(tia, &missing, 1, 0, &resp), OKR_E_NOT_FOUND);
    okr__response__free_unpacked(resp, NULL);

    /* Limits: 1 to 100 objectives, 2 to 60 points. */
    assert_int_equal(trend(tia, NULL, 0, 0, &resp), OKR_E_BAD_REQUEST);
    okr__response__free_unpacked(resp, NULL);
    uint64_t many[101];
    for (size_t i = 0; i < 101; i++)
        many[i] = pub;
    assert_int_equal(trend(tia, many, 101, 0, &resp), OKR_E_BAD_REQUEST);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(trend(tia, many, 100, 60, &resp), OKR_OK);
    assert_int_equal(resp->trend->n_objectives, 100);
    assert_int_equal(resp->trend->objectives[99]->n_at, 60);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(trend(tia, &pub, 1, 1, &resp), OKR_E_BAD_REQUEST);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(trend(tia, &pub, 1, 61, &resp), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(resp->message, "points"));
    okr__response__free_unpacked(resp, NULL);

    /* Many at once (pipelined): computed two at a time on the thread pool,
     * the rest queued, every one answered. */
    Okr__TrendRequest tr = OKR__TREND_REQUEST__INIT;
    tr.objective_ids = many;
    tr.n_objective_ids = 100;
    Okr__Request req = tw_request(OKR__REQUEST__OP_TREND, &tr);
    uint64_t sent[12];
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(okr_client_send(tia, &req, &sent[i]), OKR_OK);
    for (size_t i = 0; i < 12; i++) {
        assert_int_equal(okr_client_wait(tia, sent[i], &resp), OKR_OK);
        assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
        assert_int_equal(resp->trend->n_objectives, 100);
        okr__response__free_unpacked(resp, NULL);
    }

    /* A cycle that has not started: one sample, now, the current figure. */
    int64_t now = okr_wall_ms();
    uint64_t later = tw_cycle(admin, "tr-later", now + 10 * DAY_MS, now + 90 * DAY_MS);
    uint64_t planned = tw_objective(admin, later, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Next");
    assert_int_equal(trend(admin, &planned, 1, 0, &resp), OKR_OK);
    assert_int_equal(resp->trend->objectives[0]->n_at, 1);
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(tia);
    okr_client_free(admin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_and_weights),    cmocka_unit_test(test_links_and_children),
        cmocka_unit_test(test_shared_links),           cmocka_unit_test(test_closed_cycle),
        cmocka_unit_test(test_who_may_ask_and_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
