/* Integration: what okr-dash relies on from a dashboard token, against a
 * real okrd. The token's authentication names its scope and label; the
 * connection may ping, look up names and subscribe to its scope (any scope
 * for an organisation token) and nothing else: every write is FORBIDDEN and
 * changes nothing; a resume by seq after a reconnect brings exactly what
 * was missed; a team-visible objective of another team never reaches a team
 * token, live or in a snapshot; only admins manage tokens.
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
static okr_client_t *admin;

/* ---- requests ---- */

static int checkin_as(okr_client_t *c, uint64_t kr, double value)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr;
    ci.value = value;
    ci.note = "";
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CHECKIN;
    req.checkin = &ci;
    return ts_call(c, &req, NULL);
}

static double kr_current(uint64_t kr)
{
    Okr__KeyResultGetRequest g = OKR__KEY_RESULT_GET_REQUEST__INIT;
    g.id = kr;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_KEY_RESULT_GET, &g);
    double v = resp->key_result->current;
    okr__response__free_unpacked(resp, NULL);
    return v;
}

/* Creates a token; returns its id and writes the secret. */
static uint64_t make_token(okr_client_t *c, Okr__ScopeKind kind, uint64_t id, const char *label,
                           char *secret, size_t len, int *status)
{
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = kind;
    scope.id = id;
    Okr__TokenCreateRequest tc = OKR__TOKEN_CREATE_REQUEST__INIT;
    tc.scope = &scope;
    tc.label = (char *)label;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TOKEN_CREATE;
    req.token_create = &tc;
    Okr__Response *resp = NULL;
    *status = ts_call(c, &req, &resp);
    uint64_t tid = 0;
    if (*status == OKR_OK) {
        snprintf(secret, len, "%s", resp->token_create->secret);
        tid = resp->token_create->token->id;
    }
    if (resp)
        okr__response__free_unpacked(resp, NULL);
    return tid;
}

/* A dashboard connection: authenticates and returns the token record. */
static okr_client_t *dash_connect(const char *secret, Okr__DashboardToken **token)
{
    okr_client_t *c = ts_connect(&server);
    Okr__AuthTokenRequest a = OKR__AUTH_TOKEN_REQUEST__INIT;
    a.token = (char *)secret;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_AUTH_TOKEN, &a);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_LOGIN);
    assert_non_null(resp->login->dashboard);
    *token = resp->login->dashboard;
    resp->login->dashboard = NULL;
    okr__response__free_unpacked(resp, NULL);
    return c;
}

/* The status of a TrendRequest for one objective (okr-dash's sparklines). */
static int trend_status(okr_client_t *c, uint64_t objective)
{
    Okr__TrendRequest tr = OKR__TREND_REQUEST__INIT;
    tr.objective_ids = &objective;
    tr.n_objective_ids = 1;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TREND;
    req.trend = &tr;
    return ts_call(c, &req, NULL);
}

/* ---- events ---- */

typedef struct seen {
    uint64_t objectives[64];
    size_t nobj;
    uint64_t checkins[64];
    size_t nci;
    int done;
    uint64_t done_seq;
} seen_t;

static void on_event(void *arg, const Okr__Event *ev)
{
    seen_t *s = arg;
    if (ev->snapshot_done) {
        s->done = 1;
        s->done_seq = ev->seq;
        return;
    }
    const Okr__Change *ch = ev->change;
    if (!ch)
        return;
    if (ch->entity_case == OKR__CHANGE__ENTITY_OBJECTIVE && s->nobj < 64)
        s->objectives[s->nobj++] = ch->objective->id;
    if (ch->entity_case == OKR__CHANGE__ENTITY_CHECKIN && !ev->snapshot && s->nci < 64)
        s->checkins[s->nci++] = ch->checkin->key_result_id;
}

