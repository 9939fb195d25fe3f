/* Integration: the self-healing live connection (client/live.h) and the
 * okr watch / okr admin stats commands, against a real okrd over real TLS.
 *
 * The yardstick for "exactly the missed changes" is a plain client that
 * stays subscribed to the same scope the whole time: the live connection,
 * dropped in the middle, must end up with the very same list of seqs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "world.h"
#include "lhist.h"
#include "live.h"
#include "okr_error.h"

#ifndef OKR_CLI_PATH
#error "OKR_CLI_PATH must be defined by the build"
#endif

#define PASSWORD "password-123"
#define DAY_MS   INT64_C(86400000)
#define EPS      1e-9
/* Small, so that a long absence falls out of it (snapshot test). */
#define WINDOW "30"

static okr_test_server_t server;
static okr_client_t *admin;

/* ---------------------------------------------------------------- events seen */

typedef struct rec {
    uint64_t *seqs; /* non-snapshot events, in arrival order */
    size_t n, cap;
    size_t snapshot_items;
    int snapshot_done;
    uint64_t snapshot_seq;
    Okr__Event *last; /* a copy of the newest non-snapshot event */
    int reconnecting, connected;
} rec_t;

static Okr__Event *event_copy(const Okr__Event *ev)
{
    size_t len = okr__event__get_packed_size(ev);
    uint8_t *buf = malloc(len + 1);
    assert_non_null(buf);
    okr__event__pack(ev, buf);
    Okr__Event *copy = okr__event__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(copy);
    return copy;
}

static void on_event(void *arg, const Okr__Event *ev)
{
    rec_t *r = arg;
    if (ev->snapshot) {
        r->snapshot_items++;
        return;
    }
    if (ev->snapshot_done) {
        r->snapshot_done = 1;
        r->snapshot_seq = ev->seq;
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->seqs = realloc(r->seqs, r->cap * sizeof *r->seqs);
        assert_non_null(r->seqs);
    }
    r->seqs[r->n++] = ev->seq;
    if (r->last)
        okr__event__free_unpacked(r->last, NULL);
    r->last = event_copy(ev);
}

static void on_state(void *arg, okr_live_state_t st, const char *detail, uint64_t ms)
{
    rec_t *r = arg;
    (void)detail;
    (void)ms;
    if (st == OKR_LIVE_CONNECTED)
        r->connected++;
    else if (st == OKR_LIVE_RECONNECTING)
        r->reconnecting++;
}

