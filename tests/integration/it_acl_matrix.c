/* Integration: the authorisation matrix of DESIGN.md section 2, against a
 * real okrd. Every write operation is tried by an admin, a team lead, a team
 * member and an outsider, on an objective of their own team, of another
 * team, and on a `team`-visible objective; the outcome of every cell is
 * asserted and the whole matrix printed.
 *
 *   Company (root)
 *   ├── Alpha: lead "alead", member "amember"   objectives A (public), P (team-only)
 *   └── Beta:  lead "blead"                      objective  B (public)
 *   "outsider" belongs to no team.
 *
 * Login sessions (okr session list / revoke): each lists their own; only
 * the admin lists blead's, or ends one of them (FORBIDDEN, NOT_FOUND).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "world.h"
#include "okr_error.h"

static okr_test_server_t server;

enum { ADMIN, LEAD, MEMBER, OUTSIDER, NACTORS };
enum { T_OWN, T_OTHER, T_PRIVATE, NTARGETS };
static const char *const actor_names[NACTORS] = {"admin", "lead", "member", "outsider"};
static const char *const target_names[NTARGETS] = {"own team", "other team", "team-only"};

typedef struct world {
    okr_client_t *as[NACTORS];
    okr_client_t *blead;
    uint64_t target; /* a deactivated member, for the user administration ops */
    uint64_t user_id[NACTORS];
    uint64_t cycle;
    uint64_t alpha, beta;
} world_t;

static world_t w;

/* ---- small request helpers (admin-side setup) ---- */

static uint64_t user_id(okr_client_t *admin, const char *name)
{
    Okr__UserGetRequest g = OKR__USER_GET_REQUEST__INIT;
    g.username = (char *)name;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_USER_GET, &g);
    uint64_t id = resp->user->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static void team_member(uint64_t team, uint64_t user, Okr__TeamRole role)
{
    Okr__TeamSetMemberRequest m = OKR__TEAM_SET_MEMBER_REQUEST__INIT;
    m.team_id = team;
    m.user_id = user;
    m.role = role;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TEAM_SET_MEMBER;
    req.team_set_member = &m;
    okr__response__free_unpacked(tw_call_ok(w.as[ADMIN], &req), NULL);
}

/* A team-owned objective, created by the team's lead. */
static uint64_t objective_create(okr_client_t *c, uint64_t team, Okr__Visibility vis,
                                 uint64_t parent, uint64_t owner_user, int *status)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = "Delight our customers";
    o.cycle_id = w.cycle;
    o.owner_team_id = owner_user ? 0 : team;
    o.owner_user_id = owner_user;
    o.team_id = owner_user ? 0 : team;
    o.parent_id = parent;
    o.visibility = vis;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_CREATE;
    req.objective_create = &oc;
    Okr__Response *resp = NULL;
    *status = ts_call(c, &req, &resp);
    uint64_t id = *status == OKR_OK ? resp->objective->id : 0;
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return id;
}

static uint64_t kr_create(okr_client_t *c, uint64_t objective, int *status)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = objective;
    k.title = "Net promoter score";
    k.start = 20;
    k.target = 60;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_CREATE;
    req.key_result_create = &kc;
    Okr__Response *resp = NULL;
    *status = ts_call(c, &req, &resp);
    uint64_t id = *status == OKR_OK ? resp->key_result->id : 0;
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return id;
}

/* The objective of each target, and one key result under it, made fresh
 * for every cell so one cell's write never changes another's outcome. */
typedef struct target {
    uint64_t objective, kr;
} target_t;

static target_t make_target(int t)
{
    int st;
    okr_client_t *owner_lead = t == T_OTHER ? w.blead : w.as[LEAD];
    uint64_t team = t == T_OTHER ? w.beta : w.alpha;
    Okr__Visibility vis =
        t == T_PRIVATE ? OKR__VISIBILITY__VISIBILITY_TEAM : OKR__VISIBILITY__VISIBILITY_PUBLIC;
    target_t out;
    out.objective = objective_create(owner_lead, team, vis, 0, 0, &st);
    assert_int_equal(st, OKR_OK);
    out.kr = kr_create(owner_lead, out.objective, &st);
    assert_int_equal(st, OKR_OK);
    return out;
}

