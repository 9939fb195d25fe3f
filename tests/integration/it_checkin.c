/* Integration: check-ins and roll-up, tasks, the coach (lint), history and
 * "mine" against a real okrd over real TLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "world.h"
#include "okr_error.h"

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
    ts_stop(&server); /* asserts a clean exit 0 on SIGTERM */
    ts_cleanup(&server);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One call; returns its status, and its message in msg (if not NULL). */
static int call_status(okr_client_t *c, Okr__Request__OpCase op, void *body, char *msg, size_t len)
{
    Okr__Request req = tw_request(op, body);
    Okr__Response *resp = NULL;
    int rc = ts_call(c, &req, &resp);
    if (msg)
        snprintf(msg, len, "%s", resp && resp->message ? resp->message : "");
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- builders */

static okr_client_t *user(okr_client_t *admin, const char *name)
{
    assert_int_equal(ts_create_user(admin, name, PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    return ts_login(&server, name, PASSWORD);
}

static uint64_t user_id(okr_client_t *c)
{
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_WHOAMI, &w);
    uint64_t id = resp->login->user->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static void close_cycle(okr_client_t *admin, uint64_t id, uint64_t version)
{
    Okr__CycleCloseRequest cc = OKR__CYCLE_CLOSE_REQUEST__INIT;
    cc.id = id;
    cc.version = version;
    okr__response__free_unpacked(tw_ok(admin, OKR__REQUEST__OP_CYCLE_CLOSE, &cc), NULL);
}

typedef struct obj_spec {
    uint64_t cycle_id, parent_id, owner_team_id, team_id;
    Okr__Visibility visibility;
} obj_spec_t;

static uint64_t objective(okr_client_t *c, const char *title, obj_spec_t spec)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = (char *)title;
    o.cycle_id = spec.cycle_id;
    o.parent_id = spec.parent_id;
    o.owner_team_id = spec.owner_team_id;
    o.team_id = spec.team_id;
    o.visibility = spec.visibility;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_OBJECTIVE_CREATE, &oc);
    uint64_t id = resp->objective->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static Okr__KeyResult *kr_create(okr_client_t *c, uint64_t obj, const char *title, Okr__Metric m,
                                 double start, double target, double weight)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = obj;
    k.title = (char *)title;
    k.metric = m;
    k.start = start;
    k.target = target;
    k.weight = weight;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc);
    Okr__KeyResult *kr = resp->key_result;
    resp->key_result = NULL;
    resp->result_case = OKR__RESPONSE__RESULT__NOT_SET;
    okr__response__free_unpacked(resp, NULL);
    return kr;
}

static uint64_t kr(okr_client_t *c, uint64_t obj, const char *title, double start, double target,
                   double weight)
{
    Okr__KeyResult *k = kr_create(c, obj, title, OKR__METRIC__METRIC_NUMBER, start, target, weight);
    uint64_t id = k->id;
    okr__key_result__free_unpacked(k, NULL);
    return id;
}

/* A check-in; returns its status and the response in *out (if not NULL). */
static int checkin(okr_client_t *c, uint64_t kr_id, double value, int conf, const char *note,
                   Okr__Response **out)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr_id;
    ci.value = value;
    ci.has_confidence = conf >= 0;
    ci.confidence = conf >= 0 ? (uint32_t)conf : 0;
    ci.note = (char *)(note ? note : "");
    Okr__Request req = tw_request(OKR__REQUEST__OP_CHECKIN, &ci);
    Okr__Response *resp = NULL;
    int rc = ts_call(c, &req, &resp);
    if (out)
        *out = resp;
    else if (resp)
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

static Okr__Response *objective_get(okr_client_t *c, uint64_t id)
{
    Okr__ObjectiveGetRequest g = OKR__OBJECTIVE_GET_REQUEST__INIT;
    g.id = id;
    return tw_ok(c, OKR__REQUEST__OP_OBJECTIVE_GET, &g);
}

static double objective_progress(okr_client_t *c, uint64_t id)
{
    Okr__Response *resp = objective_get(c, id);
    double p = resp->objective_detail->objective->progress;
    okr__response__free_unpacked(resp, NULL);
    return p;
}

static Okr__Response *kr_get(okr_client_t *c, uint64_t id)
{
    Okr__KeyResultGetRequest g = OKR__KEY_RESULT_GET_REQUEST__INIT;
    g.id = id;
    return tw_ok(c, OKR__REQUEST__OP_KEY_RESULT_GET, &g);
}

static Okr__Response *checkin_list(okr_client_t *c, uint64_t kr_id, uint64_t after, uint32_t limit)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.after_id = after;
    page.limit = limit;
    Okr__CheckInListRequest l = OKR__CHECK_IN_LIST_REQUEST__INIT;
    l.key_result_id = kr_id;
    l.page = &page;
    return tw_ok(c, OKR__REQUEST__OP_CHECKIN_LIST, &l);
}

/* ---------------------------------------------------------------- check-ins */