static void rec_free(rec_t *r)
{
    free(r->seqs);
    if (r->last)
        okr__event__free_unpacked(r->last, NULL);
    memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------- requests */

static uint64_t key_result(uint64_t obj, const char *title, double start, double target)
{
    Okr__KeyResult k = OKR__KEY_RESULT__INIT;
    k.objective_id = obj;
    k.title = (char *)title;
    k.metric = OKR__METRIC__METRIC_NUMBER;
    k.start = start;
    k.target = target;
    Okr__KeyResultCreateRequest kc = OKR__KEY_RESULT_CREATE_REQUEST__INIT;
    kc.key_result = &k;
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_KEY_RESULT_CREATE, &kc);
    uint64_t id = resp->key_result->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static uint64_t user_id(okr_client_t *c)
{
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Response *resp = tw_ok(c, OKR__REQUEST__OP_WHOAMI, &w);
    uint64_t id = resp->login->user->id;
    okr__response__free_unpacked(resp, NULL);
    return id;
}

static uint64_t current_seq(void)
{
    Okr__Stats *s = tw_stats(admin);
    uint64_t seq = s->current_seq;
    okr__stats__free_unpacked(s, NULL);
    return seq;
}

static uint64_t subscriptions(void)
{
    Okr__Stats *s = tw_stats(admin);
    uint64_t n = s->subscriptions;
    okr__stats__free_unpacked(s, NULL);
    return n;
}

/* A member with a session; returns its client (the token is in it). */
static okr_client_t *member(const char *name)
{
    assert_int_equal(ts_create_user(admin, name, PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    return ts_login(&server, name, PASSWORD);
}

/* ---------------------------------------------------------------- the yardstick */

/* A plain client subscribed to one scope for the whole test. */
static okr_client_t *observer(rec_t *r, Okr__ScopeKind kind, uint64_t id)
{
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    okr_client_on_event(c, on_event, r);
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = kind;
    scope.id = id;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &scope;
    okr__response__free_unpacked(tw_ok(c, OKR__REQUEST__OP_SUBSCRIBE, &sr), NULL);
    return c;
}

static void observer_wait(okr_client_t *c, rec_t *r, size_t want)
{
    for (int i = 0; i < 400 && r->n < want; i++)
        okr_client_poll(c, 50);
    assert_int_equal(r->n, want);
}

/* ---------------------------------------------------------------- live */

static okr_live_t *live_open_with(const char *token, rec_t *r, const char *known_servers,
                                  uint32_t ping_ms, uint32_t timeout_ms)
{
    okr_live_opts_t opts = {
        .conn =
            {
                .host = "127.0.0.1",
                .port = server.port,
                .known_servers_path = known_servers,
                .trust_new = 1,
                .timeout_ms = timeout_ms,
                .client_name = "it_live",
            },
        .token = token,
        .backoff_min_ms = 20,
        .backoff_max_ms = 300,
        .ping_interval_ms = ping_ms,
        .on_event = on_event,
        .on_state = on_state,
        .arg = r,
    };
    okr_live_t *l = NULL;
    char err[2048];
    int rc = okr_live_new(&l, &opts, err, sizeof err);
    if (rc)
        fail_msg("okr_live_new: %s: %s", okr_strerror(rc), err);
    return l;
}

static okr_live_t *live_open_at(const char *token, rec_t *r, const char *known_servers)
{
    return live_open_with(token, r, known_servers, 0, 15000);
}

static okr_live_t *live_open(const char *token, rec_t *r)
{
    return live_open_at(token, r, server.known_servers);
}

static void live_sub(okr_live_t *l, Okr__ScopeKind kind, uint64_t id, uint64_t since)
{
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = kind;
    scope.id = id;
    int rc = okr_live_subscribe(l, &scope, since);
    if (rc)
        fail_msg("okr_live_subscribe: %s: %s", okr_strerror(rc), okr_live_error(l));
}

/* Runs l until r has want events (20 s at most), then a little longer so
 * that a duplicate or a stray event would show. */
static void live_wait(okr_live_t *l, rec_t *r, size_t want)
{
    uint64_t end = okr_mono_ms() + 20000;
    while (r->n < want && okr_mono_ms() < end) {
        int rc = okr_live_run(l, 50);
        if (rc)
            fail_msg("okr_live_run: %s: %s", okr_strerror(rc), okr_live_error(l));
    }
    assert_int_equal(okr_live_run(l, 300), 0);
    assert_int_equal(r->n, want);
}

/* Runs l until it gives up (10 s at most); returns its error. */
static int live_until_error(okr_live_t *l)
{
    uint64_t end = okr_mono_ms() + 10000;
    while (okr_mono_ms() < end) {
        int rc = okr_live_run(l, 100);
        if (rc)
            return rc;
    }
    return 0;
}

static void assert_same_seqs(const rec_t *got, const rec_t *want)
{
    assert_int_equal(got->n, want->n);
    for (size_t i = 0; i < want->n; i++) {
        if (got->seqs[i] != want->seqs[i])
            fail_msg("event %zu: seq %llu, the observer saw %llu", i,
                     (unsigned long long)got->seqs[i], (unsigned long long)want->seqs[i]);
        assert_true(i == 0 || got->seqs[i] > got->seqs[i - 1]);
    }
}

/* ---------------------------------------------------------------- setup */

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--replay-window-changes",
                                        WINDOW,
                                        "--rate-limit-rps",
                                        "0",
                                        "--login-free-failures",
                                        "1000",
                                        NULL};
    ts_start(&server, extra);
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okr_client_free(admin);
    admin = NULL;
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

/* ---------------------------------------------------------------- tests */

/* One client checks in, another receives the event with the right figures:
 * the key result after it, and the objectives it moved up the tree. */
static void test_checkin_reaches_other_client(void **state)
{
    (void)state;
    uint64_t cyc = tw_active_cycle(admin, "live-figures", NULL);
    uint64_t top =
        tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Company");
    uint64_t team =
        tw_objective(admin, cyc, top, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Team");
    uint64_t kr = key_result(team, "NPS", 10, 60);
    okr_client_t *bob = member("bob");
    rec_t r = {0};
    okr_live_t *l = live_open(okr_client_token(bob), &r);
    assert_int_equal(okr_live_state(l), OKR_LIVE_CONNECTED);
    assert_non_null(okr_live_client(l));
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cyc, 0);
    /* Live only: the resume point starts at the newest change. */
    assert_int_equal(okr_live_last_seq(l), current_seq());

    tw_checkin(admin, kr, 40, NULL); /* (40 - 10) / (60 - 10) = 0.6 */
    live_wait(l, &r, 1);
    const Okr__Change *ch = r.last->change;
    assert_non_null(ch);
    assert_int_equal(ch->kind, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    assert_int_equal(ch->op, OKR__CHANGE_OP__CHANGE_OP_CREATE);
    assert_int_equal(ch->actor_id, user_id(admin));
    assert_non_null(ch->checkin);
    assert_true(fabs(ch->checkin->value - 40) < EPS);
    assert_non_null(ch->key_result_after);
    assert_int_equal(ch->key_result_after->id, kr);
    assert_true(fabs(ch->key_result_after->current - 40) < EPS);
    assert_true(fabs(ch->key_result_after->progress - 0.6) < EPS);
    assert_true(ch->n_ancestors >= 2);
    assert_int_equal(ch->ancestors[0]->objective_id, team);
    assert_true(fabs(ch->ancestors[0]->progress - 0.6) < EPS);
    assert_int_equal(ch->ancestors[1]->objective_id, top); /* no key results: its child's */
    assert_true(fabs(ch->ancestors[1]->progress - 0.6) < EPS);
    assert_int_equal(r.last->seq, okr_live_last_seq(l));
    assert_int_equal(r.last->seq, current_seq());
    assert_int_equal(r.reconnecting, 0);

    okr_live_free(l);
    okr_client_free(bob);
    rec_free(&r);
}

/* Dropped while changes are made: it reconnects by itself and receives
 * exactly the missed changes, none twice, even with two overlapping scopes
 * resumed from one seq. */
static void test_drop_resumes_exactly(void **state)
{
    (void)state;
    uint64_t cyc = tw_active_cycle(admin, "live-drop", NULL);
    uint64_t obj = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Drop");
    uint64_t k1 = key_result(obj, "One", 0, 100);
    uint64_t k2 = key_result(obj, "Two", 0, 100);
    rec_t want = {0}, got = {0};
    okr_client_t *obs = observer(&want, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cyc);
    okr_client_t *carol = member("carol");
    okr_live_t *l = live_open(okr_client_token(carol), &got);
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cyc, 0);
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, obj, 0);

    for (int i = 1; i <= 3; i++)
        tw_checkin(admin, k1, i, NULL);
    observer_wait(obs, &want, 3);
    live_wait(l, &got, 3);
    assert_same_seqs(&got, &want);

    okr_live_drop(l);
    assert_null(okr_live_client(l));
    assert_int_equal(okr_live_state(l), OKR_LIVE_RECONNECTING);
    assert_int_equal(got.reconnecting, 1);
    for (int i = 1; i <= 6; i++) /* missed while away */
        tw_checkin(admin, i % 2 ? k1 : k2, 10 * i, NULL);
    key_result(obj, "Three", 0, 5);
    observer_wait(obs, &want, 10);

    live_wait(l, &got, 10);
    assert_same_seqs(&got, &want);
    assert_int_equal(okr_live_state(l), OKR_LIVE_CONNECTED);
    assert_true(got.connected >= 1);
    assert_int_equal(okr_live_last_seq(l), want.seqs[want.n - 1]);

    tw_checkin(admin, k2, 99, NULL); /* and live again afterwards */
    observer_wait(obs, &want, 11);
    live_wait(l, &got, 11);
    assert_same_seqs(&got, &want);

    okr_live_free(l);
    okr_client_free(carol);
    okr_client_free(obs);
    rec_free(&want);
    rec_free(&got);
}

/* okrd restarts; the changes made before the live connection notices are
 * replayed from the stored change log. */
static void test_server_restart(void **state)
{
    (void)state;
    uint64_t cyc = tw_active_cycle(admin, "live-restart", NULL);
    uint64_t obj =
        tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Restart");
    uint64_t kr = key_result(obj, "Up", 0, 100);
    okr_client_t *dave = member("dave");
    rec_t r = {0};
    okr_live_t *l = live_open(okr_client_token(dave), &r);
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 0);
    tw_checkin(admin, kr, 1, NULL);
    live_wait(l, &r, 1);
    uint64_t before = okr_live_last_seq(l);

    okr_client_free(admin);
    okr_client_free(dave);
    ts_stop(&server);
    ts_start(&server, NULL); /* same port, same data, same arguments */
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    for (int i = 2; i <= 4; i++)
        tw_checkin(admin, kr, i, NULL);

    live_wait(l, &r, 4);
    assert_true(r.reconnecting >= 1);
    assert_true(r.connected >= 1);
    for (size_t i = 1; i < 4; i++) {
        assert_int_equal(r.seqs[i], before + i); /* nothing else happened meanwhile */
        assert_non_null(r.last);
    }
    assert_true(fabs(r.last->change->checkin->value - 4) < EPS);
    assert_int_equal(okr_live_last_seq(l), before + 3);

    okr_live_free(l);
    rec_free(&r);
}

