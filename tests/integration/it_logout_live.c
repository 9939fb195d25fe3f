/* Integration: a live, subscribed connection whose session is ended from
 * elsewhere, against a real okrd over TLS.
 *
 * Xena is logged in on connection A, which is subscribed (to an objective
 * and to the whole organisation) and receiving check-ins. She logs in again
 * on B. Then her sessions are ended by one of:
 * - B: LogoutRequest with everywhere set (okr logout --everywhere);
 * - an admin: UserDeactivateRequest (okr user deactivate);
 * - an admin: UserSetPasswordRequest (okr user passwd);
 * - B: PasswdRequest (okr passwd), which keeps B's own session.
 *
 * The designed behaviour (okr_conn_end_sessions, conn.h) is that every live
 * connection using an ended session is logged out at once, before the
 * change that ended it is fanned out: its subscriptions and queued events
 * are dropped, the connection stays open and is told nothing, and its next
 * request is refused with UNAUTHENTICATED (okr watch's heartbeat then
 * reconnects and its token authentication says "log in again"). So after
 * the trigger A receives not one byte, even while a later check-in reaches
 * Yuri's subscribed connection C; A's Whoami and Subscribe are then
 * UNAUTHENTICATED; A's token no longer opens a connection. C and the admin
 * keep their connections and sessions.
 *
 * A connection so logged out may log in again on the same connection within
 * login_timeout_ms of the logout, and is closed, saying why, if it does not:
 * also when it was accepted longer ago than that. */
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
#include "it_raw.h"
#include "okr_error.h"

#define XENA_PASSWORD     "xena-password-1"
#define XENA_PASSWORD_NEW "xena-password-2"
#define YURI_PASSWORD     "yuri-password-1"
#define TOKEN_MAX         128

/* How long a connection that must hear nothing is watched, after a
 * connection that must hear something already has. */
#define QUIET_MS 700

/* okrd's login_timeout_ms where a test outlives it. */
#define LOGIN_TIMEOUT_MS 2000

static okr_test_server_t server;

/* What ends Xena's sessions. */
typedef enum {
    END_LOGOUT_EVERYWHERE,
    END_DEACTIVATE,
    END_SET_PASSWORD,
    END_PASSWD_SELF,
} end_by_t;

/* A raw connection logged in as user, its session token copied to token. */
static SSL *login_with_token(const char *user, const char *password, char *token)
{
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    assert_int_equal(raw_hello(ssl), 0);
    Okr__LoginRequest lr = OKR__LOGIN_REQUEST__INIT;
    lr.username = (char *)user;
    lr.password = (char *)password;
    Okr__Request req = tw_request(OKR__REQUEST__OP_LOGIN, &lr);
    Okr__Response *resp = raw_call(ssl, &req, 2, 30000);
    assert_non_null(resp);
    assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_LOGIN);
    assert_true(strlen(resp->login->token) < TOKEN_MAX);
    strcpy(token, resp->login->token);
    okr__response__free_unpacked(resp, NULL);
    return ssl;
}

/* The status of AuthTokenRequest with token on a fresh connection. */
static Okr__Status auth_token_status(const char *token)
{
    SSL *ssl = ts_tls_connect(&server, TLS1_3_VERSION);
    assert_non_null(ssl);
    assert_int_equal(raw_hello(ssl), 0);
    Okr__AuthTokenRequest at = OKR__AUTH_TOKEN_REQUEST__INIT;
    at.token = (char *)token;
    Okr__Request req = tw_request(OKR__REQUEST__OP_AUTH_TOKEN, &at);
    Okr__Response *resp = raw_call(ssl, &req, 2, 15000);
    assert_non_null(resp);
    Okr__Status st = resp->status;
    okr__response__free_unpacked(resp, NULL);
    ts_tls_close(ssl);
    return st;
}

/* Sends req on ssl as id and returns the answer to exactly that id (not an
 * id-0 error of the connection); events before it fail the test unless
 * events_ok. */