static void test_checkin_figures(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-figures", NULL);
    okr_client_t *alice = user(admin, "alice");
    uint64_t o = objective(alice, "Grow the customer base", (obj_spec_t){.cycle_id = cyc});
    Okr__KeyResult *k1 = kr_create(alice, o, "Customers", OKR__METRIC__METRIC_NUMBER, 0, 100, 1);
    uint64_t k2 = kr(alice, o, "Partners", 0, 10, 3);
    uint64_t k1_version = k1->version;

    Okr__Response *resp = NULL;
    assert_int_equal(checkin(alice, k1->id, 50, 7, "half way there", &resp), OKR_OK);
    const Okr__CheckInResult *res = resp->checkin;
    assert_non_null(res);
    assert_true(res->checkin->id > 0);
    assert_int_equal(res->checkin->key_result_id, k1->id);
    assert_int_equal(res->checkin->author_id, user_id(alice));
    assert_true(fabs(res->checkin->value - 50) < EPS);
    assert_true(fabs(res->checkin->previous_value - 0) < EPS);
    assert_true(fabs(res->checkin->progress - 0.5) < EPS);
    assert_true(res->checkin->has_confidence);
    assert_int_equal(res->checkin->confidence, 7);
    assert_string_equal(res->checkin->note, "half way there");
    assert_true(fabs(res->key_result->current - 50) < EPS);
    assert_true(fabs(res->key_result->progress - 0.5) < EPS);
    assert_int_equal(res->key_result->confidence, 7);
    assert_true(res->key_result->last_checkin_at > 0);
    /* A check-in is not an edit of the definition: the version stays. */
    assert_int_equal(res->key_result->version, k1_version);
    /* Weighted: (0.5 * 1 + 0 * 3) / 4. */
    assert_true(res->n_ancestors >= 1);
    assert_int_equal(res->ancestors[0]->objective_id, o);
    assert_true(fabs(res->ancestors[0]->progress - 0.125) < EPS);
    okr__response__free_unpacked(resp, NULL);

    assert_int_equal(checkin(alice, k2, 10, -1, NULL, &resp), OKR_OK);
    assert_true(fabs(resp->checkin->key_result->progress - 1.0) < EPS);
    assert_false(resp->checkin->checkin->has_confidence);
    assert_true(fabs(resp->checkin->ancestors[0]->progress - 0.875) < EPS);
    okr__response__free_unpacked(resp, NULL);
    assert_true(fabs(objective_progress(alice, o) - 0.875) < EPS);

    /* Beyond the target is clamped to 1; the value is kept as sent. */
    assert_int_equal(checkin(alice, k1->id, 80, 8, "more", NULL), OKR_OK);
    assert_int_equal(checkin(alice, k1->id, 140, -1, "", &resp), OKR_OK);
    assert_true(fabs(resp->checkin->key_result->current - 140) < EPS);
    assert_true(fabs(resp->checkin->key_result->progress - 1.0) < EPS);
    /* Without a new confidence the last one stays. */
    assert_true(resp->checkin->key_result->has_confidence);
    assert_int_equal(resp->checkin->key_result->confidence, 8);
    assert_int_equal(resp->checkin->key_result->version, k1_version);
    okr__response__free_unpacked(resp, NULL);

    /* The key result as stored agrees, version included. */
    resp = kr_get(alice, k1->id);
    assert_int_equal(resp->key_result->version, k1_version);
    assert_true(fabs(resp->key_result->current - 140) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* History: oldest first, with the previous values; paged. */
    resp = checkin_list(alice, k1->id, 0, 2);
    const Okr__CheckInList *l = resp->checkin_list;
    assert_int_equal(l->n_checkins, 2);
    assert_true(fabs(l->checkins[0]->value - 50) < EPS);
    assert_true(fabs(l->checkins[0]->previous_value - 0) < EPS);
    assert_true(fabs(l->checkins[1]->value - 80) < EPS);
    assert_true(fabs(l->checkins[1]->previous_value - 50) < EPS);
    assert_true(l->checkins[0]->time <= l->checkins[1]->time);
    assert_int_equal(l->next_after_id, l->checkins[1]->id);
    Okr__Response *more = checkin_list(alice, k1->id, l->next_after_id, 2);
    assert_int_equal(more->checkin_list->n_checkins, 1);
    assert_true(fabs(more->checkin_list->checkins[0]->previous_value - 80) < EPS);
    assert_int_equal(more->checkin_list->next_after_id, 0);
    okr__response__free_unpacked(more, NULL);
    okr__response__free_unpacked(resp, NULL);

    okr__key_result__free_unpacked(k1, NULL);
    okr_client_free(alice);
    okr_client_free(admin);
}

static void test_alignment_chain(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-chain", NULL);
    uint64_t o1 = objective(admin, "Company: win the market", (obj_spec_t){.cycle_id = cyc});
    uint64_t o2 =
        objective(admin, "Dept: ship the product", (obj_spec_t){.cycle_id = cyc, .parent_id = o1});
    uint64_t o3 =
        objective(admin, "Team: finish the beta", (obj_spec_t){.cycle_id = cyc, .parent_id = o2});
    uint64_t k = kr(admin, o3, "Beta features done", 0, 4, 1);

    Okr__Response *resp = NULL;
    assert_int_equal(checkin(admin, k, 1, 9, "first one", &resp), OKR_OK);
    const Okr__CheckInResult *res = resp->checkin;
    /* One check-in moves all three, nearest first. */
    assert_int_equal(res->n_ancestors, 3);
    assert_int_equal(res->ancestors[0]->objective_id, o3);
    assert_int_equal(res->ancestors[1]->objective_id, o2);
    assert_int_equal(res->ancestors[2]->objective_id, o1);
    for (size_t i = 0; i < 3; i++)
        assert_true(fabs(res->ancestors[i]->progress - 0.25) < EPS);
    /* Protocol 1.1: the titles come along, so `okr checkin` asks nothing more. */
    assert_string_equal(res->ancestors[0]->title, "Team: finish the beta");
    assert_string_equal(res->ancestors[1]->title, "Dept: ship the product");
    assert_string_equal(res->ancestors[2]->title, "Company: win the market");
    okr__response__free_unpacked(resp, NULL);
    assert_true(fabs(objective_progress(admin, o1) - 0.25) < EPS);
    assert_true(fabs(objective_progress(admin, o2) - 0.25) < EPS);
    assert_true(fabs(objective_progress(admin, o3) - 0.25) < EPS);

    assert_int_equal(checkin(admin, k, 3, -1, NULL, NULL), OKR_OK);
    assert_true(fabs(objective_progress(admin, o1) - 0.75) < EPS);
    okr_client_free(admin);
}

static void test_checkin_kinds_and_validation(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-kinds", NULL);
    okr_client_t *dan = user(admin, "dan");
    uint64_t o = objective(dan, "Be faster", (obj_spec_t){.cycle_id = cyc});

    /* Decrease is better: 100 -> 20, now 60 is half way. */
    uint64_t down = kr(dan, o, "p95 latency (ms)", 100, 20, 1);
    Okr__Response *resp = NULL;
    assert_int_equal(checkin(dan, down, 60, -1, NULL, &resp), OKR_OK);
    assert_true(fabs(resp->checkin->key_result->progress - 0.5) < EPS);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(checkin(dan, down, 140, -1, NULL, &resp), OKR_OK); /* worse than start */
    assert_true(fabs(resp->checkin->key_result->progress - 0.0) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* Boolean: 0 or 1 only. */
    Okr__KeyResult *b = kr_create(dan, o, "Launch", OKR__METRIC__METRIC_BOOLEAN, 0, 1, 1);
    char msg[512];
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = b->id;
    ci.value = 0.5;
    assert_int_equal(call_status(dan, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "yes/no"));
    assert_int_equal(checkin(dan, b->id, 1, -1, NULL, &resp), OKR_OK);
    assert_true(fabs(resp->checkin->key_result->progress - 1.0) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* Field validation on the loop thread. */
    ci.key_result_id = down;
    ci.value = 50;
    ci.has_confidence = 1;
    ci.confidence = 11;
    assert_int_equal(call_status(dan, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "confidence"));
    ci.confidence = 10;
    ci.value = NAN;
    assert_int_equal(call_status(dan, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "value"));
    ci.value = INFINITY;
    assert_int_equal(call_status(dan, OKR__REQUEST__OP_CHECKIN, &ci, NULL, 0), OKR_E_BAD_REQUEST);
    ci.value = 50;
    char *long_note = malloc(4002);
    memset(long_note, 'x', 4001);
    long_note[4001] = '\0';
    ci.note = long_note;
    assert_int_equal(call_status(dan, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "note"));
    free(long_note);
    ci.note = "";
    ci.key_result_id = 0;
    assert_int_equal(call_status(dan, OKR__REQUEST__OP_CHECKIN, &ci, NULL, 0), OKR_E_BAD_REQUEST);
    ci.key_result_id = 987654;
    assert_int_equal(call_status(dan, OKR__REQUEST__OP_CHECKIN, &ci, NULL, 0), OKR_E_NOT_FOUND);
    /* Nothing refused was recorded. */
    resp = checkin_list(dan, down, 0, 0);
    assert_int_equal(resp->checkin_list->n_checkins, 2);
    okr__response__free_unpacked(resp, NULL);

    okr__key_result__free_unpacked(b, NULL);
    okr_client_free(dan);
    okr_client_free(admin);
}

/* A check-in made late is dated when its value was true (CheckInRequest.at):
 * inside the cycle, never before the key result's latest check-in, never in
 * the future; recorded_at keeps when it was written. */
static void test_checkin_dated(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-dated", NULL); /* started 10 days ago */
    okr_client_t *gil = user(admin, "gil");
    uint64_t o = objective(gil, "Catch up", (obj_spec_t){.cycle_id = cyc});
    uint64_t k = kr(gil, o, "Calls made", 0, 100, 1);
    char msg[512];
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = k;
    ci.value = 20;

    /* Dated 8 days ago: taken as of then. */
    int64_t before = now_ms();
    ci.at = before - 8 * DAY_MS;
    Okr__Request req = tw_request(OKR__REQUEST__OP_CHECKIN, &ci);
    Okr__Response *resp = NULL;
    assert_int_equal(ts_call(gil, &req, &resp), OKR_OK);
    const Okr__CheckIn *c = resp->checkin->checkin;
    assert_int_equal(c->time, ci.at);
    assert_true(c->recorded_at >= before && c->recorded_at <= now_ms());
    assert_int_equal(resp->checkin->key_result->last_checkin_at, ci.at);
    assert_true(fabs(resp->checkin->key_result->progress - 0.2) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* Not before the cycle's start, nor before the latest check-in. */
    ci.value = 30;
    ci.at = now_ms() - 11 * DAY_MS;
    assert_int_equal(call_status(gil, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "cycle ci-dated started"));
    ci.at = before - 9 * DAY_MS;
    assert_int_equal(call_status(gil, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "latest check-in is dated"));
    /* Not in the future beyond a client's clock running a little ahead. */
    ci.at = now_ms() + DAY_MS;
    assert_int_equal(call_status(gil, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "future"));

    /* A clock a minute ahead: taken as made now. */
    ci.at = now_ms() + 60000;
    req = tw_request(OKR__REQUEST__OP_CHECKIN, &ci);
    assert_int_equal(ts_call(gil, &req, &resp), OKR_OK);
    c = resp->checkin->checkin;
    assert_true(c->time == c->recorded_at && c->time < ci.at);
    okr__response__free_unpacked(resp, NULL);

    /* Undated, as before: now, both times the same. */
    assert_int_equal(checkin(gil, k, 40, -1, NULL, &resp), OKR_OK);
    assert_int_equal(resp->checkin->checkin->time, resp->checkin->checkin->recorded_at);
    okr__response__free_unpacked(resp, NULL);

    /* History keeps the dates, oldest first; the refused ones left nothing. */
    resp = checkin_list(gil, k, 0, 0);
    const Okr__CheckInList *l = resp->checkin_list;
    assert_int_equal(l->n_checkins, 3);
    assert_int_equal(l->checkins[0]->time, before - 8 * DAY_MS);
    assert_true(l->checkins[0]->recorded_at > l->checkins[0]->time);
    assert_true(l->checkins[1]->time <= l->checkins[2]->time);
    okr__response__free_unpacked(resp, NULL);
    /* The key result's figures are the latest check-in's. */
    resp = kr_get(gil, k);
    assert_true(fabs(resp->key_result->current - 40) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* A cycle still being planned: nothing is dated before it starts. */
    int64_t now = now_ms();
    uint64_t next = tw_cycle(admin, "ci-dated-next", now + 10 * DAY_MS, now + 90 * DAY_MS);
    uint64_t o2 = objective(gil, "Plan ahead", (obj_spec_t){.cycle_id = next});
    ci.key_result_id = kr(gil, o2, "Baseline", 0, 100, 1);
    ci.at = now - DAY_MS;
    assert_int_equal(call_status(gil, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "cycle ci-dated-next starts"));

    okr_client_free(gil);
    okr_client_free(admin);
}

static void test_checkin_closed_cycle(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t version = 0;
    uint64_t cyc = tw_active_cycle(admin, "ci-closed", &version);
    uint64_t o = objective(admin, "Done and dusted", (obj_spec_t){.cycle_id = cyc});
    uint64_t k = kr(admin, o, "Things", 0, 10, 1);
    assert_int_equal(checkin(admin, k, 5, -1, NULL, NULL), OKR_OK);
    close_cycle(admin, cyc, version);

    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = k;
    ci.value = 7;
    char msg[512];
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "ci-closed")); /* names the cycle */
    /* Tasks are frozen too. */
    Okr__Task t = OKR__TASK__INIT;
    t.key_result_id = k;
    t.title = "too late";
    Okr__TaskCreateRequest tc = OKR__TASK_CREATE_REQUEST__INIT;
    tc.task = &t;
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_TASK_CREATE, &tc, NULL, 0),
                     OKR_E_BAD_REQUEST);
    Okr__Response *resp = checkin_list(admin, k, 0, 0);
    assert_int_equal(resp->checkin_list->n_checkins, 1);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

static void test_checkin_who_may(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-acl", NULL);
    uint64_t sales = tw_team(admin, "Sales", 0);
    okr_client_t *erin = user(admin, "erin");   /* owns a public objective */
    okr_client_t *bob = user(admin, "bob");     /* a member of Sales */
    okr_client_t *carol = user(admin, "carol"); /* in no team */
    tw_team_member(admin, sales, "bob", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);

    uint64_t pub = objective(erin, "Erin's public objective", (obj_spec_t){.cycle_id = cyc});
    uint64_t kpub = kr(erin, pub, "Erin's number", 0, 10, 1);
    uint64_t priv = objective(admin, "Sales' own objective",
                              (obj_spec_t){.cycle_id = cyc,
                                           .owner_team_id = sales,
                                           .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});
    uint64_t kpriv = kr(admin, priv, "Deals closed", 0, 20, 1);

    /* carol can read erin's objective but may not check in on it. */
    char msg[512];
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kpub;
    ci.value = 3;
    assert_int_equal(call_status(carol, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_FORBIDDEN);
    assert_non_null(strstr(msg, "may check in"));
    /* carol cannot read Sales' team objective: it does not exist for her. */
    ci.key_result_id = kpriv;
    assert_int_equal(call_status(carol, OKR__REQUEST__OP_CHECKIN, &ci, NULL, 0), OKR_E_NOT_FOUND);
    Okr__CheckInListRequest cl = OKR__CHECK_IN_LIST_REQUEST__INIT;
    cl.key_result_id = kpriv;
    assert_int_equal(call_status(carol, OKR__REQUEST__OP_CHECKIN_LIST, &cl, NULL, 0),
                     OKR_E_NOT_FOUND);
    /* bob, a member of Sales, may check in on the team's key result. */
    assert_int_equal(checkin(bob, kpriv, 4, 6, "two deals", NULL), OKR_OK);
    /* ... but not on erin's personal one. */
    ci.key_result_id = kpub;
    assert_int_equal(call_status(bob, OKR__REQUEST__OP_CHECKIN, &ci, NULL, 0), OKR_E_FORBIDDEN);
    /* The owner and an admin may. */
    assert_int_equal(checkin(erin, kpub, 2, -1, NULL, NULL), OKR_OK);
    assert_int_equal(checkin(admin, kpub, 3, -1, NULL, NULL), OKR_OK);
    Okr__Response *resp = checkin_list(bob, kpriv, 0, 0);
    assert_int_equal(resp->checkin_list->n_checkins, 1);
    assert_int_equal(resp->checkin_list->checkins[0]->author_id, user_id(bob));
    okr__response__free_unpacked(resp, NULL);

    /* carol owns a key result of a public objective aligned under a Sales
     * team objective: her check-in rolls up into it, but its title is not
     * hers to read, so it comes back empty. */
    uint64_t umbrella = objective(admin, "Sales' umbrella",
                                  (obj_spec_t){.cycle_id = cyc,
                                               .owner_team_id = sales,
                                               .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});
    uint64_t aligned = objective(admin, "Carol's part of it",
                                 (obj_spec_t){.cycle_id = cyc, .parent_id = umbrella});
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = aligned;
    k.title = "Carol's number";
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.target = 10;
    k.owner_user_id = user_id(carol);
    Okr__KeyResultCreateRequest kcr = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kcr.key_result = &k;
    resp = tw_ok(admin, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kcr);
    uint64_t kcarol = resp->key_result->id;
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(checkin(carol, kcarol, 5, -1, NULL, &resp), OKR_OK);
    assert_int_equal(resp->checkin->n_ancestors, 2);
    assert_int_equal(resp->checkin->ancestors[0]->objective_id, aligned);
    assert_string_equal(resp->checkin->ancestors[0]->title, "Carol's part of it");
    assert_int_equal(resp->checkin->ancestors[1]->objective_id, umbrella);
    assert_string_equal(resp->checkin->ancestors[1]->title, "");
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(carol);
    okr_client_free(bob);
    okr_client_free(erin);
    okr_client_free(admin);
}

static void test_checkin_linked_and_archived(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-linked", NULL);
    uint64_t parent = objective(admin, "Parent", (obj_spec_t){.cycle_id = cyc});
    uint64_t child = objective(admin, "Child", (obj_spec_t){.cycle_id = cyc, .parent_id = parent});
    uint64_t kc = kr(admin, child, "Child's number", 0, 10, 1);
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = parent;
    k.title = "Child done";
    k.metric = OKR__METRIC__METRIC_PERCENT;
    k.start = 0;
    k.target = 100;
    k.linked_objective_id = child;
    Okr__KeyResultCreateRequest kcr = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kcr.key_result = &k;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kcr);
    uint64_t kl = resp->key_result->id;
    okr__response__free_unpacked(resp, NULL);

    /* A linked key result takes its progress from its child: no check-ins. */
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kl;
    ci.value = 50;
    char msg[512], want[64];
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    snprintf(want, sizeof want, "takes its progress from O%llu", (unsigned long long)child);
    assert_non_null(strstr(msg, want));

    /* A check-in on the child's key result moves the linked one too. */
    assert_int_equal(checkin(admin, kc, 5, -1, NULL, &resp), OKR_OK);
    assert_true(resp->checkin->n_ancestors >= 2);
    assert_int_equal(resp->checkin->ancestors[0]->objective_id, child);
    assert_int_equal(resp->checkin->ancestors[1]->objective_id, parent);
    assert_true(fabs(resp->checkin->ancestors[1]->progress - 0.5) < EPS);
    okr__response__free_unpacked(resp, NULL);
    resp = kr_get(admin, kl);
    assert_true(fabs(resp->key_result->progress - 0.5) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* A key result with history is archived by delete, and takes no more check-ins. */
    Okr__KeyResultDeleteRequest kd = OKR__KEY_RESULT_DELETE_REQUEST__INIT;
    kd.id = kc;
    okr__response__free_unpacked(tw_ok(admin, OKR__REQUEST__OP_KEY_RESULT_DELETE, &kd), NULL);
    ci.key_result_id = kc;
    ci.value = 6;
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_CHECKIN, &ci, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "archived"));
    resp = checkin_list(admin, kc, 0, 0);
    assert_int_equal(resp->checkin_list->n_checkins, 1);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

/* ---------------------------------------------------------------- tasks */

static Okr__Response *task_create(okr_client_t *c, uint64_t kr_id, const char *title,
                                  uint64_t assignee)
{
    Okr__Task t = OKR__TASK__INIT;
    t.key_result_id = kr_id;
    t.title = (char *)title;
    t.assignee_id = assignee;
    Okr__TaskCreateRequest tc = OKR__TASK_CREATE_REQUEST__INIT;
    tc.task = &t;
    return tw_ok(c, OKR__REQUEST__OP_TASK_CREATE, &tc);
}

static int task_update(okr_client_t *c, const Okr__Task *t, Okr__Response **out)
{
    Okr__TaskUpdateRequest tu = OKR__TASK_UPDATE_REQUEST__INIT;
    tu.task = (Okr__Task *)t;
    Okr__Request req = tw_request(OKR__REQUEST__OP_TASK_UPDATE, &tu);
    Okr__Response *resp = NULL;
    int rc = ts_call(c, &req, &resp);
    if (out)
        *out = resp;
    else if (resp)
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

static Okr__Response *task_list(okr_client_t *c, uint64_t kr_id, uint64_t assignee,
                                int include_done)
{
    Okr__TaskListRequest tl = OKR__TASK_LIST_REQUEST__INIT;
    tl.key_result_id = kr_id;
    tl.assignee_id = assignee;
    tl.include_done = include_done;
    return tw_ok(c, OKR__REQUEST__OP_TASK_LIST, &tl);
}

static void test_tasks(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-tasks", NULL);
    uint64_t ops = tw_team(admin, "Ops", 0);
    okr_client_t *fay = user(admin, "fay"); /* owns the key result */
    okr_client_t *gus = user(admin, "gus"); /* gets tasks assigned */
    okr_client_t *hal = user(admin, "hal"); /* reads, nothing more */
    okr_client_t *ivy = user(admin, "ivy"); /* in Ops */
    tw_team_member(admin, ops, "ivy", OKR__TEAM_ROLE__TEAM_ROLE_LEAD);
    tw_team_member(admin, ops, "gus", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    uint64_t gus_id = user_id(gus), fay_id = user_id(fay);

    uint64_t o = objective(fay, "Fay's objective", (obj_spec_t){.cycle_id = cyc});
    uint64_t k = kr(fay, o, "Fay's key result", 0, 10, 1);

    /* Create: defaults (TODO, version 1); assigned to gus. */
    Okr__Response *resp = task_create(fay, k, "Write the runbook", gus_id);
    Okr__Task *t = resp->task;
    assert_true(t->id > 0);
    assert_int_equal(t->state, OKR__TASK_STATE__TASK_STATE_TODO);
    assert_int_equal(t->version, 1);
    assert_int_equal(t->assignee_id, gus_id);
    assert_int_equal(t->created_by, fay_id);
    Okr__Task task = *t;
    /* Without an assignee, the task is the creator's. */
    Okr__Response *own = task_create(fay, k, "Review the runbook", 0);
    assert_int_equal(own->task->assignee_id, fay_id);
    uint64_t own_id = own->task->id;
    okr__response__free_unpacked(own, NULL);

    /* Refusals on create. */
    Okr__Task bad = OKR__TASK__INIT;
    bad.key_result_id = k;
    bad.title = "";
    Okr__TaskCreateRequest tc = OKR__TASK_CREATE_REQUEST__INIT;
    tc.task = &bad;
    assert_int_equal(call_status(fay, OKR__REQUEST__OP_TASK_CREATE, &tc, NULL, 0),
                     OKR_E_BAD_REQUEST);
    bad.title = "negative due";
    bad.due_at = -5;
    assert_int_equal(call_status(fay, OKR__REQUEST__OP_TASK_CREATE, &tc, NULL, 0),
                     OKR_E_BAD_REQUEST);
    bad.due_at = 0;
    bad.state = (Okr__TaskState)9;
    assert_int_equal(call_status(fay, OKR__REQUEST__OP_TASK_CREATE, &tc, NULL, 0),
                     OKR_E_BAD_REQUEST);
    bad.state = OKR__TASK_STATE__TASK_STATE_UNSPECIFIED;
    bad.assignee_id = 424242;
    assert_int_equal(call_status(fay, OKR__REQUEST__OP_TASK_CREATE, &tc, NULL, 0),
                     OKR_E_BAD_REQUEST);
    bad.assignee_id = 0;
    assert_int_equal(call_status(hal, OKR__REQUEST__OP_TASK_CREATE, &tc, NULL, 0), OKR_E_FORBIDDEN);
    bad.key_result_id = 777777;
    assert_int_equal(call_status(fay, OKR__REQUEST__OP_TASK_CREATE, &tc, NULL, 0), OKR_E_NOT_FOUND);

    /* The assignee moves the state along... */
    task.state = OKR__TASK_STATE__TASK_STATE_DOING;
    Okr__Response *up = NULL;
    assert_int_equal(task_update(gus, &task, &up), OKR_OK);
    assert_int_equal(up->task->state, OKR__TASK_STATE__TASK_STATE_DOING);
    assert_int_equal(up->task->version, 2);
    okr__response__free_unpacked(up, NULL);
    /* ... a stale version is a conflict that carries the current task ... */
    task.state = OKR__TASK_STATE__TASK_STATE_DONE;
    assert_int_equal(task_update(gus, &task, &up), OKR_E_CONFLICT);
    assert_non_null(up->task);
    assert_int_equal(up->task->version, 2);
    assert_int_equal(up->task->state, OKR__TASK_STATE__TASK_STATE_DOING);
    okr__response__free_unpacked(up, NULL);
    /* ... and the assignee may change nothing but the state. */
    task.version = 2;
    task.state = OKR__TASK_STATE__TASK_STATE_DOING;
    task.title = "Write a shorter runbook";
    char msg[512];
    Okr__TaskUpdateRequest tu = OKR__TASK_UPDATE_REQUEST__INIT;
    tu.task = &task;
    assert_int_equal(call_status(gus, OKR__REQUEST__OP_TASK_UPDATE, &tu, msg, sizeof msg),
                     OKR_E_FORBIDDEN);
    assert_non_null(strstr(msg, "only its state"));
    /* Someone who is neither assignee nor manager may change nothing. */
    task.title = "Write the runbook";
    task.state = OKR__TASK_STATE__TASK_STATE_DONE;
    assert_int_equal(call_status(hal, OKR__REQUEST__OP_TASK_UPDATE, &tu, NULL, 0), OKR_E_FORBIDDEN);
    /* The manager may change everything. */
    task.title = "Write the runbook (v2)";
    task.due_at = now_ms() + 7 * DAY_MS;
    assert_int_equal(task_update(fay, &task, &up), OKR_OK);
    assert_string_equal(up->task->title, "Write the runbook (v2)");
    assert_int_equal(up->task->state, OKR__TASK_STATE__TASK_STATE_DONE);
    assert_int_equal(up->task->version, 3);
    okr__response__free_unpacked(up, NULL);

    /* Lists: done tasks only when asked; by assignee too. */
    Okr__Response *l = task_list(hal, k, 0, 0);
    assert_int_equal(l->task_list->n_tasks, 1);
    assert_int_equal(l->task_list->tasks[0]->id, own_id);
    okr__response__free_unpacked(l, NULL);
    l = task_list(hal, k, 0, 1);
    assert_int_equal(l->task_list->n_tasks, 2);
    assert_true(l->task_list->tasks[0]->id < l->task_list->tasks[1]->id);
    okr__response__free_unpacked(l, NULL);

    /* A task under Ops' team objective: visible to gus, not to hal. */
    uint64_t ops_obj = objective(ivy, "Ops keeps the lights on",
                                 (obj_spec_t){.cycle_id = cyc,
                                              .owner_team_id = ops,
                                              .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});
    uint64_t ops_kr = kr(ivy, ops_obj, "Uptime", 99, 99.9, 1);
    Okr__Response *secret = task_create(ivy, ops_kr, "Patch the servers", gus_id);
    uint64_t secret_id = secret->task->id;
    okr__response__free_unpacked(secret, NULL);
    l = task_list(gus, 0, gus_id, 1);
    assert_int_equal(l->task_list->n_tasks, 2);
    okr__response__free_unpacked(l, NULL);
    l = task_list(hal, 0, gus_id, 1);
    assert_int_equal(l->task_list->n_tasks, 1); /* the Ops task is left out */
    assert_int_equal(l->task_list->tasks[0]->id, task.id);
    okr__response__free_unpacked(l, NULL);
    l = task_list(hal, 0, gus_id, 0);
    assert_int_equal(l->task_list->n_tasks, 0);
    okr__response__free_unpacked(l, NULL);
    Okr__TaskListRequest tl = OKR__TASK_LIST_REQUEST__INIT;
    tl.key_result_id = ops_kr;
    assert_int_equal(call_status(hal, OKR__REQUEST__OP_TASK_LIST, &tl, NULL, 0), OKR_E_NOT_FOUND);
    tl.assignee_id = gus_id; /* both named */
    assert_int_equal(call_status(gus, OKR__REQUEST__OP_TASK_LIST, &tl, NULL, 0), OKR_E_BAD_REQUEST);
    /* ivy leads Ops, so she manages its tasks; fay does not. */
    Okr__TaskDeleteRequest td = OKR__TASK_DELETE_REQUEST__INIT;
    td.id = secret_id;
    td.version = 1;
    assert_int_equal(call_status(hal, OKR__REQUEST__OP_TASK_DELETE, &td, NULL, 0), OKR_E_NOT_FOUND);
    assert_int_equal(call_status(fay, OKR__REQUEST__OP_TASK_DELETE, &td, NULL, 0),
                     OKR_E_NOT_FOUND); /* fay cannot read Ops' objective either */
    assert_int_equal(call_status(gus, OKR__REQUEST__OP_TASK_DELETE, &td, NULL, 0),
                     OKR_E_FORBIDDEN); /* the assignee may not delete */
    td.version = 5;
    assert_int_equal(call_status(ivy, OKR__REQUEST__OP_TASK_DELETE, &td, NULL, 0), OKR_E_CONFLICT);
    td.version = 1;
    assert_int_equal(call_status(ivy, OKR__REQUEST__OP_TASK_DELETE, &td, NULL, 0), OKR_OK);
    assert_int_equal(call_status(ivy, OKR__REQUEST__OP_TASK_DELETE, &td, NULL, 0), OKR_E_NOT_FOUND);
    l = task_list(gus, 0, gus_id, 1);
    assert_int_equal(l->task_list->n_tasks, 1);
    okr__response__free_unpacked(l, NULL);

    /* The deleted task keeps its history, as hidden as its objective. */
    Okr__HistoryRequest hr = OKR__HISTORY_REQUEST__INIT;
    hr.kind = OKR__ENTITY_KIND__ENTITY_KIND_TASK;
    hr.entity_id = secret_id;
    Okr__Response *h = tw_ok(ivy, OKR__REQUEST__OP_HISTORY, &hr);
    assert_int_equal(h->history->n_changes, 2);
    assert_int_equal(h->history->changes[0]->op, OKR__CHANGE_OP__CHANGE_OP_CREATE);
    assert_int_equal(h->history->changes[1]->op, OKR__CHANGE_OP__CHANGE_OP_DELETE);
    okr__response__free_unpacked(h, NULL);
    assert_int_equal(call_status(hal, OKR__REQUEST__OP_HISTORY, &hr, NULL, 0), OKR_E_NOT_FOUND);
    /* The key result's history shows its tasks' changes too. */
    hr.kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
    hr.entity_id = k;
    h = tw_ok(hal, OKR__REQUEST__OP_HISTORY, &hr);
    size_t task_changes = 0;
    for (size_t i = 0; i < h->history->n_changes; i++)
        task_changes += h->history->changes[i]->kind == OKR__ENTITY_KIND__ENTITY_KIND_TASK;
    assert_int_equal(task_changes, 4); /* two creates, two updates */
    okr__response__free_unpacked(h, NULL);

    okr__response__free_unpacked(resp, NULL);
    okr_client_free(ivy);
    okr_client_free(hal);
    okr_client_free(gus);
    okr_client_free(fay);
    okr_client_free(admin);
}

/* ---------------------------------------------------------------- coach, history, mine */

static size_t count_findings(const Okr__LintResult *lr, const char *rule, uint64_t entity)
{
    size_t n = 0;
    for (size_t i = 0; i < lr->n_findings; i++)
        if (strcmp(lr->findings[i]->rule, rule) == 0 && lr->findings[i]->entity_id == entity)
            n++;
    return n;
}

static void test_lint(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-lint", NULL);
    uint64_t empty = objective(admin, "Nothing measured yet", (obj_spec_t){.cycle_id = cyc});
    uint64_t busy = objective(admin, "Too much at once", (obj_spec_t){.cycle_id = cyc});
    uint64_t good = objective(admin, "Just right", (obj_spec_t){.cycle_id = cyc});
    for (int i = 0; i < 6; i++) {
        char title[32];
        snprintf(title, sizeof title, "KR %d", i + 1);
        kr(admin, busy, title, 0, 10, 1);
    }
    uint64_t fresh = 0;
    for (int i = 0; i < 3; i++)
        fresh = kr(admin, good, "Fresh", 0, 10, 1);

    Okr__LintRequest lr = OKR__LINT_REQUEST__INIT;
    lr.cycle_id = cyc;
    lr.stale_days = 1;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_LINT, &lr);
    const Okr__LintResult *res = resp->lint;
    assert_int_equal(res->objectives_checked, 3);
    assert_false(res->truncated);
    assert_int_equal(count_findings(res, "kr-count", empty), 1);
    assert_int_equal(count_findings(res, "kr-count", busy), 1);
    assert_int_equal(count_findings(res, "kr-count", good), 0);
    /* A key result created just now is not stale, even at one day. */
    assert_int_equal(count_findings(res, "stale", fresh), 0);
    for (size_t i = 0; i < res->n_findings; i++)
        assert_true(res->findings[i]->message[0] != '\0');
    okr__response__free_unpacked(resp, NULL);

    /* Only what the caller can read is checked. */
    okr_client_t *jo = user(admin, "jo");
    uint64_t hidden_team = tw_team(admin, "Hidden", 0);
    objective(admin, "Hidden objective",
              (obj_spec_t){.cycle_id = cyc,
                           .owner_team_id = hidden_team,
                           .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});
    resp = tw_ok(jo, OKR__REQUEST__OP_LINT, &lr);
    assert_int_equal(resp->lint->objectives_checked, 3);
    okr__response__free_unpacked(resp, NULL);
    resp = tw_ok(admin, OKR__REQUEST__OP_LINT, &lr);
    assert_int_equal(resp->lint->objectives_checked, 4);
    okr__response__free_unpacked(resp, NULL);
    /* By team. */
    lr.team_id = hidden_team;
    resp = tw_ok(admin, OKR__REQUEST__OP_LINT, &lr);
    assert_int_equal(resp->lint->objectives_checked, 1);
    okr__response__free_unpacked(resp, NULL);

    lr.team_id = 0;
    lr.cycle_id = 0;
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_LINT, &lr, NULL, 0), OKR_E_BAD_REQUEST);
    lr.cycle_id = 99999;
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_LINT, &lr, NULL, 0), OKR_E_NOT_FOUND);
    okr_client_free(jo);
    okr_client_free(admin);
}

