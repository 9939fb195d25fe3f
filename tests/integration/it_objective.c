/* Integration: objectives and key results against a real okrd — validation,
 * authorisation, visibility, versions, paging, archive/delete, closed cycles,
 * roll-up, and a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "harness.h"
#include "world.h"
#include "okr_error.h"

#define PASSWORD "password-123"
#define DAY_MS   (24LL * 3600 * 1000)
#define EPS      1e-6

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

/* ---- requests ---- */

static Okr__Request request(Okr__Request__OpCase op, void *body)
{
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = op;
    req.hello = body; /* every op member of the oneof shares one pointer slot */
    return req;
}

static int call(okr_client_t *c, Okr__Request__OpCase op, void *body, Okr__Response **out)
{
    Okr__Request req = request(op, body);
    return ts_call(c, &req, out);
}

/* Asserts status and that the message mentions what; frees the response. */
static void expect_msg(okr_client_t *c, Okr__Request__OpCase op, void *body, int status,
                       const char *what)
{
    Okr__Response *resp = NULL;
    int rc = call(c, op, body, &resp);
    if (rc != status || (what && (!resp->message || !strstr(resp->message, what))))
        fail_msg("expected status %d with \"%s\", got %d: %s", status, what ? what : "", rc,
                 resp && resp->message ? resp->message : "(no message)");
    okr__response__free_unpacked(resp, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static okr_client_t *admin_login(void)
{
    return ts_login(&server, "admin", TS_ADMIN_PASSWORD);
}

static uint64_t user_id(okr_client_t *c, const char *name)
{
    Okr__UserGetRequest g = OKR__USER_GET_REQUEST__INIT;
    g.username = (char *)name;
    Okr__Response *resp = NULL;
    assert_int_equal(call(c, OKR__REQUEST__OP_USER_GET, &g, &resp), OKR_OK);
    uint64_t id = resp->user->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

/* A new member, logged in. */
static okr_client_t *member(okr_client_t *admin, const char *name, uint64_t *id)
{
    assert_int_equal(ts_create_user(admin, name, PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    if (id)
        *id = user_id(admin, name);
    return ts_login(&server, name, PASSWORD);
}

/* A cycle running from 10 days ago to 80 days ahead. */
static uint64_t cycle_new(okr_client_t *admin, const char *name)
{
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = (char *)name;
    cc.start_at = now_ms() - 10 * DAY_MS;
    cc.end_at = now_ms() + 80 * DAY_MS;
    Okr__Response *resp = NULL;
    int rc = call(admin, OKR__REQUEST__OP_CYCLE_CREATE, &cc, &resp);
    if (rc != OKR_OK)
        fail_msg("cycle create: %d %s", rc, resp ? resp->message : "");
    uint64_t id = resp->cycle->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static void cycle_close(okr_client_t *admin, uint64_t id)
{
    Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
    g.id = id;
    Okr__Response *resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_CYCLE_GET, &g, &resp), OKR_OK);
    Okr__CycleCloseRequest cl = OKR__CYCLE_CLOSE_REQUEST__INIT;
    cl.id = id;
    cl.version = resp->cycle->version;
    okr__response__free_unpacked(resp, NULL);
    resp = NULL;
    int rc = call(admin, OKR__REQUEST__OP_CYCLE_CLOSE, &cl, &resp);
    if (rc != OKR_OK)
        fail_msg("cycle close: %d %s", rc, resp ? resp->message : "");
    okr__response__free_unpacked(resp, NULL);
}

static void team_set(okr_client_t *admin, uint64_t team, uint64_t user, Okr__TeamRole role)
{
    Okr__TeamSetMemberRequest sm = OKR__TEAM_SET_MEMBER_REQUEST__INIT;
    sm.team_id = team;
    sm.user_id = user;
    sm.role = role;
    Okr__Response *resp = NULL;
    int rc = call(admin, OKR__REQUEST__OP_TEAM_SET_MEMBER, &sm, &resp);
    if (rc != OKR_OK)
        fail_msg("team set member: %d %s", rc, resp ? resp->message : "");
    okr__response__free_unpacked(resp, NULL);
}

/* ---- objectives ---- */

static int obj_create(okr_client_t *c, Okr__Objective *o, Okr__Response **out)
{
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = o;
    return call(c, OKR__REQUEST__OP_OBJECTIVE_CREATE, &oc, out);
}

static void expect_create(okr_client_t *c, Okr__Objective *o, int status, const char *what)
{
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = o;
    expect_msg(c, OKR__REQUEST__OP_OBJECTIVE_CREATE, &oc, status, what);
}

/* A public objective owned by the caller. Asserts OK. */
static uint64_t obj_new(okr_client_t *c, const char *title, uint64_t cycle, uint64_t parent)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = (char *)title;
    o.cycle_id = cycle;
    o.parent_id = parent;
    Okr__Response *resp = NULL;
    int rc = obj_create(c, &o, &resp);
    if (rc != OKR_OK)
        fail_msg("objective create \"%s\": %d %s", title, rc, resp ? resp->message : "");
    uint64_t id = resp->objective->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static int obj_get(okr_client_t *c, uint64_t id, Okr__Response **out)
{
    Okr__ObjectiveGetRequest g = OKR__OBJECTIVE_GET_REQUEST__INIT;
    g.id = id;
    return call(c, OKR__REQUEST__OP_OBJECTIVE_GET, &g, out);
}

/* The stored objective (caller frees with okr__objective__free_unpacked). */
static Okr__Objective *obj_fetch(okr_client_t *c, uint64_t id)
{
    Okr__Response *resp = NULL;
    assert_int_equal(obj_get(c, id, &resp), OKR_OK);
    Okr__Objective *o = resp->objective_detail->objective;
    resp->objective_detail->objective = NULL;
    okr__response__free_unpacked(resp, NULL);
    return o;
}

static double obj_progress(okr_client_t *c, uint64_t id)
{
    Okr__Objective *o = obj_fetch(c, id);
    double p = o->progress;
    okr__objective__free_unpacked(o, NULL);
    return p;
}

static int obj_update(okr_client_t *c, Okr__Objective *o, Okr__Response **out)
{
    Okr__ObjectiveUpdateRequest ou = OKR__OBJECTIVE_UPDATE_REQUEST__INIT;
    ou.objective = o;
    return call(c, OKR__REQUEST__OP_OBJECTIVE_UPDATE, &ou, out);
}

/* Re-reads objective id, lets edit() change it, and sends the update. */
static int obj_edit(okr_client_t *c, uint64_t id, void (*edit)(Okr__Objective *, void *), void *arg,
                    char *msg, size_t msglen)
{
    Okr__Objective *o = obj_fetch(c, id);
    edit(o, arg);
    Okr__Response *resp = NULL;
    int rc = obj_update(c, o, &resp);
    if (msg)
        snprintf(msg, msglen, "%s", resp && resp->message ? resp->message : "");
    okr__response__free_unpacked(resp, NULL);
    okr__objective__free_unpacked(o, NULL);
    return rc;
}

static void edit_parent(Okr__Objective *o, void *arg)
{
    o->parent_id = *(uint64_t *)arg;
}

static void edit_title(Okr__Objective *o, void *arg)
{
    free(o->title); /* the default allocator's: free_unpacked frees the copy */
    o->title = strdup(arg);
}

static void edit_cycle(Okr__Objective *o, void *arg)
{
    o->cycle_id = *(uint64_t *)arg;
}

static void edit_owner_user(Okr__Objective *o, void *arg)
{
    o->owner_user_id = *(uint64_t *)arg;
    o->owner_team_id = 0;
}

static int obj_archive(okr_client_t *c, uint64_t id, uint64_t version)
{
    Okr__ObjectiveArchiveRequest a = OKR__OBJECTIVE_ARCHIVE_REQUEST__INIT;
    a.id = id;
    a.version = version;
    return call(c, OKR__REQUEST__OP_OBJECTIVE_ARCHIVE, &a, NULL);
}

static int obj_delete(okr_client_t *c, uint64_t id, uint64_t version, Okr__Response **out)
{
    Okr__ObjectiveDeleteRequest d = OKR__OBJECTIVE_DELETE_REQUEST__INIT;
    d.id = id;
    d.version = version;
    return call(c, OKR__REQUEST__OP_OBJECTIVE_DELETE, &d, out);
}

/* ---- key results ---- */

static int kr_create(okr_client_t *c, Okr__KeyResult *k, Okr__Response **out)
{
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = k;
    return call(c, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc, out);
}

static void expect_kr_create(okr_client_t *c, Okr__KeyResult *k, int status, const char *what)
{
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = k;
    expect_msg(c, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc, status, what);
}

static uint64_t kr_new(okr_client_t *c, uint64_t obj, double start, double target, double weight,
                       uint64_t linked)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = obj;
    k.title = "a key result";
    k.start = start;
    k.target = target;
    k.weight = weight;
    k.linked_objective_id = linked;
    Okr__Response *resp = NULL;
    int rc = kr_create(c, &k, &resp);
    if (rc != OKR_OK)
        fail_msg("key result create: %d %s", rc, resp ? resp->message : "");
    uint64_t id = resp->key_result->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static Okr__KeyResult *kr_fetch(okr_client_t *c, uint64_t id)
{
    Okr__KeyResultGetRequest g = OKR__KEY_RESULT_GET_REQUEST__INIT;
    g.id = id;
    Okr__Response *resp = NULL;
    assert_int_equal(call(c, OKR__REQUEST__OP_KEY_RESULT_GET, &g, &resp), OKR_OK);
    Okr__KeyResult *k = resp->key_result;
    resp->key_result = NULL;
    resp->result_case = OKR__RESPONSE__RESULT__NOT_SET;
    okr__response__free_unpacked(resp, NULL);
    return k;
}

/* Moves a key result's start, keeping its current value: the way to give a
 * key result progress without check-ins. Returns the status. */
static int kr_set_start(okr_client_t *c, uint64_t id, double start)
{
    Okr__KeyResult *k = kr_fetch(c, id);
    k->start = start;
    Okr__KeyResultUpdateRequest ku = OKR__KEY_RESULT_UPDATE_REQUEST__INIT;
    ku.key_result = k;
    int rc = call(c, OKR__REQUEST__OP_KEY_RESULT_UPDATE, &ku, NULL);
    okr__key_result__free_unpacked(k, NULL);
    return rc;
}

static int checkin(okr_client_t *c, uint64_t kr, double value)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr;
    ci.value = value;
    ci.note = "weekly";
    Okr__Response *resp = NULL;
    int rc = call(c, OKR__REQUEST__OP_CHECKIN, &ci, &resp);
    if (rc != OKR_OK)
        fail_msg("check-in: %d %s", rc, resp ? resp->message : "");
    okr__response__free_unpacked(resp, NULL);
    return rc;
}

/* Ids listed by one objective_list request (all pages, limit per page). */
static size_t obj_list_all(okr_client_t *c, Okr__ObjectiveListRequest *l, uint32_t limit,
                           uint64_t *ids, size_t max, size_t *pages)
{
    Okr__Page page = OKR__PAGE__INIT;
    page.limit = limit;
    l->page = &page;
    size_t n = 0;
    *pages = 0;
    for (int guard = 0; guard < 100; guard++) {
        Okr__Response *resp = NULL;
        assert_int_equal(call(c, OKR__REQUEST__OP_OBJECTIVE_LIST, l, &resp), OKR_OK);
        (*pages)++;
        assert_true(resp->objective_list->n_objectives <= limit);
        for (size_t i = 0; i < resp->objective_list->n_objectives && n < max; i++)
            ids[n++] = resp->objective_list->objectives[i]->id;
        page.after_id = resp->objective_list->next_after_id;
        okr__response__free_unpacked(resp, NULL);
        if (page.after_id == 0)
            break;
    }
    l->page = NULL;
    return n;
}

static int contains(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ---- tests ---- */

static void test_create_defaults_and_validation(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t me = user_id(admin, "admin");
    uint64_t q1 = cycle_new(admin, "v-2026-Q1");
    uint64_t q2 = cycle_new(admin, "v-2026-Q2");

    /* Defaults, and server-kept fields from the request are ignored. */
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = "Delight customers";
    o.cycle_id = q2;
    o.progress = 0.9;
    o.version = 77;
    o.key_result_count = 5;
    o.score = 1.0;
    o.copied_from_id = 3;
    Okr__Response *resp = NULL;
    assert_int_equal(obj_create(admin, &o, &resp), OKR_OK);
    Okr__Objective *got = resp->objective;
    assert_true(got->id > 0);
    assert_int_equal(got->owner_user_id, me);
    assert_int_equal(got->owner_team_id, 0);
    assert_int_equal(got->kind, OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED);
    assert_int_equal(got->visibility, OKR__VISIBILITY__VISIBILITY_PUBLIC);
    assert_int_equal(got->state, OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE);
    assert_int_equal(got->version, 1);
    assert_int_equal(got->key_result_count, 0);
    assert_int_equal(got->copied_from_id, 0);
    assert_true(fabs(got->progress) < EPS);
    assert_true(got->created_at > 0);
    uint64_t q2_obj = got->id;
    okr__response__free_unpacked(resp, NULL);

    /* A draft is allowed; closed and archived are not states to start in. */
    o = (Okr__Objective)OKR__OBJECTIVE__INIT;
    o.title = "Draft";
    o.cycle_id = q2;
    o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT;
    resp = NULL;
    assert_int_equal(obj_create(admin, &o, &resp), OKR_OK);
    assert_int_equal(resp->objective->state, OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_DRAFT);
    okr__response__free_unpacked(resp, NULL);
    o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_CLOSED;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "draft or active");
    o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "draft or active");
    o.state = 0;

    /* Field validation. */
    o.title = "";
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "title");
    char long_title[300];
    memset(long_title, 'x', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    o.title = long_title;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "title");
    o.title = "Valid";
    o.cycle_id = 0;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "cycle");
    o.cycle_id = 999999;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "no cycle");
    o.cycle_id = q2;
    o.owner_user_id = me;
    o.owner_team_id = 12;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "exactly one owner");
    o.owner_user_id = o.owner_team_id = 0;
    o.visibility = OKR__VISIBILITY__VISIBILITY_TEAM;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "team");
    o.visibility = (Okr__Visibility)9;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "visibility");
    o.visibility = 0;
    o.kind = (Okr__ObjectiveKind)9;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "kind");
    o.kind = 0;
    o.team_id = 999999;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "no team");
    o.team_id = 0;
    o.owner_user_id = 999999;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "no user");
    o.owner_user_id = 0;

    /* Parents: unknown, and in another cycle. */
    o.parent_id = 999999;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "no objective O999999");
    o.parent_id = q2_obj;
    o.cycle_id = q1;
    char want[128];
    snprintf(want, sizeof want,
             "parent O%llu is in cycle v-2026-Q2, not v-2026-Q1: align within one cycle",
             (unsigned long long)q2_obj);
    expect_create(admin, &o, OKR_E_BAD_REQUEST, want);
    o.cycle_id = q2;
    resp = NULL;
    assert_int_equal(obj_create(admin, &o, &resp), OKR_OK);
    assert_int_equal(resp->objective->parent_id, q2_obj);
    okr__response__free_unpacked(resp, NULL);

    /* An archived parent takes no new children. */
    uint64_t old = obj_new(admin, "Old", q2, 0);
    assert_int_equal(obj_archive(admin, old, 1), OKR_OK);
    o.parent_id = old;
    expect_create(admin, &o, OKR_E_BAD_REQUEST, "archived");

    /* Get: unknown id. */
    assert_int_equal(obj_get(admin, 999999, NULL), OKR_E_NOT_FOUND);
    okr_client_free(admin);
}

