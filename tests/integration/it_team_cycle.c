/* Integration: teams and cycles (create, update, get, list, membership, close,
 * start from a previous cycle) against a real okrd over TLS.
 *
 * The close and start-from tests build objectives, key results and check-ins
 * through their own handlers; while one of those still answers UNSUPPORTED
 * the test is skipped (not failed) and says which handler it waits for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "okr_error.h"

#define DAY_MS (24LL * 3600 * 1000)
#define T0     1767225600000LL /* 2026-01-01T00:00:00Z */

static okr_test_server_t server;

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--login-free-failures", "1000", NULL};
    ts_start(&server, extra);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

static Okr__Request request(Okr__Request__OpCase op, void *body)
{
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = op;
    req.hello = body; /* every op member of the oneof shares one pointer slot */
    return req;
}

static okr_client_t *admin_login(void)
{
    return ts_login(&server, "admin", TS_ADMIN_PASSWORD);
}

/* The logged-in user's id. */
static uint64_t whoami_id(okr_client_t *c)
{
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request req = request(OKR__REQUEST__OP_WHOAMI, &w);
    Okr__Response *resp = NULL;
    assert_int_equal(ts_call(c, &req, &resp), OKR_OK);
    uint64_t id = resp->login->user->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

/* ---------------------------------------------------------------- team calls */

static int team_create(okr_client_t *c, const char *name, uint64_t parent, Okr__Response **out)
{
    Okr__TeamCreateRequest tc = OKR__TEAM_CREATE_REQUEST__INIT;
    tc.name = (char *)name;
    tc.description = "a team";
    tc.parent_id = parent;
    Okr__Request req = request(OKR__REQUEST__OP_TEAM_CREATE, &tc);
    return ts_call(c, &req, out);
}

/* Creates a team that must succeed; returns its id. */
static uint64_t team_new(okr_client_t *c, const char *name, uint64_t parent)
{
    Okr__Response *resp = NULL;
    assert_int_equal(team_create(c, name, parent, &resp), OKR_OK);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_TEAM);
    assert_string_equal(resp->team->name, name);
    assert_int_equal(resp->team->parent_id, parent);
    assert_int_equal(resp->team->version, 1);
    uint64_t id = resp->team->id;
    assert_true(id > 0);
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static int team_get(okr_client_t *c, uint64_t id, const char *name, Okr__Response **out)
{
    Okr__TeamGetRequest tg = OKR__TEAM_GET_REQUEST__INIT;
    tg.id = id;
    tg.name = (char *)(name ? name : "");
    Okr__Request req = request(OKR__REQUEST__OP_TEAM_GET, &tg);
    return ts_call(c, &req, out);
}

/* The team as stored now; free with okr__response__free_unpacked(*resp). */
static Okr__Team *team_fetch(okr_client_t *c, uint64_t id, Okr__Response **resp)
{
    assert_int_equal(team_get(c, id, NULL, resp), OKR_OK);
    return (*resp)->team;
}

static int team_update(okr_client_t *c, const Okr__Team *t, Okr__Response **out)
{
    Okr__TeamUpdateRequest tu = OKR__TEAM_UPDATE_REQUEST__INIT;
    tu.team = (Okr__Team *)t;
    Okr__Request req = request(OKR__REQUEST__OP_TEAM_UPDATE, &tu);
    return ts_call(c, &req, out);
}

/* Fetches team id, applies one change and sends it with the version read. */
static int team_edit(okr_client_t *c, uint64_t id, const char *name, uint64_t parent, int archived)
{
    Okr__Response *resp = NULL;
    Okr__Team *t = team_fetch(c, id, &resp);
    Okr__Team u = *t;
    if (name)
        u.name = (char *)name;
    u.parent_id = parent;
    u.archived = archived;
    int rc = team_update(c, &u, NULL);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

static uint64_t team_parent(okr_client_t *c, uint64_t id)
{
    Okr__Response *resp = NULL;
    uint64_t parent = team_fetch(c, id, &resp)->parent_id;
    okr__response__free_unpacked(resp, NULL);
    return parent;
}

static int team_list(okr_client_t *c, uint64_t parent, int all, int include_archived,
                     uint64_t after, uint32_t limit, Okr__Response **out)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.after_id = after;
    page.limit = limit;
    Okr__TeamListRequest tl = OKR__TEAM_LIST_REQUEST__INIT;
    tl.parent_id = parent;
    tl.all = all;
    tl.include_archived = include_archived;
    tl.page = &page;
    Okr__Request req = request(OKR__REQUEST__OP_TEAM_LIST, &tl);
    return ts_call(c, &req, out);
}

/* Pages through a listing `limit` at a time; fills ids (ascending, no
 * duplicates checked) and returns how many. */
static size_t team_list_all(okr_client_t *c, uint64_t parent, int all, int include_archived,
                            uint32_t limit, uint64_t *ids, size_t max)
{
    size_t n = 0;
    uint64_t after = 0;
    for (int pages = 0; pages < 1000; pages++) {
        Okr__Response *resp = NULL;
        assert_int_equal(team_list(c, parent, all, include_archived, after, limit, &resp), OKR_OK);
        Okr__TeamList *l = resp->team_list;
        assert_true(l->n_teams <= limit);
        for (size_t i = 0; i < l->n_teams; i++) {
            assert_true(n < max);
            if (n > 0)
                assert_true(l->teams[i]->id > ids[n - 1]);
            ids[n++] = l->teams[i]->id;
        }
        after = l->next_after_id;
        if (after)
            assert_int_equal(after, l->teams[l->n_teams - 1]->id);
        okr__response__free_unpacked(resp, NULL);
        if (!after)
            return n;
    }
    fail_msg("team listing did not end");
    return n;
}

static int contains(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static int set_member(okr_client_t *c, uint64_t team, uint64_t user_id, const char *username,
                      Okr__TeamRole role, Okr__Response **out)
{
    Okr__TeamSetMemberRequest sm = OKR__TEAM_SET_MEMBER_REQUEST__INIT;
    sm.team_id = team;
    sm.user_id = user_id;
    sm.username = (char *)(username ? username : "");
    sm.role = role;
    Okr__Request req = request(OKR__REQUEST__OP_TEAM_SET_MEMBER, &sm);
    return ts_call(c, &req, out);
}

static uint64_t user_id_of(okr_client_t *admin, const char *username)
{
    Okr__UserGetRequest ug = OKR__USER_GET_REQUEST__INIT;
    ug.username = (char *)username;
    Okr__Request req = request(OKR__REQUEST__OP_USER_GET, &ug);
    Okr__Response *resp = NULL;
    assert_int_equal(ts_call(admin, &req, &resp), OKR_OK);
    uint64_t id = resp->user->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

/* ---------------------------------------------------------------- cycle calls */

static int cycle_create(okr_client_t *c, const char *name, int64_t start, int64_t end,
                        Okr__Response **out)
{
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = (char *)name;
    cc.start_at = start;
    cc.end_at = end;
    Okr__Request req = request(OKR__REQUEST__OP_CYCLE_CREATE, &cc);
    return ts_call(c, &req, out);
}

static uint64_t cycle_new(okr_client_t *c, const char *name, int64_t start, int64_t end)
{
    Okr__Response *resp = NULL;
    assert_int_equal(cycle_create(c, name, start, end, &resp), OKR_OK);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_CYCLE);
    Okr__Cycle *cy = resp->cycle;
    assert_string_equal(cy->name, name);
    assert_int_equal(cy->start_at, start);
    assert_int_equal(cy->end_at, end);
    assert_int_equal(cy->state, OKR__CYCLE_STATE__CYCLE_STATE_PLANNING);
    assert_int_equal(cy->version, 1);
    uint64_t id = cy->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static int cycle_get(okr_client_t *c, uint64_t id, const char *name, Okr__Response **out)
{
    Okr__CycleGetRequest cg = OKR__CYCLE_GET_REQUEST__INIT;
    cg.id = id;
    cg.name = (char *)(name ? name : "");
    Okr__Request req = request(OKR__REQUEST__OP_CYCLE_GET, &cg);
    return ts_call(c, &req, out);
}

static Okr__Cycle *cycle_fetch(okr_client_t *c, uint64_t id, Okr__Response **resp)
{
    assert_int_equal(cycle_get(c, id, NULL, resp), OKR_OK);
    return (*resp)->cycle;
}

static int cycle_update(okr_client_t *c, const Okr__Cycle *cy, Okr__Response **out)
{
    Okr__CycleUpdateRequest cu = OKR__CYCLE_UPDATE_REQUEST__INIT;
    cu.cycle = (Okr__Cycle *)cy;
    Okr__Request req = request(OKR__REQUEST__OP_CYCLE_UPDATE, &cu);
    return ts_call(c, &req, out);
}

/* Fetches the cycle and sets its state (keeping everything else). */
static int cycle_set_state(okr_client_t *c, uint64_t id, Okr__CycleState st)
{
    Okr__Response *resp = NULL;
    Okr__Cycle u = *cycle_fetch(c, id, &resp);
    u.state = st;
    int rc = cycle_update(c, &u, NULL);
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

static uint64_t cycle_version(okr_client_t *c, uint64_t id)
{
    Okr__Response *resp = NULL;
    uint64_t v = cycle_fetch(c, id, &resp)->version;
    okr__response__free_unpacked(resp, NULL);
    return v;
}

static int cycle_list(okr_client_t *c, int include_closed, uint64_t after, uint32_t limit,
                      Okr__Response **out)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.after_id = after;
    page.limit = limit;
    Okr__CycleListRequest cl = OKR__CYCLE_LIST_REQUEST__INIT;
    cl.page = &page;
    cl.include_closed = include_closed;
    Okr__Request req = request(OKR__REQUEST__OP_CYCLE_LIST, &cl);
    return ts_call(c, &req, out);
}

static size_t cycle_list_all(okr_client_t *c, int include_closed, uint32_t limit, uint64_t *ids,
                             size_t max)
{
    size_t n = 0;
    uint64_t after = 0;
    for (int pages = 0; pages < 1000; pages++) {
        Okr__Response *resp = NULL;
        assert_int_equal(cycle_list(c, include_closed, after, limit, &resp), OKR_OK);
        Okr__CycleList *l = resp->cycle_list;
        assert_true(l->n_cycles <= limit);
        for (size_t i = 0; i < l->n_cycles; i++) {
            assert_true(n < max);
            if (n > 0)
                assert_true(l->cycles[i]->id > ids[n - 1]);
            if (!include_closed)
                assert_int_not_equal(l->cycles[i]->state, OKR__CYCLE_STATE__CYCLE_STATE_CLOSED);
            ids[n++] = l->cycles[i]->id;
        }
        after = l->next_after_id;
        okr__response__free_unpacked(resp, NULL);
        if (!after)
            return n;
    }
    fail_msg("cycle listing did not end");
    return n;
}

static int cycle_close(okr_client_t *c, uint64_t id, uint64_t version, Okr__Response **out)
{
    Okr__CycleCloseRequest cc = OKR__CYCLE_CLOSE_REQUEST__INIT;
    cc.id = id;
    cc.version = version;
    Okr__Request req = request(OKR__REQUEST__OP_CYCLE_CLOSE, &cc);
    return ts_call(c, &req, out);
}

static int start_from(okr_client_t *c, uint64_t from, const char *name, int64_t start, int64_t end,
                      uint64_t *objectives, size_t n, Okr__Response **out)
{
    Okr__CycleStartFromRequest sf = OKR__CYCLE_START_FROM_REQUEST__INIT;
    sf.from_cycle_id = from;
    sf.name = (char *)name;
    sf.start_at = start;
    sf.end_at = end;
    sf.objective_ids = objectives;
    sf.n_objective_ids = n;
    Okr__Request req = request(OKR__REQUEST__OP_CYCLE_START_FROM, &sf);
    return ts_call(c, &req, out);
}

/* ------------------------------------------------ objectives, key results (other handlers) */

/* Runs a call that must succeed (what names it in the failure). */
#define NEED_R(call, what, resp)                                                                   \
    do {                                                                                           \
        int need_rc_ = (call);                                                                     \
        if (need_rc_ != OKR_OK)                                                                    \
            print_message("%s failed: %s\n", what, okr_strerror(need_rc_));                        \
        assert_int_equal(need_rc_, OKR_OK);                                                        \
        (void)(resp);                                                                              \
    } while (0)
#define NEED(call, what) NEED_R(call, what, (Okr__Response *)NULL)

/* Prints why a call failed, for the test log. */
static int explain(int rc, Okr__Response *resp, const char *what)
{
    if (rc != OKR_OK && resp)
        print_message("%s: %s: %s\n", what, okr_strerror(rc), resp->message);
    return rc;
}

static int objective_create(okr_client_t *c, uint64_t cycle, uint64_t owner, uint64_t team,
                            uint64_t parent, const char *title, uint64_t *id)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = (char *)title;
    o.description = "";
    o.cycle_id = cycle;
    o.owner_user_id = owner;
    o.team_id = team;
    o.parent_id = parent;
    o.kind = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    o.visibility = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    Okr__Request req = request(OKR__REQUEST__OP_OBJECTIVE_CREATE, &oc);
    Okr__Response *resp = NULL;
    int rc = explain(ts_call(c, &req, &resp), resp, "objective_create");
    if (rc == OKR_OK) {
        assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_OBJECTIVE);
        *id = resp->objective->id;
    }
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

static int kr_create(okr_client_t *c, uint64_t objective, uint64_t owner, const char *title,
                     double start, double target, uint64_t linked, uint64_t *id)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = objective;
    k.title = (char *)title;
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.unit = "things";
    k.start = start;
    k.target = target;
    k.current = start;
    k.weight = 1;
    k.owner_user_id = owner;
    k.linked_objective_id = linked;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Request req = request(OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc);
    Okr__Response *resp = NULL;
    int rc = explain(ts_call(c, &req, &resp), resp, "key_result_create");
    if (rc == OKR_OK) {
        assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_KEY_RESULT);
        *id = resp->key_result->id;
    }
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

static int checkin(okr_client_t *c, uint64_t kr, double value)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr;
    ci.value = value;
    ci.has_confidence = 1;
    ci.confidence = 8;
    ci.note = "weekly";
    Okr__Request req = request(OKR__REQUEST__OP_CHECKIN, &ci);
    Okr__Response *resp = NULL;
    int rc = explain(ts_call(c, &req, &resp), resp, "checkin");
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

static int objective_get(okr_client_t *c, uint64_t id, Okr__Response **out)
{
    Okr__ObjectiveGetRequest og = OKR__OBJECTIVE_GET_REQUEST__INIT;
    og.id = id;
    Okr__Request req = request(OKR__REQUEST__OP_OBJECTIVE_GET, &og);
    return ts_call(c, &req, out);
}

static int objective_archive(okr_client_t *c, uint64_t id)
{
    Okr__Response *resp = NULL;
    int rc = objective_get(c, id, &resp);
    if (rc != OKR_OK) {
        if (resp)
            okr__response__free_unpacked(resp, NULL);
        return rc;
    }
    Okr__ObjectiveArchiveRequest oa = OKR__OBJECTIVE_ARCHIVE_REQUEST__INIT;
    oa.id = id;
    oa.version = resp->objective_detail->objective->version;
    okr__response__free_unpacked(resp, NULL);
    Okr__Request req = request(OKR__REQUEST__OP_OBJECTIVE_ARCHIVE, &oa);
    resp = NULL;
    rc = explain(ts_call(c, &req, &resp), resp, "objective_archive");
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* ---------------------------------------------------------------- tests: teams */

static void test_team_create_get(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t acme = team_new(admin, "Acme", 0);
    uint64_t eng = team_new(admin, "Engineering", acme);
    assert_true(eng > acme);

    /* By id and by name in any case. */
    Okr__Response *resp = NULL;
    assert_int_equal(team_get(admin, 0, "aCmE", &resp), OKR_OK);
    assert_int_equal(resp->team->id, acme);
    assert_string_equal(resp->team->name, "Acme");
    assert_string_equal(resp->team->description, "a team");
    assert_true(resp->team->created_at > 0);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(team_get(admin, eng, NULL, &resp), OKR_OK);
    assert_int_equal(resp->team->parent_id, acme);
    okr__response__free_unpacked(resp, NULL);

    /* Names: 1 to 128 bytes, unique whatever the case. */
    assert_int_equal(team_create(admin, "", 0, NULL), OKR_E_BAD_REQUEST);
    char name[130];
    memset(name, 'n', 129);
    name[129] = '\0';
    assert_int_equal(team_create(admin, name, 0, &resp), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(resp->message, "name"));
    okr__response__free_unpacked(resp, NULL);
    name[128] = '\0';
    team_new(admin, name, 0);
    assert_int_equal(team_create(admin, "ENGINEERING", 0, &resp), OKR_E_CONFLICT);
    assert_non_null(strstr(resp->message, "already exists"));
    okr__response__free_unpacked(resp, NULL);
    /* Chinese names fold and compare too. */
    team_new(admin, "研发部", acme);
    assert_int_equal(team_create(admin, "研发部", 0, NULL), OKR_E_CONFLICT);

    /* An unknown parent. */
    assert_int_equal(team_create(admin, "Orphans", 999999, &resp), OKR_E_NOT_FOUND);
    assert_non_null(strstr(resp->message, "#999999"));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(team_get(admin, 0, "Orphans", NULL), OKR_E_NOT_FOUND);

    /* Lookups of what does not exist say what was asked for. */
    assert_int_equal(team_get(admin, 424242, NULL, &resp), OKR_E_NOT_FOUND);
    assert_non_null(strstr(resp->message, "#424242"));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(team_get(admin, 0, "Nobody Team", &resp), OKR_E_NOT_FOUND);
    assert_non_null(strstr(resp->message, "Nobody Team"));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(team_get(admin, 0, "", NULL), OKR_E_BAD_REQUEST);
    okr_client_free(admin);
}

static void test_team_update(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t co = team_new(admin, "Upd Co", 0);
    uint64_t dept = team_new(admin, "Upd Dept", co);
    uint64_t sq = team_new(admin, "Upd Squad", dept);
    uint64_t other = team_new(admin, "Upd Other", 0);

    /* A rename with the version read, then a stale one: CONFLICT with the current team. */
    Okr__Response *resp = NULL;
    Okr__Team *t = team_fetch(admin, dept, &resp);
    Okr__Team u = *t;
    u.name = "Upd Department";
    u.description = "renamed";
    Okr__Response *ok = NULL;
    assert_int_equal(team_update(admin, &u, &ok), OKR_OK);
    assert_string_equal(ok->team->name, "Upd Department");
    assert_string_equal(ok->team->description, "renamed");
    assert_int_equal(ok->team->version, t->version + 1);
    assert_true(ok->team->updated_at >= t->updated_at);
    okr__response__free_unpacked(ok, NULL);
    u.name = "Upd Lost Update";
    Okr__Response *conflict = NULL;
    assert_int_equal(team_update(admin, &u, &conflict), OKR_E_CONFLICT);
    assert_non_null(strstr(conflict->message, "changed by someone else"));
    assert_int_equal(conflict->result_case, OKR__RESPONSE__RESULT_TEAM);
    assert_string_equal(conflict->team->name, "Upd Department");
    assert_int_equal(conflict->team->version, t->version + 1);
    okr__response__free_unpacked(conflict, NULL);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(team_get(admin, 0, "Upd Lost Update", NULL), OKR_E_NOT_FOUND);
    /* The old name is free again, the new one taken. */
    team_new(admin, "Upd Dept", other);
    assert_int_equal(team_edit(admin, other, "upd department", 0, 0), OKR_E_CONFLICT);

    /* Validation and an unknown team. */
    assert_int_equal(team_edit(admin, other, "", 0, 0), OKR_E_BAD_REQUEST);
    Okr__Team ghost = OKR__TEAM__INIT;
    ghost.id = 999999;
    ghost.name = "Ghost";
    ghost.version = 1;
    assert_int_equal(team_update(admin, &ghost, NULL), OKR_E_NOT_FOUND);
    ghost.id = 0;
    assert_int_equal(team_update(admin, &ghost, NULL), OKR_E_BAD_REQUEST);

    /* The tree: no loops, no unknown parents. */
    assert_int_equal(team_edit(admin, co, NULL, co, 0), OKR_E_BAD_REQUEST);
    assert_int_equal(team_edit(admin, co, NULL, sq, 0), OKR_E_BAD_REQUEST);
    assert_int_equal(team_edit(admin, co, NULL, dept, 0), OKR_E_BAD_REQUEST);
    assert_int_equal(team_edit(admin, dept, NULL, 999999, 0), OKR_E_NOT_FOUND);
    assert_int_equal(team_parent(admin, co), 0);
    /* Moving a subtree elsewhere is fine, and back. */
    assert_int_equal(team_edit(admin, dept, NULL, other, 0), OKR_OK);
    assert_int_equal(team_parent(admin, dept), other);
    assert_int_equal(team_parent(admin, sq), dept);
    assert_int_equal(team_edit(admin, other, NULL, sq, 0),
                     OKR_E_BAD_REQUEST); /* other > dept > sq */
    assert_int_equal(team_edit(admin, dept, NULL, co, 0), OKR_OK);

    /* Archiving: not while a sub-team is active; bottom-up works. */
    assert_int_equal(team_edit(admin, dept, NULL, co, 1), OKR_E_BAD_REQUEST);
    assert_int_equal(team_edit(admin, sq, NULL, dept, 1), OKR_OK);
    assert_int_equal(team_edit(admin, dept, NULL, co, 1), OKR_OK);
    /* No new or revived team under an archived parent. */
    assert_int_equal(team_create(admin, "Upd Under Archived", dept, &resp), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(resp->message, "archived"));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(team_edit(admin, sq, NULL, dept, 0), OKR_E_BAD_REQUEST);
    assert_int_equal(team_edit(admin, other, NULL, dept, 0), OKR_E_BAD_REQUEST);
    /* An archived team may be renamed; unarchiving top-down works. */
    assert_int_equal(team_edit(admin, sq, "Upd Squad Old", dept, 1), OKR_OK);
    assert_int_equal(team_edit(admin, dept, NULL, co, 0), OKR_OK);
    assert_int_equal(team_edit(admin, sq, NULL, dept, 0), OKR_OK);
    okr_client_free(admin);
}

static void test_team_list_paging(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t root = team_new(admin, "List Root", 0);
    uint64_t kids[5];
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "List Kid %d", i);
        kids[i] = team_new(admin, name, root);
    }
    team_new(admin, "List Grandkid", kids[0]); /* not a child of root */

    uint64_t ids[256];
    size_t n = team_list_all(admin, root, 0, 0, 2, ids, 256);
    assert_int_equal(n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ids[i], kids[i]);
    /* The first page of two says where to go on. */
    Okr__Response *resp = NULL;
    assert_int_equal(team_list(admin, root, 0, 0, 0, 2, &resp), OKR_OK);
    assert_int_equal(resp->team_list->n_teams, 2);
    assert_int_equal(resp->team_list->next_after_id, kids[1]);
    okr__response__free_unpacked(resp, NULL);
    /* Exactly a page's worth: no next page. */
    assert_int_equal(team_list(admin, root, 0, 0, kids[2], 2, &resp), OKR_OK);
    assert_int_equal(resp->team_list->n_teams, 2);
    assert_int_equal(resp->team_list->next_after_id, 0);
    okr__response__free_unpacked(resp, NULL);

    /* Archived children only on request. */
    assert_int_equal(team_edit(admin, kids[3], NULL, root, 1), OKR_OK);
    n = team_list_all(admin, root, 0, 0, 2, ids, 256);
    assert_int_equal(n, 4);
    assert_false(contains(ids, n, kids[3]));
    n = team_list_all(admin, root, 0, 1, 2, ids, 256);
    assert_int_equal(n, 5);

    /* Roots (parent 0) include this root, not its children. */
    n = team_list_all(admin, 0, 0, 0, 2, ids, 256);
    assert_true(contains(ids, n, root));
    assert_false(contains(ids, n, kids[0]));
    /* Every team, paged one at a time. */
    n = team_list_all(admin, 0, 1, 1, 1, ids, 256);
    assert_true(n >= 7);
    assert_true(contains(ids, n, root));
    assert_true(contains(ids, n, kids[3]));
    uint64_t active_ids[256];
    size_t active = team_list_all(admin, 0, 1, 0, 3, active_ids, 256);
    assert_true(active < n);
    assert_true(contains(active_ids, active, root));
    assert_false(contains(active_ids, active, kids[3]));

    /* A listing under an unknown team. */
    assert_int_equal(team_list(admin, 999999, 0, 0, 0, 0, NULL), OKR_E_NOT_FOUND);
    okr_client_free(admin);
}