static Okr__Response *history(okr_client_t *c, Okr__EntityKind kind, uint64_t id, uint64_t after,
                              uint32_t limit)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.after_id = after;
    page.limit = limit;
    Okr__HistoryRequest h = OKR__HISTORY_REQUEST__INIT;
    h.kind = kind;
    h.entity_id = id;
    h.page = &page;
    return tw_ok(c, OKR__REQUEST__OP_HISTORY, &h);
}

static void test_history(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-history", NULL);
    okr_client_t *kim = user(admin, "kim");
    okr_client_t *lee = user(admin, "lee");
    uint64_t o = objective(kim, "Kim's objective", (obj_spec_t){.cycle_id = cyc});
    uint64_t k = kr(kim, o, "Kim's key result", 0, 10, 1);
    assert_int_equal(checkin(kim, k, 2, -1, "one", NULL), OKR_OK);
    assert_int_equal(checkin(kim, k, 5, -1, "two", NULL), OKR_OK);

    Okr__Response *resp = history(lee, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, k, 0, 0);
    const Okr__HistoryResult *h = resp->history;
    assert_int_equal(h->n_changes, 3);
    assert_int_equal(h->changes[0]->kind, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT);
    assert_int_equal(h->changes[0]->op, OKR__CHANGE_OP__CHANGE_OP_CREATE);
    assert_int_equal(h->changes[0]->entity_id, k);
    assert_int_equal(h->changes[1]->kind, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    assert_true(fabs(h->changes[1]->checkin->value - 2) < EPS);
    assert_true(fabs(h->changes[2]->checkin->value - 5) < EPS);
    assert_true(fabs(h->changes[2]->checkin->previous_value - 2) < EPS);
    assert_non_null(h->changes[2]->key_result_after);
    assert_true(fabs(h->changes[2]->key_result_after->current - 5) < EPS);
    assert_true(h->changes[2]->n_ancestors >= 1);
    assert_int_equal(h->changes[2]->ancestors[0]->objective_id, o);
    assert_true(h->changes[0]->seq < h->changes[1]->seq);
    assert_true(h->changes[1]->seq < h->changes[2]->seq);
    assert_int_equal(h->next_after_id, 0);
    uint64_t second_seq = h->changes[1]->seq;
    okr__response__free_unpacked(resp, NULL);

    /* Paged by seq. */
    resp = history(lee, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, k, 0, 2);
    assert_int_equal(resp->history->n_changes, 2);
    assert_int_equal(resp->history->next_after_id, second_seq);
    okr__response__free_unpacked(resp, NULL);
    resp = history(lee, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT, k, second_seq, 2);
    assert_int_equal(resp->history->n_changes, 1);
    assert_int_equal(resp->history->next_after_id, 0);
    okr__response__free_unpacked(resp, NULL);

    /* A check-in has its own history; the objective's has its creation. */
    resp = checkin_list(lee, k, 0, 0);
    uint64_t ci_id = resp->checkin_list->checkins[0]->id;
    okr__response__free_unpacked(resp, NULL);
    resp = history(lee, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN, ci_id, 0, 0);
    assert_int_equal(resp->history->n_changes, 1);
    okr__response__free_unpacked(resp, NULL);
    resp = history(lee, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE, o, 0, 0);
    assert_true(resp->history->n_changes >= 1);
    assert_int_equal(resp->history->changes[0]->op, OKR__CHANGE_OP__CHANGE_OP_CREATE);
    okr__response__free_unpacked(resp, NULL);
    resp = history(lee, OKR__ENTITY_KIND__ENTITY_KIND_CYCLE, cyc, 0, 0);
    assert_true(resp->history->n_changes >= 1);
    okr__response__free_unpacked(resp, NULL);

    /* A team objective's history is as hidden as the objective. */
    uint64_t t = tw_team(admin, "Secretive", 0);
    uint64_t so = objective(admin, "Secret plans",
                            (obj_spec_t){.cycle_id = cyc,
                                         .owner_team_id = t,
                                         .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});
    uint64_t sk = kr(admin, so, "Secret number", 0, 10, 1);
    Okr__HistoryRequest hr = OKR__HISTORY_REQUEST__INIT;
    hr.kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
    hr.entity_id = sk;
    assert_int_equal(call_status(lee, OKR__REQUEST__OP_HISTORY, &hr, NULL, 0), OKR_E_NOT_FOUND);
    hr.kind = OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE;
    hr.entity_id = so;
    assert_int_equal(call_status(lee, OKR__REQUEST__OP_HISTORY, &hr, NULL, 0), OKR_E_NOT_FOUND);
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_HISTORY, &hr, NULL, 0), OKR_OK);
    hr.entity_id = 424242;
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_HISTORY, &hr, NULL, 0), OKR_E_NOT_FOUND);
    hr.kind = (Okr__EntityKind)42;
    assert_int_equal(call_status(admin, OKR__REQUEST__OP_HISTORY, &hr, NULL, 0), OKR_E_BAD_REQUEST);
    okr_client_free(lee);
    okr_client_free(kim);
    okr_client_free(admin);
}