static Okr__Response *call_exact(SSL *ssl, Okr__Request *req, uint64_t id, int events_ok)
{
    req->id = id;
    assert_int_equal(ts_tls_send_request(ssl, req), 0);
    for (;;) {
        Okr__Envelope *env = ts_tls_read_envelope(ssl, 30000);
        assert_non_null(env);
        if (env->msg_case == OKR__ENVELOPE__MSG_RESPONSE) {
            assert_int_equal(env->response->id, id);
            Okr__Response *resp = env->response;
            env->response = NULL;
            env->msg_case = OKR__ENVELOPE__MSG__NOT_SET;
            okr__envelope__free_unpacked(env, NULL);
            return resp;
        }
        assert_true(events_ok);
        okr__envelope__free_unpacked(env, NULL);
    }
}

/* The status of a Whoami on ssl (id as given); no event may come first. */
static Okr__Status whoami(SSL *ssl, uint64_t id, char *msg, size_t msglen)
{
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request req = tw_request(OKR__REQUEST__OP_WHOAMI, &w);
    Okr__Response *resp = call_exact(ssl, &req, id, 0);
    Okr__Status st = resp->status;
    if (msg)
        snprintf(msg, msglen, "%s", resp->message);
    okr__response__free_unpacked(resp, NULL);
    return st;
}

