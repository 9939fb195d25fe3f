/* setup.c — the fixture every scenario works on, made through the client
 * library as an admin and a member would make it:
 *
 *   a member "bench-<pid>" (check-ins go through the member's ACL path, not
 *   the admin's shortcut), a cycle, objectives owned by that member with five
 *   key results each (the seed's advice is 3-5), enough key results for every
 *   writer and active client, and one more for the fan-out writer.
 *
 * Every bench connection authenticates with the member's session token
 * (AuthToken): a password login costs an argon2id hash by design, which is
 * not what the connection scenarios measure.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "client.h"
#include "clock.h"
#include "okr_error.h"
#include "tls_ctx.h"

#define KRS_PER_OBJECTIVE 5

static okr_client_t *setup__connect(bench_env_t *env)
{
    okr_client_opts_t opts = {
        .host = env->host,
        .port = env->port,
        .known_servers_path = env->known_servers,
        .trust_new = 1,
        .timeout_ms = 60000,
        .client_name = "okr-bench",
    };
    okr_client_t *c = NULL;
    char err[1024];
    int rc = okr_client_connect(&c, &opts, err, sizeof err);
    if (rc) {
        bench_error(env, "cannot connect to okrd at %s:%u: %s", env->host, env->port, err);
        return NULL;
    }
    return c;
}

/* One call that must succeed; returns the response (caller frees) or NULL. */
static Okr__Response *setup__call(bench_env_t *env, okr_client_t *c, Okr__Request *req,
                                  const char *what)
{
    Okr__Response *resp = NULL;
    int rc = okr_client_call(c, req, &resp);
    if (rc) {
        bench_error(env, "%s: %s", what, okr_client_error(c));
        return NULL;
    }
    if (resp->status != OKR__STATUS__STATUS_OK) {
        bench_error(env, "%s: %s (%s)", what, resp->message ? resp->message : "",
                    okr_strerror(okr_status_to_err(resp->status)));
        okr__response__free_unpacked(resp, NULL);
        return NULL;
    }
    return resp;
}