/* since_seq at subscription replays what came after it; away for longer
 * than the replay window, a reconnect gets a snapshot and carries on. */
static void test_since_and_snapshot(void **state)
{
    (void)state;
    uint64_t cyc = tw_active_cycle(admin, "live-snap", NULL);
    uint64_t obj = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Snap");
    uint64_t kr = key_result(obj, "Many", 0, 1000);
    uint64_t mark = current_seq();
    for (int i = 1; i <= 4; i++)
        tw_checkin(admin, kr, i, NULL);
    okr_client_t *erin = member("erin");
    rec_t r = {0};
    okr_live_t *l = live_open(okr_client_token(erin), &r);
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cyc, mark);
    live_wait(l, &r, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(r.seqs[i], mark + 1 + i);
    assert_int_equal(r.snapshot_items, 0);

    okr_live_drop(l);
    for (int i = 0; i < 40; i++) /* well past the replay window (WINDOW changes) */
        tw_checkin(admin, kr, 100 + i, NULL);
    uint64_t now = current_seq();
    uint64_t end = okr_mono_ms() + 20000;
    while (!r.snapshot_done && okr_mono_ms() < end)
        assert_int_equal(okr_live_run(l, 50), 0);
    assert_true(r.snapshot_done);
    assert_true(r.snapshot_items >= 3); /* the cycle, the objective, its key result */
    assert_int_equal(r.snapshot_seq, now);
    assert_int_equal(okr_live_last_seq(l), now);
    assert_int_equal(r.n, 4); /* the missed changes came as the snapshot, not one by one */

    tw_checkin(admin, kr, 999, NULL);
    live_wait(l, &r, 5);
    assert_int_equal(r.seqs[4], now + 1);

    okr_live_free(l);
    okr_client_free(erin);
    rec_free(&r);
}