static void test_authorisation(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "auth-cycle");
    uint64_t amy_id, bob_id, lea_id;
    okr_client_t *amy = member(admin, "auth-amy", &amy_id);
    okr_client_t *bob = member(admin, "auth-bob", &bob_id);
    okr_client_t *lea = member(admin, "auth-lea", &lea_id);
    uint64_t team = tw_team(admin, "auth-team", 0);
    team_set(admin, team, amy_id, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    team_set(admin, team, lea_id, OKR__TEAM_ROLE__TEAM_ROLE_LEAD);

    /* A member creates and edits their own objective. */
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = "Amy's objective";
    o.cycle_id = cyc;
    o.team_id = team;
    Okr__Response *resp = NULL;
    assert_int_equal(obj_create(amy, &o, &resp), OKR_OK);
    uint64_t amys = resp->objective->id;
    assert_int_equal(resp->objective->owner_user_id, amy_id);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(obj_edit(amy, amys, edit_title, "Amy's better objective", NULL, 0), OKR_OK);

    /* ... but not one owned by someone else, nor one of a team she only belongs to. */
    o.owner_user_id = bob_id;
    o.team_id = 0;
    expect_create(amy, &o, OKR_E_FORBIDDEN, NULL);
    o.owner_user_id = 0;
    o.owner_team_id = team;
    expect_create(amy, &o, OKR_E_FORBIDDEN, NULL);
    /* Another member may not edit, archive, delete or add key results to it. */
    assert_int_equal(obj_edit(bob, amys, edit_title, "Bob was here", NULL, 0), OKR_E_FORBIDDEN);
    assert_int_equal(obj_archive(bob, amys, 0), OKR_E_FORBIDDEN);
    assert_int_equal(obj_delete(bob, amys, 0, NULL), OKR_E_FORBIDDEN);
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = amys;
    k.title = "Bob's key result";
    k.target = 10;
    expect_kr_create(bob, &k, OKR_E_FORBIDDEN, NULL);
    /* Amy may not hand her objective to Bob (she could no longer edit it). */
    assert_int_equal(obj_edit(amy, amys, edit_owner_user, &bob_id, NULL, 0), OKR_E_FORBIDDEN);

    /* The team's lead creates team objectives and edits the team's members' ones. */
    resp = NULL;
    assert_int_equal(obj_create(lea, &o, &resp), OKR_OK);
    uint64_t teams = resp->objective->id;
    assert_int_equal(resp->objective->team_id, team);
    assert_int_equal(resp->objective->owner_user_id, 0);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(obj_edit(lea, amys, edit_title, "Amy's objective, as Lea sees it", NULL, 0),
                     OKR_OK);
    uint64_t k1 = kr_new(lea, amys, 0, 10, 1, 0);
    assert_true(k1 > 0);
    /* A member of the team may not edit the team's objective. */
    assert_int_equal(obj_edit(amy, teams, edit_title, "Amy's now", NULL, 0), OKR_E_FORBIDDEN);
    /* The owner of a key result may edit it even without editing its objective. */
    k.owner_user_id = bob_id;
    k.title = "Bob owns this";
    resp = NULL;
    assert_int_equal(kr_create(lea, &k, &resp), OKR_OK);
    uint64_t bobs_kr = resp->key_result->id;
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(kr_set_start(bob, bobs_kr, -5), OKR_OK);
    assert_int_equal(kr_set_start(bob, k1, -5), OKR_E_FORBIDDEN);

    /* An admin edits anything. */
    assert_int_equal(obj_edit(admin, amys, edit_title, "Admin's edit", NULL, 0), OKR_OK);
    assert_int_equal(obj_edit(admin, teams, edit_title, "Admin's edit", NULL, 0), OKR_OK);
    o.owner_team_id = 0;
    o.owner_user_id = bob_id;
    assert_int_equal(obj_create(admin, &o, NULL), OKR_OK);

    okr_client_free(lea);
    okr_client_free(bob);
    okr_client_free(amy);
    okr_client_free(admin);
}