static uint64_t current_version(Okr__Request__OpCase op, uint64_t id)
{
    Okr__Request req = OKR__REQUEST__INIT;
    Okr__ObjectiveGetRequest og = OKR__OBJECTIVE_GET_REQUEST__INIT;
    Okr__KeyResultGetRequest kg = OKR__KEY_RESULT_GET_REQUEST__INIT;
    req.op_case = op;
    if (op == OKR__REQUEST__OP_OBJECTIVE_GET) {
        og.id = id;
        req.objective_get = &og;
    } else {
        kg.id = id;
        req.key_result_get = &kg;
    }
    Okr__Response *resp = tw_call_ok(w.as[ADMIN], &req);
    uint64_t v = op == OKR__REQUEST__OP_OBJECTIVE_GET ? resp->objective_detail->objective->version
                                                      : resp->key_result->version;
    okr__response__free_unpacked(resp, NULL);
    return v;
}

/* ---- the operations under test: each returns the status as okr_err_t ---- */

static int op_objective_update(int a, okr_client_t *c, target_t t)
{
    (void)a;
    Okr__Request get = OKR__REQUEST__INIT;
    Okr__ObjectiveGetRequest og = OKR__OBJECTIVE_GET_REQUEST__INIT;
    og.id = t.objective;
    get.op_case = OKR__REQUEST__OP_OBJECTIVE_GET;
    get.objective_get = &og;
    Okr__Response *cur = tw_call_ok(w.as[ADMIN], &get);
    Okr__Objective edited = *cur->objective_detail->objective; /* shallow: strings stay theirs */
    edited.title = "Delight our customers, twice";
    Okr__ObjectiveUpdateRequest ou = OKR__OBJECTIVE_UPDATE_REQUEST__INIT;
    ou.objective = &edited;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_UPDATE;
    req.objective_update = &ou;
    int rc = ts_call(c, &req, NULL);
    okr__response__free_unpacked(cur, NULL);
    return rc;
}

static int op_objective_archive(int a, okr_client_t *c, target_t t)
{
    (void)a;
    Okr__ObjectiveArchiveRequest ar = OKR__OBJECTIVE_ARCHIVE_REQUEST__INIT;
    ar.id = t.objective;
    ar.version = current_version(OKR__REQUEST__OP_OBJECTIVE_GET, t.objective);
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_ARCHIVE;
    req.objective_archive = &ar;
    return ts_call(c, &req, NULL);
}

/* A personal objective of the caller, aligned under the target. */
static int op_align_child(int a, okr_client_t *c, target_t t)
{
    int st;
    objective_create(c, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, t.objective, w.user_id[a], &st);
    return st;
}

static int op_kr_create(int a, okr_client_t *c, target_t t)
{
    (void)a;
    int st;
    kr_create(c, t.objective, &st);
    return st;
}

static int op_kr_update(int a, okr_client_t *c, target_t t)
{
    (void)a;
    Okr__Request get = OKR__REQUEST__INIT;
    Okr__KeyResultGetRequest kg = OKR__KEY_RESULT_GET_REQUEST__INIT;
    kg.id = t.kr;
    get.op_case = OKR__REQUEST__OP_KEY_RESULT_GET;
    get.key_result_get = &kg;
    Okr__Response *cur = tw_call_ok(w.as[ADMIN], &get);
    cur->key_result->target = 80;
    Okr__KeyResultUpdateRequest ku = OKR__KEY_RESULT_UPDATE_REQUEST__INIT;
    ku.key_result = cur->key_result;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_UPDATE;
    req.key_result_update = &ku;
    int rc = ts_call(c, &req, NULL);
    okr__response__free_unpacked(cur, NULL);
    return rc;
}

static int op_checkin(int a, okr_client_t *c, target_t t)
{
    (void)a;
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = t.kr;
    ci.value = 30;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CHECKIN;
    req.checkin = &ci;
    return ts_call(c, &req, NULL);
}