static int has_id_obj(Okr__Objective **v, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]->id == id)
            return 1;
    return 0;
}

static int has_id_kr(Okr__KeyResult **v, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i]->id == id)
            return 1;
    return 0;
}

static void test_mine(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-mine", NULL);
    okr_client_t *max = user(admin, "max");
    uint64_t max_id = user_id(max);
    uint64_t o = objective(max, "Max's objective", (obj_spec_t){.cycle_id = cyc});
    uint64_t k = kr(max, o, "Max's key result", 0, 10, 1);
    uint64_t other = objective(admin, "Someone else's", (obj_spec_t){.cycle_id = cyc});
    uint64_t ok = kr(admin, other, "Not max's", 0, 10, 1);
    Okr__Response *t1 = task_create(max, k, "Open task", 0);
    Okr__Response *t2 = task_create(admin, ok, "Assigned to max", max_id);
    Okr__Response *t3 = task_create(max, k, "Finished task", 0);
    Okr__Task done = *t3->task;
    done.state = OKR__TASK_STATE__TASK_STATE_DONE;
    assert_int_equal(task_update(max, &done, NULL), OKR_OK);

    Okr__MineRequest mr = OKR__MINE_REQUEST__INIT;
    mr.cycle_id = cyc;
    Okr__Response *resp = tw_ok(max, OKR__REQUEST__OP_MINE, &mr);
    const Okr__MineResult *m = resp->mine;
    assert_int_equal(m->n_objectives, 1);
    assert_int_equal(m->objectives[0]->id, o);
    assert_int_equal(m->n_key_results, 1);
    assert_int_equal(m->key_results[0]->id, k);
    assert_int_equal(m->n_tasks, 2);
    assert_int_equal(m->tasks[0]->id, t1->task->id);
    assert_int_equal(m->tasks[1]->id, t2->task->id);
    assert_int_equal(m->n_stale, 0); /* created just now */
    assert_int_equal(m->stale_days, 14);
    okr__response__free_unpacked(resp, NULL);

    /* Every active cycle when none is named. */
    mr.cycle_id = 0;
    resp = tw_ok(max, OKR__REQUEST__OP_MINE, &mr);
    assert_true(has_id_obj(resp->mine->objectives, resp->mine->n_objectives, o));
    assert_false(has_id_obj(resp->mine->objectives, resp->mine->n_objectives, other));
    assert_true(has_id_kr(resp->mine->key_results, resp->mine->n_key_results, k));
    assert_false(has_id_kr(resp->mine->key_results, resp->mine->n_key_results, ok));
    okr__response__free_unpacked(resp, NULL);
    mr.stale_only = 1;
    resp = tw_ok(max, OKR__REQUEST__OP_MINE, &mr);
    assert_int_equal(resp->mine->n_objectives, 0);
    assert_int_equal(resp->mine->n_key_results, 0);
    assert_int_equal(resp->mine->n_tasks, 0);
    okr__response__free_unpacked(resp, NULL);
    mr.cycle_id = 99999;
    assert_int_equal(call_status(max, OKR__REQUEST__OP_MINE, &mr, NULL, 0), OKR_E_NOT_FOUND);

    okr__response__free_unpacked(t3, NULL);
    okr__response__free_unpacked(t2, NULL);
    okr__response__free_unpacked(t1, NULL);
    okr_client_free(max);
    okr_client_free(admin);
}