/* Reads one envelope and asserts it is the check-in event with that value. */
static void expect_checkin(SSL *ssl, double value)
{
    Okr__Envelope *env = ts_tls_read_envelope(ssl, 10000);
    assert_non_null(env);
    assert_int_equal(env->msg_case, OKR__ENVELOPE__MSG_EVENT);
    assert_int_equal(env->event->change->kind, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    assert_non_null(env->event->change->key_result_after);
    assert_true(env->event->change->key_result_after->current == value);
    okr__envelope__free_unpacked(env, NULL);
}

/* Ends Xena's sessions the way by says; b is her second connection. */
static void end_sessions(end_by_t by, okr_client_t *admin, SSL *b)
{
    Okr__Response *resp;
    switch (by) {
    case END_LOGOUT_EVERYWHERE: {
        Okr__LogoutRequest lo = OKR__LOGOUT_REQUEST__INIT;
        lo.everywhere = 1;
        Okr__Request req = tw_request(OKR__REQUEST__OP_LOGOUT, &lo);
        resp = call_exact(b, &req, 20, 1);
        break;
    }
    case END_DEACTIVATE: {
        Okr__UserDeactivateRequest d = OKR__USER_DEACTIVATE_REQUEST__INIT;
        d.username = "xena";
        resp = tw_ok(admin, OKR__REQUEST__OP_USER_DEACTIVATE, &d);
        break;
    }
    case END_SET_PASSWORD: {
        Okr__UserSetPasswordRequest sp = OKR__USER_SET_PASSWORD_REQUEST__INIT;
        sp.username = "xena";
        sp.new_password = XENA_PASSWORD_NEW;
        resp = tw_ok(admin, OKR__REQUEST__OP_USER_SET_PASSWORD, &sp);
        break;
    }
    case END_PASSWD_SELF: {
        Okr__PasswdRequest pw = OKR__PASSWD_REQUEST__INIT;
        pw.old_password = XENA_PASSWORD;
        pw.new_password = XENA_PASSWORD_NEW;
        Okr__Request req = tw_request(OKR__REQUEST__OP_PASSWD, &pw);
        resp = call_exact(b, &req, 20, 1);
        break;
    }
    default:
        fail_msg("unknown way to end a session: %d", (int)by);
        return;
    }
    assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
    okr__response__free_unpacked(resp, NULL);
}

static void run(end_by_t by)
{
    const char *extra[] = {"--rate-limit-rps", "0", NULL};
    ts_start(&server, extra);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "xena", XENA_PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    assert_int_equal(ts_create_user(admin, "yuri", YURI_PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    uint64_t cycle = tw_cycle(admin, "live", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t objective =
        tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Logout");
    uint64_t kr = tw_kr(admin, objective, "Events", 0, 100);

    /* A: Xena, subscribed twice (the broadest scope too). C: Yuri,
     * subscribed. B: Xena again, only requests. */
    char token_a[TOKEN_MAX], token_b[TOKEN_MAX], token_c[TOKEN_MAX];
    SSL *a = login_with_token("xena", XENA_PASSWORD, token_a);
    SSL *c = login_with_token("yuri", YURI_PASSWORD, token_c);
    assert_int_equal(raw_subscribe(a, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    assert_int_equal(raw_subscribe(a, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0), OKR__STATUS__STATUS_OK);
    assert_int_equal(raw_subscribe(c, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    SSL *b = login_with_token("xena", XENA_PASSWORD, token_b);
    assert_string_not_equal(token_a, token_b); /* two sessions, not one shared */

    /* Both subscribers are live. */
    tw_checkin(admin, kr, 10, NULL);
    expect_checkin(a, 10);
    expect_checkin(c, 10);
    assert_false(raw_readable(a, 0));

    end_sessions(by, admin, b);

    /* A later change reaches C, and nothing at all reaches A: not the
     * change that ended the session (a user change, on the org scope), not
     * the check-in, not a notice. */
    tw_checkin(admin, kr, 20, NULL);
    expect_checkin(c, 20);
    assert_false(raw_readable(a, QUIET_MS));

    /* A is open but logged out: its next requests are UNAUTHENTICATED,
     * resubscribing included, and answered by their own id. */
    char msg[256];
    assert_int_equal(whoami(a, 30, msg, sizeof msg), OKR__STATUS__STATUS_UNAUTHENTICATED);
    printf("subscribed connection after the session ended: UNAUTHENTICATED: %s\n", msg);
    assert_int_equal(raw_subscribe(a, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0),
                     OKR__STATUS__STATUS_UNAUTHENTICATED);
    tw_checkin(admin, kr, 30, NULL);
    expect_checkin(c, 30);
    assert_false(raw_readable(a, QUIET_MS));
    assert_int_equal(auth_token_status(token_a), OKR__STATUS__STATUS_UNAUTHENTICATED);

    /* B: ended too, unless it changed its own password (that keeps the
     * session it was changed from). */
    Okr__Status b_expected =
        by == END_PASSWD_SELF ? OKR__STATUS__STATUS_OK : OKR__STATUS__STATUS_UNAUTHENTICATED;
    assert_int_equal(whoami(b, 31, NULL, 0), b_expected);
    assert_int_equal(auth_token_status(token_b), b_expected);

    /* Nobody else lost anything: Yuri's connection and session, the admin's. */
    assert_int_equal(whoami(c, 32, NULL, 0), OKR__STATUS__STATUS_OK);
    assert_int_equal(auth_token_status(token_c), OKR__STATUS__STATUS_OK);
    tw_checkin(admin, kr, 40, NULL);
    expect_checkin(c, 40);

    /* Xena may log in again unless she was deactivated; the password that
     * works is the new one after a change. */
    okr_client_t *again = ts_connect(&server);
    int want = by == END_DEACTIVATE ? OKR_E_UNAUTHENTICATED : OKR_OK;
    const char *pw =
        by == END_SET_PASSWORD || by == END_PASSWD_SELF ? XENA_PASSWORD_NEW : XENA_PASSWORD;
    assert_int_equal(okr_client_login(again, "xena", pw, NULL), want);
    okr_client_free(again);

    ts_tls_close(a);
    ts_tls_close(b);
    ts_tls_close(c);
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
}

static void test_logout_everywhere(void **state)
{
    (void)state;
    run(END_LOGOUT_EVERYWHERE);
}

static void test_deactivate(void **state)
{
    (void)state;
    run(END_DEACTIVATE);
}

static void test_set_password(void **state)
{
    (void)state;
    run(END_SET_PASSWORD);
}

static void test_passwd_self(void **state)
{
    (void)state;
    run(END_PASSWD_SELF);
}

/* The login deadline (login_timeout_ms from accept) has long passed on a
 * connection that was logged in for a while. Its session ended elsewhere, it
 * gets UNAUTHENTICATED and may log in again on the same connection, with
 * login_timeout_ms counted from the logout; if it does not, it is closed then
 * with a message that says why. */
static void test_log_in_again_on_the_same_connection(void **state)
{
    (void)state;
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", LOGIN_TIMEOUT_MS);
    const char *extra[] = {"--rate-limit-rps", "0", "--login-timeout-ms", timeout, NULL};
    ts_start(&server, extra);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "xena", XENA_PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    uint64_t cycle = tw_cycle(admin, "again", TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    uint64_t objective =
        tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Again");
    uint64_t kr = tw_kr(admin, objective, "Events", 0, 100);

    char token[TOKEN_MAX];
    uint64_t connected_at = raw_now_ms();
    SSL *a = login_with_token("xena", XENA_PASSWORD, token);
    assert_int_equal(raw_subscribe(a, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    /* A outlives the login deadline counted from its accept. */
    while (raw_now_ms() < connected_at + LOGIN_TIMEOUT_MS + 500)
        raw_sleep_ms(100);
    assert_int_equal(whoami(a, 10, NULL, 0), OKR__STATUS__STATUS_OK);

    SSL *b = login_with_token("xena", XENA_PASSWORD, token);
    end_sessions(END_LOGOUT_EVERYWHERE, admin, b);
    assert_int_equal(whoami(a, 11, NULL, 0), OKR__STATUS__STATUS_UNAUTHENTICATED);
    /* ...and nothing after it: A is not cut for being late to log in. */
    assert_false(raw_readable(a, QUIET_MS));

    /* Logging in again on A works, and so does subscribing again. */
    Okr__LoginRequest lr = OKR__LOGIN_REQUEST__INIT;
    lr.username = "xena";
    lr.password = XENA_PASSWORD;
    Okr__Request req = tw_request(OKR__REQUEST__OP_LOGIN, &lr);
    Okr__Response *resp = call_exact(a, &req, 12, 0);
    assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(raw_subscribe(a, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    tw_checkin(admin, kr, 50, NULL);
    expect_checkin(a, 50);

    /* Ended again, A does not log in: it is closed login_timeout_ms after
     * the logout, not at once, and told why. */
    end_sessions(END_LOGOUT_EVERYWHERE, admin, a);
    uint64_t ended_at = raw_now_ms();
    Okr__Envelope *env = ts_tls_read_envelope(a, LOGIN_TIMEOUT_MS + 10000);
    uint64_t closed_after = raw_now_ms() - ended_at;
    assert_non_null(env);
    assert_int_equal(env->msg_case, OKR__ENVELOPE__MSG_RESPONSE);
    assert_int_equal(env->response->id, 0);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_UNAUTHENTICATED);
    assert_non_null(strstr(env->response->message, "did not log in again"));
    printf("logged-out connection closed after %llu ms: %s\n", (unsigned long long)closed_after,
           env->response->message);
    okr__envelope__free_unpacked(env, NULL);
    assert_true(closed_after >= LOGIN_TIMEOUT_MS - 500);
    assert_true(ts_fd_closed_within(SSL_get_fd(a), 5000));

    ts_tls_close(a);
    ts_tls_close(b);
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
}

/* After a failure too: no okrd left running, no directory left behind. */
static int teardown(void **state)
{
    (void)state;
    ts_cleanup(&server);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_logout_everywhere, teardown),
        cmocka_unit_test_teardown(test_deactivate, teardown),
        cmocka_unit_test_teardown(test_set_password, teardown),
        cmocka_unit_test_teardown(test_passwd_self, teardown),
        cmocka_unit_test_teardown(test_log_in_again_on_the_same_connection, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