static int op_task_create(int a, okr_client_t *c, target_t t)
{
    (void)a;
    Okr__Task task = OKR__TASK__INIT;
    task.key_result_id = t.kr;
    task.title = "Call ten customers";
    Okr__TaskCreateRequest tc = OKR__TASK_CREATE_REQUEST__INIT;
    tc.task = &task;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TASK_CREATE;
    req.task_create = &tc;
    return ts_call(c, &req, NULL);
}

static int op_comment(int a, okr_client_t *c, target_t t)
{
    (void)a;
    Okr__Comment cm = OKR__COMMENT__INIT;
    cm.objective_id = t.objective;
    cm.body = "Great progress!";
    cm.kind = OKR__COMMENT_KIND__COMMENT_KIND_KUDOS;
    Okr__CommentCreateRequest cc = OKR__COMMENT_CREATE_REQUEST__INIT;
    cc.comment = &cm;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_COMMENT_CREATE;
    req.comment_create = &cc;
    return ts_call(c, &req, NULL);
}

static int op_read(int a, okr_client_t *c, target_t t)
{
    (void)a;
    Okr__ObjectiveGetRequest og = OKR__OBJECTIVE_GET_REQUEST__INIT;
    og.id = t.objective;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_GET;
    req.objective_get = &og;
    return ts_call(c, &req, NULL);
}

#define OK OKR_OK
#define FB OKR_E_FORBIDDEN
#define NF OKR_E_NOT_FOUND
#define BR OKR_E_BAD_REQUEST /* an unreadable parent is an "unknown parent" */
#define BR OKR_E_BAD_REQUEST /* an unreadable parent is an "unknown parent" */

typedef struct row {
    const char *op;
    int (*run)(int actor, okr_client_t *c, target_t t);
    int expect[NACTORS][NTARGETS];
} row_t;

/* What DESIGN.md section 2 says, cell by cell. */
static const row_t rows[] = {
    {"read objective", op_read, {{OK, OK, OK}, {OK, OK, OK}, {OK, OK, OK}, {OK, OK, NF}}},
    {"edit objective",
     op_objective_update,
     {{OK, OK, OK}, {OK, FB, OK}, {FB, FB, FB}, {FB, FB, NF}}},
    {"archive objective",
     op_objective_archive,
     {{OK, OK, OK}, {OK, FB, OK}, {FB, FB, FB}, {FB, FB, NF}}},
    {"align own objective under it",
     op_align_child,
     {{OK, OK, OK}, {OK, OK, OK}, {OK, OK, OK}, {OK, OK, BR}}},
    {"add key result", op_kr_create, {{OK, OK, OK}, {OK, FB, OK}, {FB, FB, FB}, {FB, FB, NF}}},
    {"edit key result", op_kr_update, {{OK, OK, OK}, {OK, FB, OK}, {FB, FB, FB}, {FB, FB, NF}}},
    {"check in", op_checkin, {{OK, OK, OK}, {OK, FB, OK}, {OK, FB, OK}, {FB, FB, NF}}},
    {"add task", op_task_create, {{OK, OK, OK}, {OK, FB, OK}, {FB, FB, FB}, {FB, FB, NF}}},
    {"comment / kudos", op_comment, {{OK, OK, OK}, {OK, OK, OK}, {OK, OK, OK}, {OK, OK, NF}}},
};

static const char *short_status(int rc)
{
    switch (rc) {
    case OKR_OK:
        return "ok";
    case OKR_E_FORBIDDEN:
        return "FORBIDDEN";
    case OKR_E_BAD_REQUEST:
        return "BAD_REQUEST";
    case OKR_E_NOT_FOUND:
        return "NOT_FOUND";
    default:
        return okr_strerror(rc);
    }
}

/* The request of admin_ops[op] in test_matrix; name is a new team's or
 * cycle's, or the user's new display name. Points into static storage. */