static int has(const uint64_t *ids, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static int subscribe(okr_client_t *c, Okr__ScopeKind kind, uint64_t id, int snapshot,
                     uint64_t since)
{
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = kind;
    scope.id = id;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &scope;
    sr.snapshot = snapshot;
    sr.resume = since > 0;
    sr.since_seq = since;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    req.subscribe = &sr;
    return ts_call(c, &req, NULL);
}

static void poll_until(okr_client_t *c, const int *flag, int ms)
{
    for (int i = 0; i < ms / 20 && !*flag; i++)
        okr_client_poll(c, 20);
}

/* ---- tests ---- */

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--login-free-failures", "1000", NULL};
    ts_start(&server, extra);
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

/* Every write a dashboard might try is refused and changes nothing; the
 * three reads it needs work. */
static void test_read_only(void **state)
{
    (void)state;
    uint64_t team = tw_team(admin, "RO Team", 0);
    uint64_t cycle = tw_cycle(admin, "ro-cycle", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t obj =
        tw_objective(admin, cycle, 0, team, OKR__VISIBILITY__VISIBILITY_PUBLIC, "RO obj");
    uint64_t kr = tw_kr(admin, obj, "Customers", 0, 100);
    char secret[128];
    int st;
    make_token(admin, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, team, "Lobby TV", secret, sizeof secret,
               &st);
    assert_int_equal(st, OKR_OK);
    Okr__DashboardToken *tok;
    okr_client_t *tv = dash_connect(secret, &tok);
    assert_string_equal(tok->label, "Lobby TV");
    assert_int_equal(tok->scope->kind, OKR__SCOPE_KIND__SCOPE_KIND_TEAM);
    assert_int_equal(tok->scope->id, team);
    okr__dashboard_token__free_unpacked(tok, NULL);

    assert_int_equal(checkin_as(tv, kr, 42), OKR_E_FORBIDDEN);
    assert_true(kr_current(kr) == 0);

    Okr__Comment cm = OKR__COMMENT__INIT;
    cm.objective_id = obj;
    cm.body = "from the TV";
    cm.kind = OKR__COMMENT_KIND__COMMENT_KIND_KUDOS;
    Okr__CommentCreateRequest cc = OKR__COMMENT_CREATE_REQUEST__INIT;
    cc.comment = &cm;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_COMMENT_CREATE;
    req.comment_create = &cc;
    assert_int_equal(ts_call(tv, &req, NULL), OKR_E_FORBIDDEN);

    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = "TV objective";
    o.cycle_id = cycle;
    o.owner_team_id = team;
    o.team_id = team;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_CREATE;
    req.objective_create = &oc;
    assert_int_equal(ts_call(tv, &req, NULL), OKR_E_FORBIDDEN);

    Okr__TeamCreateRequest tcr = OKR__TEAM_CREATE_REQUEST__INIT;
    tcr.name = "TV team";
    req.op_case = OKR__REQUEST__OP_TEAM_CREATE;
    req.team_create = &tcr;
    assert_int_equal(ts_call(tv, &req, NULL), OKR_E_FORBIDDEN);

    char other[128];
    make_token(tv, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, "escalate", other, sizeof other, &st);
    assert_int_equal(st, OKR_E_FORBIDDEN);

    Okr__PasswdRequest pw = OKR__PASSWD_REQUEST__INIT;
    pw.old_password = "x";
    pw.new_password = "long-enough-password";
    req.op_case = OKR__REQUEST__OP_PASSWD;
    req.passwd = &pw;
    assert_int_equal(ts_call(tv, &req, NULL), OKR_E_FORBIDDEN);

    /* What okr-dash sends: ping, user names, its scope. */
    Okr__PingRequest ping = OKR__PING_REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_PING;
    req.ping = &ping;
    assert_int_equal(ts_call(tv, &req, NULL), OKR_OK);
    Okr__UserGetRequest ug = OKR__USER_GET_REQUEST__INIT;
    ug.id = 1;
    req.op_case = OKR__REQUEST__OP_USER_GET;
    req.user_get = &ug;
    assert_int_equal(ts_call(tv, &req, NULL), OKR_OK);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, team, 1, 0), OKR_OK);
    okr_client_free(tv);
}