/* A comment (to_user 0) or kudos on an objective or (objective 0) a key
 * result; returns its id. */
static uint64_t comment(okr_client_t *c, uint64_t obj, uint64_t kr_id, uint64_t to_user,
                        const char *body)
{
    Okr__Comment cm = OKR__COMMENT__INIT;
    cm.objective_id = obj;
    cm.key_result_id = kr_id;
    cm.body = (char *)body;
    cm.kind =
        to_user ? OKR__COMMENT_KIND__COMMENT_KIND_KUDOS : OKR__COMMENT_KIND__COMMENT_KIND_COMMENT;
    cm.to_user_id = to_user;
    Okr__CommentCreateRequest cc = OKR__COMMENT_CREATE_REQUEST__INIT;
    cc.comment = &cm;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_COMMENT_CREATE, &cc);
    uint64_t id = resp->comment->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static Okr__Response *mine_feedback(okr_client_t *c, int64_t since)
{
    Okr__MineRequest mr = OKR__MINE_REQUEST__INIT;
    mr.feedback_since = since;
    return tw_ok(c, OKR__REQUEST__OP_MINE, &mr);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_mine_feedback(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-feedback", NULL);
    uint64_t hidden_team = tw_team(admin, "Feedback-hidden", 0);
    okr_client_t *me = user(admin, "fb-max");
    okr_client_t *lena = user(admin, "fb-lena");
    uint64_t me_id = user_id(me);
    uint64_t mine = objective(me, "Max's objective", (obj_spec_t){.cycle_id = cyc});
    uint64_t my_kr = kr(me, mine, "Max's number", 0, 10, 1);
    uint64_t hers = objective(lena, "Lena's objective", (obj_spec_t){.cycle_id = cyc});
    uint64_t hidden = objective(admin, "Not for max",
                                (obj_spec_t){.cycle_id = cyc,
                                             .owner_team_id = hidden_team,
                                             .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});

    comment(lena, 0, my_kr, 0, "before the meeting");
    sleep_ms(5);
    int64_t since = now_ms();
    sleep_ms(5);
    uint64_t kudos = comment(lena, hers, 0, me_id, "Thanks for the deck");
    comment(me, mine, 0, 0, "my own note");                   /* the caller's own */
    comment(admin, hidden, 0, me_id, "you cannot read this"); /* not readable by max */
    comment(lena, hers, 0, 0, "a note to myself");            /* not about max */
    uint64_t on_kr = comment(lena, 0, my_kr, 0, "Can we talk about this number?");

    Okr__Response *resp = mine_feedback(me, since);
    const Okr__MineResult *m = resp->mine;
    assert_int_equal(m->n_feedback, 2);
    assert_int_equal(m->feedback[0]->id, on_kr); /* newest first */
    assert_int_equal(m->feedback[0]->key_result_id, my_kr);
    assert_string_equal(m->feedback[0]->body, "Can we talk about this number?");
    assert_int_equal(m->feedback[1]->id, kudos);
    assert_int_equal(m->feedback[1]->kind, OKR__COMMENT_KIND__COMMENT_KIND_KUDOS);
    assert_int_equal(m->feedback[1]->to_user_id, me_id);
    assert_true(m->feedback[1]->time >= since);
    okr__response__free_unpacked(resp, NULL);

    /* From further back: the older comment on max's key result too. */
    resp = mine_feedback(me, since - 60 * 1000);
    assert_int_equal(resp->mine->n_feedback, 3);
    assert_string_equal(resp->mine->feedback[2]->body, "before the meeting");
    okr__response__free_unpacked(resp, NULL);

    /* 0: none asked for. */
    resp = mine_feedback(me, 0);
    assert_int_equal(resp->mine->n_feedback, 0);
    okr__response__free_unpacked(resp, NULL);

    /* Negative: refused, with a message that says why. */
    Okr__MineRequest mr = OKR__MINE_REQUEST__INIT;
    mr.feedback_since = -1;
    char msg[256];
    assert_int_equal(call_status(me, OKR__REQUEST__OP_MINE, &mr, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "feedback_since"));

    /* At most 50, the newest. */
    uint64_t last = 0;
    for (int i = 0; i < 55; i++) {
        char body[32];
        snprintf(body, sizeof body, "comment %d", i);
        last = comment(lena, mine, 0, 0, body);
    }
    resp = mine_feedback(me, since);
    assert_int_equal(resp->mine->n_feedback, 50);
    assert_int_equal(resp->mine->feedback[0]->id, last);
    assert_string_equal(resp->mine->feedback[49]->body, "comment 5");
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(lena);
    okr_client_free(me);
    okr_client_free(admin);
}

/* A team's own objective has no person to tell: its leads hear of the
 * comments on it and on its key results; its other members do not. */
static void test_mine_feedback_team_lead(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-feedback-team", NULL);
    uint64_t team = tw_team(admin, "Feedback-team", 0);
    okr_client_t *lead = user(admin, "fbt-lead");
    okr_client_t *member = user(admin, "fbt-member");
    okr_client_t *other = user(admin, "fbt-other");
    tw_team_member(admin, team, "fbt-lead", OKR__TEAM_ROLE__TEAM_ROLE_LEAD);
    tw_team_member(admin, team, "fbt-member", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    uint64_t ours = objective(admin, "The team's objective",
                              (obj_spec_t){.cycle_id = cyc, .owner_team_id = team});
    uint64_t ours_kr = kr(admin, ours, "The team's number", 0, 10, 1);
    int64_t since = now_ms();
    sleep_ms(5);
    uint64_t on_obj = comment(other, ours, 0, 0, "How is the team doing?");
    uint64_t on_kr = comment(other, 0, ours_kr, 0, "Is this number right?");

    Okr__Response *resp = mine_feedback(lead, since);
    assert_int_equal(resp->mine->n_feedback, 2);
    assert_int_equal(resp->mine->feedback[0]->id, on_kr);
    assert_int_equal(resp->mine->feedback[1]->id, on_obj);
    okr__response__free_unpacked(resp, NULL);
    resp = mine_feedback(member, since);
    assert_int_equal(resp->mine->n_feedback, 0);
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(other);
    okr_client_free(member);
    okr_client_free(lead);
    okr_client_free(admin);
}

/* A key result of obj owned by owner, not by the objective's owner. */
static uint64_t kr_owned_by(okr_client_t *c, uint64_t obj, const char *title, uint64_t owner)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = obj;
    k.title = (char *)title;
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.target = 10;
    k.weight = 1;
    k.owner_user_id = owner;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc);
    uint64_t id = resp->key_result->id;
    assert_int_equal(resp->key_result->owner_user_id, owner);
    okr__response__free_unpacked(resp, NULL);
    return id;
}

