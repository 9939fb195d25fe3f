/* Integration: okrd's limits on trend computations (trend_parallel,
 * trend_queue) against a real okrd over real TLS.
 *
 * okrd runs with trend_parallel = 1, trend_queue = 1 and
 * test_trend_delay_ms = DELAY_MS: each trend computation sleeps that long on
 * the thread pool first, so the queue stays full long enough to look at.
 * Pipelined on one connection, the first request runs, the second waits, the
 * rest are refused at once with UNAVAILABLE and a message that says what to
 * do; the two accepted are answered correctly afterwards; meanwhile another
 * connection logs in and is answered (the loop is not blocked), and Stats
 * shows the queue and the refusals. A request waiting when its connection
 * leaves is not computed. Then okrd is stopped with a request waiting: it
 * is not computed either (shutdown waits for what runs, not for the queue),
 * and okrd exits cleanly (ASan: nothing leaked). One connection may not take
 * the whole queue (trend_per_connection). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "harness.h"
#include "okr_error.h"
#include "world.h"

#define DELAY_MS          1000
#define SHUTDOWN_DELAY_MS 3000 /* the last test's: one computation, not two, before exit */
#define SHARE_DELAY_MS    300
#define TEXT(n)           TEXT_(n)
#define TEXT_(n)          #n
#define PASSWORD          "password-123"
#define EPS               1e-9
#define PIPELINED         5

static okr_test_server_t server;

/* One trend computed at once; queue waiting and per_connection each
 * connection's; delay_ms each. Strings that live as long as the server
 * (ts_start keeps them). */
static void start(const char *queue, const char *per_connection, const char *delay_ms)
{
    const char *const extra[] = {"--trend-parallel",
                                 "1",
                                 "--trend-queue",
                                 queue,
                                 "--trend-per-connection",
                                 per_connection,
                                 "--test-trend-delay-ms",
                                 delay_ms,
                                 NULL};
    ts_start(&server, extra);
}

static int setup(void **state)
{
    (void)state;
    start("1", "16", TEXT(DELAY_MS));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&server);
    ts_cleanup(&server);
    return 0;
}