static void test_update_versions_and_alignment(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "upd-cycle");
    uint64_t other = cycle_new(admin, "upd-other");
    uint64_t a = obj_new(admin, "A", cyc, 0);
    uint64_t b = obj_new(admin, "B", cyc, a);
    uint64_t c = obj_new(admin, "C", cyc, b);
    uint64_t x = obj_new(admin, "X", other, 0);

    /* A stale version is a conflict that carries the current state. */
    Okr__Objective *o = obj_fetch(admin, a);
    assert_int_equal(o->version, 1);
    free(o->title);
    o->title = strdup("A, renamed");
    Okr__Response *resp = NULL;
    assert_int_equal(obj_update(admin, o, &resp), OKR_OK);
    assert_int_equal(resp->objective->version, 2);
    assert_string_equal(resp->objective->title, "A, renamed");
    okr__response__free_unpacked(resp, NULL);
    free(o->title);
    o->title = strdup("A, again from a stale copy");
    resp = NULL;
    assert_int_equal(obj_update(admin, o, &resp), OKR_E_CONFLICT);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_OBJECTIVE);
    assert_int_equal(resp->objective->version, 2);
    assert_string_equal(resp->objective->title, "A, renamed");
    assert_non_null(strstr(resp->message, "reload"));
    okr__response__free_unpacked(resp, NULL);
    okr__objective__free_unpacked(o, NULL);

    /* Validation on update. */
    char msg[256];
    assert_int_equal(obj_edit(admin, a, edit_title, "", msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "title"));

    /* Alignment loops, directly and through the chain. */
    char want[128];
    assert_int_equal(obj_edit(admin, a, edit_parent, &c, msg, sizeof msg), OKR_E_BAD_REQUEST);
    snprintf(want, sizeof want, "aligning O%llu under O%llu would make a loop",
             (unsigned long long)a, (unsigned long long)c);
    assert_string_equal(msg, want);
    assert_int_equal(obj_edit(admin, a, edit_parent, &a, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "loop"));
    /* Parent in another cycle, and an unknown parent. */
    assert_int_equal(obj_edit(admin, c, edit_parent, &x, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "align within one cycle"));
    uint64_t nowhere = 999999;
    assert_int_equal(obj_edit(admin, c, edit_parent, &nowhere, msg, sizeof msg), OKR_E_BAD_REQUEST);
    /* An objective stays in its cycle. */
    assert_int_equal(obj_edit(admin, x, edit_cycle, &cyc, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "stays in cycle upd-other"));
    /* A legal move: C from B to A; B's and A's children change. */
    assert_int_equal(obj_edit(admin, c, edit_parent, &a, NULL, 0), OKR_OK);
    resp = NULL;
    assert_int_equal(obj_get(admin, a, &resp), OKR_OK);
    assert_int_equal(resp->objective_detail->child_count, 2);
    okr__response__free_unpacked(resp, NULL);
    resp = NULL;
    assert_int_equal(obj_get(admin, b, &resp), OKR_OK);
    assert_int_equal(resp->objective_detail->child_count, 0);
    assert_non_null(resp->objective_detail->parent);
    assert_int_equal(resp->objective_detail->parent->id, a);
    assert_true(resp->objective_detail->expected > 0.05 && resp->objective_detail->expected < 0.2);
    okr__response__free_unpacked(resp, NULL);

    /* Unknown objective. */
    o = obj_fetch(admin, a);
    o->id = 999999;
    assert_int_equal(obj_update(admin, o, NULL), OKR_E_NOT_FOUND);
    okr__objective__free_unpacked(o, NULL);

    /* Retrospective: anyone who can edit, any time. */
    Okr__ObjectiveRetroRequest rr = OKR__OBJECTIVE_RETRO_REQUEST__INIT;
    rr.id = b;
    rr.retrospective = "We learned a lot.";
    resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_OBJECTIVE_RETRO, &rr, &resp), OKR_OK);
    assert_string_equal(resp->objective->retrospective, "We learned a lot.");
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

