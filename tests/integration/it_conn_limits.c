/* Integration: max_connections, max_connections_per_ip and
 * max_connections_per_user. A full server, one
 * address, one user or one dashboard token that holds its share loses its
 * next connection or login, and nobody else loses anything (README: Limits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "it_raw.h"
#include "okr_error.h"

#define PW "password-123"

static okr_client_opts_t opts_for(okr_test_server_t *ts)
{
    okr_client_opts_t o = {.host = "127.0.0.1",
                           .port = ts->port,
                           .known_servers_path = ts->known_servers,
                           .trust_new = 1,
                           .timeout_ms = 3000};
    return o;
}

/* A connection, or NULL when the server refused it. */
static okr_client_t *try_connect(okr_test_server_t *ts)
{
    okr_client_opts_t o = opts_for(ts);
    okr_client_t *c = NULL;
    char err[512];
    if (okr_client_connect(&c, &o, err, sizeof err) != OKR_OK)
        return NULL;
    return c;
}

/* Connects until the server takes the connection, for up to 3 s: a client
 * that just closed one is told at once, the server hears of it a moment
 * later. */
static okr_client_t *connect_soon(okr_test_server_t *ts)
{
    for (int i = 0; i < 30; i++) {
        okr_client_t *c = try_connect(ts);
        if (c)
            return c;
        raw_sleep_ms(100);
    }
    fail_msg("the server did not take a new connection within 3 s");
    return NULL;
}

static int ping(okr_client_t *c)
{
    Okr__PingRequest p = OKR__PING_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_PING;
    req.ping = &p;
    return ts_call(c, &req, NULL);
}

static int logout(okr_client_t *c)
{
    Okr__LogoutRequest l = OKR__LOGOUT_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LOGOUT;
    req.logout = &l;
    return ts_call(c, &req, NULL);
}

/* The server's Stats (owned by the caller). */
static Okr__Response *stats(okr_client_t *admin)
{
    Okr__StatsRequest s = OKR__STATS_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_STATS;
    req.stats = &s;
    Okr__Response *resp = NULL;
    assert_int_equal(ts_call(admin, &req, &resp), OKR_OK);
    assert_non_null(resp->stats);
    return resp;
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- per address ---- */

static void test_per_ip(void **state)
{
    (void)state;
    okr_test_server_t ts = {0};
    static const char *const extra[] = {"--max-connections-per-ip", "3", NULL};
    ts_start(&ts, extra);

    okr_client_t *held[3];
    for (int i = 0; i < 3; i++)
        held[i] = ts_connect(&ts);

    /* The fourth is closed at accept: no TLS handshake is waited for (a
     * silent connection under the limit waits handshake_timeout_ms, 10 s). */
    uint64_t t0 = raw_now_ms();
    int fd = ts_tcp_connect(&ts);
    assert_true(fd >= 0);
    assert_true(ts_fd_closed_within(fd, 2000));
    assert_true(raw_now_ms() - t0 < 2000);
    close(fd);
    /* nor does a real client get in, and it says what may be the matter */
    okr_client_opts_t o = opts_for(&ts);
    okr_client_t *refused = NULL;
    char err[512];
    assert_int_equal(okr_client_connect(&refused, &o, err, sizeof err), OKR_E_TLS);
    assert_null(refused);
    assert_non_null(strstr(err, "max_connections_per_ip, max_connections; try again shortly"));

    /* A flood of them is one log line, not one per connection. */
    for (int i = 0; i < 20; i++) {
        fd = ts_tcp_connect(&ts);
        assert_true(fd >= 0);
        assert_true(ts_fd_closed_within(fd, 2000));
        close(fd);
    }
    char *log = ts_read_log(&ts);
    assert_non_null(strstr(
        log, "refused 1 connection from 127.0.0.1: it has 3 open (max_connections_per_ip 3)"));
    assert_int_equal(count_of(log, "(max_connections_per_ip 3)"), 1);
    free(log);

    /* The three it holds work on. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(ping(held[i]), OKR_OK);

    /* One closed makes room for one. */
    okr_client_free(held[0]);
    held[0] = connect_soon(&ts);
    assert_int_equal(ping(held[0]), OKR_OK);
    assert_null(try_connect(&ts));

    /* Stats counts the refusals: 1 + 20 raw, 2 clients, and any retry of
     * connect_soon's that came before the server heard of the close. */
    okr_client_free(held[1]);
    held[1] = connect_soon(&ts);
    assert_int_equal(okr_client_login(held[1], "admin", TS_ADMIN_PASSWORD, NULL), OKR_OK);
    Okr__Response *resp = stats(held[1]);
    assert_true(resp->stats->connections_refused_per_ip >= 23);
    assert_int_equal(resp->stats->logins_refused_per_user, 0);
    assert_int_equal(resp->stats->connections, 3);
    okr__response__free_unpacked(resp, NULL);

    for (int i = 0; i < 3; i++)
        okr_client_free(held[i]);
    ts_stop(&ts);
    ts_cleanup(&ts);
}

/* okrd's open descriptors: its sockets, the store, the log. */
static int okrd_fds(const okr_test_server_t *ts)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)ts->pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* 1 if the server ended fd's connection within timeout_ms without sending
 * it a byte (EOF or reset); 0 if it sent one or did not end it in time. */
