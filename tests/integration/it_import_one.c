/* Integration: an import as one write (ImportRequest, protocol 1.6). A
 * good import creates everything with its parents, links, check-ins and
 * dates, and a subscriber sees every record of it; a refusal of any one item
 * (a member's team objective, a key result over
 * max_key_results_per_objective, a check-in dated in the future, a closed
 * cycle) names the item and creates nothing at all; a request that
 * contradicts itself is BAD_REQUEST before any write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "harness.h"
#include "okr_error.h"
#include "world.h"

#define DAY_MS    86400000LL
#define MAX_ITEMS 20 /* okrd's max_import_items here */
#define KR_CAP    3  /* okrd's max_key_results_per_objective here */

static okr_test_server_t server;
static okr_client_t *admin;

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--max-import-items", "20",
                                        "--max-key-results-per-objective", "3", NULL};
    ts_start(&server, extra);
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    return admin ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

/* ---- building a request: up to 8 objectives and 24 key results */

typedef struct plan {
    Okr__ImportRequest req;
    Okr__ImportObjective io[8], *iop[8];
    Okr__Objective o[8];
    Okr__ImportKeyResult ik[24], *ikp[24];
    Okr__KeyResult k[24];
    Okr__CheckInRequest ci[24];
} plan_t;

static void plan_init(plan_t *p, uint64_t cycle)
{
    memset(p, 0, sizeof *p);
    okr__import_request__init(&p->req);
    p->req.cycle_id = cycle;
    p->req.objectives = p->iop;
    p->req.key_results = p->ikp;
}

/* Objective i, aligned under objective parent of the plan (-1: none). */
static size_t plan_obj(plan_t *p, const char *title, int parent)
{
    size_t i = p->req.n_objectives++;
    okr__import_objective__init(&p->io[i]);
    okr__objective__init(&p->o[i]);
    p->o[i].title = (char *)title;
    p->io[i].objective = &p->o[i];
    p->io[i].has_parent_index = parent >= 0;
    p->io[i].parent_index = parent >= 0 ? (uint32_t)parent : 0;
    p->iop[i] = &p->io[i];
    return i;
}

/* A key result 0 -> 10 under objective obj of the plan. */
static size_t plan_kr(plan_t *p, const char *title, size_t obj)
{
    size_t j = p->req.n_key_results++;
    okr__import_key_result__init(&p->ik[j]);
    okr__key_result__init(&p->k[j]);
    p->k[j].title = (char *)title;
    p->k[j].target = 10;
    p->ik[j].key_result = &p->k[j];
    p->ik[j].objective_index = (uint32_t)obj;
    p->ikp[j] = &p->ik[j];
    return j;
}

static void plan_checkin(plan_t *p, size_t kr, double value, int64_t at)
{
    okr__check_in_request__init(&p->ci[kr]);
    p->ci[kr].value = value;
    p->ci[kr].has_confidence = 1;
    p->ci[kr].confidence = 7;
    p->ci[kr].note = (char *)"imported";
    p->ci[kr].at = at;
    p->ik[kr].checkin = &p->ci[kr];
}

static Okr__Response *import(okr_client_t *c, plan_t *p)
{
    Okr__Request req = tw_request(OKR__REQUEST__OP_IMPORT_PLAN, &p->req);
    Okr__Response *resp = NULL;
    ts_call(c, &req, &resp); /* the status is the test's to check */
    assert_non_null(resp);
    return resp;
}

/* Expects a refusal with status and a message containing want; returns the
 * response (the caller frees it). */
static Okr__Response *import_refused(okr_client_t *c, plan_t *p, Okr__Status status,
                                     const char *want)
{
    Okr__Response *resp = import(c, p);
    if (resp->status != status || !strstr(resp->message, want))
        fail_msg("want status %d with \"%s\", got %d: %s", status, want, resp->status,
                 resp->message);
    return resp;
}

static size_t count_objectives(uint64_t cycle)
{
    Okr__ObjectiveListRequest l = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    l.cycle_id = cycle;
    l.include_archived = 1;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_OBJECTIVE_LIST, &l);
    size_t n = resp->objective_list->n_objectives;
    okr__response__free_unpacked(resp, NULL);
    return n;
}

static Okr__Response *get_objective(uint64_t id)
{
    Okr__ObjectiveGetRequest g = OKR__OBJECTIVE_GET_REQUEST__INIT;
    g.id = id;
    return tw_ok(admin, OKR__REQUEST__OP_OBJECTIVE_GET, &g);
}

static okr_client_t *member(const char *name)
{
    ts_create_user(admin, name, "member-password-1", OKR__ROLE__ROLE_MEMBER);
    okr_client_t *c = ts_login(&server, name, "member-password-1");
    assert_non_null(c);
    return c;
}

static uint64_t current_seq(void)
{
    Okr__Stats *st = tw_stats(admin);
    uint64_t seq = st->current_seq;
    okr__stats__free_unpacked(st, NULL);
    return seq;
}

/* ---- a good import */

typedef struct seen {
    size_t events, objectives, key_results, checkins;
} seen_t;