/* The heartbeat keeps a quiet connection open and finds a server that
 * stopped answering (a half-open connection): okrd is frozen with SIGSTOP,
 * the live connection gives up on it, and once okrd runs again it comes back
 * and receives what was committed. */
static void test_heartbeat_finds_dead_link(void **state)
{
    (void)state;
    uint64_t cyc = tw_active_cycle(admin, "live-heartbeat", NULL);
    uint64_t obj = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Beat");
    uint64_t kr = key_result(obj, "Pulse", 0, 10);
    okr_client_t *ivy = member("ivy");
    rec_t r = {0};
    okr_live_t *l = live_open_with(okr_client_token(ivy), &r, server.known_servers, 100, 1000);
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cyc, 0);
    assert_int_equal(okr_live_run(l, 700), 0); /* several heartbeats: all answered */
    assert_int_equal(r.reconnecting, 0);
    tw_checkin(admin, kr, 1, NULL);
    live_wait(l, &r, 1);

    kill(server.pid, SIGSTOP);
    uint64_t end = okr_mono_ms() + 10000;
    while (r.reconnecting == 0 && okr_mono_ms() < end)
        assert_int_equal(okr_live_run(l, 100), 0);
    assert_true(r.reconnecting >= 1);
    assert_null(okr_live_client(l));
    kill(server.pid, SIGCONT);
    tw_checkin(admin, kr, 2, NULL);
    live_wait(l, &r, 2);
    assert_true(r.connected >= 1);
    assert_true(fabs(r.last->change->checkin->value - 2) < EPS);

    okr_live_free(l);
    okr_client_free(ivy);
    rec_free(&r);
}

/* What cannot heal ends okr_live_run: a revoked session, a changed
 * certificate, a scope that does not exist. */
