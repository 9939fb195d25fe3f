/* feed.c — okr-dash's events: snapshot first, then live (see feed.h).
 *
 * Why a separate first connection instead of starting with the okr_live_t:
 * the scope is known only from the answer to the token's authentication
 * (LoginResult.dashboard), which okr_live_new does not hand back, and the
 * first view needs SubscribeRequest.snapshot, which okr_live_subscribe does
 * not send. The live connection then resumes from the snapshot's seq, so
 * nothing committed between the two connections is missed.
 */
#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "okr_error.h"

/* Names asked for per pump; the rest wait for the next one. */
#define FEED_NAMES_PER_PUMP 16
/* Trends are weekly and their last point is drawn live: asked for at the
 * start and then every 10 minutes, at most 100 objectives a request. */
#define FEED_TREND_EVERY_MS (10u * 60u * 1000u)
#define FEED_TREND_RETRY_MS (60u * 1000u) /* after the server was too busy, ± half */
#define FEED_TREND_BATCH    100
/* Retries of the live connection's first connect: 1 s doubling to 30 s. */
#define FEED_RETRY_MIN_MS 1000u
#define FEED_RETRY_MAX_MS 30000u

#define feed__log(f, ...)                                                                          \
    do {                                                                                           \
        if ((f)->log)                                                                              \
            okr_info(__VA_ARGS__);                                                                 \
    } while (0)

void dash_feed_init(dash_feed_t *f, const okr_client_opts_t *conn, const char *token)
{
    memset(f, 0, sizeof *f);
    f->conn = *conn;
    f->token = token;
    f->link = DASH_LINK_CONNECTING;
    dash_model_init(&f->model, OKR__SCOPE_KIND__SCOPE_KIND_UNSPECIFIED, 0);
    f->rng = okr_spread_seed(f);
}

static void feed__on_event(void *arg, const Okr__Event *ev)
{
    dash_feed_t *f = arg;
    uint64_t now = okr_mono_ms();
    f->last_event_ms = now;
    if (dash_model_apply(&f->model, ev, now))
        f->changed_ms = now;
}

static const char *feed__message(const Okr__Response *resp, int rc)
{
    return resp->message && resp->message[0] ? resp->message : okr_strerror(rc);
}

/* One request on c; 0 with *resp (status OK), else an okr_err_t with the
 * message in f->error (what names what was asked). */
static int feed__call(dash_feed_t *f, okr_client_t *c, Okr__Request *req, const char *what,
                      Okr__Response **resp)
{
    *resp = NULL;
    int rc = okr_client_call(c, req, resp);
    if (rc) {
        snprintf(f->error, sizeof f->error, "%s: %s", what, okr_client_error(c));
        return rc;
    }
    if ((*resp)->status != OKR__STATUS__STATUS_OK) {
        rc = okr_status_to_err((*resp)->status);
        snprintf(f->error, sizeof f->error, "%s: %s", what, feed__message(*resp, rc));
        okr__response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return rc;
    }
    return 0;
}