static void test_team_visibility(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "vis-cycle");
    uint64_t mem_id, top_id, out_id;
    okr_client_t *mem = member(admin, "vis-member", &mem_id);
    okr_client_t *top = member(admin, "vis-toplead", &top_id);
    okr_client_t *out = member(admin, "vis-outsider", &out_id);
    uint64_t company = tw_team(admin, "vis-company", 0);
    uint64_t team = tw_team(admin, "vis-team", company);
    team_set(admin, team, mem_id, OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    team_set(admin, company, top_id, OKR__TEAM_ROLE__TEAM_ROLE_LEAD);

    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = "Secret plan";
    o.cycle_id = cyc;
    o.owner_team_id = team;
    o.visibility = OKR__VISIBILITY__VISIBILITY_TEAM;
    Okr__Response *resp = NULL;
    assert_int_equal(obj_create(admin, &o, &resp), OKR_OK);
    uint64_t secret = resp->objective->id;
    okr__response__free_unpacked(resp, NULL);
    uint64_t kr = kr_new(admin, secret, 0, 10, 1, 0);
    uint64_t pub = obj_new(admin, "Public plan", cyc, 0);

    /* The outsider: not found, not listed, not countable. */
    assert_int_equal(obj_get(out, secret, NULL), OKR_E_NOT_FOUND);
    Okr__KeyResultGetRequest kg = OKR__KEY_RESULT_GET_REQUEST__INIT;
    kg.id = kr;
    assert_int_equal(call(out, OKR__REQUEST__OP_KEY_RESULT_GET, &kg, NULL), OKR_E_NOT_FOUND);
    Okr__KeyResultListRequest kl = OKR__KEY_RESULT_LIST_REQUEST__INIT;
    kl.objective_id = secret;
    assert_int_equal(call(out, OKR__REQUEST__OP_KEY_RESULT_LIST, &kl, NULL), OKR_E_NOT_FOUND);
    uint64_t ids[64];
    size_t pages;
    Okr__ObjectiveListRequest l = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    l.cycle_id = cyc;
    size_t n = obj_list_all(out, &l, 100, ids, 64, &pages);
    assert_false(contains(ids, n, secret));
    assert_true(contains(ids, n, pub));
    l.cycle_id = 0;
    l.team_id = team;
    assert_int_equal(obj_list_all(out, &l, 100, ids, 64, &pages), 0);
    /* Nor can the outsider align under it. */
    Okr__Objective child = OKR__OBJECTIVE__INIT;
    child.title = "Sneaky child";
    child.cycle_id = cyc;
    child.parent_id = secret;
    expect_create(out, &child, OKR_E_BAD_REQUEST, "no objective");

    /* A member of the team and the lead of the parent team see it. */
    okr_client_t *readers[] = {mem, top, admin};
    for (size_t i = 0; i < 3; i++) {
        resp = NULL;
        assert_int_equal(obj_get(readers[i], secret, &resp), OKR_OK);
        assert_int_equal(resp->objective_detail->n_key_results, 1);
        okr__response__free_unpacked(resp, NULL);
        l.team_id = 0;
        l.cycle_id = cyc;
        n = obj_list_all(readers[i], &l, 100, ids, 64, &pages);
        assert_true(contains(ids, n, secret));
        assert_true(contains(ids, n, pub));
    }
    /* The parent team's lead may edit it too; the member may not. */
    assert_int_equal(obj_edit(top, secret, edit_title, "Secret plan v2", NULL, 0), OKR_OK);
    assert_int_equal(obj_edit(mem, secret, edit_title, "Secret plan v3", NULL, 0), OKR_E_FORBIDDEN);

    /* A child the outsider cannot read does not count for them. */
    o.title = "Secret child";
    o.parent_id = pub;
    assert_int_equal(obj_create(admin, &o, NULL), OKR_OK);
    resp = NULL;
    assert_int_equal(obj_get(out, pub, &resp), OKR_OK);
    assert_int_equal(resp->objective_detail->child_count, 0);
    okr__response__free_unpacked(resp, NULL);
    resp = NULL;
    assert_int_equal(obj_get(mem, pub, &resp), OKR_OK);
    assert_int_equal(resp->objective_detail->child_count, 1);
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(out);
    okr_client_free(top);
    okr_client_free(mem);
    okr_client_free(admin);
}

static void test_list_paging_and_filters(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "list-cycle");
    uint64_t pat_id;
    okr_client_t *pat = member(admin, "list-pat", &pat_id);
    uint64_t root = obj_new(admin, "Root", cyc, 0);
    uint64_t mine[5];
    for (int i = 0; i < 5; i++)
        mine[i] = obj_new(pat, "Pat's", cyc, root);
    uint64_t gone = obj_new(pat, "Gone", cyc, 0);
    assert_int_equal(obj_archive(pat, gone, 1), OKR_OK);

    /* No filter at all is refused. */
    Okr__ObjectiveListRequest l = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    expect_msg(admin, OKR__REQUEST__OP_OBJECTIVE_LIST, &l, OKR_E_BAD_REQUEST, NULL);

    /* Paging by 2 visits each of pat's 5 live objectives once, ascending. */
    uint64_t ids[64];
    size_t pages;
    l.owner_user_id = pat_id;
    size_t n = obj_list_all(admin, &l, 2, ids, 64, &pages);
    assert_int_equal(n, 5);
    assert_int_equal(pages, 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], mine[i]);
    /* With the archived one. */
    l.include_archived = 1;
    n = obj_list_all(admin, &l, 2, ids, 64, &pages);
    assert_int_equal(n, 6);
    assert_true(contains(ids, n, gone));
    l.include_archived = 0;

    /* Children of root; roots of the cycle; the cycle with an owner filter. */
    l.owner_user_id = 0;
    l.parent_id = root;
    n = obj_list_all(pat, &l, 100, ids, 64, &pages);
    assert_int_equal(n, 5);
    l.parent_id = 0;
    l.cycle_id = cyc;
    l.roots_only = 1;
    n = obj_list_all(pat, &l, 100, ids, 64, &pages);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], root);
    l.roots_only = 0;
    l.owner_user_id = pat_id;
    n = obj_list_all(pat, &l, 2, ids, 64, &pages);
    assert_int_equal(n, 5);
    /* A page that exactly fills: no next page is announced. */
    Okr__Page page = OKR__PAGE__INIT;
    page.limit = 5;
    l.page = &page;
    Okr__Response *resp = NULL;
    assert_int_equal(call(pat, OKR__REQUEST__OP_OBJECTIVE_LIST, &l, &resp), OKR_OK);
    assert_int_equal(resp->objective_list->n_objectives, 5);
    assert_int_equal(resp->objective_list->next_after_id, 0);
    okr__response__free_unpacked(resp, NULL);
    l.page = NULL;

    /* Key results: list by objective and by owner, paged. */
    uint64_t krs[3];
    for (int i = 0; i < 3; i++)
        krs[i] = kr_new(pat, mine[0], 0, 10 + i, 1, 0);
    Okr__KeyResultListRequest kl = OKR__KEY_RESULT_LIST_REQUEST__INIT;
    kl.owner_user_id = pat_id;
    page = (Okr__Page)OKR__PAGE__INIT;
    page.limit = 2;
    kl.page = &page;
    resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_KEY_RESULT_LIST, &kl, &resp), OKR_OK);
    assert_int_equal(resp->key_result_list->n_key_results, 2);
    assert_int_equal(resp->key_result_list->key_results[0]->id, krs[0]);
    assert_int_equal(resp->key_result_list->next_after_id, krs[1]);
    page.after_id = krs[1];
    okr__response__free_unpacked(resp, NULL);
    resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_KEY_RESULT_LIST, &kl, &resp), OKR_OK);
    assert_int_equal(resp->key_result_list->n_key_results, 1);
    assert_int_equal(resp->key_result_list->key_results[0]->id, krs[2]);
    assert_int_equal(resp->key_result_list->next_after_id, 0);
    okr__response__free_unpacked(resp, NULL);
    kl.page = NULL;
    kl.objective_id = mine[0];
    expect_msg(admin, OKR__REQUEST__OP_KEY_RESULT_LIST, &kl, OKR_E_BAD_REQUEST, "exactly one");
    kl.owner_user_id = 0;
    resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_KEY_RESULT_LIST, &kl, &resp), OKR_OK);
    assert_int_equal(resp->key_result_list->n_key_results, 3);
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(pat);
    okr_client_free(admin);
}

/* ObjectiveListRequest.with_key_results (1.5): each page carries its
 * objectives' key results, the live ones only, of objectives the caller may
 * read only, and ends after whole objectives once it holds a thousand. */