static int closed_without_a_byte(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint64_t deadline = raw_now_ms() + (uint64_t)timeout_ms;
    while (raw_now_ms() < deadline) {
        if (poll(&p, 1, 50) <= 0)
            continue;
        char b;
        ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);
        if (n > 0)
            return 0;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return 1;
    }
    return 0;
}

/* A flood from one address over its limit: okrd ends each connection at
 * accept without a byte, also one that sends the start of a ClientHello (a
 * server that spoke TLS to it would answer with an alert), and holds not
 * one socket more afterwards; the connection it serves goes on. */
static void test_per_ip_flood(void **state)
{
    (void)state;
    okr_test_server_t ts = {0};
    static const char *const extra[] = {"--max-connections-per-ip", "1", NULL};
    ts_start(&ts, extra);
    okr_client_t *admin = ts_login(&ts, "admin", TS_ADMIN_PASSWORD);
    int fds = okrd_fds(&ts);
    /* a record header (handshake, TLS 1.0) and a ClientHello's type */
    static const char hello[] = "\x16\x03\x01\x00\x40\x01\x00\x00\x3c\x03\x03";
    enum { FLOOD = 300 };
    for (int i = 0; i < FLOOD; i++) {
        int fd = ts_tcp_connect(&ts);
        assert_true(fd >= 0);
        if (i % 2)
            (void)send(fd, hello, sizeof hello - 1, MSG_NOSIGNAL); /* may meet the close */
        assert_true(closed_without_a_byte(fd, 2000));
        close(fd);
    }
    /* each socket was closed before its client saw the end */
    assert_int_equal(okrd_fds(&ts), fds);
    assert_int_equal(ping(admin), OKR_OK);
    Okr__Response *resp = stats(admin);
    assert_int_equal(resp->stats->connections, 1);
    assert_int_equal(resp->stats->connections_refused_per_ip, FLOOD);
    assert_int_equal(resp->stats->connections_refused_full, 0);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(admin);
    ts_stop(&ts);
    ts_cleanup(&ts);
}

/* A full server (max_connections) closes the next connection at accept,
 * and a flood of them is one log line, not one per connection. */
static void test_full(void **state)
{
    (void)state;
    okr_test_server_t ts = {0};
    static const char *const extra[] = {"--max-connections", "2", "--max-connections-per-ip", "0",
                                        NULL};
    ts_start(&ts, extra);
    okr_client_t *held[2];
    for (int i = 0; i < 2; i++)
        held[i] = ts_connect(&ts);
    for (int i = 0; i < 20; i++) {
        int fd = ts_tcp_connect(&ts);
        assert_true(fd >= 0);
        assert_true(ts_fd_closed_within(fd, 2000));
        close(fd);
    }
    char *log = ts_read_log(&ts);
    assert_non_null(strstr(log, "refused 1 connection: 2 are open (max_connections 2)"));
    assert_int_equal(count_of(log, "(max_connections 2)"), 1);
    free(log);
    /* the two it holds work on; one closed makes room for an admin's */
    assert_int_equal(ping(held[0]), OKR_OK);
    okr_client_free(held[1]);
    held[1] = connect_soon(&ts);
    assert_int_equal(okr_client_login(held[1], "admin", TS_ADMIN_PASSWORD, NULL), OKR_OK);
    Okr__Response *resp = stats(held[1]);
    assert_true(resp->stats->connections_refused_full >= 20);
    assert_int_equal(resp->stats->connections_refused_per_ip, 0);
    okr__response__free_unpacked(resp, NULL);
    for (int i = 0; i < 2; i++)
        okr_client_free(held[i]);
    ts_stop(&ts);
    ts_cleanup(&ts);
}