static void test_team_set_member(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    assert_int_equal(ts_create_user(admin, "tm-ann", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    assert_int_equal(ts_create_user(admin, "tm-bob", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    assert_int_equal(ts_create_user(admin, "tm-gone", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    uint64_t ann = user_id_of(admin, "tm-ann"), bob = user_id_of(admin, "tm-bob");
    uint64_t team = team_new(admin, "Member Team", 0);

    /* A member by username (any case), a lead by id. */
    Okr__Response *resp = NULL;
    assert_int_equal(set_member(admin, team, 0, "TM-ANN", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, &resp),
                     OKR_OK);
    Okr__Team *t = resp->team;
    assert_int_equal(t->version, 2);
    assert_true(contains(t->member_ids, t->n_member_ids, ann));
    assert_false(contains(t->lead_ids, t->n_lead_ids, ann));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(set_member(admin, team, bob, NULL, OKR__TEAM_ROLE__TEAM_ROLE_LEAD, &resp),
                     OKR_OK);
    t = resp->team;
    assert_int_equal(t->version, 3);
    assert_true(contains(t->member_ids, t->n_member_ids, bob));
    assert_true(contains(t->lead_ids, t->n_lead_ids, bob));
    assert_int_equal(t->n_member_ids, 2);
    assert_int_equal(t->n_lead_ids, 1);
    okr__response__free_unpacked(resp, NULL);

    /* Lead back to member: out of the leads, still a member. */
    assert_int_equal(set_member(admin, team, bob, NULL, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, &resp),
                     OKR_OK);
    t = resp->team;
    assert_int_equal(t->version, 4);
    assert_true(contains(t->member_ids, t->n_member_ids, bob));
    assert_int_equal(t->n_lead_ids, 0);
    assert_int_equal(t->n_member_ids, 2);
    okr__response__free_unpacked(resp, NULL);
    /* The same again changes nothing. */
    assert_int_equal(set_member(admin, team, bob, NULL, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, &resp),
                     OKR_OK);
    assert_int_equal(resp->team->version, 4);
    assert_int_equal(resp->team->n_member_ids, 2);
    okr__response__free_unpacked(resp, NULL);
    /* Ann becomes lead, then is removed from both. */
    assert_int_equal(set_member(admin, team, ann, NULL, OKR__TEAM_ROLE__TEAM_ROLE_LEAD, NULL),
                     OKR_OK);
    assert_int_equal(
        set_member(admin, team, 0, "tm-ann", OKR__TEAM_ROLE__TEAM_ROLE_UNSPECIFIED, &resp), OKR_OK);
    t = resp->team;
    assert_int_equal(t->version, 6);
    assert_false(contains(t->member_ids, t->n_member_ids, ann));
    assert_false(contains(t->lead_ids, t->n_lead_ids, ann));
    assert_int_equal(t->n_member_ids, 1);
    okr__response__free_unpacked(resp, NULL);
    /* What get says agrees. */
    t = team_fetch(admin, team, &resp);
    assert_int_equal(t->version, 6);
    assert_int_equal(t->n_member_ids, 1);
    assert_int_equal(t->member_ids[0], bob);
    okr__response__free_unpacked(resp, NULL);

    /* Refusals: unknown user or team, deactivated user, bad role, missing ids. */
    assert_int_equal(
        set_member(admin, team, 0, "tm-nobody", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, &resp),
        OKR_E_NOT_FOUND);
    assert_non_null(strstr(resp->message, "tm-nobody"));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(set_member(admin, team, 999999, NULL, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, NULL),
                     OKR_E_NOT_FOUND);
    assert_int_equal(set_member(admin, 999999, ann, NULL, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, NULL),
                     OKR_E_NOT_FOUND);
    assert_int_equal(set_member(admin, 0, ann, NULL, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, NULL),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(set_member(admin, team, 0, "", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, NULL),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(set_member(admin, team, ann, NULL, (Okr__TeamRole)9, NULL), OKR_E_BAD_REQUEST);
    Okr__UserDeactivateRequest d = OKR__USER_DEACTIVATE_REQUEST__INIT;
    d.username = "tm-gone";
    Okr__Request req = request(OKR__REQUEST__OP_USER_DEACTIVATE, &d);
    assert_int_equal(ts_call(admin, &req, NULL), OKR_OK);
    assert_int_equal(set_member(admin, team, 0, "tm-gone", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER, &resp),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(resp->message, "deactivated"));
    okr__response__free_unpacked(resp, NULL);
    t = team_fetch(admin, team, &resp);
    assert_int_equal(t->version, 6); /* refusals changed nothing */
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

/* ---------------------------------------------------------------- tests: cycles */

static void test_cycle_create_get_update(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    int64_t start = T0, end = T0 + 90 * DAY_MS;
    uint64_t q1 = cycle_new(admin, "2026-Q1", start, end);

    Okr__Response *resp = NULL;
    assert_int_equal(cycle_get(admin, 0, "2026-q1", &resp), OKR_OK);
    assert_int_equal(resp->cycle->id, q1);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_get(admin, 999999, NULL, &resp), OKR_E_NOT_FOUND);
    assert_non_null(strstr(resp->message, "#999999"));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_get(admin, 0, "1999-Q9", &resp), OKR_E_NOT_FOUND);
    assert_non_null(strstr(resp->message, "1999-Q9"));
    okr__response__free_unpacked(resp, NULL);

    /* Validation: names, dates; any length is fine, even a single instant. */
    assert_int_equal(cycle_create(admin, "", start, end, NULL), OKR_E_BAD_REQUEST);
    char name[130];
    memset(name, 'c', 129);
    name[129] = '\0';
    assert_int_equal(cycle_create(admin, name, start, end, NULL), OKR_E_BAD_REQUEST);
    assert_int_equal(cycle_create(admin, "Backwards", end, start, &resp), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(resp->message, "end_at"));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_create(admin, "No Dates", 0, 0, NULL), OKR_E_BAD_REQUEST);
    assert_int_equal(cycle_create(admin, "2026-q1", start, end, &resp), OKR_E_CONFLICT);
    assert_non_null(strstr(resp->message, "already exists"));
    okr__response__free_unpacked(resp, NULL);
    cycle_new(admin, "One Day", start, start);
    cycle_new(admin, "A Year", start, start + 365 * DAY_MS);

    /* Update: name, dates and state planning -> active -> planning. */
    Okr__Cycle u = *cycle_fetch(admin, q1, &resp);
    u.name = "2026 Q1";
    u.end_at = end + DAY_MS;
    u.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    Okr__Response *ok = NULL;
    assert_int_equal(cycle_update(admin, &u, &ok), OKR_OK);
    assert_string_equal(ok->cycle->name, "2026 Q1");
    assert_int_equal(ok->cycle->end_at, end + DAY_MS);
    assert_int_equal(ok->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE);
    assert_int_equal(ok->cycle->version, 2);
    okr__response__free_unpacked(ok, NULL);
    /* The same version again is stale: CONFLICT with the current cycle. */
    u.name = "Lost";
    assert_int_equal(cycle_update(admin, &u, &ok), OKR_E_CONFLICT);
    assert_int_equal(ok->result_case, OKR__RESPONSE__RESULT_CYCLE);
    assert_string_equal(ok->cycle->name, "2026 Q1");
    assert_int_equal(ok->cycle->version, 2);
    okr__response__free_unpacked(ok, NULL);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_get(admin, 0, "2026 Q1", NULL), OKR_OK);
    assert_int_equal(cycle_get(admin, 0, "2026-Q1", NULL), OKR_E_NOT_FOUND);
    assert_int_equal(cycle_set_state(admin, q1, OKR__CYCLE_STATE__CYCLE_STATE_PLANNING), OKR_OK);
    assert_int_equal(cycle_set_state(admin, q1, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE), OKR_OK);
    /* Closing is not an update; unknown states are refused. */
    assert_int_equal(cycle_set_state(admin, q1, OKR__CYCLE_STATE__CYCLE_STATE_CLOSED),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(cycle_set_state(admin, q1, (Okr__CycleState)42), OKR_E_BAD_REQUEST);
    /* Bad dates, a duplicate name, an unknown cycle. */
    u = *cycle_fetch(admin, q1, &resp);
    u.end_at = u.start_at - 1;
    assert_int_equal(cycle_update(admin, &u, NULL), OKR_E_BAD_REQUEST);
    u.end_at = u.start_at + DAY_MS;
    u.name = "one day";
    assert_int_equal(cycle_update(admin, &u, NULL), OKR_E_CONFLICT);
    u.id = 999999;
    u.name = "Ghost";
    assert_int_equal(cycle_update(admin, &u, NULL), OKR_E_NOT_FOUND);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

static void test_cycle_list_paging(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t made[5];
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "List Cycle %d", i);
        made[i] = cycle_new(admin, name, T0, T0 + 30 * DAY_MS);
    }
    /* One of them closed (nothing in it). */
    Okr__Response *resp = NULL;
    assert_int_equal(cycle_close(admin, made[2], 1, &resp), OKR_OK);
    assert_int_equal(resp->cycle_close->objectives_scored, 0);
    okr__response__free_unpacked(resp, NULL);

    uint64_t ids[256];
    size_t n = cycle_list_all(admin, 0, 2, ids, 256);
    for (int i = 0; i < 5; i++)
        assert_int_equal(contains(ids, n, made[i]), i != 2);
    size_t all = cycle_list_all(admin, 1, 2, ids, 256);
    assert_int_equal(all, n + 1);
    for (int i = 0; i < 5; i++)
        assert_true(contains(ids, all, made[i]));
    assert_int_equal(cycle_list(admin, 0, 0, 2, &resp), OKR_OK);
    assert_int_equal(resp->cycle_list->n_cycles, all > 2 ? 2 : all);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

static void test_cycle_close_empty_and_frozen(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t c = cycle_new(admin, "Frozen", T0, T0 + 60 * DAY_MS);
    assert_int_equal(cycle_set_state(admin, c, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE), OKR_OK);
    Okr__Response *resp = NULL;
    /* Stale version: CONFLICT with the current state. */
    assert_int_equal(cycle_close(admin, c, 1, &resp), OKR_E_CONFLICT);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_CYCLE);
    assert_int_equal(resp->cycle->version, 2);
    assert_int_equal(resp->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_close(admin, 999999, 1, NULL), OKR_E_NOT_FOUND);
    assert_int_equal(cycle_close(admin, 0, 1, NULL), OKR_E_BAD_REQUEST);

    assert_int_equal(cycle_close(admin, c, 2, &resp), OKR_OK);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_CYCLE_CLOSE);
    Okr__Cycle *cy = resp->cycle_close->cycle;
    assert_int_equal(cy->state, OKR__CYCLE_STATE__CYCLE_STATE_CLOSED);
    assert_int_equal(cy->version, 3);
    assert_true(cy->closed_at > 0);
    okr__response__free_unpacked(resp, NULL);

    /* Closed is final: no second close, no update of any field. */
    assert_int_equal(cycle_close(admin, c, 3, &resp), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(resp->message, "already closed"));
    okr__response__free_unpacked(resp, NULL);
    Okr__Cycle u = *cycle_fetch(admin, c, &resp);
    u.name = "Thawed";
    Okr__Response *refused = NULL;
    assert_int_equal(cycle_update(admin, &u, &refused), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(refused->message, "closed"));
    okr__response__free_unpacked(refused, NULL);
    u.name = "Frozen";
    u.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    assert_int_equal(cycle_update(admin, &u, NULL), OKR_E_BAD_REQUEST);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_version(admin, c), 3);

    char *log = ts_read_log(&server);
    assert_non_null(log);
    assert_non_null(strstr(log, "cycle Frozen closed: 0 objectives scored"));
    free(log);
    okr_client_free(admin);
}

static void test_member_forbidden(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    assert_int_equal(ts_create_user(admin, "fb-mem", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    uint64_t team = team_new(admin, "Forbidden Team", 0);
    uint64_t cyc = cycle_new(admin, "Forbidden Cycle", T0, T0 + DAY_MS);
    okr_client_t *m = ts_login(&server, "fb-mem", "password-123");
    uint64_t me = whoami_id(m);

    assert_int_equal(team_create(m, "Member Made", 0, NULL), OKR_E_FORBIDDEN);
    Okr__Response *resp = NULL;
    Okr__Team tu = *team_fetch(m, team, &resp); /* reads are fine */
    tu.name = "Member Renamed";
    assert_int_equal(team_update(m, &tu, NULL), OKR_E_FORBIDDEN);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(set_member(m, team, me, NULL, OKR__TEAM_ROLE__TEAM_ROLE_LEAD, NULL),
                     OKR_E_FORBIDDEN);
    assert_int_equal(team_list(m, 0, 1, 0, 0, 0, NULL), OKR_OK);

    assert_int_equal(cycle_create(m, "Member Cycle", T0, T0 + DAY_MS, NULL), OKR_E_FORBIDDEN);
    Okr__Cycle cu = *cycle_fetch(m, cyc, &resp);
    cu.name = "Member Renamed";
    assert_int_equal(cycle_update(m, &cu, NULL), OKR_E_FORBIDDEN);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_close(m, cyc, 1, NULL), OKR_E_FORBIDDEN);
    assert_int_equal(start_from(m, cyc, "Member Start", T0, T0 + DAY_MS, NULL, 0, NULL),
                     OKR_E_FORBIDDEN);
    assert_int_equal(cycle_list(m, 1, 0, 0, NULL), OKR_OK);

    /* Nothing changed. */
    Okr__Team *t = team_fetch(admin, team, &resp);
    assert_string_equal(t->name, "Forbidden Team");
    assert_int_equal(t->version, 1);
    assert_int_equal(t->n_member_ids, 0);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_version(admin, cyc), 1);
    assert_int_equal(cycle_get(admin, 0, "Member Cycle", NULL), OKR_E_NOT_FOUND);
    assert_int_equal(cycle_get(admin, 0, "Member Start", NULL), OKR_E_NOT_FOUND);
    okr_client_free(m);
    okr_client_free(admin);
}

/* Start from with no objectives: a new cycle only; and its refusals. */
static void test_start_from_refusals(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t src = cycle_new(admin, "SF Source", T0, T0 + 90 * DAY_MS);
    Okr__Response *resp = NULL;
    assert_int_equal(
        start_from(admin, src, "SF Empty", T0 + 91 * DAY_MS, T0 + 181 * DAY_MS, NULL, 0, &resp),
        OKR_OK);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_CYCLE_START_FROM);
    assert_string_equal(resp->cycle_start_from->cycle->name, "SF Empty");
    assert_int_equal(resp->cycle_start_from->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_PLANNING);
    assert_int_equal(resp->cycle_start_from->n_objectives, 0);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(start_from(admin, src, "sf empty", T0, T0 + DAY_MS, NULL, 0, NULL),
                     OKR_E_CONFLICT);
    assert_int_equal(start_from(admin, 999999, "SF Nowhere", T0, T0 + DAY_MS, NULL, 0, &resp),
                     OKR_E_NOT_FOUND);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(start_from(admin, 0, "SF Nowhere", T0, T0 + DAY_MS, NULL, 0, NULL),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(start_from(admin, src, "", T0, T0 + DAY_MS, NULL, 0, NULL), OKR_E_BAD_REQUEST);
    assert_int_equal(start_from(admin, src, "SF Backwards", T0 + DAY_MS, T0, NULL, 0, NULL),
                     OKR_E_BAD_REQUEST);
    uint64_t unknown = 987654;
    assert_int_equal(start_from(admin, src, "SF Unknown", T0, T0 + DAY_MS, &unknown, 1, &resp),
                     OKR_E_BAD_REQUEST);
    assert_non_null(strstr(resp->message, "O987654"));
    okr__response__free_unpacked(resp, NULL);
    /* Refusals made nothing. */
    assert_int_equal(cycle_get(admin, 0, "SF Unknown", NULL), OKR_E_NOT_FOUND);
    assert_int_equal(cycle_get(admin, 0, "SF Backwards", NULL), OKR_E_NOT_FOUND);
    okr_client_free(admin);
}

/* ------------------------------------------------ tests needing objectives and key results */

static void test_cycle_close_scores(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t me = whoami_id(admin);
    uint64_t team = team_new(admin, "Close Team", 0);
    uint64_t cyc = cycle_new(admin, "Close Q", T0, T0 + 90 * DAY_MS);
    assert_int_equal(cycle_set_state(admin, cyc, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE), OKR_OK);

    uint64_t o1 = 0, o2 = 0, o3 = 0, k1 = 0, k2 = 0;
    NEED(objective_create(admin, cyc, me, team, 0, "Delight customers", &o1), "objective_create");
    assert_true(o1 > 0);
    assert_int_equal(objective_create(admin, cyc, me, team, 0, "Ship faster", &o2), OKR_OK);
    assert_int_equal(objective_create(admin, cyc, me, team, 0, "Dropped idea", &o3), OKR_OK);
    NEED(kr_create(admin, o1, me, "NPS to 100", 0, 100, 0, &k1), "key_result_create");
    assert_int_equal(kr_create(admin, o2, me, "Lead time to 1 day", 10, 1, 0, &k2), OKR_OK);
    NEED(checkin(admin, k1, 50), "checkin");
    assert_int_equal(checkin(admin, k2, 4), OKR_OK); /* (4 - 10) / (1 - 10) = 2/3 */
    NEED(objective_archive(admin, o3), "objective_archive");

    Okr__Response *resp = NULL;
    assert_int_equal(cycle_close(admin, cyc, 2, &resp), OKR_OK);
    assert_int_equal(resp->cycle_close->objectives_scored, 2);
    assert_int_equal(resp->cycle_close->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_CLOSED);
    okr__response__free_unpacked(resp, NULL);

    double want[2] = {0.5, 2.0 / 3.0};
    uint64_t objs[2] = {o1, o2};
    for (int i = 0; i < 2; i++) {
        resp = NULL;
        NEED_R(objective_get(admin, objs[i], &resp), "objective_get", resp);
        Okr__Objective *o = resp->objective_detail->objective;
        assert_int_equal(o->state, OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED);
        assert_true(fabs(o->score - want[i]) < 1e-9);
        assert_true(fabs(o->progress - want[i]) < 1e-9);
        okr__response__free_unpacked(resp, NULL);
    }
    assert_int_equal(objective_get(admin, o3, &resp), OKR_OK);
    assert_int_equal(resp->objective_detail->objective->state,
                     OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED);
    assert_true(resp->objective_detail->objective->score == 0);
    okr__response__free_unpacked(resp, NULL);

    /* Frozen: check-ins on its key results are refused (by their handler). */
    assert_int_not_equal(checkin(admin, k1, 90), OKR_OK);
    char *log = ts_read_log(&server);
    assert_non_null(strstr(log, "cycle Close Q closed: 2 objectives scored"));
    free(log);
    okr_client_free(admin);
}

static int kr_list(okr_client_t *c, uint64_t objective, Okr__Response **out)
{
    Okr__KeyResultListRequest kl = OKR__KEY_RESULT_LIST_REQUEST__INIT;
    kl.objective_id = objective;
    Okr__Request req = request(OKR__REQUEST__OP_KEY_RESULT_LIST, &kl);
    return ts_call(c, &req, out);
}

static const Okr__Objective *find_copy(const Okr__CycleStartFromResult *res, uint64_t from)
{
    for (size_t i = 0; i < res->n_objectives; i++)
        if (res->objectives[i]->copied_from_id == from)
            return res->objectives[i];
    fail_msg("no copy of O%llu", (unsigned long long)from);
    return NULL;
}

static void test_cycle_start_from_copies(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t me = whoami_id(admin);
    uint64_t team = team_new(admin, "Copy Team", 0);
    uint64_t src = cycle_new(admin, "Copy Q1", T0, T0 + 90 * DAY_MS);
    uint64_t elsewhere = cycle_new(admin, "Copy Elsewhere", T0, T0 + 90 * DAY_MS);
    assert_int_equal(cycle_set_state(admin, src, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE), OKR_OK);

    /* top <- mid <- leaf (alignment); top's second key result is linked to mid. */
    uint64_t top = 0, mid = 0, leaf = 0, alone = 0, foreign = 0;
    NEED(objective_create(admin, src, me, team, 0, "Top", &top), "objective_create");
    assert_int_equal(objective_create(admin, src, me, team, top, "Mid", &mid), OKR_OK);
    assert_int_equal(objective_create(admin, src, me, team, mid, "Leaf", &leaf), OKR_OK);
    assert_int_equal(objective_create(admin, src, me, team, 0, "Alone", &alone), OKR_OK);
    assert_int_equal(objective_create(admin, elsewhere, me, team, 0, "Foreign", &foreign), OKR_OK);
    uint64_t k_top = 0, k_link = 0, k_mid = 0, k_leaf = 0;
    NEED(kr_create(admin, top, me, "Revenue", 100, 200, 0, &k_top), "key_result_create");
    assert_int_equal(kr_create(admin, top, me, "Mid done", 0, 1, mid, &k_link), OKR_OK);
    assert_int_equal(kr_create(admin, mid, me, "Mid metric", 0, 10, 0, &k_mid), OKR_OK);
    assert_int_equal(kr_create(admin, leaf, me, "Leaf metric", 0, 10, 0, &k_leaf), OKR_OK);
    NEED(checkin(admin, k_top, 150), "checkin");
    assert_int_equal(checkin(admin, k_mid, 10), OKR_OK);

    /* An objective of another cycle is refused, naming it. */
    uint64_t bad[2] = {top, foreign};
    Okr__Response *resp = NULL;
    assert_int_equal(start_from(admin, src, "Copy Bad", T0, T0 + DAY_MS, bad, 2, &resp),
                     OKR_E_BAD_REQUEST);
    char want[64];
    snprintf(want, sizeof want, "O%llu", (unsigned long long)foreign);
    assert_non_null(strstr(resp->message, want));
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_get(admin, 0, "Copy Bad", NULL), OKR_E_NOT_FOUND);

    /* Copy top and mid (listed twice), not leaf: mid stays aligned to top's copy. */
    uint64_t pick[3] = {mid, top, mid};
    int64_t q2 = T0 + 91 * DAY_MS;
    assert_int_equal(start_from(admin, src, "Copy Q2", q2, q2 + 90 * DAY_MS, pick, 3, &resp),
                     OKR_OK);
    Okr__CycleStartFromResult *res = resp->cycle_start_from;
    assert_string_equal(res->cycle->name, "Copy Q2");
    assert_int_equal(res->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_PLANNING);
    assert_int_equal(res->n_objectives, 2);
    const Okr__Objective *top2 = find_copy(res, top), *mid2 = find_copy(res, mid);
    uint64_t top2_id = top2->id, mid2_id = mid2->id, q2_id = res->cycle->id;
    assert_true(top2_id != top && mid2_id != mid);
    assert_int_equal(top2->cycle_id, q2_id);
    assert_int_equal(top2->parent_id, 0);
    assert_int_equal(mid2->parent_id, top2_id);
    assert_string_equal(top2->title, "Top");
    assert_int_equal(top2->state, OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE);
    assert_true(top2->progress == 0 && mid2->progress == 0);
    assert_true(top2->score == 0 && !top2->score_overridden);
    assert_int_equal(top2->version, 1);
    assert_int_not_equal(top2->status, OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED);
    okr__response__free_unpacked(resp, NULL);

    /* The copied key results: reset to start, linked one follows mid's copy. */
    resp = NULL;
    NEED_R(kr_list(admin, top2_id, &resp), "key_result_list", resp);
    Okr__KeyResultList *kl = resp->key_result_list;
    assert_int_equal(kl->n_key_results, 2);
    for (size_t i = 0; i < kl->n_key_results; i++) {
        Okr__KeyResult *k = kl->key_results[i];
        assert_int_equal(k->objective_id, top2_id);
        assert_true(k->id != k_top && k->id != k_link);
        assert_true(k->current == k->start);
        assert_true(k->progress == 0);
        assert_int_equal(k->last_checkin_at, 0);
        if (strcmp(k->title, "Mid done") == 0)
            assert_int_equal(k->linked_objective_id, mid2_id);
        else
            assert_int_equal(k->linked_objective_id, 0);
    }
    okr__response__free_unpacked(resp, NULL);
    /* The source is untouched. */
    assert_int_equal(objective_get(admin, top, &resp), OKR_OK);
    assert_true(resp->objective_detail->objective->progress > 0);
    assert_int_equal(resp->objective_detail->objective->cycle_id, src);
    okr__response__free_unpacked(resp, NULL);

    /* Leaf without mid: its parent is not copied, so it becomes a root; top
     * without mid: its linked key result is cleared. */
    uint64_t only[2] = {leaf, top};
    assert_int_equal(start_from(admin, src, "Copy Q3", q2, q2 + DAY_MS, only, 2, &resp), OKR_OK);
    res = resp->cycle_start_from;
    assert_int_equal(find_copy(res, leaf)->parent_id, 0);
    uint64_t top3 = find_copy(res, top)->id;
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(kr_list(admin, top3, &resp), OKR_OK);
    for (size_t i = 0; i < resp->key_result_list->n_key_results; i++)
        assert_int_equal(resp->key_result_list->key_results[i]->linked_objective_id, 0);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

/* ---------------------------------------------------------------- restart */

static void test_restart_keeps_everything(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    assert_int_equal(ts_create_user(admin, "rs-lee", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    uint64_t lee = user_id_of(admin, "rs-lee");
    uint64_t root = team_new(admin, "Restart Co", 0);
    uint64_t team = team_new(admin, "Restart Team", root);
    assert_int_equal(set_member(admin, team, lee, NULL, OKR__TEAM_ROLE__TEAM_ROLE_LEAD, NULL),
                     OKR_OK);
    uint64_t open = cycle_new(admin, "Restart Open", T0, T0 + 90 * DAY_MS);
    uint64_t shut = cycle_new(admin, "Restart Shut", T0, T0 + 90 * DAY_MS);
    assert_int_equal(cycle_close(admin, shut, 1, NULL), OKR_OK);
    okr_client_free(admin);

    ts_stop(&server);
    ts_start(&server, NULL);

    admin = admin_login();
    Okr__Response *resp = NULL;
    assert_int_equal(team_get(admin, 0, "restart team", &resp), OKR_OK);
    Okr__Team *t = resp->team;
    assert_int_equal(t->id, team);
    assert_int_equal(t->parent_id, root);
    assert_int_equal(t->version, 2);
    assert_int_equal(t->n_lead_ids, 1);
    assert_int_equal(t->lead_ids[0], lee);
    assert_int_equal(t->n_member_ids, 1);
    okr__response__free_unpacked(resp, NULL);
    uint64_t ids[256];
    size_t n = team_list_all(admin, root, 0, 0, 2, ids, 256);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], team);
    assert_int_equal(team_create(admin, "RESTART CO", 0, NULL), OKR_E_CONFLICT);

    assert_int_equal(cycle_get(admin, 0, "Restart Open", &resp), OKR_OK);
    assert_int_equal(resp->cycle->id, open);
    assert_int_equal(resp->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_PLANNING);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_get(admin, shut, NULL, &resp), OKR_OK);
    assert_int_equal(resp->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_CLOSED);
    assert_true(resp->cycle->closed_at > 0);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(cycle_create(admin, "restart open", T0, T0 + DAY_MS, NULL), OKR_E_CONFLICT);
    /* Ids keep counting after a restart. */
    uint64_t next = team_new(admin, "Restart Later", 0);
    assert_true(next > team);
    okr_client_free(admin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_team_create_get),
        cmocka_unit_test(test_team_update),
        cmocka_unit_test(test_team_list_paging),
        cmocka_unit_test(test_team_set_member),
        cmocka_unit_test(test_cycle_create_get_update),
        cmocka_unit_test(test_cycle_list_paging),
        cmocka_unit_test(test_cycle_close_empty_and_frozen),
        cmocka_unit_test(test_member_forbidden),
        cmocka_unit_test(test_start_from_refusals),
        cmocka_unit_test(test_cycle_close_scores),
        cmocka_unit_test(test_cycle_start_from_copies),
        cmocka_unit_test(test_restart_keeps_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