/* Authenticates with the token and learns its scope. */
static int feed__auth(dash_feed_t *f, okr_client_t *c)
{
    Okr__AuthTokenRequest auth = OKR__AUTH_TOKEN_REQUEST__INIT;
    auth.token = (char *)f->token;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_AUTH_TOKEN;
    req.auth_token = &auth;
    Okr__Response *resp;
    int rc = feed__call(f, c, &req, "the server refused the dashboard token", &resp);
    if (rc == OKR_E_UNSUPPORTED)
        snprintf(f->error, sizeof f->error, "%s does not support dashboard tokens (upgrade okrd)",
                 okr_client_hostport(c));
    if (rc)
        return rc;
    const Okr__DashboardToken *t = resp->result_case == OKR__RESPONSE__RESULT_LOGIN && resp->login
                                       ? resp->login->dashboard
                                       : NULL;
    if (!t || !t->scope) {
        okr__response__free_unpacked(resp, NULL);
        snprintf(f->error, sizeof f->error,
                 "this is not a dashboard token (an admin makes one with: okr token create)");
        return OKR_E_UNAUTHENTICATED;
    }
    /* The same token keeps its scope: a later start keeps the model, and
     * its snapshot replaces what is stale. */
    if (!f->have_scope || f->scope_kind != t->scope->kind || f->scope_id != t->scope->id) {
        dash_model_free(&f->model);
        dash_model_init(&f->model, t->scope->kind, t->scope->id);
    }
    f->scope_kind = t->scope->kind;
    f->scope_id = t->scope->id;
    f->have_scope = 1;
    snprintf(f->label, sizeof f->label, "%s", t->label ? t->label : "");
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

static int feed__snapshot(dash_feed_t *f, okr_client_t *c)
{
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = f->scope_kind;
    scope.id = f->scope_id;
    Okr__SubscribeRequest sub = OKR__SUBSCRIBE_REQUEST__INIT;
    sub.scope = &scope;
    sub.snapshot = 1;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    req.subscribe = &sub;
    Okr__Response *resp;
    /* Snapshot events arrive before the answer (okrd queues them first);
     * any still missing are waited for below. */
    f->model.complete = 0;
    int rc = feed__call(f, c, &req, "cannot subscribe to the dashboard's scope", &resp);
    if (rc)
        return rc;
    okr__response__free_unpacked(resp, NULL);
    uint64_t deadline = okr_mono_ms() + (f->conn.timeout_ms ? f->conn.timeout_ms : 10000);
    while (!f->model.complete) {
        uint64_t now = okr_mono_ms();
        if (now >= deadline) {
            snprintf(f->error, sizeof f->error,
                     "%s sent no snapshot of the scope (is okrd older than okr-dash?)",
                     okr_client_hostport(c));
            return OKR_E_PROTOCOL;
        }
        rc = okr_client_poll(c, (uint32_t)(deadline - now));
        if (rc) {
            snprintf(f->error, sizeof f->error, "while receiving the snapshot: %s",
                     okr_client_error(c));
            return rc;
        }
    }
    return 0;
}

/* Looks up (some of the) names the model lacks. Returns how many were
 * asked for, or a negative okr_err_t when the connection failed (the names
 * wait for the next time). */
static int feed__names(dash_feed_t *f, okr_client_t *c)
{
    uint64_t ids[FEED_NAMES_PER_PUMP], sent[FEED_NAMES_PER_PUMP];
    size_t n = dash_model_unknown_users(&f->model, ids, FEED_NAMES_PER_PUMP);
    /* all asked for at once: one round trip, not one per name */
    for (size_t i = 0; i < n; i++) {
        Okr__UserGetRequest get = OKR__USER_GET_REQUEST__INIT;
        get.id = ids[i];
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_USER_GET;
        req.user_get = &get;
        int rc = okr_client_send(c, &req, &sent[i]);
        if (rc)
            return -rc;
    }
    for (size_t i = 0; i < n; i++) {
        Okr__Response *resp = NULL;
        int rc = okr_client_wait(c, sent[i], &resp);
        if (rc)
            return -rc;
        if (resp->status == OKR__STATUS__STATUS_RATE_LIMITED) {
            okr__response__free_unpacked(resp, NULL); /* not a refusal: asked again next pump */
            continue;
        }
        const Okr__User *u = resp->status == OKR__STATUS__STATUS_OK &&
                                     resp->result_case == OKR__RESPONSE__RESULT_USER
                                 ? resp->user
                                 : NULL;
        const char *name = NULL;
        if (u)
            name = u->display_name && u->display_name[0] ? u->display_name : u->username;
        /* A refusal is remembered as "unknown": asked once, shown by id. */
        int err = dash_model_set_user(&f->model, ids[i], name && name[0] ? name : NULL);
        okr__response__free_unpacked(resp, NULL);
        if (err)
            return -OKR_E_NOMEM;
        f->changed_ms = okr_mono_ms();
    }
    return (int)n;
}

/* Takes one TrendRequest's answer into the model. A server that does not
 * know the operation (older than protocol 1.3) is not asked again; one too
 * busy to compute them is asked again sooner than usual. Returns 0, or a
 * negative okr_err_t when the connection failed. */
static int feed__trend_answer(dash_feed_t *f, okr_client_t *c, uint64_t sent)
{
    Okr__Response *resp = NULL;
    int rc = okr_client_wait(c, sent, &resp);
    if (rc)
        return -rc;
    if (resp->status == OKR__STATUS__STATUS_UNSUPPORTED)
        f->no_trends = 1;
    if (resp->status == OKR__STATUS__STATUS_UNAVAILABLE) {
        /* 30 to 90 s: the dashboards the server refused together do not
         * all come back together */
        f->trends_busy = 1;
        f->trends_retry_ms = FEED_TREND_RETRY_MS / 2 + okr_spread(&f->rng, FEED_TREND_RETRY_MS);
        feed__log(f, "no trends this time: the server is too busy; asking again in %llu s",
                  (unsigned long long)(f->trends_retry_ms / 1000));
    }
    const Okr__TrendResult *res = resp->status == OKR__STATUS__STATUS_OK ? resp->trend : NULL;
    for (size_t i = 0; res && i < res->n_objectives; i++) {
        const Okr__ObjectiveTrend *t = res->objectives[i];
        if (dash_model_set_trend(&f->model, t->objective_id, t->progress, t->n_progress) != 0)
            f->model.oom = 1;
    }
    okr__response__free_unpacked(resp, NULL);
    return 0;
}

/* Asks for the trend of every objective in the model, all requests at once
 * (one round trip). A refusal (an objective gone meanwhile, the server too
 * busy) keeps the old trends until the next time. Returns 0 or a negative
 * okr_err_t. */
static int feed__trends(dash_feed_t *f, okr_client_t *c)
{
    f->trends_ms = okr_mono_ms();
    f->trends_busy = 0;
    if (f->no_trends || f->model.nobjs == 0)
        return 0;
    size_t nreq = (f->model.nobjs + FEED_TREND_BATCH - 1) / FEED_TREND_BATCH;
    uint64_t *ids = malloc(f->model.nobjs * sizeof *ids), *sent = calloc(nreq, sizeof *sent);
    if (!ids || !sent) {
        free(ids);
        free(sent);
        return 0; /* no trends this time; the next try may have the memory */
    }
    for (size_t i = 0; i < f->model.nobjs; i++)
        ids[i] = f->model.objs[i].o->id;
    int rc = 0;
    size_t asked = 0;
    for (; asked < nreq && rc == 0; asked++) {
        Okr__TrendRequest tr = OKR__TREND_REQUEST__INIT;
        tr.objective_ids = ids + asked * FEED_TREND_BATCH;
        size_t left = f->model.nobjs - asked * FEED_TREND_BATCH;
        tr.n_objective_ids = left < FEED_TREND_BATCH ? left : FEED_TREND_BATCH;
        Okr__Request req = OKR__REQUEST__INIT;
        req.op_case = OKR__REQUEST__OP_TREND;
        req.trend = &tr;
        rc = okr_client_send(c, &req, &sent[asked]);
    }
    rc = -rc; /* a send failed: the connection is gone */
    for (size_t i = 0; rc == 0 && i < asked; i++)
        rc = feed__trend_answer(f, c, sent[i]);
    free(ids);
    free(sent);
    f->changed_ms = okr_mono_ms();
    return rc;
}

int dash_feed_start(dash_feed_t *f)
{
    f->error[0] = '\0';
    okr_client_t *c = NULL;
    int rc = okr_client_connect(&c, &f->conn, f->error, sizeof f->error);
    if (rc)
        return rc;
    okr_client_on_event(c, feed__on_event, f);
    rc = feed__auth(f, c);
    if (!rc)
        rc = feed__snapshot(f, c);
    if (!rc) {
        f->started = 1;
        f->fatal = 0;
        f->changed_ms = f->last_event_ms = okr_mono_ms();
        /* Every name before the first view (a failed lookup is not retried,
         * so this ends). */
        while (feed__names(f, c) > 0)
            ;
        feed__trends(f, c);
        feed__log(f, "snapshot of %s: %zu objectives, %zu key results, seq %llu", f->label,
                  f->model.nobjs, f->model.nkrs, (unsigned long long)f->model.last_seq);
    } else {
        feed__log(f, "start failed: %s (%s)", f->error, okr_strerror(rc));
    }
    okr_client_on_event(c, NULL, NULL);
    okr_client_free(c);
    return rc;
}

static void feed__on_state(void *arg, okr_live_state_t st, const char *detail,
                           uint64_t ms_since_last_event)
{
    dash_feed_t *f = arg;
    (void)ms_since_last_event;
    f->link = st == OKR_LIVE_CONNECTED ? DASH_LINK_LIVE : DASH_LINK_DOWN;
    if (detail)
        snprintf(f->error, sizeof f->error, "%s", detail);
    feed__log(f, "%s%s%s (resume after seq %llu)",
              st == OKR_LIVE_CONNECTED ? "live again" : "connection lost", detail ? ": " : "",
              detail ? detail : "", (unsigned long long)f->model.last_seq);
    f->changed_ms = okr_mono_ms();
}

/* Errors that another attempt will not fix. */
static int feed__final(int rc)
{
    return rc == OKR_E_UNAUTHENTICATED || rc == OKR_E_FORBIDDEN || rc == OKR_E_NOT_FOUND ||
           rc == OKR_E_TLS || rc == OKR_E_UNSUPPORTED || rc == OKR_E_BAD_REQUEST;
}

static void feed__close_live(dash_feed_t *f)
{
    okr_live_free(f->live);
    f->live = NULL;
}

/* Makes the live connection and resumes the scope from the model's seq. */
static int feed__go_live(dash_feed_t *f)
{
    okr_live_opts_t o = {
        .conn = f->conn,
        .token = f->token,
        .on_event = feed__on_event,
        .on_state = feed__on_state,
        .arg = f,
    };
    o.conn.confirm_new = NULL;
    int rc = okr_live_new(&f->live, &o, f->error, sizeof f->error);
    if (rc) {
        feed__log(f, "cannot go live: %s", f->error);
        return rc;
    }
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = f->scope_kind;
    scope.id = f->scope_id;
    rc = okr_live_subscribe(f->live, &scope, f->model.last_seq);
    if (rc) {
        snprintf(f->error, sizeof f->error, "%s", okr_live_error(f->live));
        feed__close_live(f);
        return rc;
    }
    f->link = okr_live_state(f->live) == OKR_LIVE_CONNECTED ? DASH_LINK_LIVE : DASH_LINK_DOWN;
    f->changed_ms = okr_mono_ms();
    feed__log(f, "live from seq %llu", (unsigned long long)f->model.last_seq);
    return 0;
}

static void feed__sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

/* The live connection does not exist yet (or its first connect failed):
 * try when due, else wait out the time slice. */
static int feed__try_live(dash_feed_t *f, uint32_t timeout_ms)
{
    uint64_t now = okr_mono_ms();
    if (now < f->next_try_ms) {
        uint64_t wait = f->next_try_ms - now;
        feed__sleep_ms(wait < timeout_ms ? wait : timeout_ms);
        return 0;
    }
    int rc = feed__go_live(f);
    if (rc == 0) {
        f->live_tries = 0;
        return 0;
    }
    f->link = DASH_LINK_DOWN;
    f->changed_ms = okr_mono_ms();
    if (feed__final(rc)) {
        f->fatal = rc;
        f->started = 0;
        return rc;
    }
    /* doubling, and spread over its upper half: not every dashboard at once */
    unsigned shift = f->live_tries < 5 ? f->live_tries : 5;
    uint64_t delay = (uint64_t)FEED_RETRY_MIN_MS << shift;
    if (delay > FEED_RETRY_MAX_MS)
        delay = FEED_RETRY_MAX_MS;
    f->next_try_ms = okr_mono_ms() + delay / 2 + okr_spread(&f->rng, delay / 2);
    f->live_tries++;
    return 0;
}

int dash_feed_pump(dash_feed_t *f, uint32_t timeout_ms)
{
    if (!f->started)
        return OKR_E_BAD_REQUEST;
    if (!f->live) {
        int rc = feed__try_live(f, timeout_ms);
        if (rc || !f->live)
            return rc;
    }
    int rc = okr_live_run(f->live, timeout_ms);
    if (rc) {
        snprintf(f->error, sizeof f->error, "%s", okr_live_error(f->live));
        feed__log(f, "live connection ended: %s (%s)", f->error, okr_strerror(rc));
        feed__close_live(f);
        f->link = DASH_LINK_DOWN;
        f->fatal = rc;
        f->started = 0;
        return rc;
    }
    okr_client_t *c = okr_live_client(f->live);
    if (c && (rc = feed__names(f, c)) < 0) {
        feed__log(f, "name lookup failed: %s", okr_strerror(-rc));
        okr_live_drop(f->live);
        return 0;
    }
    uint64_t every = f->trends_busy ? f->trends_retry_ms : FEED_TREND_EVERY_MS;
    if (c && okr_mono_ms() - f->trends_ms >= every && (rc = feed__trends(f, c)) < 0) {
        feed__log(f, "trends failed: %s", okr_strerror(-rc));
        okr_live_drop(f->live);
    }
    return 0;
}

void dash_feed_free(dash_feed_t *f)
{
    feed__close_live(f);
    dash_model_free(&f->model);
}