static uint64_t setup__objective(bench_env_t *env, okr_client_t *c, unsigned n)
{
    char title[64];
    snprintf(title, sizeof title, "Bench objective %u", n);
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.title = title;
    o.cycle_id = env->cycle_id;
    o.owner_user_id = env->user_id;
    o.kind = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_COMMITTED;
    o.visibility = OKR__VISIBILITY__VISIBILITY_PUBLIC;
    Okr__ObjectiveCreateRequest oc = OKR__OBJECTIVE_CREATE_REQUEST__INIT;
    oc.objective = &o;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_OBJECTIVE_CREATE;
    req.objective_create = &oc;
    Okr__Response *resp = setup__call(env, c, &req, "create an objective");
    if (!resp)
        return 0;
    uint64_t id = resp->result_case == OKR__RESPONSE__RESULT_OBJECTIVE ? resp->objective->id : 0;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static uint64_t setup__kr(bench_env_t *env, okr_client_t *c, uint64_t objective, unsigned n)
{
    char title[64];
    snprintf(title, sizeof title, "Bench key result %u", n);
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = objective;
    k.title = title;
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.start = 0;
    k.target = 100;
    k.owner_user_id = env->user_id;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_KEY_RESULT_CREATE;
    req.key_result_create = &kc;
    Okr__Response *resp = setup__call(env, c, &req, "create a key result");
    if (!resp)
        return 0;
    uint64_t id = resp->result_case == OKR__RESPONSE__RESULT_KEY_RESULT ? resp->key_result->id : 0;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

/* The admin's part: the member and the cycle. */
static int setup__admin(bench_env_t *env, okr_client_t *admin, const char *user, const char *pw)
{
    Okr__UserCreateRequest uc = OKR__USER_CREATE_REQUEST__INIT;
    uc.username = (char *)user;
    uc.display_name = "okr-bench";
    uc.password = (char *)pw;
    uc.role = OKR__ROLE__ROLE_MEMBER;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_CREATE;
    req.user_create = &uc;
    Okr__Response *resp = setup__call(env, admin, &req, "create the bench user");
    if (!resp)
        return -1;
    env->user_id = resp->result_case == OKR__RESPONSE__RESULT_USER ? resp->user->id : 0;
    okr__response__free_unpacked(resp, NULL);

    char name[64];
    snprintf(name, sizeof name, "bench-%d-%lld", (int)getpid(), (long long)okr_wall_ms());
    int64_t now = okr_wall_ms();
    Okr__CycleCreateRequest cc = OKR__CYCLE_CREATE_REQUEST__INIT;
    cc.name = name;
    cc.start_at = now - 86400000LL;
    cc.end_at = now + 90LL * 86400000LL;
    Okr__Request creq = OKR__REQUEST__INIT;
    creq.op_case = OKR__REQUEST__OP_CYCLE_CREATE;
    creq.cycle_create = &cc;
    resp = setup__call(env, admin, &creq, "create the bench cycle");
    if (!resp)
        return -1;
    env->cycle_id = resp->result_case == OKR__RESPONSE__RESULT_CYCLE ? resp->cycle->id : 0;
    okr__response__free_unpacked(resp, NULL);
    return env->user_id && env->cycle_id ? 0 : -1;
}

/* The member's part: objectives and key results, owned by the member. */
static int setup__member(bench_env_t *env, okr_client_t *c, size_t nkrs)
{
    env->krs = calloc(nkrs, sizeof *env->krs);
    if (!env->krs)
        return -1;
    uint64_t objective = 0;
    for (size_t i = 0; i <= nkrs; i++) {
        if (i % KRS_PER_OBJECTIVE == 0 &&
            !(objective = setup__objective(env, c, (unsigned)(i / KRS_PER_OBJECTIVE + 1))))
            return -1;
        uint64_t kr = setup__kr(env, c, objective, (unsigned)i + 1);
        if (!kr)
            return -1;
        if (i < nkrs)
            env->krs[i] = kr;
        else
            env->fanout_kr = kr;
    }
    env->nkrs = nkrs;
    return 0;
}

static int setup__read_password(bench_env_t *env, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        bench_error(env, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int ok = fgets(env->admin_password, sizeof env->admin_password, f) != NULL;
    fclose(f);
    env->admin_password[strcspn(env->admin_password, "\r\n")] = '\0';
    return ok ? 0 : -1;
}

int bench_setup(bench_env_t *env)
{
    const bench_opts_t *o = env->o;
    snprintf(env->known_servers, sizeof env->known_servers, "%s/known_servers", env->dir);
    if (o->server && setup__read_password(env, o->admin_password_file) != 0)
        return -1;
    okr_client_t *admin = setup__connect(env);
    if (!admin)
        return -1;
    snprintf(env->fingerprint, sizeof env->fingerprint, "%s", okr_client_fingerprint(admin));
    const char *admin_user = o->admin_user ? o->admin_user : "admin";
    if (okr_client_login(admin, admin_user, env->admin_password, NULL) != 0) {
        bench_error(env, "cannot log in as %s: %s", admin_user, okr_client_error(admin));
        okr_client_free(admin);
        return -1;
    }
    snprintf(env->admin_token, sizeof env->admin_token, "%s", okr_client_token(admin));

    char user[64], pw[40];
    unsigned char raw[16];
    RAND_bytes(raw, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(pw + 2 * i, 3, "%02x", raw[i]);
    snprintf(user, sizeof user, "bench-%d-%02x%02x", (int)getpid(), raw[0], raw[1]);
    int rc = setup__admin(env, admin, user, pw);
    okr_client_free(admin);
    if (rc)
        return -1;

    okr_client_t *member = setup__connect(env);
    if (!member)
        return -1;
    if (okr_client_login(member, user, pw, NULL) != 0) {
        bench_error(env, "cannot log in as %s: %s", user, okr_client_error(member));
        okr_client_free(member);
        return -1;
    }
    snprintf(env->token, sizeof env->token, "%s", okr_client_token(member));
    size_t nkrs = o->active;
    for (size_t i = 0; i < o->nwriters; i++)
        if (o->writers[i] > nkrs)
            nkrs = o->writers[i];
    if (nkrs == 0)
        nkrs = 1;
    rc = setup__member(env, member, nkrs);
    okr_client_free(member);
    if (rc)
        return -1;

    char err[256];
    env->ctx = okr_tls_client_ctx(NULL, err, sizeof err);
    if (!env->ctx) {
        bench_error(env, "TLS: %s", err);
        return -1;
    }
    /* Thousands of generator connections: no idle OpenSSL buffers on our side. */
    SSL_CTX_set_mode(env->ctx, SSL_MODE_RELEASE_BUFFERS);
    return 0;
}

Okr__Stats *bench_stats(bench_env_t *env)
{
    okr_client_t *c = setup__connect(env);
    if (!c)
        return NULL;
    Okr__Stats *out = NULL;
    if (okr_client_auth_token(c, env->admin_token, NULL) != 0) {
        bench_error(env, "stats: cannot authenticate as the admin: %s", okr_client_error(c));
    } else {
        Okr__StatsRequest sr = OKR__STATS_REQUEST__INIT;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_STATS;
        req.stats = &sr;
        Okr__Response *resp = setup__call(env, c, &req, "stats");
        if (resp && resp->result_case == OKR__RESPONSE__RESULT_STATS) {
            out = resp->stats;
            resp->stats = NULL; /* detached: sub-messages are separate allocations */
            resp->result_case = OKR__RESPONSE__RESULT__NOT_SET;
        }
        if (resp)
            okr__response__free_unpacked(resp, NULL);
    }
    okr_client_free(c);
    return out;
}

void bench_checkin_req(Okr__Request *req, Okr__CheckInRequest *ci, uint64_t kr, double value,
                       char *note)
{
    okr__check_in_request__init(ci);
    ci->key_result_id = kr;
    ci->value = value;
    ci->has_confidence = 1;
    ci->confidence = 7;
    ci->note = note;
    okr__request__init(req);
    req->op_case = OKR__REQUEST__OP_CHECKIN;
    req->checkin = ci;
}