/* A team token sees its team's team-only objectives, never another team's,
 * in the snapshot and live; other scopes are refused. */
static void test_team_scope_and_visibility(void **state)
{
    (void)state;
    uint64_t a = tw_team(admin, "Vis A", 0), b = tw_team(admin, "Vis B", 0);
    uint64_t cycle = tw_cycle(admin, "vis-cycle", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t a_pub =
        tw_objective(admin, cycle, 0, a, OKR__VISIBILITY__VISIBILITY_PUBLIC, "A public");
    uint64_t a_team = tw_objective(admin, cycle, 0, a, OKR__VISIBILITY__VISIBILITY_TEAM, "A team");
    uint64_t b_team = tw_objective(admin, cycle, 0, b, OKR__VISIBILITY__VISIBILITY_TEAM, "B team");
    uint64_t b_pub =
        tw_objective(admin, cycle, 0, b, OKR__VISIBILITY__VISIBILITY_PUBLIC, "B public");
    char secret[128];
    int st;
    make_token(admin, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, a, "A TV", secret, sizeof secret, &st);
    assert_int_equal(st, OKR_OK);
    Okr__DashboardToken *tok;
    okr_client_t *tv = dash_connect(secret, &tok);
    okr__dashboard_token__free_unpacked(tok, NULL);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, b, 1, 0), OKR_E_FORBIDDEN);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 1, 0),
                     OKR_E_FORBIDDEN);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 1, 0), OKR_E_FORBIDDEN);
    seen_t seen = {0};
    okr_client_on_event(tv, on_event, &seen);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, a, 1, 0), OKR_OK);
    poll_until(tv, &seen.done, 2000);
    assert_true(seen.done);
    assert_true(has(seen.objectives, seen.nobj, a_pub));
    assert_true(has(seen.objectives, seen.nobj, a_team));
    assert_false(has(seen.objectives, seen.nobj, b_team));
    assert_false(has(seen.objectives, seen.nobj, b_pub));
    /* Live: a new team-only objective of B does not arrive; one of A does. */
    uint64_t b_new = tw_objective(admin, cycle, 0, b, OKR__VISIBILITY__VISIBILITY_TEAM, "B new");
    uint64_t a_new = tw_objective(admin, cycle, 0, a, OKR__VISIBILITY__VISIBILITY_TEAM, "A new");
    for (int i = 0; i < 100 && !has(seen.objectives, seen.nobj, a_new); i++)
        okr_client_poll(tv, 20);
    assert_true(has(seen.objectives, seen.nobj, a_new));
    assert_false(has(seen.objectives, seen.nobj, b_new));
    /* Trends (the cards' sparklines): its scope's objectives, no others. */
    assert_int_equal(trend_status(tv, a_pub), OKR_OK);
    assert_int_equal(trend_status(tv, a_team), OKR_OK);
    assert_int_equal(trend_status(tv, b_pub), OKR_E_NOT_FOUND);
    assert_int_equal(trend_status(tv, b_team), OKR_E_NOT_FOUND);
    okr_client_free(tv);
}

/* A cycle token is bound to its cycle; an organisation token may subscribe
 * to any scope. */
static void test_cycle_and_org_tokens(void **state)
{
    (void)state;
    uint64_t c1 = tw_cycle(admin, "tok-c1", TW_CYCLE_START_MS, TW_CYCLE_END_MS),
             c2 = tw_cycle(admin, "tok-c2", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t team = tw_team(admin, "Tok Team", 0);
    char secret[128];
    int st;
    make_token(admin, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, c1, "Cycle TV", secret, sizeof secret,
               &st);
    assert_int_equal(st, OKR_OK);
    Okr__DashboardToken *tok;
    okr_client_t *tv = dash_connect(secret, &tok);
    assert_int_equal(tok->scope->kind, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE);
    okr__dashboard_token__free_unpacked(tok, NULL);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, c2, 1, 0), OKR_E_FORBIDDEN);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, c1, 1, 0), OKR_OK);
    okr_client_free(tv);

    make_token(admin, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, "Org TV", secret, sizeof secret, &st);
    assert_int_equal(st, OKR_OK);
    tv = dash_connect(secret, &tok);
    assert_int_equal(tok->scope->kind, OKR__SCOPE_KIND__SCOPE_KIND_ORG);
    okr__dashboard_token__free_unpacked(tok, NULL);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 1, 0), OKR_OK);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, team, 1, 0), OKR_OK);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, c2, 1, 0), OKR_OK);
    okr_client_free(tv);
}