static void test_list_with_key_results(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "with-krs-cycle");
    uint64_t pat_id;
    okr_client_t *pat = member(admin, "with-krs-pat", &pat_id);
    uint64_t team = tw_team(admin, "with-krs-team", 0);
    uint64_t a = obj_new(pat, "A", cyc, 0);
    uint64_t a1 = kr_new(pat, a, 0, 10, 1, 0), a2 = kr_new(pat, a, 0, 10, 1, 0);
    uint64_t gone = kr_new(pat, a, 0, 10, 1, 0);
    assert_int_equal(checkin(pat, gone, 5), OKR_OK);
    Okr__KeyResultDeleteRequest kd = OKR__KEY_RESULT_DELETE_REQUEST__INIT;
    kd.id = gone;
    kd.version = 1;
    Okr__Response *resp = NULL;
    assert_int_equal(call(pat, OKR__REQUEST__OP_KEY_RESULT_DELETE, &kd, &resp), OKR_OK);
    assert_true(resp->key_result->archived); /* it had a check-in */
    okr__response__free_unpacked(resp, NULL);
    /* B: a thousand key results, 25 to an objective as okrd allows */
    uint64_t b[40];
    for (int i = 0; i < 40; i++) {
        b[i] = obj_new(pat, "B", cyc, 0);
        for (int k = 0; k < 25; k++)
            kr_new(pat, b[i], 0, 10, 1, 0);
    }
    uint64_t c = obj_new(pat, "C", cyc, 0);
    uint64_t c1 = kr_new(pat, c, 0, 10, 1, 0);
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = "Not for pat";
    o.cycle_id = cyc;
    o.owner_team_id = team;
    o.visibility = OKR__VISIBILITY__VISIBILITY_TEAM;
    assert_int_equal(obj_create(admin, &o, &resp), OKR_OK);
    uint64_t hidden = resp->objective->id;
    okr__response__free_unpacked(resp, NULL);
    uint64_t h1 = kr_new(admin, hidden, 0, 10, 1, 0);

    Okr__Page page = OKR__PAGE__INIT;
    page.limit = 100;
    Okr__ObjectiveListRequest l = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    l.cycle_id = cyc;
    l.page = &page;
    l.with_key_results = 1;
    /* A's two live key results and B's thousand: the page ends after the last B */
    assert_int_equal(call(pat, OKR__REQUEST__OP_OBJECTIVE_LIST, &l, &resp), OKR_OK);
    const Okr__ObjectiveList *list = resp->objective_list;
    assert_int_equal(list->n_objectives, 41);
    assert_int_equal(list->objectives[0]->id, a);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(list->objectives[1 + i]->id, b[i]);
    assert_int_equal(list->next_after_id, b[39]);
    assert_int_equal(list->n_key_results, 1002);
    assert_int_equal(list->key_results[0]->id, a1);
    assert_int_equal(list->key_results[1]->id, a2);
    for (size_t k = 2; k < list->n_key_results; k++)
        assert_int_equal(list->key_results[k]->objective_id, b[(k - 2) / 25]);
    okr__response__free_unpacked(resp, NULL);
    page.after_id = b[39];
    assert_int_equal(call(pat, OKR__REQUEST__OP_OBJECTIVE_LIST, &l, &resp), OKR_OK);
    list = resp->objective_list;
    assert_int_equal(list->n_objectives, 1); /* not the hidden one */
    assert_int_equal(list->objectives[0]->id, c);
    assert_int_equal(list->n_key_results, 1);
    assert_int_equal(list->key_results[0]->id, c1);
    assert_int_equal(list->next_after_id, 0);
    okr__response__free_unpacked(resp, NULL);
    /* the admin reads the hidden objective and its key result */
    assert_int_equal(call(admin, OKR__REQUEST__OP_OBJECTIVE_LIST, &l, &resp), OKR_OK);
    assert_int_equal(resp->objective_list->n_objectives, 2);
    assert_int_equal(resp->objective_list->objectives[1]->id, hidden);
    assert_int_equal(resp->objective_list->n_key_results, 2);
    assert_int_equal(resp->objective_list->key_results[1]->id, h1);
    okr__response__free_unpacked(resp, NULL);
    /* without it, none: what a client before 1.5 gets */
    l.with_key_results = 0;
    page.after_id = 0;
    assert_int_equal(call(pat, OKR__REQUEST__OP_OBJECTIVE_LIST, &l, &resp), OKR_OK);
    assert_int_equal(resp->objective_list->n_objectives, 42);
    assert_int_equal(resp->objective_list->n_key_results, 0);
    okr__response__free_unpacked(resp, NULL);

    okr_client_free(pat);
    okr_client_free(admin);
}

static void test_key_result_validation(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "krv-cycle");
    uint64_t other = cycle_new(admin, "krv-other");
    uint64_t sam_id;
    okr_client_t *sam = member(admin, "krv-sam", &sam_id);
    uint64_t obj = obj_new(sam, "Sam's", cyc, 0);
    uint64_t child = obj_new(sam, "Sam's child", cyc, obj);
    uint64_t stranger = obj_new(sam, "Not a child", cyc, 0);
    uint64_t elsewhere = obj_new(sam, "Other cycle", other, 0);

    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = obj;
    k.title = "";
    k.target = 10;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "title");
    k.title = "Ship it";
    k.target = 0;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST,
                     "target equals start: a key result must be measurable");
    k.start = k.target = 5;
    k.metric = OKR__METRIC__METRIC_PERCENT;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "target equals start");
    k.metric = 0;
    k.start = NAN;
    k.target = 10;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "start must be a finite number");
    k.start = 0;
    k.target = INFINITY;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "target must be a finite number");
    k.target = 10;
    k.weight = -1;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "weight");
    k.weight = NAN;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "weight");
    k.weight = 0;
    k.metric = (Okr__Metric)42;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "metric");
    k.metric = 0;
    char unit[64];
    memset(unit, 'u', sizeof unit - 1);
    unit[sizeof unit - 1] = '\0';
    k.unit = unit;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "unit");
    k.unit = "customers";
    k.objective_id = 999999;
    expect_kr_create(sam, &k, OKR_E_NOT_FOUND, NULL);
    k.objective_id = obj;
    k.owner_user_id = 999999;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "no user");
    k.owner_user_id = 0;

    /* Links: only to a child objective of the same cycle. */
    k.linked_objective_id = stranger;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "not aligned under");
    k.linked_objective_id = elsewhere;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "another cycle");
    k.linked_objective_id = 999999;
    expect_kr_create(sam, &k, OKR_E_BAD_REQUEST, "no objective");
    k.linked_objective_id = child;
    assert_int_equal(kr_create(sam, &k, NULL), OKR_OK);
    k.linked_objective_id = 0;

    /* Defaults: number, weight 1, current = start, owner = the objective's owner. */
    k.start = 3;
    Okr__Response *resp = NULL;
    assert_int_equal(kr_create(admin, &k, &resp), OKR_OK);
    Okr__KeyResult *got = resp->key_result;
    assert_int_equal(got->metric, OKR__METRIC__METRIC_NUMBER);
    assert_true(fabs(got->weight - 1) < EPS);
    assert_true(fabs(got->current - 3) < EPS);
    assert_int_equal(got->owner_user_id, sam_id);
    assert_int_equal(got->version, 1);
    assert_string_equal(got->unit, "customers");
    uint64_t k_id = got->id;
    okr__response__free_unpacked(resp, NULL);

    /* Boolean: start 0, target 1 whatever was sent. */
    k.metric = OKR__METRIC__METRIC_BOOLEAN;
    k.start = 7;
    k.target = 7;
    resp = NULL;
    assert_int_equal(kr_create(sam, &k, &resp), OKR_OK);
    assert_true(fabs(resp->key_result->start) < EPS);
    assert_true(fabs(resp->key_result->target - 1) < EPS);
    okr__response__free_unpacked(resp, NULL);

    /* The objective counts its key results. */
    Okr__Objective *o = obj_fetch(sam, obj);
    assert_int_equal(o->key_result_count, 3);
    okr__objective__free_unpacked(o, NULL);

    /* Update: stale version, validation, a good edit. */
    Okr__KeyResult *cur = kr_fetch(sam, k_id);
    Okr__KeyResultUpdateRequest ku = OKR__KEY_RESULT_UPDATE_REQUEST__INIT;
    ku.key_result = cur;
    cur->target = cur->start;
    expect_msg(sam, OKR__REQUEST__OP_KEY_RESULT_UPDATE, &ku, OKR_E_BAD_REQUEST,
               "target equals start");
    cur->target = 20;
    cur->start = NAN;
    expect_msg(sam, OKR__REQUEST__OP_KEY_RESULT_UPDATE, &ku, OKR_E_BAD_REQUEST, "finite");
    cur->start = 3;
    resp = NULL;
    assert_int_equal(call(sam, OKR__REQUEST__OP_KEY_RESULT_UPDATE, &ku, &resp), OKR_OK);
    assert_int_equal(resp->key_result->version, 2);
    assert_true(fabs(resp->key_result->target - 20) < EPS);
    okr__response__free_unpacked(resp, NULL);
    cur->target = 30; /* still version 1 */
    resp = NULL;
    assert_int_equal(call(sam, OKR__REQUEST__OP_KEY_RESULT_UPDATE, &ku, &resp), OKR_E_CONFLICT);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_KEY_RESULT);
    assert_int_equal(resp->key_result->version, 2);
    assert_true(fabs(resp->key_result->target - 20) < EPS);
    okr__response__free_unpacked(resp, NULL);
    okr__key_result__free_unpacked(cur, NULL);

    okr_client_free(sam);
    okr_client_free(admin);
}