/* A public objective at 60 %, in an active cycle. */
static uint64_t objective_at_60(okr_client_t *admin, const char *cycle)
{
    uint64_t cyc = tw_active_cycle(admin, cycle, NULL);
    uint64_t o = tw_objective(admin, cyc, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Queued");
    uint64_t k = tw_kr(admin, o, "The number", 0, 100);
    tw_checkin(admin, k, 60, NULL);
    return o;
}

static Okr__TrendRequest trend_request(uint64_t *id)
{
    Okr__TrendRequest tr = OKR__TREND_REQUEST__INIT;
    tr.objective_ids = id;
    tr.n_objective_ids = 1;
    tr.points = 2;
    return tr;
}

/* An accepted trend's answer: the objective's, ending at its 60 %. */
static void expect_trend(okr_client_t *c, uint64_t sent, uint64_t o)
{
    Okr__Response *resp;
    assert_int_equal(okr_client_wait(c, sent, &resp), OKR_OK);
    if (resp->status != OKR__STATUS__STATUS_OK)
        fail_msg("trend refused: %s", resp->message);
    assert_int_equal(resp->trend->n_objectives, 1);
    const Okr__ObjectiveTrend *t = resp->trend->objectives[0];
    assert_int_equal(t->objective_id, o);
    assert_int_equal(t->n_progress, 2);
    assert_true(fabs(t->progress[1] - 0.6) < EPS);
    okr__response__free_unpacked(resp, NULL);
}

static void test_queue_full(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t o = objective_at_60(admin, "tq-full");
    assert_int_equal(ts_create_user(admin, "quinn", PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    Okr__Stats *before = tw_stats(admin);
    assert_int_equal(before->trends_running, 0);
    assert_int_equal(before->trends_waiting, 0);

    /* PIPELINED at once on one connection: 1 runs, 1 waits, the rest are
     * refused at once, so their answers come first. */
    uint64_t id = o;
    Okr__TrendRequest tr = trend_request(&id);
    Okr__Request req = tw_request(OKR__REQUEST__OP_TREND, &tr);
    uint64_t sent[PIPELINED];
    uint64_t t0 = okr_mono_ms();
    for (size_t i = 0; i < PIPELINED; i++)
        assert_int_equal(okr_client_send(c, &req, &sent[i]), OKR_OK);
    for (size_t i = 2; i < PIPELINED; i++) {
        Okr__Response *resp;
        assert_int_equal(okr_client_wait(c, sent[i], &resp), OKR_OK);
        assert_int_equal(resp->status, OKR__STATUS__STATUS_UNAVAILABLE);
        assert_non_null(strstr(resp->message, "too many trends (1 waiting)"));
        assert_non_null(strstr(resp->message, "try again shortly"));
        okr__response__free_unpacked(resp, NULL);
    }
    assert_true(okr_mono_ms() - t0 < DELAY_MS); /* at once, not after the computations */

    /* Meanwhile the loop answers everyone else: a login, a read, Stats. */
    okr_client_t *quinn = ts_login(&server, "quinn", PASSWORD);
    Okr__ObjectiveGetRequest g = OKR__OBJECTIVE_GET_REQUEST__INIT;
    g.id = o;
    okr__response__free_unpacked(tw_ok(quinn, OKR__REQUEST__OP_OBJECTIVE_GET, &g), NULL);
    Okr__Stats *busy = tw_stats(admin);
    assert_true(okr_mono_ms() - t0 < DELAY_MS); /* before the first trend is done */
    assert_int_equal(busy->trends_running, 1);
    assert_int_equal(busy->trends_waiting, 1);
    assert_int_equal(busy->trends_refused - before->trends_refused, PIPELINED - 2);

    /* The two accepted are answered, right, one after the other. */
    expect_trend(c, sent[0], o);
    expect_trend(c, sent[1], o);
    assert_true(okr_mono_ms() - t0 >= 2 * DELAY_MS - 100);

    /* The connection is still good, and the queue empty again. */
    assert_int_equal(okr_client_send(c, &req, &sent[0]), OKR_OK);
    expect_trend(c, sent[0], o);
    Okr__Stats *after = tw_stats(admin);
    assert_int_equal(after->trends_running, 0);
    assert_int_equal(after->trends_waiting, 0);
    assert_int_equal(after->trends_refused - before->trends_refused, PIPELINED - 2);
    assert_int_equal(after->trend_objectives - before->trend_objectives, 3);

    okr__stats__free_unpacked(before, NULL);
    okr__stats__free_unpacked(busy, NULL);
    okr__stats__free_unpacked(after, NULL);
    okr_client_free(quinn);
    okr_client_free(c);
    okr_client_free(admin);
}

/* A connection that leaves with a trend waiting: that one is never
 * computed (nobody would read it); the one computing finishes. */
static void test_gone_not_computed(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t o = objective_at_60(admin, "tq-gone");
    Okr__Stats *before = tw_stats(admin);
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t id = o;
    Okr__TrendRequest tr = trend_request(&id);
    Okr__Request req = tw_request(OKR__REQUEST__OP_TREND, &tr);
    uint64_t sent[2];
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(okr_client_send(c, &req, &sent[i]), OKR_OK);
    Okr__Stats *st = NULL;
    for (int i = 0; i < 100 && (!st || st->trends_waiting < 1); i++) { /* both arrived */
        if (st)
            okr__stats__free_unpacked(st, NULL);
        st = tw_stats(admin);
    }
    assert_int_equal(st->trends_waiting, 1);
    okr__stats__free_unpacked(st, NULL);
    okr_client_free(c);
    uint64_t t0 = okr_mono_ms();
    for (;;) {
        st = tw_stats(admin);
        if (st->trends_running == 0 && st->trends_waiting == 0)
            break;
        okr__stats__free_unpacked(st, NULL);
        assert_true(okr_mono_ms() - t0 < 10 * DELAY_MS);
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    assert_int_equal(st->trend_objectives - before->trend_objectives, 1);
    okr__stats__free_unpacked(st, NULL);
    okr__stats__free_unpacked(before, NULL);
    okr_client_free(admin);
}

/* One connection gets a share of the queue, not all of it: with room for 4
 * waiting and 2 per connection, a connection that pipelines 4 has 2
 * accepted and 2 refused at once, and another connection's request is
 * still taken and answered. Once answered, the first may ask again. */
static void test_one_connection_gets_a_share(void **state)
{
    (void)state;
    ts_stop(&server);
    start("4", "2", TEXT(SHARE_DELAY_MS));
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t o = objective_at_60(admin, "tq-share");
    Okr__Stats *before = tw_stats(admin);
    okr_client_t *greedy = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    okr_client_t *other = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t id = o;
    Okr__TrendRequest tr = trend_request(&id);
    Okr__Request req = tw_request(OKR__REQUEST__OP_TREND, &tr);
    uint64_t sent[4], other_sent;
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(okr_client_send(greedy, &req, &sent[i]), OKR_OK);
    for (size_t i = 2; i < 4; i++) {
        Okr__Response *resp;
        assert_int_equal(okr_client_wait(greedy, sent[i], &resp), OKR_OK);
        assert_int_equal(resp->status, OKR__STATUS__STATUS_UNAVAILABLE);
        assert_non_null(strstr(resp->message, "this connection already has 2 trend requests"));
        okr__response__free_unpacked(resp, NULL);
    }
    assert_int_equal(okr_client_send(other, &req, &other_sent), OKR_OK);
    expect_trend(other, other_sent, o);
    expect_trend(greedy, sent[0], o);
    expect_trend(greedy, sent[1], o);
    assert_int_equal(okr_client_send(greedy, &req, &sent[0]), OKR_OK);
    expect_trend(greedy, sent[0], o);
    Okr__Stats *after = tw_stats(admin);
    assert_int_equal(after->trends_refused - before->trends_refused, 2);
    assert_int_equal(after->trend_objectives - before->trend_objectives, 4);
    okr__stats__free_unpacked(before, NULL);
    okr__stats__free_unpacked(after, NULL);
    okr_client_free(other);
    okr_client_free(greedy);
    okr_client_free(admin);
}

/* Stopped with one trend computing and one waiting: okrd exits once the
 * one computing is done, without computing the one waiting, and cleanly. */
static void test_shutdown_with_queue(void **state)
{
    (void)state;
    ts_stop(&server);
    start("1", "16", TEXT(SHUTDOWN_DELAY_MS));
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t o = objective_at_60(admin, "tq-stop");
    uint64_t id = o;
    Okr__TrendRequest tr = trend_request(&id);
    Okr__Request req = tw_request(OKR__REQUEST__OP_TREND, &tr);
    uint64_t sent[3];
    uint64_t t0 = okr_mono_ms();
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(okr_client_send(admin, &req, &sent[i]), OKR_OK);
    Okr__Response *resp;
    assert_int_equal(okr_client_wait(admin, sent[2], &resp), OKR_OK);
    assert_int_equal(resp->status, OKR__STATUS__STATUS_UNAVAILABLE);
    okr__response__free_unpacked(resp, NULL);

    /* SIGTERM: the connection is shut down; the client leaves. */
    kill(server.pid, SIGTERM);
    for (size_t i = 0; i < 2; i++) {
        resp = NULL;
        int rc = okr_client_wait(admin, sent[i], &resp);
        assert_true(rc == OKR_E_CLOSED || rc == OKR_OK);
        if (resp)
            okr__response__free_unpacked(resp, NULL);
    }
    okr_client_free(admin);
    ts_stop(&server); /* exit status 0: nothing leaked (ASan) */
    uint64_t took = okr_mono_ms() - t0;
    if (took >= SHUTDOWN_DELAY_MS * 3 / 2)
        fail_msg("okrd took %llu ms to stop: it computed the trend that was waiting",
                 (unsigned long long)took);
    char *log = ts_read_log(&server);
    assert_non_null(strstr(log, "shutdown: store closed"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_full), cmocka_unit_test(test_gone_not_computed),
        cmocka_unit_test(test_one_connection_gets_a_share), /* restarts okrd */
        cmocka_unit_test(test_shutdown_with_queue),         /* last: it stops okrd */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