/* okr-dash's reconnect: resuming from the snapshot's seq on a new
 * connection brings the check-in made while it was away, and only that. */
static void test_resume_after_reconnect(void **state)
{
    (void)state;
    uint64_t team = tw_team(admin, "Resume Team", 0);
    uint64_t cycle = tw_cycle(admin, "resume-cycle", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t obj =
        tw_objective(admin, cycle, 0, team, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Resume");
    uint64_t kr1 = tw_kr(admin, obj, "Customers", 0, 100),
             kr2 = tw_kr(admin, obj, "Customers", 0, 100);
    char secret[128];
    int st;
    make_token(admin, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, team, "Resume TV", secret, sizeof secret,
               &st);
    Okr__DashboardToken *tok;
    okr_client_t *tv = dash_connect(secret, &tok);
    okr__dashboard_token__free_unpacked(tok, NULL);
    seen_t seen = {0};
    okr_client_on_event(tv, on_event, &seen);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, team, 1, 0), OKR_OK);
    poll_until(tv, &seen.done, 2000);
    assert_true(seen.done);
    uint64_t since = seen.done_seq;
    okr_client_free(tv);

    assert_int_equal(checkin_as(admin, kr2, 10), OKR_OK);
    tv = dash_connect(secret, &tok);
    okr__dashboard_token__free_unpacked(tok, NULL);
    seen_t again = {0};
    okr_client_on_event(tv, on_event, &again);
    assert_int_equal(subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_TEAM, team, 0, since), OKR_OK);
    for (int i = 0; i < 100 && again.nci < 1; i++)
        okr_client_poll(tv, 20);
    assert_int_equal(again.nci, 1);
    assert_int_equal(again.checkins[0], kr2);
    assert_false(has(again.checkins, again.nci, kr1));
    okr_client_free(tv);
}

/* Only admins manage tokens; a revoked token is refused at once. */
static void test_admins_only_and_revoke(void **state)
{
    (void)state;
    assert_int_equal(ts_create_user(admin, "tvmember", "member-password-1", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    okr_client_t *member = ts_login(&server, "tvmember", "member-password-1");
    char secret[128];
    int st;
    make_token(member, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, "mine", secret, sizeof secret, &st);
    assert_int_equal(st, OKR_E_FORBIDDEN);
    Okr__TokenListRequest tl = OKR__TOKEN_LIST_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TOKEN_LIST;
    req.token_list = &tl;
    assert_int_equal(ts_call(member, &req, NULL), OKR_E_FORBIDDEN);

    uint64_t id = make_token(admin, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, "Revoke me", secret,
                             sizeof secret, &st);
    assert_int_equal(st, OKR_OK);
    Okr__TokenRevokeRequest rv = OKR__TOKEN_REVOKE_REQUEST__INIT;
    rv.id = id;
    req.op_case = OKR__REQUEST__OP_TOKEN_REVOKE;
    req.token_revoke = &rv;
    assert_int_equal(ts_call(member, &req, NULL), OKR_E_FORBIDDEN);
    Okr__Response *resp = tw_call_ok(admin, &req);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_TOKEN);
    assert_true(resp->token->revoked);
    okr__response__free_unpacked(resp, NULL);
    okr_client_t *tv = ts_connect(&server);
    assert_int_equal(okr_client_auth_token(tv, secret, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(tv);
    okr_client_free(member);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_team_scope_and_visibility),
        cmocka_unit_test(test_cycle_and_org_tokens),
        cmocka_unit_test(test_resume_after_reconnect),
        cmocka_unit_test(test_admins_only_and_revoke),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