static void test_archive_and_delete(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "del-cycle");
    uint64_t parent = obj_new(admin, "Parent", cyc, 0);
    uint64_t child = obj_new(admin, "Child", cyc, parent);
    uint64_t with_kr = obj_new(admin, "With KR", cyc, 0);
    uint64_t kr = kr_new(admin, with_kr, 0, 10, 1, 0);

    char want[128];
    snprintf(want, sizeof want, "O%llu has key results: archive it instead (okr obj archive O%llu)",
             (unsigned long long)with_kr, (unsigned long long)with_kr);
    Okr__ObjectiveDeleteRequest d = OKR__OBJECTIVE_DELETE_REQUEST__INIT;
    d.id = with_kr;
    expect_msg(admin, OKR__REQUEST__OP_OBJECTIVE_DELETE, &d, OKR_E_BAD_REQUEST, want);
    d.id = parent;
    expect_msg(admin, OKR__REQUEST__OP_OBJECTIVE_DELETE, &d, OKR_E_BAD_REQUEST, "archive it");
    /* A stale version is a conflict. */
    d.id = child;
    d.version = 7;
    expect_msg(admin, OKR__REQUEST__OP_OBJECTIVE_DELETE, &d, OKR_E_CONFLICT, "reload");

    /* A key result without check-ins goes for good. */
    Okr__KeyResultDeleteRequest kd = OKR__KEY_RESULT_DELETE_REQUEST__INIT;
    kd.id = kr;
    kd.version = 1;
    Okr__Response *resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_KEY_RESULT_DELETE, &kd, &resp), OKR_OK);
    assert_false(resp->key_result->archived);
    assert_int_equal(resp->key_result->id, kr);
    okr__response__free_unpacked(resp, NULL);
    Okr__KeyResultGetRequest kg = OKR__KEY_RESULT_GET_REQUEST__INIT;
    kg.id = kr;
    assert_int_equal(call(admin, OKR__REQUEST__OP_KEY_RESULT_GET, &kg, NULL), OKR_E_NOT_FOUND);
    Okr__Objective *o = obj_fetch(admin, with_kr);
    assert_int_equal(o->key_result_count, 0);
    okr__objective__free_unpacked(o, NULL);

    /* Now the objective can be deleted; the reply is its last state. */
    resp = NULL;
    assert_int_equal(obj_delete(admin, with_kr, 1, &resp), OKR_OK);
    assert_int_equal(resp->objective->id, with_kr);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(obj_get(admin, with_kr, NULL), OKR_E_NOT_FOUND);
    assert_int_equal(obj_delete(admin, with_kr, 0, NULL), OKR_E_NOT_FOUND);

    /* Archive: state archived, version bumped, left out of the parent's children. */
    assert_int_equal(obj_archive(admin, child, 5), OKR_E_CONFLICT);
    assert_int_equal(obj_archive(admin, child, 1), OKR_OK);
    o = obj_fetch(admin, child);
    assert_int_equal(o->state, OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ARCHIVED);
    assert_int_equal(o->version, 2);
    okr__objective__free_unpacked(o, NULL);
    assert_int_equal(obj_archive(admin, child, 0), OKR_E_BAD_REQUEST);
    resp = NULL;
    assert_int_equal(obj_get(admin, parent, &resp), OKR_OK);
    assert_int_equal(resp->objective_detail->child_count, 0);
    okr__response__free_unpacked(resp, NULL);
    /* An archived objective takes no new key results. */
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = child;
    k.title = "late";
    k.target = 1;
    expect_kr_create(admin, &k, OKR_E_BAD_REQUEST, "archived");
    okr_client_free(admin);
}

static void test_rollup(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "roll-cycle");

    /* A parent without key results is the mean of its children. */
    uint64_t top = obj_new(admin, "Company", cyc, 0);
    uint64_t c1 = obj_new(admin, "Child 1", cyc, top);
    uint64_t c2 = obj_new(admin, "Child 2", cyc, top);
    uint64_t k1 = kr_new(admin, c1, 0, 10, 1, 0);
    kr_new(admin, c2, 0, 10, 1, 0);
    assert_int_equal(kr_set_start(admin, k1, -10), OKR_OK); /* current 0: half way */
    assert_true(fabs(obj_progress(admin, c1) - 0.5) < EPS);
    assert_true(fabs(obj_progress(admin, c2)) < EPS);
    assert_true(fabs(obj_progress(admin, top) - 0.25) < EPS);
    /* A third child at 0 dilutes the mean; archiving it restores it. */
    uint64_t c3 = obj_new(admin, "Child 3", cyc, top);
    assert_true(fabs(obj_progress(admin, top) - 0.5 / 3) < EPS);
    assert_int_equal(obj_archive(admin, c3, 0), OKR_OK);
    assert_true(fabs(obj_progress(admin, top) - 0.25) < EPS);
    /* Moving a child away moves both parents. */
    uint64_t top2 = obj_new(admin, "Company 2", cyc, 0);
    assert_int_equal(obj_edit(admin, c1, edit_parent, &top2, NULL, 0), OKR_OK);
    assert_true(fabs(obj_progress(admin, top)) < EPS);
    assert_true(fabs(obj_progress(admin, top2) - 0.5) < EPS);

    /* Weighted key results: weight 3 half way, weight 1 at zero -> 1.5 / 4. */
    uint64_t w = obj_new(admin, "Weighted", cyc, 0);
    uint64_t heavy = kr_new(admin, w, 0, 10, 3, 0);
    kr_new(admin, w, 0, 10, 1, 0);
    assert_int_equal(kr_set_start(admin, heavy, -10), OKR_OK);
    Okr__KeyResult *hk = kr_fetch(admin, heavy);
    assert_true(fabs(hk->progress - 0.5) < EPS);
    assert_int_equal(hk->version, 2);
    okr__key_result__free_unpacked(hk, NULL);
    assert_true(fabs(obj_progress(admin, w) - 0.375) < EPS);
    /* Each write made one change; the update's carries the objective's new figures. */
    Okr__HistoryRequest h = OKR__HISTORY_REQUEST__INIT;
    h.kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
    h.entity_id = heavy;
    Okr__Response *resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_HISTORY, &h, &resp), OKR_OK);
    assert_int_equal(resp->history->n_changes, 2);
    Okr__Change *ch0 = resp->history->changes[0], *ch1 = resp->history->changes[1];
    assert_int_equal(ch0->op, OKR__CHANGE_OP__CHANGE_OP_CREATE);
    assert_int_equal(ch1->op, OKR__CHANGE_OP__CHANGE_OP_UPDATE);
    assert_int_equal(ch1->entity_case, OKR__CHANGE__ENTITY_KEY_RESULT);
    assert_int_equal(ch1->key_result->version, 2);
    assert_true(ch1->n_ancestors >= 1);
    assert_int_equal(ch1->ancestors[0]->objective_id, w);
    assert_true(fabs(ch1->ancestors[0]->progress - 0.375) < EPS);
    okr__response__free_unpacked(resp, NULL);
    h.kind = OKR__ENTITY_KIND__ENTITY_KIND_OBJECTIVE;
    h.entity_id = c1; /* created, then moved */
    resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_HISTORY, &h, &resp), OKR_OK);
    assert_int_equal(resp->history->n_changes, 2);
    assert_int_equal(resp->history->changes[1]->objective->parent_id, top2);
    okr__response__free_unpacked(resp, NULL);

    /* A linked key result takes its child's progress, and follows it. */
    uint64_t p = obj_new(admin, "Linked parent", cyc, 0);
    uint64_t ch = obj_new(admin, "Linked child", cyc, p);
    uint64_t chk = kr_new(admin, ch, 0, 4, 1, 0);
    uint64_t link = kr_new(admin, p, 0, 100, 1, ch);
    assert_int_equal(kr_set_start(admin, chk, -4), OKR_OK); /* child at 0.5 */
    Okr__KeyResult *lk = kr_fetch(admin, link);
    assert_true(fabs(lk->progress - 0.5) < EPS);
    okr__key_result__free_unpacked(lk, NULL);
    assert_true(fabs(obj_progress(admin, p) - 0.5) < EPS);
    assert_int_equal(kr_set_start(admin, chk, -12), OKR_OK); /* (0+12)/(4+12) = 0.75 */
    assert_true(fabs(obj_progress(admin, ch) - 0.75) < EPS);
    assert_true(fabs(obj_progress(admin, p) - 0.75) < EPS);

    /* Decrease is better: start 100, target 0, current 100 -> 0; a start of
     * 200 makes current 100 half way. */
    uint64_t dec = obj_new(admin, "Fewer bugs", cyc, 0);
    uint64_t dk = kr_new(admin, dec, 100, 0, 1, 0);
    assert_true(fabs(obj_progress(admin, dec)) < EPS);
    assert_int_equal(kr_set_start(admin, dk, 200), OKR_OK);
    assert_true(fabs(obj_progress(admin, dec) - 0.5) < EPS);

    /* Deleting a key result rolls up too. */
    Okr__KeyResultDeleteRequest kd = OKR__KEY_RESULT_DELETE_REQUEST__INIT;
    kd.id = heavy;
    assert_int_equal(call(admin, OKR__REQUEST__OP_KEY_RESULT_DELETE, &kd, NULL), OKR_OK);
    assert_true(fabs(obj_progress(admin, w)) < EPS);
    okr_client_free(admin);
}

