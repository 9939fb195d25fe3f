/* Integration: real-time push against a real okrd (DESIGN.md section 4):
 * figures in events, roll-up in one event, visibility, snapshots beyond the
 * replay window, a stalled subscriber coalesced then cut off while another
 * receives every event, and 200 subscribers receiving a whole burst. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "world.h"
#include "okr_error.h"

static okr_test_server_t server;
static okr_client_t *admin;
static okr_test_server_t server2; /* a second okrd with other limits, for one test */

#define NOTE_BYTES 3000

/* ---- events seen by one client ---- */

typedef struct seen {
    uint64_t *seqs;
    size_t n, cap;
    size_t snapshot_items;
    int snapshot_done;
    Okr__Event *last; /* a copy of the newest non-snapshot event */
} seen_t;

static void on_event(void *arg, const Okr__Event *ev)
{
    seen_t *s = arg;
    if (ev->snapshot) {
        s->snapshot_items++;
        return;
    }
    if (ev->snapshot_done) {
        s->snapshot_done = 1;
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->seqs = realloc(s->seqs, s->cap * sizeof *s->seqs);
    }
    s->seqs[s->n++] = ev->seq;
    if (s->last)
        okr__event__free_unpacked(s->last, NULL);
    size_t len = okr__event__get_packed_size(ev);
    uint8_t *buf = malloc(len + 1);
    okr__event__pack(ev, buf);
    s->last = okr__event__unpack(NULL, len, buf);
    free(buf);
}

static void seen_free(seen_t *s)
{
    free(s->seqs);
    if (s->last)
        okr__event__free_unpacked(s->last, NULL);
    memset(s, 0, sizeof *s);
}

/* Polls c until it has seen want events (or 20 s pass). */
static void wait_events(okr_client_t *c, seen_t *s, size_t want)
{
    for (int i = 0; i < 400 && s->n < want; i++)
        okr_client_poll(c, 50);
    assert_true(s->n >= want);
}

/* ---- requests ---- */

static Okr__Request checkin_request(Okr__CheckInRequest *ci, uint64_t kr, double value, char *note)
{
    okr__check_in_request__init(ci);
    ci->key_result_id = kr;
    ci->value = value;
    ci->note = note ? note : "";
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_CHECKIN;
    req.checkin = ci;
    return req;
}

/* ---- tests ---- */

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--login-free-failures",
                                        "1000",
                                        "--replay-window-changes",
                                        "20",
                                        "--out-queue-soft",
                                        "131072",
                                        "--out-queue-max",
                                        "524288",
                                        "--rate-limit-rps",
                                        "0",
                                        "--socket-sndbuf",
                                        "65536",
                                        NULL};
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
    if (server2.dir[0]) /* test_group_over_soft_cap failed half-way */
        ts_cleanup(&server2);
    return 0;
}

/* One check-in on a team objective three levels down: the other client's
 * single event carries the key result's figures and all three objectives. */
