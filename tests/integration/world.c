/* world.c — shared request builders for the integration tests (world.h). */
#include "world.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "clock.h"
#include "harness.h"
#include "okr_error.h"

Okr__Response *tw_call_ok(okr_client_t *c, Okr__Request *req)
{
    Okr__Response *resp = NULL;
    int rc = ts_call(c, req, &resp);
    if (rc != OKR_OK)
        fail_msg("request failed: %s: %s", okr_strerror(rc),
                 resp ? resp->message : okr_client_error(c));
    return resp;
}

Okr__Request tw_request(Okr__Request__OpCase op, void *body)
{
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = op;
    req.hello = body; /* every op of the oneof shares one pointer slot */
    return req;
}

Okr__Response *tw_ok(okr_client_t *c, Okr__Request__OpCase op, void *body)
{
    Okr__Request req = tw_request(op, body);
    return tw_call_ok(c, &req);
}

uint64_t tw_active_cycle(okr_client_t *admin, const char *name, uint64_t *version)
{
    const int64_t day_ms = 86400000;
    int64_t now = okr_wall_ms();
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = (char *)name;
    cc.start_at = now - 10 * day_ms;
    cc.end_at = now + 80 * day_ms;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_CYCLE_CREATE, &cc);
    Okr__Cycle c = *resp->cycle;
    c.state = OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE;
    Okr__CycleUpdateRequest cu = OKR__CYCLE_UPDATE_REQUEST__INIT;
    cu.cycle = &c;
    Okr__Response *up = tw_ok(admin, OKR__REQUEST__OP_CYCLE_UPDATE, &cu);
    assert_int_equal(up->cycle->state, OKR__CYCLE_STATE__CYCLE_STATE_ACTIVE);
    uint64_t id = up->cycle->id;
    if (version)
        *version = up->cycle->version;
    okr__response__free_unpacked(up, NULL);
    okr__response__free_unpacked(resp, NULL);
    return id;
}

uint64_t tw_cycle(okr_client_t *admin, const char *name, int64_t start_at, int64_t end_at)
{
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = (char *)name;
    cc.start_at = start_at;
    cc.end_at = end_at;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_CYCLE_CREATE, &cc);
    uint64_t id = resp->cycle->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

uint64_t tw_team(okr_client_t *admin, const char *name, uint64_t parent)
{
    Okr__TeamCreateRequest t = OKR__TEAM_CREATE_REQUEST__INIT;
    t.name = (char *)name;
    t.parent_id = parent;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_TEAM_CREATE, &t);
    uint64_t id = resp->team->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

void tw_team_member(okr_client_t *admin, uint64_t team, const char *username, Okr__TeamRole role)
{
    Okr__TeamSetMemberRequest m = OKR__TEAM_SET_MEMBER_REQUEST__INIT;
    m.team_id = team;
    m.username = (char *)username;
    m.role = role;
    okr__response__free_unpacked(tw_ok(admin, OKR__REQUEST__OP_TEAM_SET_MEMBER, &m), NULL);
}

uint64_t tw_objective(okr_client_t *c, uint64_t cycle, uint64_t parent, uint64_t team,
                      Okr__Visibility vis, const char *title)
{
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = (char *)title;
    o.cycle_id = cycle;
    o.parent_id = parent;
    o.owner_team_id = team;
    o.team_id = team;
    o.visibility = vis;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_OBJECTIVE_CREATE, &oc);
    uint64_t id = resp->objective->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

uint64_t tw_kr(okr_client_t *c, uint64_t objective, const char *title, double start, double target)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = objective;
    k.title = (char *)title;
    k.start = start;
    k.target = target;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc);
    uint64_t id = resp->key_result->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

void tw_checkin(okr_client_t *c, uint64_t kr, double value, const char *note)
{
    Okr__CheckInRequest ci = OKR__CHECK_IN_REQUEST__INIT;
    ci.key_result_id = kr;
    ci.value = value;
    ci.note = (char *)(note ? note : "");
    okr__response__free_unpacked(tw_ok(c, OKR__REQUEST__OP_CHECKIN, &ci), NULL);
}

Okr__SubscribeResult tw_subscribe(okr_client_t *c, Okr__ScopeKind kind, uint64_t id, int resume,
                                  uint64_t since)
{
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = kind;
    scope.id = id;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &scope;
    sr.resume = resume;
    sr.since_seq = since;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_SUBSCRIBE, &sr);
    Okr__SubscribeResult out = *resp->subscribe;
    okr__response__free_unpacked(resp, NULL);
    return out;
}

Okr__Stats *tw_stats(okr_client_t *admin)
{
    Okr__StatsRequest sr = OKR__STATS_REQUEST__INIT;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_STATS, &sr);
    Okr__Stats *s = resp->stats;
    resp->stats = NULL;
    resp->result_case = OKR__RESPONSE__RESULT__NOT_SET;
    okr__response__free_unpacked(resp, NULL);
    return s;
}