/* With the limit at 0 there is none: more than the default's share of
 * connections at once is not needed to show it, only more than 3. */
static void test_per_ip_off(void **state)
{
    (void)state;
    okr_test_server_t ts = {0};
    static const char *const extra[] = {"--max-connections-per-ip", "0", NULL};
    ts_start(&ts, extra);
    okr_client_t *held[8];
    for (int i = 0; i < 8; i++)
        held[i] = ts_connect(&ts);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(ping(held[i]), OKR_OK);
        okr_client_free(held[i]);
    }
    ts_stop(&ts);
    ts_cleanup(&ts);
}

/* ---- per user ---- */

#define ALICE_FULL                                                                                 \
    "user alice already has 2 connections open (max_connections_per_user); close some (okr "       \
    "watch, okr-dash) or ask an administrator to raise it"

static okr_client_t *login_as(okr_test_server_t *ts, const char *user)
{
    return ts_login(ts, user, strcmp(user, "admin") == 0 ? TS_ADMIN_PASSWORD : PW);
}

/* A login the server refuses for alice's limit, on c (which stays open). */
static void assert_alice_full(okr_client_t *c, int rc)
{
    assert_int_equal(rc, OKR_E_UNAVAILABLE);
    assert_non_null(strstr(okr_client_error(c), ALICE_FULL));
}