static void on_event(void *arg, const Okr__Event *ev)
{
    seen_t *s = arg;
    if (!ev->change || ev->snapshot)
        return;
    s->events++;
    s->objectives += ev->change->kind == OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE;
    s->key_results += ev->change->kind == OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
    s->checkins += ev->change->kind == OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN;
}

static void test_good_import(void **state)
{
    (void)state;
    uint64_t cycle = tw_active_cycle(admin, "good", NULL);
    uint64_t top = tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Top");
    okr_client_t *watcher = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    seen_t seen = {0};
    okr_client_on_event(watcher, on_event, &seen);
    tw_subscribe(watcher, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 0, 0);

    plan_t p;
    plan_init(&p, cycle);
    size_t o0 = plan_obj(&p, "Grow", -1);
    p.o[o0].parent_id = top; /* an objective already on the server */
    size_t o1 = plan_obj(&p, "Grow in Asia", (int)o0);
    size_t k0 = plan_kr(&p, "Asia delivered", o0);
    p.ik[k0].has_linked_index = 1;
    p.ik[k0].linked_index = (uint32_t)o1;
    size_t k1 = plan_kr(&p, "Agents signed", o1);
    int64_t at = okr_wall_ms() - 2 * DAY_MS;
    plan_checkin(&p, k1, 5, at);
    size_t k2 = plan_kr(&p, "Revenue", o0);
    plan_checkin(&p, k2, 2, 0);

    Okr__Response *resp = import(admin, &p);
    assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_IMPORT_PLAN);
    const Okr__ImportResult *res = resp->import_plan;
    assert_int_equal(res->n_objective_ids, 2);
    assert_int_equal(res->n_key_result_ids, 3);
    assert_int_equal(res->checkins, 2);
    uint64_t oid[2] = {res->objective_ids[0], res->objective_ids[1]};

    Okr__Response *g = get_objective(oid[0]);
    assert_int_equal(g->objective_detail->objective->parent_id, top);
    assert_int_equal(g->objective_detail->n_key_results, 2);
    for (size_t i = 0; i < 2; i++) {
        const Okr__KeyResult *k = g->objective_detail->key_results[i];
        if (k->id == res->key_result_ids[k0])
            assert_int_equal(k->linked_objective_id, oid[1]);
        else
            assert_true(k->id == res->key_result_ids[k2] && k->current == 2);
    }
    okr__response__free_unpacked(g, NULL);
    g = get_objective(oid[1]);
    const Okr__ObjectiveDetail *d = g->objective_detail;
    assert_int_equal(d->objective->parent_id, oid[0]);
    assert_int_equal(d->n_key_results, 1);
    assert_true(d->key_results[0]->current == 5);
    assert_int_equal(d->key_results[0]->confidence, 7);
    assert_int_equal(d->key_results[0]->last_checkin_at, at);
    assert_true(d->objective->progress > 0.49 && d->objective->progress < 0.51);
    okr__response__free_unpacked(g, NULL);
    okr__response__free_unpacked(resp, NULL);

    /* Every record of the import reaches the subscriber, one event each. */
    for (int i = 0; i < 100 && seen.events < 7; i++)
        okr_client_poll(watcher, 50);
    assert_int_equal(seen.objectives, 2);
    assert_int_equal(seen.key_results, 3);
    assert_int_equal(seen.checkins, 2);
    okr_client_free(watcher);
}

/* ---- refusals: nothing is created */

static void test_member_refused_creates_nothing(void **state)
{
    (void)state;
    uint64_t cycle = tw_active_cycle(admin, "member", NULL);
    uint64_t team = tw_team(admin, "Engineering", 0);
    okr_client_t *carol = member("carol");
    uint64_t seq = current_seq();
    plan_t p;
    plan_init(&p, cycle);
    size_t own = plan_obj(&p, "Carol's own", -1);
    size_t theirs = plan_obj(&p, "The team's", -1);
    p.o[theirs].owner_team_id = team;
    plan_kr(&p, "Carol's KR", own);
    Okr__Response *resp = import_refused(carol, &p, OKR__STATUS__STATUS_FORBIDDEN,
                                         "objective 2 of the import: you may create");
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_IMPORT_PLAN);
    assert_int_equal(resp->import_plan->refused_kind, OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE);
    assert_int_equal(resp->import_plan->refused_index, 1);
    assert_int_equal(resp->import_plan->n_objective_ids, 0);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(count_objectives(cycle), 0);
    assert_int_equal(current_seq(), seq); /* no change recorded either */

    /* Without the team's objective, the same import goes through. */
    p.req.n_objectives = 1;
    resp = import(carol, &p);
    assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(count_objectives(cycle), 1);
    okr_client_free(carol);
}

static void test_key_result_limit_creates_nothing(void **state)
{
    (void)state;
    uint64_t cycle = tw_active_cycle(admin, "crowded", NULL);
    plan_t p;
    plan_init(&p, cycle);
    size_t a = plan_obj(&p, "Roomy", -1);
    size_t b = plan_obj(&p, "Crowded", -1);
    plan_kr(&p, "A1", a);
    for (int i = 0; i <= KR_CAP; i++)
        plan_kr(&p, "B", b);
    Okr__Response *resp =
        import_refused(admin, &p, OKR__STATUS__STATUS_BAD_REQUEST, "key result 5 of the import: O");
    assert_non_null(strstr(resp->message, "max_key_results_per_objective"));
    assert_int_equal(resp->import_plan->refused_kind, OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT);
    assert_int_equal(resp->import_plan->refused_index, 4);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(count_objectives(cycle), 0);
}