static void test_checkin_event_with_three_level_rollup(void **state)
{
    (void)state;
    uint64_t cycle = tw_cycle(admin, "push-rollup", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t o1 = tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t o2 = tw_objective(admin, cycle, o1, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t o3 = tw_objective(admin, cycle, o2, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t kr = tw_kr(admin, o3, "Customers", 0, 100);

    okr_client_t *watcher = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    seen_t seen = {0};
    okr_client_on_event(watcher, on_event, &seen);
    tw_subscribe(watcher, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, o1, 0, 0);

    tw_checkin(admin, kr, 40, NULL);
    wait_events(watcher, &seen, 1);
    Okr__Change *ch = seen.last->change;
    assert_int_equal(ch->kind, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    assert_non_null(ch->key_result_after);
    assert_true(fabs(ch->key_result_after->current - 40) < 1e-9);
    assert_true(fabs(ch->key_result_after->progress - 0.4) < 1e-9);
    assert_int_equal(ch->n_ancestors, 3);
    assert_int_equal(ch->ancestors[0]->objective_id, o3);
    assert_int_equal(ch->ancestors[1]->objective_id, o2);
    assert_int_equal(ch->ancestors[2]->objective_id, o1);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(ch->ancestors[i]->progress - 0.4) < 1e-9);
    seen_free(&seen);
    okr_client_free(watcher);
}

/* A team-only objective's changes reach its team and not an outsider. */
static void test_team_visibility_of_events(void **state)
{
    (void)state;
    assert_int_equal(ts_create_user(admin, "insider", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    assert_int_equal(ts_create_user(admin, "stranger", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    uint64_t team = tw_team(admin, "Secret Squad", 0);
    tw_team_member(admin, team, "insider", OKR__TEAM_ROLE__TEAM_ROLE_MEMBER);
    uint64_t cycle = tw_cycle(admin, "push-visibility", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t hidden = tw_objective(admin, cycle, 0, team, OKR__VISIBILITY__VISIBILITY_TEAM, "Grow");
    uint64_t open = tw_objective(admin, cycle, 0, team, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t hidden_kr = tw_kr(admin, hidden, "Customers", 0, 100),
             open_kr = tw_kr(admin, open, "Customers", 0, 100);

    okr_client_t *in = ts_login(&server, "insider", "password-123");
    okr_client_t *out = ts_login(&server, "stranger", "password-123");
    seen_t in_seen = {0}, out_seen = {0};
    okr_client_on_event(in, on_event, &in_seen);
    okr_client_on_event(out, on_event, &out_seen);
    tw_subscribe(in, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 0, 0);
    tw_subscribe(out, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 0, 0);

    tw_checkin(admin, hidden_kr, 10, NULL);
    tw_checkin(admin, open_kr, 20, NULL);
    wait_events(in, &in_seen, 2);
    wait_events(out, &out_seen, 1);
    okr_client_poll(out, 300); /* anything else would have arrived by now */
    assert_int_equal(in_seen.n, 2);
    assert_int_equal(out_seen.n, 1);
    assert_int_equal(out_seen.last->change->checkin->key_result_id, open_kr);
    seen_free(&in_seen);
    seen_free(&out_seen);
    okr_client_free(in);
    okr_client_free(out);
}

/* Resume within the window replays exactly the missed changes; from before
 * the window (20 changes here) it gets a snapshot. */
static void test_resume_replay_and_snapshot(void **state)
{
    (void)state;
    uint64_t cycle = tw_cycle(admin, "push-resume", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t obj = tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t kr = tw_kr(admin, obj, "Customers", 0, 100);
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    seen_t seen = {0};
    okr_client_on_event(c, on_event, &seen);
    Okr__SubscribeResult sr = tw_subscribe(c, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 0, 0);
    tw_checkin(admin, kr, 1, NULL);
    wait_events(c, &seen, 1);
    uint64_t last = seen.seqs[seen.n - 1];
    okr_client_free(c); /* the connection is gone */

    for (int i = 2; i <= 6; i++) /* missed while away */
        tw_checkin(admin, kr, i, NULL);
    c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    seen_t again = {0};
    okr_client_on_event(c, on_event, &again);
    sr = tw_subscribe(c, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 1, last);
    assert_false(sr.snapshot);
    assert_int_equal(sr.replayed, 5);
    assert_int_equal(again.n, 5); /* all before the answer, in order, none twice */
    for (size_t i = 0; i < again.n; i++)
        assert_true(again.seqs[i] > last && (i == 0 || again.seqs[i] > again.seqs[i - 1]));
    tw_checkin(admin, kr, 7, NULL); /* and live after */
    wait_events(c, &again, 6);
    okr_client_free(c);
    seen_free(&again);

    for (int i = 0; i < 25; i++) /* push the old position out of the window */
        tw_checkin(admin, kr, 10 + i, NULL);
    c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    seen_t snap = {0};
    okr_client_on_event(c, on_event, &snap);
    sr = tw_subscribe(c, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 1, last);
    assert_true(sr.snapshot);
    for (int i = 0; i < 100 && !snap.snapshot_done; i++)
        okr_client_poll(c, 20);
    assert_true(snap.snapshot_done);
    assert_true(snap.snapshot_items >= 3); /* the cycle, the objective, its key result */
    okr_client_free(c);
    seen_free(&snap);
    seen_free(&seen);
}

/* Sends a framed request over raw TLS. */
static void raw_request(SSL *ssl, Okr__Request *req, uint64_t id)
{
    req->id = id;
    assert_int_equal(ts_tls_send_request(ssl, req), 0);
}

/* Creates n key results in cycle with pipelined requests, under an
 * objective for each 25 (the most okrd allows one by default). */
static void make_krs(okr_client_t *c, uint64_t cycle, uint64_t *out, int n)
{
    for (int done = 0; done < n; done += 25) {
        int batch = n - done < 25 ? n - done : 25;
        uint64_t obj = tw_objective(c, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
        uint64_t ids[25];
        Okr__KeyResult k[25];
        Okr__KeyResultCreateRequest kc[25];
        for (int i = 0; i < batch; i++) {
            okr__key_result__init(&k[i]);
            k[i].objective_id = obj;
            k[i].title = "Customers";
            k[i].target = 100;
            okr__key_result_create_request__init(&kc[i]);
            kc[i].key_result = &k[i];
            Okr__Request req = OKR__REQUEST__INIT;
            req.op_case = OKR__REQUEST__OP_KEY_RESULT_CREATE;
            req.key_result_create = &kc[i];
            assert_int_equal(okr_client_send(c, &req, &ids[i]), OKR_OK);
        }
        for (int i = 0; i < batch; i++) {
            Okr__Response *resp = NULL;
            assert_int_equal(okr_client_wait(c, ids[i], &resp), OKR_OK);
            assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
            out[done + i] = resp->key_result->id;
            okr__response__free_unpacked(resp, NULL);
        }
    }
}

/* Check-ins on krs[i % nkr] for i in [0, n), pipelined in batches; after each
 * batch the good subscriber must have every event so far. Returns the
 * largest queued_bytes the server reported meanwhile. */
static uint64_t checkin_flood(const uint64_t *krs, int nkr, int n, okr_client_t *good, seen_t *seen,
                              const char *note)
{
    enum { BATCH = 10 };
    uint64_t max_queued = 0;
    size_t base = seen->n;
    for (int done = 0; done < n; done += BATCH) {
        uint64_t ids[BATCH];
        Okr__CheckInRequest ci[BATCH];
        for (int i = 0; i < BATCH; i++) {
            Okr__Request r = checkin_request(&ci[i], krs[(done + i) % nkr], done + i, (char *)note);
            assert_int_equal(okr_client_send(admin, &r, &ids[i]), OKR_OK);
        }
        for (int i = 0; i < BATCH; i++) {
            Okr__Response *resp = NULL;
            assert_int_equal(okr_client_wait(admin, ids[i], &resp), OKR_OK);
            assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
            okr__response__free_unpacked(resp, NULL);
        }
        wait_events(good, seen, base + (size_t)done + BATCH);
        Okr__Stats *st = tw_stats(admin);
        if (st->queued_bytes > max_queued)
            max_queued = st->queued_bytes;
        okr__stats__free_unpacked(st, NULL);
    }
    return max_queued;
}

/* A subscriber that stops reading is coalesced, then cut off at the hard
 * cap, while another subscriber receives every event and the server's queues
 * stay under their bound. Phase one: thousands of check-ins on a few key
 * results (its queue coalesces them). Phase two: one check-in on each of many
 * key results (distinct entities pile up past the hard cap). */
static void test_stalled_subscriber_is_cut_off(void **state)
{
    (void)state;
    enum { HOT = 8, COLD = 250, HOT_CHECKINS = 600 };
    uint64_t cycle = tw_cycle(admin, "push-slow", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t *krs = calloc(HOT + COLD, sizeof *krs);
    make_krs(admin, cycle, krs, HOT + COLD);

    /* The stalled one: raw TLS with a tiny receive buffer, never read again. */
    SSL *slow = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(slow);
    int tiny = 4096;
    setsockopt(SSL_get_fd(slow), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
    Okr__Hello hello = OKR__HELLO__INIT;
    hello.version_major = 1;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_HELLO;
    req.hello = &hello;
    /* One at a time: login completes off the loop, so a request sent behind
     * it would still find the connection logged out. */
    Okr__LoginRequest login = OKR__LOGIN_REQUEST__INIT;
    login.username = "admin";
    login.password = TS_ADMIN_PASSWORD;
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_ORG;
    Okr__SubscribeRequest sub = OKR__SUBSCRIBE_REQUEST__INIT;
    sub.scope = &scope;
    for (int step = 1; step <= 3; step++) {
        if (step == 2) {
            req.op_case = OKR__REQUEST__OP_LOGIN;
            req.login = &login;
        } else if (step == 3) {
            req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
            req.subscribe = &sub;
        }
        raw_request(slow, &req, (uint64_t)step);
        Okr__Envelope *env = ts_tls_read_envelope(slow, 10000);
        assert_non_null(env);
        assert_int_equal(env->response->status, OKR__STATUS__STATUS_OK);
        okr__envelope__free_unpacked(env, NULL);
    }
    /* From here on the stalled subscriber never reads again. */

    okr_client_t *good = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    seen_t seen = {0};
    okr_client_on_event(good, on_event, &seen);
    tw_subscribe(good, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 0, 0);
    Okr__Stats *st = tw_stats(admin);
    uint64_t connections = st->connections; /* the stalled one among them */
    okr__stats__free_unpacked(st, NULL);

    char *note = malloc(NOTE_BYTES + 1);
    memset(note, 'n', NOTE_BYTES);
    note[NOTE_BYTES] = '\0';
    uint64_t q1 = checkin_flood(krs, HOT, HOT_CHECKINS, good, &seen, note);
    st = tw_stats(admin);
    uint64_t coalesced = st->events_coalesced, cut = st->slow_disconnects;
    okr__stats__free_unpacked(st, NULL);
    uint64_t q2 = checkin_flood(krs + HOT, COLD, COLD, good, &seen, note);
    free(note);
    free(krs);

    st = tw_stats(admin);
    uint64_t max_queued = q1 > q2 ? q1 : q2;
    printf("stalled subscriber: %llu events coalesced while %llu cut off; then %llu cut off; "
           "max queued %llu bytes\n",
           (unsigned long long)coalesced, (unsigned long long)cut,
           (unsigned long long)st->slow_disconnects, (unsigned long long)max_queued);
    /* The good subscriber got every check-in, in order, none twice. */
    assert_int_equal(seen.n, HOT_CHECKINS + COLD);
    for (size_t i = 1; i < seen.n; i++)
        assert_true(seen.seqs[i] > seen.seqs[i - 1]);
    /* The stalled one was coalesced first, cut off after; queues stayed bounded. */
    assert_true(coalesced > 0);
    assert_int_equal(cut, 0);
    assert_true(st->slow_disconnects >= 1);
    assert_true(max_queued <= 524288 + 64 * 1024);
    okr__stats__free_unpacked(st, NULL);
    /* The server let go of it. (Not seen from the stalled socket's side:
     * with its tiny receive buffer the kernel dropped segments, and their
     * retransmission backs off for seconds, so when the end of the stream
     * reaches it depends on how long it stalled, not on okrd.) */
    uint64_t t0 = okr_mono_ms();
    for (;;) {
        st = tw_stats(admin);
        uint64_t now = st->connections;
        okr__stats__free_unpacked(st, NULL);
        if (now == connections - 1)
            break;
        assert_true(okr_mono_ms() - t0 < 10000);
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    ts_tls_close(slow);
    seen_free(&seen);
    okr_client_free(good);
}

/* A commit group whose events for one reader exceed the soft cap: okrd
 * collects (corks) a connection's events for the whole group, so beyond the
 * soft cap they wait in its queue, and the collected bytes may all go to the
 * socket at once, leaving no write completion to drain that queue. Every
 * event must still arrive, in order (distinct key results: none coalesced).
 * Its own okrd: a soft cap under one event, the kernel's own send buffers, and
 * each commit held 200 ms so that the pipelined check-ins do form a group. */
static void test_group_over_soft_cap(void **state)
{
    (void)state;
    enum { N = 40 };
    static const char *const extra[] = {"--out-queue-soft",
                                        "1024",
                                        "--out-queue-max",
                                        "8388608",
                                        "--rate-limit-rps",
                                        "0",
                                        "--test-commit-delay-ms",
                                        "200",
                                        NULL};
    okr_test_server_t *srv2 = &server2;
    ts_start(srv2, extra);
    okr_client_t *w = ts_login(srv2, "admin", TS_ADMIN_PASSWORD);
    uint64_t cycle = tw_cycle(w, "push-group", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t krs[N];
    make_krs(w, cycle, krs, N);
    okr_client_t *good = ts_login(srv2, "admin", TS_ADMIN_PASSWORD);
    seen_t seen = {0};
    okr_client_on_event(good, on_event, &seen);
    tw_subscribe(good, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 0, 0);

    /* Pipelined: all but the first arrive while the first commits, and are
     * committed (and fanned out) as one group. */
    char *note = malloc(NOTE_BYTES + 1);
    memset(note, 'n', NOTE_BYTES);
    note[NOTE_BYTES] = '\0';
    uint64_t ids[N];
    Okr__CheckInRequest ci[N];
    Okr__Stats *before = tw_stats(w);
    for (int i = 0; i < N; i++) {
        Okr__Request r = checkin_request(&ci[i], krs[i], i, note);
        assert_int_equal(okr_client_send(w, &r, &ids[i]), OKR_OK);
    }
    for (int i = 0; i < N; i++) {
        Okr__Response *resp = NULL;
        assert_int_equal(okr_client_wait(w, ids[i], &resp), OKR_OK);
        assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
        okr__response__free_unpacked(resp, NULL);
    }
    free(note);
    wait_events(good, &seen, N);
    assert_int_equal(seen.n, N);
    for (size_t i = 1; i < seen.n; i++)
        assert_true(seen.seqs[i] > seen.seqs[i - 1]);
    Okr__Stats *st = tw_stats(w);
    assert_int_equal(st->events_coalesced, 0);
    /* The first alone, the rest while it committed: the corked path ran. */
    assert_true(st->timed_groups - before->timed_groups <= 3);
    okr__stats__free_unpacked(before, NULL);
    okr__stats__free_unpacked(st, NULL);
    seen_free(&seen);
    okr_client_free(good);
    okr_client_free(w);
    ts_stop(srv2);
    ts_cleanup(srv2);
}

/* 200 subscribers on one server each receive every event of a burst. */
static void test_two_hundred_subscribers(void **state)
{
    (void)state;
    enum { NSUBS = 200, BURST = 30 };
    uint64_t cycle = tw_cycle(admin, "push-many", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t obj = tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t kr = tw_kr(admin, obj, "Customers", 0, 100);
    const char *token = okr_client_token(admin);
    okr_client_t **subs = calloc(NSUBS, sizeof *subs);
    seen_t *seen = calloc(NSUBS, sizeof *seen);
    for (int i = 0; i < NSUBS; i++) {
        subs[i] = ts_connect(&server);
        assert_int_equal(okr_client_auth_token(subs[i], token, NULL), OKR_OK);
        okr_client_on_event(subs[i], on_event, &seen[i]);
        tw_subscribe(subs[i], OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 0, 0);
    }
    for (int i = 0; i < BURST; i++)
        tw_checkin(admin, kr, i, NULL);
    for (int i = 0; i < NSUBS; i++) {
        wait_events(subs[i], &seen[i], BURST);
        assert_int_equal(seen[i].n, BURST);
        assert_int_equal(seen[i].seqs[BURST - 1], seen[0].seqs[BURST - 1]);
    }
    for (int i = 0; i < NSUBS; i++) {
        seen_free(&seen[i]);
        okr_client_free(subs[i]);
    }
    free(seen);
    free(subs);
}

/* Collects the objective ids of snapshot events. */
typedef struct snap_objs {
    uint64_t ids[64];
    size_t n;
    int done;
} snap_objs_t;

static void on_snapshot_event(void *arg, const Okr__Event *ev)
{
    snap_objs_t *s = arg;
    if (ev->snapshot_done)
        s->done = 1;
    else if (ev->snapshot && ev->change->entity_case == OKR__CHANGE__ENTITY_OBJECTIVE && s->n < 64)
        s->ids[s->n++] = ev->change->objective->id;
}

static int has_id(const snap_objs_t *s, uint64_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->ids[i] == id)
            return 1;
    return 0;
}

/* A dashboard token reads its scope through subscribe and nothing else. */
static void test_dashboard_token(void **state)
{
    (void)state;
    uint64_t team_a = tw_team(admin, "TV Team A", 0), team_b = tw_team(admin, "TV Team B", 0);
    uint64_t cycle = tw_cycle(admin, "push-dash", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t a_open =
        tw_objective(admin, cycle, 0, team_a, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t a_hidden =
        tw_objective(admin, cycle, 0, team_a, OKR__VISIBILITY__VISIBILITY_TEAM, "Grow");
    uint64_t b_hidden =
        tw_objective(admin, cycle, 0, team_b, OKR__VISIBILITY__VISIBILITY_TEAM, "Grow");
    uint64_t a_kr = tw_kr(admin, a_open, "Customers", 0, 100);

    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_TEAM;
    scope.id = team_a;
    Okr__TokenCreateRequest tc = OKR__TOKEN_CREATE_REQUEST__INIT;
    tc.scope = &scope;
    tc.label = "3rd floor TV";
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TOKEN_CREATE;
    req.token_create = &tc;
    Okr__Response *resp = tw_call_ok(admin, &req);
    char secret[128];
    snprintf(secret, sizeof secret, "%s", resp->token_create->secret);
    uint64_t token_id = resp->token_create->token->id;
    assert_int_equal(strncmp(secret, "dash-", 5), 0);
    okr__response__free_unpacked(resp, NULL);

    okr_client_t *tv = ts_connect(&server);
    assert_int_equal(okr_client_auth_token(tv, secret, NULL), OKR_OK);
    /* Read-only: a check-in and a plain read are refused. */
    Okr__CheckInRequest ci;
    Okr__Request write = checkin_request(&ci, a_kr, 5, NULL);
    assert_int_equal(ts_call(tv, &write, NULL), OKR_E_FORBIDDEN);
    Okr__ObjectiveGetRequest og = OKR__OBJECTIVE_GET_REQUEST__INIT;
    og.id = a_open;
    Okr__Request read = OKR__REQUEST__INIT;
    read.op_case = OKR__REQUEST__OP_OBJECTIVE_GET;
    read.objective_get = &og;
    assert_int_equal(ts_call(tv, &read, NULL), OKR_E_FORBIDDEN);
    /* Another scope is refused; its own scope starts with a snapshot. */
    Okr__Scope org = OKR__SCOPE__INIT;
    org.kind = OKR__SCOPE_KIND__SCOPE_KIND_ORG;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &org;
    Okr__Request sub = OKR__REQUEST__INIT;
    sub.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    sub.subscribe = &sr;
    assert_int_equal(ts_call(tv, &sub, NULL), OKR_E_FORBIDDEN);
    snap_objs_t snap = {0};
    okr_client_on_event(tv, on_snapshot_event, &snap);
    sr.scope = &scope;
    sr.snapshot = 1;
    assert_int_equal(ts_call(tv, &sub, NULL), OKR_OK);
    for (int i = 0; i < 100 && !snap.done; i++)
        okr_client_poll(tv, 20);
    assert_true(snap.done);
    assert_true(has_id(&snap, a_open));
    assert_true(has_id(&snap, a_hidden)); /* its own team's team-only objective */
    assert_false(has_id(&snap, b_hidden));

    /* Revoking it closes the screen's connection. */
    Okr__TokenRevokeRequest rv = OKR__TOKEN_REVOKE_REQUEST__INIT;
    rv.id = token_id;
    req.op_case = OKR__REQUEST__OP_TOKEN_REVOKE;
    req.token_revoke = &rv;
    okr__response__free_unpacked(tw_call_ok(admin, &req), NULL);
    int closed = 0;
    for (int i = 0; i < 100 && !closed; i++)
        closed = okr_client_poll(tv, 20) == OKR_E_CLOSED;
    assert_true(closed);
    okr_client_free(tv);
    tv = ts_connect(&server);
    assert_int_equal(okr_client_auth_token(tv, secret, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(tv);
}

/* Logging out ends the session on every connection using it: a second
 * connection with the same token stops receiving events at once. */
static void test_logout_stops_pushes_elsewhere(void **state)
{
    (void)state;
    uint64_t cycle = tw_cycle(admin, "push-logout", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t obj = tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Grow");
    uint64_t kr = tw_kr(admin, obj, "Customers", 0, 100);
    okr_client_t *laptop = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    okr_client_t *tv = ts_connect(&server);
    assert_int_equal(okr_client_auth_token(tv, okr_client_token(laptop), NULL), OKR_OK);
    seen_t seen = {0};
    okr_client_on_event(tv, on_event, &seen);
    tw_subscribe(tv, OKR__SCOPE_KIND__SCOPE_KIND_CYCLE, cycle, 0, 0);
    tw_checkin(admin, kr, 1, NULL);
    wait_events(tv, &seen, 1);

    Okr__LogoutRequest lo = OKR__LOGOUT_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LOGOUT;
    req.logout = &lo;
    okr__response__free_unpacked(tw_call_ok(laptop, &req), NULL);
    tw_checkin(admin, kr, 2, NULL);
    okr_client_poll(tv, 500);
    assert_int_equal(seen.n, 1); /* nothing after the logout */
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_WHOAMI;
    req.whoami = &w;
    assert_int_equal(ts_call(tv, &req, NULL), OKR_E_UNAUTHENTICATED);
    seen_free(&seen);
    okr_client_free(tv);
    okr_client_free(laptop);
}

static void test_subscribe_refusals(void **state)
{
    (void)state;
    Okr__Scope scope = OKR__SCOPE__INIT;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &scope;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    req.subscribe = &sr;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE;
    scope.id = 987654;
    assert_int_equal(ts_call(admin, &req, NULL), OKR_E_NOT_FOUND);
    scope.kind = (Okr__ScopeKind)42;
    assert_int_equal(ts_call(admin, &req, NULL), OKR_E_BAD_REQUEST);
    Okr__UnsubscribeRequest un = OKR__UNSUBSCRIBE_REQUEST__INIT;
    un.subscription_id = 123456;
    req.op_case = OKR__REQUEST__OP_UNSUBSCRIBE;
    req.unsubscribe = &un;
    assert_int_equal(ts_call(admin, &req, NULL), OKR_E_NOT_FOUND);
    /* Stats are for admins only. */
    assert_int_equal(ts_create_user(admin, "curious", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    okr_client_t *c = ts_login(&server, "curious", "password-123");
    Okr__StatsRequest st = OKR__STATS_REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_STATS;
    req.stats = &st;
    assert_int_equal(ts_call(c, &req, NULL), OKR_E_FORBIDDEN);
    okr_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkin_event_with_three_level_rollup),
        cmocka_unit_test(test_team_visibility_of_events),
        cmocka_unit_test(test_resume_replay_and_snapshot),
        cmocka_unit_test(test_stalled_subscriber_is_cut_off),
        cmocka_unit_test(test_two_hundred_subscribers),
        cmocka_unit_test(test_group_over_soft_cap),
        cmocka_unit_test(test_subscribe_refusals),
        cmocka_unit_test(test_dashboard_token),
        cmocka_unit_test(test_logout_stops_pushes_elsewhere),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