static void test_checkins_and_rollup(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "ci-cycle");
    uint64_t top = obj_new(admin, "Company", cyc, 0);
    uint64_t o = obj_new(admin, "Fewer incidents", cyc, top);
    uint64_t dec = kr_new(admin, o, 40, 10, 1, 0);
    checkin(admin, dec, 25); /* (25 - 40) / (10 - 40) = 0.5 */
    assert_true(fabs(obj_progress(admin, o) - 0.5) < EPS);
    assert_true(fabs(obj_progress(admin, top) - 0.5) < EPS);

    /* A key result with check-ins is archived, not deleted. */
    Okr__KeyResultDeleteRequest kd = OKR__KEY_RESULT_DELETE_REQUEST__INIT;
    kd.id = dec;
    Okr__Response *resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_KEY_RESULT_DELETE, &kd, &resp), OKR_OK);
    assert_true(resp->key_result->archived);
    okr__response__free_unpacked(resp, NULL);
    Okr__KeyResult *k = kr_fetch(admin, dec);
    assert_true(k->archived);
    okr__key_result__free_unpacked(k, NULL);
    resp = NULL;
    assert_int_equal(obj_get(admin, o, &resp), OKR_OK);
    assert_int_equal(resp->objective_detail->n_key_results, 0);
    assert_int_equal(resp->objective_detail->objective->key_result_count, 0);
    okr__response__free_unpacked(resp, NULL);
    assert_true(fabs(obj_progress(admin, top)) < EPS);
    /* Archived key results still keep the objective from being deleted. */
    Okr__ObjectiveDeleteRequest d = OKR__OBJECTIVE_DELETE_REQUEST__INIT;
    d.id = o;
    expect_msg(admin, OKR__REQUEST__OP_OBJECTIVE_DELETE, &d, OKR_E_BAD_REQUEST, "key results");
    okr_client_free(admin);
}

/* Moves cycle id to [start_at, end_at] (an admin's CycleUpdate). */
static void cycle_dates(okr_client_t *admin, uint64_t id, int64_t start_at, int64_t end_at)
{
    Okr__CycleGetRequest g = OKR__CYCLE_GET_REQUEST__INIT;
    g.id = id;
    Okr__Response *resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_CYCLE_GET, &g, &resp), OKR_OK);
    Okr__Cycle c = *resp->cycle;
    c.start_at = start_at;
    c.end_at = end_at;
    Okr__CycleUpdateRequest cu = OKR__CYCLE_UPDATE_REQUEST__INIT;
    cu.cycle = &c;
    Okr__Response *up = NULL;
    int rc = call(admin, OKR__REQUEST__OP_CYCLE_UPDATE, &cu, &up);
    if (rc != OKR_OK)
        fail_msg("cycle update: %d %s", rc, up ? up->message : "");
    okr__response__free_unpacked(up, NULL);
    okr__response__free_unpacked(resp, NULL);
}

static Okr__ProgressStatus obj_status(okr_client_t *c, uint64_t id)
{
    Okr__Objective *o = obj_fetch(c, id);
    Okr__ProgressStatus status = o->status;
    okr__objective__free_unpacked(o, NULL);
    return status;
}

#define ON_TRACK  OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK
#define OFF_TRACK OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK

/* An objective's status follows its cycle's pace with no write at all: what
 * okrd sends (get, list, mine) is brought to now. New cycle dates recompute
 * the stored status, both ways, and the cycle's change carries it. */
static void test_status_follows_pace(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    /* a cycle of 1.5 s: on track when made, behind once it is over */
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = "pace-cycle";
    cc.start_at = now_ms() - 100;
    cc.end_at = now_ms() + 1500;
    Okr__Response *resp = NULL;
    assert_int_equal(call(admin, OKR__REQUEST__OP_CYCLE_CREATE, &cc, &resp), OKR_OK);
    uint64_t cyc = resp->cycle->id;
    okr__response__free_unpacked(resp, NULL);
    uint64_t o = obj_new(admin, "Keep up with the pace", cyc, 0);
    uint64_t k = kr_new(admin, o, 0, 10, 1, 0);
    assert_int_equal(obj_status(admin, o), ON_TRACK);
    while (now_ms() < cc.end_at + 50)
        usleep(50 * 1000);
    assert_int_equal(obj_status(admin, o), OFF_TRACK);
    Okr__ObjectiveListRequest l = OKR__OBJECTIVE_LIST_REQUEST__INIT;
    l.cycle_id = cyc;
    assert_int_equal(call(admin, OKR__REQUEST__OP_OBJECTIVE_LIST, &l, &resp), OKR_OK);
    assert_int_equal(resp->objective_list->n_objectives, 1);
    assert_int_equal(resp->objective_list->objectives[0]->status, OFF_TRACK);
    okr__response__free_unpacked(resp, NULL);
    Okr__MineRequest m = OKR__MINE_REQUEST__INIT;
    m.cycle_id = cyc;
    assert_int_equal(call(admin, OKR__REQUEST__OP_MINE, &m, &resp), OKR_OK);
    assert_int_equal(resp->mine->n_objectives, 1);
    assert_int_equal(resp->mine->objectives[0]->status, OFF_TRACK);
    okr__response__free_unpacked(resp, NULL);

    /* Stored off track by a write while behind; a later end puts it back on
     * track at once, with no write to the objective. */
    assert_int_equal(checkin(admin, k, 0), OKR_OK);
    cycle_dates(admin, cyc, now_ms() - 10 * DAY_MS, now_ms() + 80 * DAY_MS);
    assert_int_equal(obj_status(admin, o), ON_TRACK);
    Okr__HistoryRequest h = OKR__HISTORY_REQUEST__INIT;
    h.kind = OKR__ENTITY_KIND__ENTITY_KIND_CYCLE;
    h.entity_id = cyc;
    assert_int_equal(call(admin, OKR__REQUEST__OP_HISTORY, &h, &resp), OKR_OK);
    const Okr__Change *last = resp->history->changes[resp->history->n_changes - 1];
    assert_int_equal(last->n_ancestors, 1);
    assert_int_equal(last->ancestors[0]->objective_id, o);
    assert_int_equal(last->ancestors[0]->status, ON_TRACK);
    okr__response__free_unpacked(resp, NULL);
    /* and an earlier end puts it behind, stored too: the change says so */
    cycle_dates(admin, cyc, now_ms() - 80 * DAY_MS, now_ms() + 10 * DAY_MS);
    assert_int_equal(obj_status(admin, o), OFF_TRACK);
    assert_int_equal(call(admin, OKR__REQUEST__OP_HISTORY, &h, &resp), OKR_OK);
    last = resp->history->changes[resp->history->n_changes - 1];
    assert_int_equal(last->n_ancestors, 1);
    assert_int_equal(last->ancestors[0]->status, OFF_TRACK);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
}