static void test_unhealable(void **state)
{
    (void)state;
    /* A scope that does not exist is refused and not remembered. */
    okr_client_t *frank = member("frank");
    rec_t r = {0};
    okr_live_t *l = live_open(okr_client_token(frank), &r);
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE;
    scope.id = 999999;
    assert_int_equal(okr_live_subscribe(l, &scope, 0), OKR_E_NOT_FOUND);
    assert_true(strlen(okr_live_error(l)) > 0);
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 0);
    assert_int_equal(okr_live_run(l, 100), 0);

    /* The session is revoked (logout elsewhere): the reconnect's token
     * authentication fails, and that is final. */
    Okr__LogoutRequest lo = OKR__LOGOUT_REQUEST__INIT;
    okr__response__free_unpacked(tw_ok(frank, OKR__REQUEST__OP_LOGOUT, &lo), NULL);
    okr_live_drop(l);
    assert_int_equal(live_until_error(l), OKR_E_UNAUTHENTICATED);
    assert_int_equal(okr_live_run(l, 0), OKR_E_UNAUTHENTICATED); /* sticky */
    assert_int_equal(okr_live_subscribe(l, &scope, 0), OKR_E_UNAUTHENTICATED);
    assert_null(okr_live_client(l));
    okr_live_free(l);
    okr_client_free(frank);

    /* The server's certificate no longer matches the pin. */
    char pins[400], line[400];
    snprintf(pins, sizeof pins, "%s/live_known_servers", server.dir);
    unlink(pins);
    okr_client_t *gina = member("gina");
    rec_t r2 = {0};
    l = live_open_at(okr_client_token(gina), &r2, pins); /* pins it */
    live_sub(l, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 0);
    FILE *f = fopen(pins, "w");
    assert_non_null(f);
    snprintf(line, sizeof line, "127.0.0.1:%u %064d\n", (unsigned)server.port, 0);
    fputs(line, f);
    fclose(f);
    okr_live_drop(l);
    assert_int_equal(live_until_error(l), OKR_E_TLS);
    assert_non_null(strstr(okr_live_error(l), "127.0.0.1"));
    okr_live_free(l);

    /* ... and a first connection to it fails at once. */
    okr_live_opts_t opts = {.conn = {.host = "127.0.0.1",
                                     .port = server.port,
                                     .known_servers_path = pins,
                                     .timeout_ms = 15000},
                            .token = okr_client_token(gina)};
    char err[2048];
    l = (okr_live_t *)1;
    assert_int_equal(okr_live_new(&l, &opts, err, sizeof err), OKR_E_TLS);
    assert_null(l);
    okr_client_free(gina);
    rec_free(&r);
    rec_free(&r2);
}

/* ---------------------------------------------------------------- the okr binary */

typedef struct proc {
    pid_t pid;
    int out; /* its stdout */
    char buf[65536];
    size_t len;
} proc_t;

/* Runs okr with args (NULL-terminated), its stdout on a pipe, its stderr in
 * the server's directory (okr-stderr.log). */
static void spawn(proc_t *p, const char *const *args)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char errlog[400];
    snprintf(errlog, sizeof errlog, "%s/okr-stderr.log", server.dir);
    memset(p, 0, sizeof *p);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        dup2(fds[1], 1);
        int e = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (e >= 0)
            dup2(e, 2);
        close(fds[0]);
        close(fds[1]);
        const char *argv[32] = {OKR_CLI_PATH};
        size_t n = 1;
        for (size_t i = 0; args[i] && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(OKR_CLI_PATH, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    p->out = fds[0];
}

/* The next line of p's output (without the newline) into line; 0, or -1 at
 * the end of output or after timeout_ms. */
static int proc_line(proc_t *p, char *line, size_t len, int timeout_ms)
{
    uint64_t end = okr_mono_ms() + (uint64_t)timeout_ms;
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t n = (size_t)(nl - p->buf);
            snprintf(line, len, "%.*s", (int)n, p->buf);
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            return 0;
        }
        uint64_t now = okr_mono_ms();
        if (now >= end || p->len == sizeof p->buf)
            return -1;
        struct pollfd pfd = {.fd = p->out, .events = POLLIN};
        if (poll(&pfd, 1, (int)(end - now)) <= 0)
            continue;
        ssize_t got = read(p->out, p->buf + p->len, sizeof p->buf - p->len);
        if (got <= 0)
            return -1;
        p->len += (size_t)got;
    }
}

/* Waits for p (30 s at most) and returns its exit status, or -1. */
static int proc_wait(proc_t *p)
{
    int status = -1;
    for (int i = 0; i < 3000; i++) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            close(p->out);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    close(p->out);
    return -1;
}

static void print_okr_stderr(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/okr-stderr.log", server.dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "okr: %s", line);
    fclose(f);
}