static void admin_request(int op, char *name, Okr__Request *req)
{
    static Okr__TeamCreateRequest tc;
    static Okr__CycleCreateRequest cc;
    static Okr__UserSetPasswordRequest sp;
    static Okr__UserActivateRequest ua;
    static Okr__UserSetNameRequest sn;
    switch (op) {
    case 0:
        okr__team_create_request__init(&tc);
        tc.name = name;
        req->op_case = OKR__REQUEST__OP_TEAM_CREATE;
        req->team_create = &tc;
        break;
    case 1:
        okr__cycle_create_request__init(&cc);
        cc.name = name;
        cc.start_at = 1;
        cc.end_at = 2;
        req->op_case = OKR__REQUEST__OP_CYCLE_CREATE;
        req->cycle_create = &cc;
        break;
    case 2:
        okr__user_set_password_request__init(&sp);
        sp.username = "target";
        sp.new_password = "password-456";
        req->op_case = OKR__REQUEST__OP_USER_SET_PASSWORD;
        req->user_set_password = &sp;
        break;
    case 3:
        okr__user_activate_request__init(&ua);
        ua.user_id = w.target;
        req->op_case = OKR__REQUEST__OP_USER_ACTIVATE;
        req->user_activate = &ua;
        break;
    default:
        okr__user_set_name_request__init(&sn);
        sn.username = "target";
        sn.display_name = name;
        req->op_case = OKR__REQUEST__OP_USER_SET_NAME;
        req->user_set_name = &sn;
        break;
    }
}

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--login-free-failures", "1000", NULL};
    ts_start(&server, extra);
    w.as[ADMIN] = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    const char *names[] = {"alead", "amember", "outsider", "blead"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(
            ts_create_user(w.as[ADMIN], names[i], "password-123", OKR__ROLE__ROLE_MEMBER), OKR_OK);
    w.as[LEAD] = ts_login(&server, "alead", "password-123");
    w.as[MEMBER] = ts_login(&server, "amember", "password-123");
    w.as[OUTSIDER] = ts_login(&server, "outsider", "password-123");
    w.blead = ts_login(&server, "blead", "password-123");
    w.user_id[ADMIN] = user_id(w.as[ADMIN], "admin");
    w.user_id[LEAD] = user_id(w.as[ADMIN], "alead");
    w.user_id[MEMBER] = user_id(w.as[ADMIN], "amember");
    w.user_id[OUTSIDER] = user_id(w.as[ADMIN], "outsider");
    assert_int_equal(ts_create_user(w.as[ADMIN], "target", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    w.target = user_id(w.as[ADMIN], "target");
    Okr__UserDeactivateRequest ud = OKR__USER_DEACTIVATE_REQUEST__INIT;
    ud.username = "target";
    okr__response__free_unpacked(tw_ok(w.as[ADMIN], OKR__REQUEST__OP_USER_DEACTIVATE, &ud), NULL);

    uint64_t company = tw_team(w.as[ADMIN], "Company", 0);
    w.alpha = tw_team(w.as[ADMIN], "Alpha", company);
    w.beta = tw_team(w.as[ADMIN], "Beta", company);
    team_member(w.alpha, w.user_id[LEAD], OKR__TEAM_ROLE__TEAM_ROLE_LEAD);
    team_member(w.alpha, w.user_id[MEMBER], OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    team_member(w.beta, user_id(w.as[ADMIN], "blead"), OKR__TEAM_ROLE__TEAM_ROLE_LEAD);

    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = "2026-Q4";
    cc.start_at = 1790000000000LL;
    cc.end_at = 1800000000000LL;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CYCLE_CREATE;
    req.cycle_create = &cc;
    Okr__Response *resp = tw_call_ok(w.as[ADMIN], &req);
    w.cycle = resp->cycle->id;
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NACTORS; i++)
        okr_client_free(w.as[i]);
    okr_client_free(w.blead);
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

/* A SessionListRequest for username ("": one's own) as c. */
static int session_list(okr_client_t *c, const char *username, Okr__Response **out)
{
    Okr__SessionListRequest sl = OKR__SESSION_LIST_REQUEST__INIT;
    sl.username = (char *)username;
    Okr__Request req = tw_request(OKR__REQUEST__OP_SESSION_LIST, &sl);
    return ts_call(c, &req, out);
}

static int session_cell(const char *op, int a, int got, int want)
{
    printf("%-30s %-9s | %s%s%s\n", op, actor_names[a], short_status(got),
           got == want ? "" : "!=", got == want ? "" : short_status(want));
    return got != want;
}

/* The session operations: one's own, and blead's (a second session of
 * theirs, which the admin, asked last, ends). Returns the mismatches. */
static int session_ops(void)
{
    int mismatches = 0;
    okr_client_t *other = ts_login(&server, "blead", "password-123");
    Okr__Response *resp;
    assert_int_equal(session_list(w.as[ADMIN], "blead", &resp), OKR_OK);
    assert_true(resp->session_list->n_sessions >= 2);
    char id[32]; /* newest first: the one just opened */
    snprintf(id, sizeof id, "%.8s", resp->session_list->sessions[0]->id);
    okr__response__free_unpacked(resp, NULL);
    for (int a = 0; a < NACTORS; a++)
        mismatches +=
            session_cell(a ? "" : "list own sessions", a, session_list(w.as[a], "", NULL), OK);
    for (int a = 0; a < NACTORS; a++)
        mismatches += session_cell(a ? "" : "list another's sessions", a,
                                   session_list(w.as[a], "blead", NULL), a == ADMIN ? OK : FB);
    for (int a = NACTORS - 1; a >= 0; a--) {
        Okr__SessionRevokeRequest sr = OKR__SESSION_REVOKE_REQUEST__INIT;
        sr.id = id;
        Okr__Request req = tw_request(OKR__REQUEST__OP_SESSION_REVOKE, &sr);
        mismatches += session_cell(a == NACTORS - 1 ? "end another's session" : "", a,
                                   ts_call(w.as[a], &req, NULL), a == ADMIN ? OK : NF);
    }
    okr_client_free(other);
    return mismatches;
}

static void test_matrix(void **state)
{
    (void)state;
    int mismatches = 0;
    printf("\n%-30s %-9s | %-11s %-11s %-11s\n", "operation", "as", target_names[0],
           target_names[1], target_names[2]);
    printf("%.*s\n", 80,
           "--------------------------------------------------------------------"
           "------------------------");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (int a = 0; a < NACTORS; a++) {
            printf("%-30s %-9s |", a == 0 ? rows[r].op : "", actor_names[a]);
            for (int t = 0; t < NTARGETS; t++) {
                target_t tg = make_target(t);
                int got = rows[r].run(a, w.as[a], tg);
                int want = rows[r].expect[a][t];
                char cell[40];
                if (got == want)
                    snprintf(cell, sizeof cell, "%s", short_status(got));
                else
                    snprintf(cell, sizeof cell, "%s!=%s", short_status(got), short_status(want));
                mismatches += got != want;
                printf(" %-11s", cell);
            }
            printf("\n");
        }
    }
    /* Team, cycle and user administration: admins only, whatever the target.
     * The user ops name "target", deactivated in setup: the admin (first)
     * resets their password, activates and renames them. */
    const char *admin_ops[] = {"create team", "create cycle", "reset a user's password",
                               "activate a user", "rename a user"};
    for (int op = 0; op < 5; op++) {
        for (int a = 0; a < NACTORS; a++) {
            Okr__Request req = OKR__REQUEST__INIT;
            char name[32];
            snprintf(name, sizeof name, "%s-%d-%d", op ? "cycle" : "team", op, a);
            admin_request(op, name, &req);
            int got = ts_call(w.as[a], &req, NULL);
            int want = a == ADMIN ? OK : FB;
            mismatches += got != want;
            printf("%-30s %-9s | %s%s%s\n", a == 0 ? admin_ops[op] : "", actor_names[a],
                   short_status(got),
                   got == want ? "" : "!=", got == want ? "" : short_status(want));
        }
    }
    mismatches += session_ops();
    printf("\n%d cells differ from DESIGN.md section 2\n", mismatches);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