/* An objective's owner answers for it, whoever owns its key results: they
 * hear of the comments and kudos on all of them (not of their own); a key
 * result's owner who may not read the objective hears of none. */
static void test_mine_feedback_objective_owner(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-feedback-owner", NULL);
    uint64_t team = tw_team(admin, "Feedback-owner", 0);
    okr_client_t *me = user(admin, "fbo-max");
    okr_client_t *bob = user(admin, "fbo-bob"); /* not in the team */
    okr_client_t *carol = user(admin, "fbo-carol");
    tw_team_member(admin, team, "fbo-max", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    tw_team_member(admin, team, "fbo-carol", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    uint64_t bob_id = user_id(bob);
    uint64_t mine = objective(me, "Max's team objective",
                              (obj_spec_t){.cycle_id = cyc,
                                           .team_id = team,
                                           .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});
    uint64_t bobs_kr = kr_owned_by(me, mine, "Bob's number", bob_id);
    int64_t since = now_ms();
    sleep_ms(5);
    uint64_t on_kr = comment(carol, 0, bobs_kr, 0, "Is Bob's number on track?");
    comment(me, 0, bobs_kr, 0, "my own note on it"); /* the caller's own */
    uint64_t kudos = comment(carol, 0, bobs_kr, bob_id, "Thanks, Bob");

    Okr__Response *resp = mine_feedback(me, since);
    assert_int_equal(resp->mine->n_feedback, 2);
    assert_int_equal(resp->mine->feedback[0]->id, kudos); /* newest first */
    assert_int_equal(resp->mine->feedback[0]->to_user_id, bob_id);
    assert_int_equal(resp->mine->feedback[1]->id, on_kr);
    okr__response__free_unpacked(resp, NULL);
    /* Bob owns the key result and is thanked, but the objective is the team's to read. */
    resp = mine_feedback(bob, since);
    assert_int_equal(resp->mine->n_feedback, 0);
    okr__response__free_unpacked(resp, NULL);
    resp = mine_feedback(carol, since);
    assert_int_equal(resp->mine->n_feedback, 0); /* her own, about others' */
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(carol);
    okr_client_free(bob);
    okr_client_free(me);
    okr_client_free(admin);
}

/* okrd reads the key results of one's objectives (and of the objectives of
 * the teams one leads) from its indexes, up to 512, the newest objectives'
 * first: the key results of older objectives past that still count. A
 * member's objective in a team is not the team's: its leads are not told. */
static void test_mine_feedback_many_key_results(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-feedback-many", NULL);
    uint64_t team = tw_team(admin, "Feedback-many", 0);
    okr_client_t *me = user(admin, "fbm-max");
    okr_client_t *lead = user(admin, "fbm-lead");
    okr_client_t *carol = user(admin, "fbm-carol");
    tw_team_member(admin, team, "fbm-max", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    tw_team_member(admin, team, "fbm-lead", OKR__TEAM_ROLE__TEAM_ROLE_LEAD);
    uint64_t old = objective(me, "Max's older objective", (obj_spec_t){.cycle_id = cyc});
    uint64_t old_kr = kr_owned_by(me, old, "Carol's number", user_id(carol));
    uint64_t ours = objective(admin, "The team's older objective",
                              (obj_spec_t){.cycle_id = cyc, .owner_team_id = team});
    uint64_t ours_kr = kr(admin, ours, "The team's number", 0, 10, 1);
    /* Newer, and with more key results than are read ahead (512): Max's, in
     * the team, 25 to an objective as the server allows. */
    uint64_t big_kr = 0;
    for (int o = 0; o < 21; o++) {
        char title[48];
        snprintf(title, sizeof title, "Max's big objective %d", o);
        uint64_t big = objective(me, title, (obj_spec_t){.cycle_id = cyc, .team_id = team});
        for (int i = 0; i < 25; i++) {
            snprintf(title, sizeof title, "number %d.%d", o, i);
            big_kr = kr(me, big, title, 0, 10, 1);
        }
    }
    int64_t since = now_ms();
    sleep_ms(5);
    uint64_t on_old = comment(admin, 0, old_kr, 0, "How is the older one going?");
    uint64_t on_ours = comment(admin, 0, ours_kr, 0, "And the team's?");
    uint64_t on_big = comment(admin, 0, big_kr, 0, "That is a lot of numbers");

    Okr__Response *resp = mine_feedback(me, since);
    assert_int_equal(resp->mine->n_feedback, 2);
    assert_int_equal(resp->mine->feedback[0]->id, on_big);
    assert_int_equal(resp->mine->feedback[1]->id, on_old);
    okr__response__free_unpacked(resp, NULL);
    resp = mine_feedback(lead, since);
    assert_int_equal(resp->mine->n_feedback, 1);
    assert_int_equal(resp->mine->feedback[0]->id, on_ours);
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(carol);
    okr_client_free(lead);
    okr_client_free(me);
    okr_client_free(admin);
}

/* A key result's status, and its objective's, count its confidence only
 * until it is done: "okr checkin K1 done" keeps the last confidence given,
 * often a doubtful one from before it was reached. */
static void test_status_done_confidence(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-done-confidence", NULL); /* 11% gone */
    okr_client_t *alice = user(admin, "alice-done");
    uint64_t o = objective(alice, "Pass the certification", (obj_spec_t){.cycle_id = cyc});
    uint64_t exam = kr(alice, o, "Exam passed", 0, 1, 1);
    uint64_t talks = kr(alice, o, "Talks given", 0, 4, 1);
    Okr__Response *resp = NULL;
    assert_int_equal(checkin(alice, talks, 2, 9, NULL, NULL), OKR_OK);
    assert_int_equal(checkin(alice, exam, 0, 2, "not sure I will pass", &resp), OKR_OK);
    assert_int_equal(resp->checkin->ancestors[0]->status,
                     OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK);
    okr__response__free_unpacked(resp, NULL);

    assert_int_equal(checkin(alice, exam, 1, -1, "passed", &resp), OKR_OK);
    assert_int_equal(resp->checkin->key_result->confidence, 2); /* kept, as before */
    assert_int_equal(resp->checkin->ancestors[0]->status,
                     OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK);
    okr__response__free_unpacked(resp, NULL);
    resp = objective_get(alice, o);
    assert_int_equal(resp->objective_detail->objective->status,
                     OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK);
    okr__response__free_unpacked(resp, NULL);

    /* the one not done still counts */
    assert_int_equal(checkin(alice, talks, 3, 3, "two cancelled", &resp), OKR_OK);
    assert_int_equal(resp->checkin->ancestors[0]->status,
                     OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(alice);
    okr_client_free(admin);
}

/* ---------------------------------------------------------------- since */

/* The "since" form of CheckInListRequest or CommentListRequest (1.5): one
 * page of cycle's records since `since`, below `below`. */
static Okr__Response *since_page(okr_client_t *c, int comments, uint64_t cycle, int64_t since,
                                 uint64_t below, uint32_t limit)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.after_id = below;
    page.limit = limit;
    Okr__CheckInListRequest cl = OKR__CHECK_IN_LIST_REQUEST__INIT;
    Okr__CommentListRequest ml = OKR__COMMENT_LIST_REQUEST__INIT;
    cl.cycle_id = ml.cycle_id = cycle;
    cl.since = ml.since = since;
    cl.page = ml.page = &page;
    if (comments)
        return tw_ok(c, OKR__REQUEST__OP_COMMENT_LIST, &ml);
    return tw_ok(c, OKR__REQUEST__OP_CHECKIN_LIST, &cl);
}

/* Every id of the list, page after page of `limit` (ids[0] is the count). */
static void since_all(okr_client_t *c, int comments, uint64_t cycle, int64_t since, uint32_t limit,
                      uint64_t *ids, size_t cap)
{
    ids[0] = 0;
    uint64_t below = 0;
    for (int pages = 0;; pages++) {
        assert_true(pages < 100);
        Okr__Response *resp = since_page(c, comments, cycle, since, below, limit);
        size_t n = comments ? resp->comment_list->n_comments : resp->checkin_list->n_checkins;
        assert_true(n <= limit);
        for (size_t i = 0; i < n; i++) {
            uint64_t id = comments ? resp->comment_list->comments[i]->id
                                   : resp->checkin_list->checkins[i]->id;
            assert_true(ids[0] + 1 < cap);
            assert_true(ids[0] == 0 || id < ids[ids[0]]); /* newest first, none twice */
            ids[++ids[0]] = id;
        }
        uint64_t next =
            comments ? resp->comment_list->next_after_id : resp->checkin_list->next_after_id;
        okr__response__free_unpacked(resp, NULL);
        if (!next)
            return;
        assert_true(below == 0 || next < below);
        below = next;
    }
}

/* okr review's agenda in a request or two: a cycle's check-ins and comments
 * since a time, newest first, only the cycle's, only what the caller may
 * read, those dated late by their date, paged without loss or repeat. */
static void test_since_lists(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-since", NULL);
    uint64_t other = tw_active_cycle(admin, "ci-since-other", NULL);
    uint64_t closed_team = tw_team(admin, "Since-hidden", 0);
    okr_client_t *ann = user(admin, "since-ann");
    uint64_t o1 = objective(ann, "Ship it", (obj_spec_t){.cycle_id = cyc});
    uint64_t k1 = kr(ann, o1, "Shipped", 0, 10, 1);
    uint64_t k2 = kr(ann, o1, "Happy users", 0, 10, 1);
    uint64_t elsewhere = objective(ann, "Another cycle", (obj_spec_t){.cycle_id = other});
    uint64_t k_else = kr(ann, elsewhere, "Elsewhere", 0, 10, 1);
    uint64_t hidden = objective(admin, "Not for ann",
                                (obj_spec_t){.cycle_id = cyc,
                                             .owner_team_id = closed_team,
                                             .visibility = OKR__VISIBILITY__VISIBILITY_TEAM});
    uint64_t k_hidden = kr(admin, hidden, "Secret", 0, 10, 1);

    assert_int_equal(checkin(ann, k1, 1, -1, "before", NULL), OKR_OK);
    comment(admin, o1, 0, 0, "before the meeting");
    sleep_ms(5);
    int64_t since = now_ms();
    sleep_ms(5);
    /* dated before `since` though written after it: not since */
    Okr__CheckInRequest late = OKR__CHECK_IN_REQUEST__INIT;
    late.key_result_id = k2;
    late.value = 2;
    late.at = since - DAY_MS;
    Okr__Response *resp = NULL;
    Okr__Request req = tw_request(OKR__REQUEST__OP_CHECKIN, &late);
    assert_int_equal(ts_call(ann, &req, &resp), OKR_OK);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(checkin(admin, k_hidden, 3, -1, NULL, NULL), OKR_OK);
    assert_int_equal(checkin(ann, k_else, 3, -1, NULL, NULL), OKR_OK);
    uint64_t want_ci[8], want_cm[8];
    size_t nci = 0, ncm = 0;
    for (int i = 0; i < 5; i++) {
        Okr__Response *r = NULL;
        assert_int_equal(checkin(ann, i % 2 ? k2 : k1, 3 + i, -1, NULL, &r), OKR_OK);
        want_ci[nci++] = r->checkin->checkin->id;
        okr__response__free_unpacked(r, NULL);
        want_cm[ncm++] = comment(admin, i % 2 ? 0 : o1, i % 2 ? k2 : 0, 0, "since");
    }
    comment(admin, hidden, 0, 0, "hidden");
    comment(admin, elsewhere, 0, 0, "another cycle");

    /* all of them, in pages of 2 (the newest first) */
    uint64_t got[32];
    for (int comments = 0; comments <= 1; comments++) {
        const uint64_t *want = comments ? want_cm : want_ci;
        size_t n = comments ? ncm : nci;
        since_all(ann, comments, cyc, since, 2, got, 32);
        assert_int_equal(got[0], n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(got[1 + i], want[n - 1 - i]);
        /* in one page */
        since_all(ann, comments, cyc, since, 100, got, 32);
        assert_int_equal(got[0], n);
        /* the admin reads the hidden objective's too */
        since_all(admin, comments, cyc, since, 100, got, 32);
        assert_int_equal(got[0], n + 1);
        /* from a minute earlier: the one written before `since` too, but
         * not the one dated a day before it */
        since_all(ann, comments, cyc, since - 60 * 1000, 100, got, 32);
        assert_int_equal(got[0], n + 1);
    }

    /* the records carry what okr review needs */
    resp = since_page(ann, 0, cyc, since, 0, 1);
    assert_int_equal(resp->checkin_list->n_checkins, 1);
    assert_int_equal(resp->checkin_list->checkins[0]->key_result_id, k1);
    assert_true(resp->checkin_list->checkins[0]->value == 7);
    assert_int_equal(resp->checkin_list->next_after_id, want_ci[nci - 1]);
    okr__response__free_unpacked(resp, NULL);

    /* refusals that say what is wrong */
    char msg[256];
    Okr__CheckInListRequest bad = OKR__CHECK_IN_LIST_REQUEST__INIT;
    bad.cycle_id = cyc;
    assert_int_equal(call_status(ann, OKR__REQUEST__OP_CHECKIN_LIST, &bad, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "since is missing"));
    bad.since = since;
    bad.key_result_id = k1;
    assert_int_equal(call_status(ann, OKR__REQUEST__OP_CHECKIN_LIST, &bad, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "not both"));
    bad.key_result_id = 0;
    bad.cycle_id = 999999;
    assert_int_equal(call_status(ann, OKR__REQUEST__OP_CHECKIN_LIST, &bad, msg, sizeof msg),
                     OKR_E_NOT_FOUND);
    assert_non_null(strstr(msg, "no cycle #999999"));
    Okr__CommentListRequest badc = OKR__COMMENT_LIST_REQUEST__INIT;
    badc.cycle_id = cyc;
    badc.since = since;
    badc.objective_id = o1;
    assert_int_equal(call_status(ann, OKR__REQUEST__OP_COMMENT_LIST, &badc, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "not two"));

    okr_client_free(ann);
    okr_client_free(admin);
}

/* ---------------------------------------------------------------- restart */

static void test_restart_keeps_checkins(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t cyc = tw_active_cycle(admin, "ci-restart", NULL);
    uint64_t o = objective(admin, "Survive a restart", (obj_spec_t){.cycle_id = cyc});
    uint64_t k = kr(admin, o, "Uptime days", 0, 10, 1);
    assert_int_equal(checkin(admin, k, 4, 5, "before", NULL), OKR_OK);
    Okr__Response *t = task_create(admin, k, "Keep me", 0);
    uint64_t task_id = t->task->id;
    okr__response__free_unpacked(t, NULL);
    okr_client_free(admin);

    ts_stop(&server);
    ts_start(&server, NULL);

    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    Okr__Response *resp = checkin_list(admin, k, 0, 0);
    assert_int_equal(resp->checkin_list->n_checkins, 1);
    assert_string_equal(resp->checkin_list->checkins[0]->note, "before");
    okr__response__free_unpacked(resp, NULL);
    assert_true(fabs(objective_progress(admin, o) - 0.4) < EPS);
    resp = task_list(admin, k, 0, 0);
    assert_int_equal(resp->task_list->n_tasks, 1);
    assert_int_equal(resp->task_list->tasks[0]->id, task_id);
    okr__response__free_unpacked(resp, NULL);
    /* And it goes on where it stopped. */
    assert_int_equal(checkin(admin, k, 6, -1, "after", &resp), OKR_OK);
    assert_true(fabs(resp->checkin->checkin->previous_value - 4) < EPS);
    assert_true(fabs(resp->checkin->ancestors[0]->progress - 0.6) < EPS);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkin_figures),
        cmocka_unit_test(test_status_done_confidence),
        cmocka_unit_test(test_alignment_chain),
        cmocka_unit_test(test_checkin_kinds_and_validation),
        cmocka_unit_test(test_checkin_dated),
        cmocka_unit_test(test_checkin_closed_cycle),
        cmocka_unit_test(test_checkin_who_may),
        cmocka_unit_test(test_checkin_linked_and_archived),
        cmocka_unit_test(test_tasks),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_mine),
        cmocka_unit_test(test_mine_feedback),
        cmocka_unit_test(test_mine_feedback_team_lead),
        cmocka_unit_test(test_mine_feedback_objective_owner),
        cmocka_unit_test(test_mine_feedback_many_key_results),
        cmocka_unit_test(test_since_lists),
        cmocka_unit_test(test_restart_keeps_checkins),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