static void test_checkin_refused_creates_nothing(void **state)
{
    (void)state;
    uint64_t cycle = tw_active_cycle(admin, "future", NULL);
    plan_t p;
    plan_init(&p, cycle);
    size_t o = plan_obj(&p, "Dated", -1);
    size_t k = plan_kr(&p, "Calls", o);
    plan_checkin(&p, k, 3, okr_wall_ms() + 30 * DAY_MS);
    Okr__Response *resp = import_refused(admin, &p, OKR__STATUS__STATUS_BAD_REQUEST,
                                         "the check-in of key result 1 of the import: a check-in "
                                         "cannot be dated in the future");
    assert_int_equal(resp->import_plan->refused_kind, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(count_objectives(cycle), 0);
}

static void test_closed_cycle(void **state)
{
    (void)state;
    int64_t now = okr_wall_ms();
    uint64_t cycle = tw_cycle(admin, "closed", now - 100 * DAY_MS, now - 10 * DAY_MS);
    Okr__CycleCloseRequest cc = OKR__CYCLE_CLOSE_REQUEST__INIT;
    cc.id = cycle;
    cc.version = 1;
    okr__response__free_unpacked(tw_ok(admin, OKR__REQUEST__OP_CYCLE_CLOSE, &cc), NULL);
    plan_t p;
    plan_init(&p, cycle);
    plan_obj(&p, "Too late", -1);
    okr__response__free_unpacked(
        import_refused(admin, &p, OKR__STATUS__STATUS_BAD_REQUEST,
                       "objective 1 of the import: cycle closed is closed"),
        NULL);
}

/* ---- requests that contradict themselves: refused before any write */

static void expect_bad(plan_t *p, Okr__Status status, const char *want)
{
    okr__response__free_unpacked(import_refused(admin, p, status, want), NULL);
}

static void test_bad_requests(void **state)
{
    (void)state;
    uint64_t cycle = tw_active_cycle(admin, "bad", NULL);
    plan_t p;

    plan_init(&p, 0);
    plan_obj(&p, "No cycle", -1);
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST, "cycle_id is required");

    plan_init(&p, cycle);
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST, "needs at least one objective");

    plan_init(&p, cycle);
    plan_obj(&p, "Child first", 1);
    plan_obj(&p, "Parent", -1);
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST,
               "objective 1 of the import: its parent (objective 2) is not an earlier");

    plan_init(&p, cycle);
    plan_obj(&p, "Own parent", 0);
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST, "parents come before their children");

    plan_init(&p, cycle);
    plan_obj(&p, "One", -1);
    plan_kr(&p, "Nowhere", 1);
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST,
               "key result 1 of the import: its objective_index 1 is not an objective");

    plan_init(&p, cycle);
    plan_obj(&p, "One", -1);
    plan_obj(&p, "Two, not under one", -1);
    size_t k = plan_kr(&p, "Linked", 0);
    p.ik[k].has_linked_index = 1;
    p.ik[k].linked_index = 1;
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST, "which is not aligned under its own");

    plan_init(&p, cycle);
    plan_obj(&p, "One", -1);
    plan_obj(&p, "Child", 0);
    k = plan_kr(&p, "Linked and checked in", 0);
    p.ik[k].has_linked_index = 1;
    p.ik[k].linked_index = 1;
    plan_checkin(&p, k, 1, 0);
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST, "a linked key result takes");

    plan_init(&p, cycle);
    plan_obj(&p, "One", -1);
    k = plan_kr(&p, "Flat", 0);
    p.k[k].start = 10;
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST,
               "key result 1 of the import: target equals start");

    plan_init(&p, cycle);
    plan_obj(&p, "One", -1);
    k = plan_kr(&p, "Named", 0);
    p.k[k].objective_id = 1;
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST, "must be 0");

    plan_init(&p, cycle);
    plan_obj(&p, "", -1);
    expect_bad(&p, OKR__STATUS__STATUS_BAD_REQUEST, "objective 1 of the import: title");

    plan_init(&p, cycle);
    for (int i = 0; i < 8; i++)
        plan_obj(&p, "Many", -1);
    for (int i = 0; i < MAX_ITEMS - 7; i++)
        plan_kr(&p, "Many", (size_t)i % 8);
    expect_bad(&p, OKR__STATUS__STATUS_TOO_LARGE, "at most 20 objectives and key results");
    assert_int_equal(count_objectives(cycle), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_import),
        cmocka_unit_test(test_member_refused_creates_nothing),
        cmocka_unit_test(test_key_result_limit_creates_nothing),
        cmocka_unit_test(test_checkin_refused_creates_nothing),
        cmocka_unit_test(test_closed_cycle),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