/* Waits until the server counts more than n subscriptions. */
static void wait_subscriptions_above(uint64_t n)
{
    for (int i = 0; i < 400; i++) {
        if (subscriptions() > n)
            return;
        struct timespec ts = {0, 25000000};
        nanosleep(&ts, NULL);
    }
    print_okr_stderr();
    fail_msg("okr watch did not subscribe within 10 s");
}

/* The okr binary: login, watch --json --count, watch in text until Ctrl-C,
 * admin stats. */
static void test_watch_binary(void **state)
{
    (void)state;
    char cfg[400], server_arg[64];
    snprintf(cfg, sizeof cfg, "%s/okr-config", server.dir);
    snprintf(server_arg, sizeof server_arg, "127.0.0.1:%u", (unsigned)server.port);
    setenv("OKR_CONFIG_DIR", cfg, 1);
    setenv("OKR_SERVER", server_arg, 1);
    setenv("NO_COLOR", "1", 1);
    setenv("TZ", "UTC", 1);

    uint64_t cyc = tw_active_cycle(admin, "live-cli", NULL);
    uint64_t top =
        tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Company");
    uint64_t obj =
        tw_objective(admin, cyc, top, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Sales");
    uint64_t kr = key_result(obj, "NPS", 0, 50);

    /* okr login admin --password-stdin --trust */
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n' '%s' | '%s' login admin --password-stdin --trust >/dev/null 2>&1",
             TS_ADMIN_PASSWORD, OKR_CLI_PATH);
    assert_int_equal(system(cmd), 0);

    /* --json --count 2 */
    uint64_t subs = subscriptions();
    proc_t p;
    const char *const json_args[] = {"watch", "--org", "--json", "--count", "2", NULL};
    spawn(&p, json_args);
    wait_subscriptions_above(subs);
    tw_checkin(admin, kr, 20, NULL);
    tw_checkin(admin, kr, 30, NULL);
    char line[8192];
    for (int i = 0; i < 2; i++) {
        if (proc_line(&p, line, sizeof line, 20000) != 0) {
            print_okr_stderr();
            fail_msg("okr watch printed no line %d", i + 1);
        }
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (!j)
            fail_msg("not JSON: %s", line);
        assert_string_equal(json_string_value(json_object_get(j, "op")), "create");
        assert_string_equal(json_string_value(json_object_get(j, "kind")), "checkin");
        assert_string_equal(json_string_value(json_object_get(j, "actor")), "admin");
        assert_true(json_integer_value(json_object_get(j, "seq")) > 0);
        json_t *after = json_object_get(j, "key_result_after");
        assert_true(fabs(json_number_value(json_object_get(after, "current")) - (i ? 30 : 20)) <
                    EPS);
        json_t *anc = json_object_get(j, "ancestors");
        assert_true(json_array_size(anc) >= 2);
        assert_int_equal(
            json_integer_value(json_object_get(json_array_get(anc, 0), "objective_id")), obj);
        json_decref(j);
    }
    assert_int_equal(proc_wait(&p), 0);

    /* Text until Ctrl-C (exit 0). */
    subs = subscriptions();
    const char *const text_args[] = {"watch", "--cycle", "live-cli", NULL};
    spawn(&p, text_args);
    wait_subscriptions_above(subs);
    tw_checkin(admin, kr, 40, NULL); /* 80%: Sales 80%, Company 80% */
    if (proc_line(&p, line, sizeof line, 20000) != 0) {
        print_okr_stderr();
        fail_msg("okr watch printed nothing");
    }
    char want[128];
    snprintf(want, sizeof want, "checked in K%llu \"NPS\": 40 (80%%)", (unsigned long long)kr);
    if (!strstr(line, want) || !strstr(line, "admin"))
        fail_msg("unexpected line: %s", line);
    snprintf(want, sizeof want, "O%llu 80%% \u2192 O%llu 80%%", (unsigned long long)obj,
             (unsigned long long)top);
    if (!strstr(line, want))
        fail_msg("no ancestors in: %s", line);
    /* A check-in made late says when it is dated. */
    Okr__CheckInRequest late = OKR__CHECK_IN_REQUEST__INIT;
    late.key_result_id = key_result(obj, "Calls", 0, 100); /* none yet: any date in the cycle */
    late.value = 45;
    late.note = "";
    late.at = okr_wall_ms() - 2 * 86400000LL;
    okr__response__free_unpacked(tw_ok(admin, OKR__REQUEST__OP_CHECKIN, &late), NULL);
    do { /* the new key result's own line comes first */
        if (proc_line(&p, line, sizeof line, 20000) != 0)
            fail_msg("okr watch printed nothing for the late check-in");
    } while (!strstr(line, "checked in"));
    char dated[64];
    time_t day = (time_t)(late.at / 1000);
    struct tm tm;
    gmtime_r(&day, &tm);
    strftime(dated, sizeof dated, ", dated %Y-%m-%d %H:%M UTC", &tm);
    if (!strstr(line, dated))
        fail_msg("no \"%s\" in: %s", dated, line);
    kill(p.pid, SIGINT);
    assert_int_equal(proc_wait(&p), 0);

    /* okr admin stats --json */
    const char *const stats_args[] = {"admin", "stats", "--json", NULL};
    spawn(&p, stats_args);
    char all[8192] = "";
    size_t used = 0;
    while (proc_line(&p, line, sizeof line, 20000) == 0 && used < sizeof all - 1)
        used += (size_t)snprintf(all + used, sizeof all - used, "%s\n", line);
    assert_int_equal(proc_wait(&p), 0);
    json_error_t jerr;
    json_t *j = json_loads(all, 0, &jerr);
    if (!j)
        fail_msg("okr admin stats --json: not JSON: %s", all);
    assert_int_equal(json_integer_value(json_object_get(j, "current_seq")), current_seq());
    assert_true(json_integer_value(json_object_get(j, "connections")) >= 1);
    assert_true(json_integer_value(json_object_get(j, "events_sent")) >= 3);
    assert_true(json_integer_value(json_object_get(j, "started_at")) > 0);
    assert_true(json_integer_value(json_object_get(j, "commit_p50_us")) > 0);
    assert_true(json_integer_value(json_object_get(j, "timed_groups")) >= 3);
    assert_non_null(json_object_get(j, "apply_p99_us"));
    assert_non_null(json_object_get(j, "queue_p50_us"));
    assert_non_null(json_object_get(j, "handback_p99_us"));
    assert_non_null(json_object_get(j, "fanout_p99_us"));
    assert_true(json_integer_value(json_object_get(j, "fsyncs")) >= 6);
    assert_true(json_is_real(json_object_get(j, "commits_per_s")));
    assert_true(json_is_integer(json_object_get(j, "trends_waiting")));
    assert_true(json_is_integer(json_object_get(j, "trends_refused")));
    assert_true(json_is_integer(json_object_get(j, "trend_objectives")));
    assert_int_equal(json_integer_value(json_object_get(j, "connections_refused_per_ip")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "connections_refused_full")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "logins_refused_per_user")), 0);
    json_decref(j);

    /* ... and the table. */
    const char *const table_args[] = {"admin", "stats", NULL};
    spawn(&p, table_args);
    int saw_seq = 0, saw_commit = 0, saw_back = 0, saw_rate = 0, saw_fanout = 0, saw_trends = 0;
    int saw_per_ip = 0, saw_per_user = 0, saw_full = 0;
    while (proc_line(&p, line, sizeof line, 20000) == 0) {
        saw_seq |= strncmp(line, "current seq", 11) == 0;
        saw_trends |= strncmp(line, "trends refused", 14) == 0;
        saw_commit |= strncmp(line, "commit p50/p99", 14) == 0;
        saw_back |= strncmp(line, "back to loop p50/p99", 20) == 0;
        saw_rate |= strncmp(line, "commits/s", 9) == 0;
        saw_fanout |= strncmp(line, "fan-out p50/p99", 15) == 0;
        saw_per_ip |= strncmp(line, "refused per IP", 14) == 0;
        saw_per_user |= strncmp(line, "refused per user", 16) == 0;
        saw_full |= strncmp(line, "refused, full", 13) == 0;
    }
    assert_int_equal(proc_wait(&p), 0);
    assert_true(saw_seq);
    assert_true(saw_commit);
    assert_true(saw_back);
    assert_true(saw_rate);
    assert_true(saw_fanout);
    assert_true(saw_trends);
    assert_true(saw_per_ip);
    assert_true(saw_per_user);
    assert_true(saw_full);

    /* Stats are for admins. */
    okr_client_t *hank = member("hank");
    Okr__StatsRequest sr = OKR__STATS_REQUEST__INIT;
    Okr__Request req = tw_request(OKR__REQUEST__OP_STATS, &sr);
    assert_int_equal(ts_call(hank, &req, NULL), OKR_E_FORBIDDEN);
    okr_client_free(hank);
}