static void test_per_user(void **state)
{
    (void)state;
    okr_test_server_t ts = {0};
    static const char *const extra[] = {"--max-connections-per-user", "2", NULL};
    ts_start(&ts, extra);
    okr_client_t *admin = login_as(&ts, "admin");
    assert_int_equal(ts_create_user(admin, "alice", PW, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    assert_int_equal(ts_create_user(admin, "bob", PW, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    uint64_t refused = 0;

    okr_client_t *a1 = login_as(&ts, "alice");
    okr_client_t *a2 = login_as(&ts, "alice");
    /* A third login of alice is refused, saying what to do; the connection
     * stays open and another user logs in on it. */
    okr_client_t *c = ts_connect(&ts);
    assert_alice_full(c, okr_client_login(c, "alice", PW, NULL));
    refused++;
    assert_int_equal(okr_client_login(c, "bob", PW, NULL), OKR_OK);
    assert_int_equal(ping(c), OKR_OK);

    /* A session token of alice's counts the same (okr watch, okr-dash). */
    okr_client_t *t = ts_connect(&ts);
    char token2[128];
    snprintf(token2, sizeof token2, "%s", okr_client_token(a2));
    assert_alice_full(t, okr_client_auth_token(t, token2, NULL));
    refused++;

    /* A wrong password at the limit is a wrong password: the limit is told
     * only to who knows the password. */
    okr_client_t *w = ts_connect(&ts);
    assert_int_equal(okr_client_login(w, "alice", "wrong-password-1", NULL), OKR_E_UNAUTHENTICATED);
    assert_null(strstr(okr_client_error(w), "max_connections_per_user"));
    okr_client_free(w);

    /* Logging in again as oneself takes no new place. */
    assert_int_equal(okr_client_login(a1, "alice", PW, NULL), OKR_OK);
    assert_int_equal(ping(a1), OKR_OK);

    /* A logout gives its place back. */
    assert_int_equal(logout(a1), OKR_OK);
    assert_int_equal(okr_client_auth_token(t, token2, NULL), OKR_OK); /* alice: a2, t */
    assert_alice_full(c, okr_client_login(c, "alice", PW, NULL));     /* c stays bob */
    refused++;
    assert_int_equal(ping(c), OKR_OK);

    /* So does logging in as somebody else. */
    assert_int_equal(okr_client_login(t, "bob", PW, NULL), OKR_OK);   /* alice: a2 */
    assert_int_equal(okr_client_login(c, "alice", PW, NULL), OKR_OK); /* alice: a2, c */
    assert_alice_full(a1, okr_client_login(a1, "alice", PW, NULL));
    refused++;

    /* And closing. */
    okr_client_free(a2); /* alice: c */
    int rc = OKR_E_UNAVAILABLE;
    for (int i = 0; i < 30 && rc == OKR_E_UNAVAILABLE; i++) {
        rc = okr_client_login(a1, "alice", PW, NULL);
        if (rc == OKR_E_UNAVAILABLE) {
            refused++; /* the server had not heard of the close yet */
            raw_sleep_ms(100);
        }
    }
    assert_int_equal(rc, OKR_OK); /* alice: c, a1 */
    assert_alice_full(t, okr_client_login(t, "alice", PW, NULL));
    refused++;
    assert_int_equal(ping(t), OKR_OK); /* still bob */

    Okr__Response *resp = stats(admin);
    assert_int_equal(resp->stats->logins_refused_per_user, refused);
    assert_int_equal(resp->stats->connections_refused_per_ip, 0);
    okr__response__free_unpacked(resp, NULL);
    char *log = ts_read_log(&ts);
    assert_non_null(strstr(log, "refused 1 login as user alice (user "));
    assert_non_null(strstr(log, "): 2 connections open (max_connections_per_user 2)"));
    free(log);

    okr_client_free(a1);
    okr_client_free(c);
    okr_client_free(t);
    okr_client_free(admin);
    ts_stop(&ts);
    ts_cleanup(&ts);
}

/* A dashboard token's screens count against the token, not against the
 * admin who made it. */
static void test_per_dashboard_token(void **state)
{
    (void)state;
    okr_test_server_t ts = {0};
    static const char *const extra[] = {"--max-connections-per-user", "2", NULL};
    ts_start(&ts, extra);
    okr_client_t *admin = login_as(&ts, "admin");
    Okr__Scope scope = OKR__SCOPE__INIT;
    scope.kind = OKR__SCOPE_KIND__SCOPE_KIND_ORG;
    Okr__TokenCreateRequest tc = OKR__TOKEN_CREATE_REQUEST__INIT;
    tc.scope = &scope;
    tc.label = "Lobby TV";
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_TOKEN_CREATE;
    req.token_create = &tc;
    Okr__Response *resp = NULL;
    assert_int_equal(ts_call(admin, &req, &resp), OKR_OK);
    char secret[128];
    snprintf(secret, sizeof secret, "%s", resp->token_create->secret);
    okr__response__free_unpacked(resp, NULL);

    okr_client_t *tv[3];
    for (int i = 0; i < 3; i++)
        tv[i] = ts_connect(&ts);
    assert_int_equal(okr_client_auth_token(tv[0], secret, NULL), OKR_OK);
    assert_int_equal(okr_client_auth_token(tv[1], secret, NULL), OKR_OK);
    assert_int_equal(okr_client_auth_token(tv[2], secret, NULL), OKR_E_UNAVAILABLE);
    assert_non_null(strstr(okr_client_error(tv[2]),
                           "dashboard token \"Lobby TV\" already has 2 connections open "
                           "(max_connections_per_user)"));
    /* its maker is not locked out: one admin connection is held, a second
     * logs in */
    okr_client_t *admin2 = login_as(&ts, "admin");
    assert_int_equal(ping(admin2), OKR_OK);
    okr_client_free(tv[0]);
    int rc = OKR_E_UNAVAILABLE;
    for (int i = 0; i < 30 && rc == OKR_E_UNAVAILABLE; i++) {
        rc = okr_client_auth_token(tv[2], secret, NULL);
        if (rc == OKR_E_UNAVAILABLE)
            raw_sleep_ms(100);
    }
    assert_int_equal(rc, OKR_OK);
    resp = stats(admin2);
    assert_true(resp->stats->logins_refused_per_user >= 1);
    okr__response__free_unpacked(resp, NULL);

    for (int i = 1; i < 3; i++)
        okr_client_free(tv[i]);
    okr_client_free(admin2);
    okr_client_free(admin);
    ts_stop(&ts);
    ts_cleanup(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_ip),       cmocka_unit_test(test_per_ip_off),
        cmocka_unit_test(test_per_ip_flood), cmocka_unit_test(test_full),
        cmocka_unit_test(test_per_user),     cmocka_unit_test(test_per_dashboard_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