static void test_closed_cycle_and_scores(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t ola_id;
    okr_client_t *ola = member(admin, "closed-ola", &ola_id);
    okr_client_t *eve = member(admin, "closed-eve", NULL);
    uint64_t cyc = cycle_new(admin, "closed-cycle");
    uint64_t o = obj_new(ola, "Ola's", cyc, 0);
    uint64_t k = kr_new(ola, o, 0, 10, 1, 0);

    /* Scores wait for the close. */
    Okr__ObjectiveScoreRequest sc = OKR__OBJECTIVE_SCORE_REQUEST__INIT;
    sc.id = o;
    sc.score = 0.6;
    sc.note = "harder than it looked";
    expect_msg(ola, OKR__REQUEST__OP_OBJECTIVE_SCORE, &sc, OKR_E_BAD_REQUEST,
               "scores are set when the cycle closes");

    cycle_close(admin, cyc);
    /* Frozen: no new objectives, edits, key results, archive or delete. */
    Okr__Objective no = OKR__OBJECTIVE__INIT;
    no.title = "Too late";
    no.cycle_id = cyc;
    expect_create(ola, &no, OKR_E_BAD_REQUEST, "closed");
    char msg[256];
    assert_int_equal(obj_edit(ola, o, edit_title, "Renamed", msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "closed"));
    Okr__KeyResult nk = OKR__KEY_RESULT__INIT;
    nk.objective_id = o;
    nk.title = "Too late";
    nk.target = 3;
    expect_kr_create(ola, &nk, OKR_E_BAD_REQUEST, "closed");
    assert_int_equal(kr_set_start(ola, k, -10), OKR_E_BAD_REQUEST);
    assert_int_equal(obj_archive(ola, o, 0), OKR_E_BAD_REQUEST);
    assert_int_equal(obj_delete(ola, o, 0, NULL), OKR_E_BAD_REQUEST);
    Okr__KeyResultDeleteRequest kd = OKR__KEY_RESULT_DELETE_REQUEST__INIT;
    kd.id = k;
    expect_msg(ola, OKR__REQUEST__OP_KEY_RESULT_DELETE, &kd, OKR_E_BAD_REQUEST, "closed");

    /* Score overrides: validated, by the owner (not another member). */
    sc.note = "";
    expect_msg(ola, OKR__REQUEST__OP_OBJECTIVE_SCORE, &sc, OKR_E_BAD_REQUEST, "note");
    sc.note = "harder than it looked";
    sc.score = 1.5;
    expect_msg(ola, OKR__REQUEST__OP_OBJECTIVE_SCORE, &sc, OKR_E_BAD_REQUEST, "score");
    sc.score = NAN;
    expect_msg(ola, OKR__REQUEST__OP_OBJECTIVE_SCORE, &sc, OKR_E_BAD_REQUEST, "score");
    sc.score = 0.6;
    expect_msg(eve, OKR__REQUEST__OP_OBJECTIVE_SCORE, &sc, OKR_E_FORBIDDEN, NULL);
    Okr__Response *resp = NULL;
    assert_int_equal(call(ola, OKR__REQUEST__OP_OBJECTIVE_SCORE, &sc, &resp), OKR_OK);
    assert_true(fabs(resp->objective->score - 0.6) < EPS);
    assert_true(resp->objective->score_overridden);
    assert_string_equal(resp->objective->score_note, "harder than it looked");
    okr__response__free_unpacked(resp, NULL);
    /* Back to the computed progress. */
    sc.clear_override = 1;
    sc.note = "";
    resp = NULL;
    assert_int_equal(call(ola, OKR__REQUEST__OP_OBJECTIVE_SCORE, &sc, &resp), OKR_OK);
    assert_false(resp->objective->score_overridden);
    assert_true(fabs(resp->objective->score - resp->objective->progress) < EPS);
    assert_string_equal(resp->objective->score_note, "");
    okr__response__free_unpacked(resp, NULL);

    /* The retrospective is written at close. */
    Okr__ObjectiveRetroRequest rr = OKR__OBJECTIVE_RETRO_REQUEST__INIT;
    rr.id = o;
    rr.retrospective = "Start earlier next time.";
    assert_int_equal(call(ola, OKR__REQUEST__OP_OBJECTIVE_RETRO, &rr, NULL), OKR_OK);
    assert_int_equal(call(eve, OKR__REQUEST__OP_OBJECTIVE_RETRO, &rr, NULL), OKR_E_FORBIDDEN);
    okr_client_free(eve);
    okr_client_free(ola);
    okr_client_free(admin);
}

static void test_restart_keeps_everything(void **state)
{
    (void)state;
    okr_client_t *admin = admin_login();
    uint64_t cyc = cycle_new(admin, "keep-cycle");
    uint64_t top = obj_new(admin, "Keep me", cyc, 0);
    uint64_t child = obj_new(admin, "Keep my child", cyc, top);
    uint64_t k = kr_new(admin, child, 0, 8, 2, 0);
    assert_int_equal(kr_set_start(admin, k, -8), OKR_OK);
    okr_client_free(admin);

    ts_stop(&server);
    ts_start(&server, NULL);

    admin = admin_login();
    Okr__Response *resp = NULL;
    assert_int_equal(obj_get(admin, child, &resp), OKR_OK);
    Okr__ObjectiveDetail *d = resp->objective_detail;
    assert_string_equal(d->objective->title, "Keep my child");
    assert_int_equal(d->n_key_results, 1);
    assert_int_equal(d->key_results[0]->id, k);
    assert_true(fabs(d->key_results[0]->weight - 2) < EPS);
    assert_true(fabs(d->objective->progress - 0.5) < EPS);
    assert_non_null(d->parent);
    assert_int_equal(d->parent->id, top);
    okr__response__free_unpacked(resp, NULL);
    assert_true(fabs(obj_progress(admin, top) - 0.5) < EPS);
    okr_client_free(admin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_defaults_and_validation),
        cmocka_unit_test(test_authorisation),
        cmocka_unit_test(test_update_versions_and_alignment),
        cmocka_unit_test(test_team_visibility),
        cmocka_unit_test(test_list_paging_and_filters),
        cmocka_unit_test(test_list_with_key_results),
        cmocka_unit_test(test_key_result_validation),
        cmocka_unit_test(test_archive_and_delete),
        cmocka_unit_test(test_rollup),
        cmocka_unit_test(test_checkins_and_rollup),
        cmocka_unit_test(test_status_follows_pace),
        cmocka_unit_test(test_closed_cycle_and_scores),
        cmocka_unit_test(test_restart_keeps_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
