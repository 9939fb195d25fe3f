/* Integration: every per-connection limit of okrd is enforced, with a clear
 * status, and costs only the offending connection (README: the limits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "okr_error.h"

static okr_test_server_t server;

static int setup(void **state)
{
    (void)state;
    static const char *const extra[] = {"--max-connections",
                                        "6",
                                        "--max-inflight",
                                        "2",
                                        "--rate-limit-rps",
                                        "5",
                                        "--rate-limit-burst",
                                        "5",
                                        "--max-subscriptions",
                                        "2",
                                        "--idle-timeout-ms",
                                        "1500",
                                        "--hash-parallel",
                                        "1",
                                        "--hash-queue",
                                        "1",
                                        "--login-free-failures",
                                        "1000",
                                        NULL};
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

static Okr__Request ping_request(Okr__PingRequest *p)
{
    okr__ping_request__init(p);
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_PING;
    req.ping = p;
    return req;
}

/* Sends n requests without waiting and counts the answers by status. */
static void pipeline(okr_client_t *c, Okr__Request *req, int n, int *ok, int *limited,
                     int *unavailable)
{
    uint64_t ids[32];
    for (int i = 0; i < n; i++)
        assert_int_equal(okr_client_send(c, req, &ids[i]), OKR_OK);
    *ok = *limited = *unavailable = 0;
    for (int i = 0; i < n; i++) {
        Okr__Response *resp = NULL;
        assert_int_equal(okr_client_wait(c, ids[i], &resp), OKR_OK);
        *ok += resp->status == OKR__STATUS__STATUS_OK;
        *limited += resp->status == OKR__STATUS__STATUS_RATE_LIMITED;
        *unavailable += resp->status == OKR__STATUS__STATUS_UNAVAILABLE;
        okr__response__free_unpacked(resp, NULL);
    }
}

static void test_rate_limit_per_connection(void **state)
{
    (void)state;
    okr_client_t *c = ts_connect(&server); /* the Hello took one token */
    Okr__PingRequest p;
    Okr__Request req = ping_request(&p);
    int ok, limited, unavailable;
    pipeline(c, &req, 12, &ok, &limited, &unavailable);
    assert_true(ok <= 5);
    assert_true(limited >= 7);
    /* Another connection has its own budget. */
    okr_client_t *other = ts_connect(&server);
    assert_int_equal(ts_call(other, &req, NULL), OKR_OK);
    okr_client_free(other);
    okr_client_free(c);
}

static void test_inflight_and_hash_queue(void **state)
{
    (void)state;
    /* Logins are answered after hashing off the loop, so they pile up: with
     * max_inflight 2 the third and later are refused at once. */
    okr_client_t *c = ts_connect(&server);
    Okr__LoginRequest l = OKR__LOGIN_REQUEST__INIT;
    l.username = "admin";
    l.password = TS_ADMIN_PASSWORD;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LOGIN;
    req.login = &l;
    int ok, limited, unavailable;
    pipeline(c, &req, 5, &ok, &limited, &unavailable);
    assert_true(limited >= 3); /* beyond max_inflight */
    /* hash_parallel 1 + hash_queue 1: of the two let in, at most two hash. */
    assert_int_equal(ok + unavailable + limited, 5);
    assert_true(ok >= 1);
    okr_client_free(c);
}

static void test_max_subscriptions(void **state)
{
    (void)state;
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_ORG;
    Okr__SubscribeRequest sr = OKR__SUBSCRIBE_REQUEST__INIT;
    sr.scope = &scope;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_SUBSCRIBE;
    req.subscribe = &sr;
    assert_int_equal(ts_call(c, &req, NULL), OKR_OK);
    assert_int_equal(ts_call(c, &req, NULL), OKR_OK);
    assert_int_equal(ts_call(c, &req, NULL), OKR_E_RATE_LIMITED);
    okr_client_free(c);
}

static void test_max_connections(void **state)
{
    (void)state;
    /* The connections of earlier tests close asynchronously: let them go. */
    struct timespec pause = {0, 500 * 1000000L};
    nanosleep(&pause, NULL);
    okr_client_t *held[6] = {0};
    int connected = 0;
    for (int i = 0; i < 6; i++) {
        okr_client_opts_t opts = {.host = "127.0.0.1",
                                  .port = server.port,
                                  .known_servers_path = server.known_servers,
                                  .trust_new = 1,
                                  .timeout_ms = 3000};
        char err[512];
        if (okr_client_connect(&held[i], &opts, err, sizeof err) == OKR_OK)
            connected++;
    }
    /* Six allowed at once; all six here fit, a seventh does not. */
    assert_int_equal(connected, 6);
    okr_client_opts_t opts = {.host = "127.0.0.1",
                              .port = server.port,
                              .known_servers_path = server.known_servers,
                              .trust_new = 1,
                              .timeout_ms = 3000};
    okr_client_t *extra = NULL;
    char err[512];
    assert_int_not_equal(okr_client_connect(&extra, &opts, err, sizeof err), OKR_OK);
    assert_null(extra);
    char *log = ts_read_log(&server);
    assert_non_null(strstr(log, "refused 1 connection: 6 are open (max_connections 6)"));
    free(log);
    for (int i = 0; i < 6; i++)
        okr_client_free(held[i]);
}

static void test_idle_connection_closed(void **state)
{
    (void)state;
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    /* Silent for longer than idle_timeout_ms: the server says why and closes. */
    int closed = 0;
    for (int i = 0; i < 60 && !closed; i++)
        closed = okr_client_poll(c, 100) == OKR_E_CLOSED;
    assert_true(closed);
    okr_client_free(c);
    char *log = ts_read_log(&server);
    assert_non_null(strstr(log, "idle for 1500 ms"));
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_limit_per_connection),
        cmocka_unit_test(test_inflight_and_hash_queue),
        cmocka_unit_test(test_max_subscriptions),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_idle_connection_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