/* Stats carries the writer's timings: one sample per committed group in the
 * apply and commit histograms, their quantiles and totals, and two readings
 * subtract to what happened in between. */
static void test_stats_timings(void **state)
{
    (void)state;
    uint64_t cyc = tw_active_cycle(admin, "timings", NULL);
    uint64_t obj = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_UNSPECIFIED, "Timed");
    uint64_t kr = key_result(obj, "Latency", 0, 100);
    Okr__Stats *a = tw_stats(admin);
    for (int i = 1; i <= 5; i++)
        tw_checkin(admin, kr, 10 * i, NULL);
    Okr__Stats *b = tw_stats(admin);

    /* Check-ins one after the other: a group each. */
    assert_true(b->timed_groups >= a->timed_groups + 5);
    assert_true(b->commits - a->commits == b->timed_groups - a->timed_groups);
    assert_true(b->commit_sum_us > a->commit_sum_us); /* a durable commit takes time */
    assert_int_equal(b->fsyncs - a->fsyncs, 2 * (b->commits - a->commits)); /* each wrote */
    assert_true(b->apply_sum_us >= a->apply_sum_us);
    assert_true(b->commit_p50_us > 0);
    assert_true(b->commit_p50_us <= b->commit_p99_us);
    assert_true(b->apply_p50_us <= b->apply_p99_us);

    static okr_lhist_t ha, hb, d;
    okr_lhist_from_counts(&ha, a->commit_hist, a->n_commit_hist, a->commit_sum_us);
    okr_lhist_from_counts(&hb, b->commit_hist, b->n_commit_hist, b->commit_sum_us);
    assert_int_equal(hb.count, b->timed_groups);
    assert_int_equal(okr_lhist_quantile(&hb, 0.5), b->commit_p50_us);
    okr_lhist_sub(&d, &hb, &ha);
    assert_int_equal(d.count, b->timed_groups - a->timed_groups);
    assert_true(okr_lhist_quantile(&d, 0.5) > 0);
    okr_lhist_from_counts(&hb, b->apply_hist, b->n_apply_hist, b->apply_sum_us);
    assert_int_equal(hb.count, b->timed_groups);
    assert_int_equal(okr_lhist_quantile(&hb, 0.99), b->apply_p99_us);
    /* The hand-offs: a sample per write (the Stats call itself is no write). */
    assert_true(b->queue_p50_us <= b->queue_p99_us);
    assert_true(b->handback_p50_us <= b->handback_p99_us);
    okr_lhist_from_counts(&ha, a->queue_hist, a->n_queue_hist, a->queue_sum_us);
    okr_lhist_from_counts(&hb, b->queue_hist, b->n_queue_hist, b->queue_sum_us);
    okr_lhist_sub(&d, &hb, &ha);
    assert_int_equal(d.count, 5);
    assert_int_equal(okr_lhist_quantile(&hb, 0.5), b->queue_p50_us);
    okr_lhist_from_counts(&ha, a->handback_hist, a->n_handback_hist, a->handback_sum_us);
    okr_lhist_from_counts(&hb, b->handback_hist, b->n_handback_hist, b->handback_sum_us);
    okr_lhist_sub(&d, &hb, &ha);
    assert_int_equal(d.count, 5);
    assert_int_equal(okr_lhist_quantile(&hb, 0.99), b->handback_p99_us);
    /* The fan-out: a sample per commit group published. */
    okr_lhist_from_counts(&ha, a->fanout_hist, a->n_fanout_hist, a->fanout_sum_us);
    okr_lhist_from_counts(&hb, b->fanout_hist, b->n_fanout_hist, b->fanout_sum_us);
    okr_lhist_sub(&d, &hb, &ha);
    assert_int_equal(d.count, 5);
    assert_int_equal(okr_lhist_quantile(&hb, 0.5), b->fanout_p50_us);
    assert_true(b->fanout_p50_us <= b->fanout_p99_us);
    okr__stats__free_unpacked(a, NULL);
    okr__stats__free_unpacked(b, NULL);

    /* Once their second is over, the five count in commits per second
     * (over 10 s: at least 0.5). */
    usleep(1100 * 1000);
    b = tw_stats(admin);
    assert_true(b->commits_per_s >= 0.5);
    okr__stats__free_unpacked(b, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkin_reaches_other_client),
        cmocka_unit_test(test_drop_resumes_exactly),
        cmocka_unit_test(test_server_restart),
        cmocka_unit_test(test_since_and_snapshot),
        cmocka_unit_test(test_heartbeat_finds_dead_link),
        cmocka_unit_test(test_unhealable),
        cmocka_unit_test(test_watch_binary),
        cmocka_unit_test(test_stats_timings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
