/* Integration: sessions changing under a connection, against a real okrd.
 *
 * - A second client on the same account logs in from elsewhere: both keep
 *   working (sessions are independent), and one logging out leaves the other.
 * - A user deactivated mid-session: the next request gets UNAUTHENTICATED and
 *   no event reaches the connection any more.
 * - A session expiring mid-session (session_ttl_s = 4): the same.
 * - An admin resetting a user's password (user_set_password): every
 *   connection of that user, subscribed or not, is logged out at once; the
 *   old password fails, the new one works; the change log has the change
 *   without the hash; activate and set_name work by user id too.
 * - A login that checked the old password while such a reset committed
 *   opens no session.
 * In each case a control subscriber that is still entitled receives the
 * event, so "nothing arrived" means "nothing was sent to that connection". */
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

#define TTL_S 4

static okr_test_server_t server;

static void make_kr(okr_client_t *admin, const char *cycle_name, uint64_t *objective, uint64_t *kr)
{
    uint64_t cycle = tw_cycle(admin, cycle_name, TW_CYCLE_START_MS, TW_CYCLE_END_MS);
    *objective = tw_objective(admin, cycle, 0, 0, OKR__VISIBILITY__VISIBILITY_PUBLIC, "Sessions");
    *kr = tw_kr(admin, *objective, "Events", 0, 100);
}

/* Reads one envelope and asserts it is a check-in event with that value. */
static void expect_event(SSL *ssl, double value)
{
    Okr__Envelope *env = ts_tls_read_envelope(ssl, 10000);
    assert_non_null(env);
    assert_int_equal(env->msg_case, OKR__ENVELOPE__MSG_EVENT);
    assert_int_equal(env->event->change->kind, OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
    assert_non_null(env->event->change->key_result_after);
    assert_true(env->event->change->key_result_after->current == value);
    okr__envelope__free_unpacked(env, NULL);
}

/* Whoami on a raw connection: its status and message (copied into msg). */
static Okr__Status raw_whoami(SSL *ssl, uint64_t id, char *msg, size_t msglen)
{
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_WHOAMI;
    req.whoami = &w;
    Okr__Response *resp = raw_call(ssl, &req, id, 10000);
    assert_non_null(resp);
    Okr__Status st = resp->status;
    if (msg)
        snprintf(msg, msglen, "%s", resp->message);
    okr__response__free_unpacked(resp, NULL);
    return st;
}

static void test_second_login_and_deactivation(void **state)
{
    (void)state;
    const char *extra[] = {"--rate-limit-rps", "0", NULL};
    ts_start(&server, extra);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t objective, kr;
    make_kr(admin, "sessions", &objective, &kr);
    assert_int_equal(ts_create_user(admin, "alice", "alice-password", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    assert_int_equal(ts_create_user(admin, "bob", "bob-password-1", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);

    /* Alice at her desk and on her laptop: two independent sessions. */
    SSL *desk = raw_login(&server, "alice", "alice-password");
    SSL *laptop = raw_login(&server, "alice", "alice-password");
    assert_non_null(desk);
    assert_non_null(laptop);
    assert_int_equal(raw_subscribe(desk, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    assert_int_equal(raw_subscribe(laptop, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    tw_checkin(admin, kr, 10, NULL);
    expect_event(desk, 10);
    expect_event(laptop, 10);
    assert_int_equal(raw_whoami(desk, 10, NULL, 0), OKR__STATUS__STATUS_OK);
    assert_int_equal(raw_whoami(laptop, 10, NULL, 0), OKR__STATUS__STATUS_OK);

    /* Logging out on the laptop leaves the desk's session alone. */
    Okr__LogoutRequest lo = OKR__LOGOUT_REQUEST__INIT;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_LOGOUT;
    req.logout = &lo;
    Okr__Response *resp = raw_call(laptop, &req, 11, 10000);
    assert_non_null(resp);
    assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
    okr__response__free_unpacked(resp, NULL);
    tw_checkin(admin, kr, 20, NULL);
    expect_event(desk, 20);
    assert_false(raw_readable(laptop, 500));
    assert_int_equal(raw_whoami(laptop, 12, NULL, 0), OKR__STATUS__STATUS_UNAUTHENTICATED);
    assert_int_equal(raw_whoami(desk, 12, NULL, 0), OKR__STATUS__STATUS_OK);

    /* Bob is deactivated while subscribed. */
    SSL *bob = raw_login(&server, "bob", "bob-password-1");
    assert_non_null(bob);
    assert_int_equal(raw_subscribe(bob, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    tw_checkin(admin, kr, 30, NULL);
    expect_event(bob, 30);
    expect_event(desk, 30);
    Okr__UserDeactivateRequest ud = OKR__USER_DEACTIVATE_REQUEST__INIT;
    ud.username = "bob";
    okr__request__init(&req);
    req.op_case = OKR__REQUEST__OP_USER_DEACTIVATE;
    req.user_deactivate = &ud;
    okr__response__free_unpacked(tw_call_ok(admin, &req), NULL);
    tw_checkin(admin, kr, 40, NULL);
    expect_event(desk, 40); /* published... */
    /* ...but not to bob; the deactivation itself may be announced to him as
     * a user change only if he could read it: he gets no check-in event. */
    while (raw_readable(bob, 700)) {
        Okr__Envelope *env = ts_tls_read_envelope(bob, 1000);
        if (!env)
            break; /* closed: no more data either */
        assert_false(env->msg_case == OKR__ENVELOPE__MSG_EVENT &&
                     env->event->change->kind == OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
        okr__envelope__free_unpacked(env, NULL);
    }
    char msg[256];
    assert_int_equal(raw_whoami(bob, 13, msg, sizeof msg), OKR__STATUS__STATUS_UNAUTHENTICATED);
    printf("deactivated user's next request: UNAUTHENTICATED: %s\n", msg);
    /* Nor can he log in again. */
    okr_client_t *again = ts_connect(&server);
    assert_int_equal(okr_client_login(again, "bob", "bob-password-1", NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(again);

    ts_tls_close(desk);
    ts_tls_close(laptop);
    ts_tls_close(bob);
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
}

static void test_session_expiring_mid_session(void **state)
{
    (void)state;
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", TTL_S);
    const char *extra[] = {"--session-ttl-s", ttl, "--rate-limit-rps", "0", NULL};
    ts_start(&server, extra);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t objective, kr;
    make_kr(admin, "expiry", &objective, &kr);
    okr_client_free(admin);

    uint64_t logged_in_at = raw_now_ms();
    SSL *carol = raw_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_non_null(carol);
    assert_int_equal(raw_subscribe(carol, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    tw_checkin(admin, kr, 50, NULL);
    expect_event(carol, 50);
    assert_int_equal(raw_whoami(carol, 20, NULL, 0), OKR__STATUS__STATUS_OK);
    okr_client_free(admin);
    assert_true(raw_now_ms() - logged_in_at < TTL_S * 1000); /* all that was inside the TTL */

    /* Past the TTL (plus a second: expiries are in wall-clock ms). */
    while (raw_now_ms() < logged_in_at + TTL_S * 1000 + 1000)
        raw_sleep_ms(100);
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD); /* a fresh session */
    SSL *control = raw_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_non_null(control);
    assert_int_equal(raw_subscribe(control, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    tw_checkin(admin, kr, 60, NULL);
    expect_event(control, 60);
    assert_false(raw_readable(carol, 700)); /* the expired session got nothing */
    char msg[256];
    assert_int_equal(raw_whoami(carol, 21, msg, sizeof msg), OKR__STATUS__STATUS_UNAUTHENTICATED);
    printf("expired session's next request: UNAUTHENTICATED: %s\n", msg);
    /* Still nothing after another change. */
    tw_checkin(admin, kr, 70, NULL);
    expect_event(control, 70);
    assert_false(raw_readable(carol, 500));

    ts_tls_close(carol);
    ts_tls_close(control);
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
}

/* A change of user_id by the admin (op and body): the answered User. */
static Okr__Response *admin_user_op(okr_client_t *admin, Okr__Request__OpCase op, void *body)
{
    Okr__Response *resp = tw_ok(admin, op, body);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_USER);
    return resp;
}

/* okrd started with extra, the admin logged in (returned), and bob a member
 * with the password bob-password-1. */
static okr_client_t *start_with_bob(const char *const *extra)
{
    ts_start(&server, extra);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "bob", "bob-password-1", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    return admin;
}

static int has_bytes(const uint8_t *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return 1;
    return 0;
}

static void test_password_reset_mid_session(void **state)
{
    (void)state;
    const char *extra[] = {"--rate-limit-rps", "0", NULL};
    okr_client_t *admin = start_with_bob(extra);
    uint64_t objective, kr;
    make_kr(admin, "reset", &objective, &kr);
    SSL *control = raw_login(&server, "admin", TS_ADMIN_PASSWORD);
    SSL *phone = raw_login(&server, "bob", "bob-password-1"); /* subscribed */
    SSL *desk = raw_login(&server, "bob", "bob-password-1");  /* only requests */
    assert_non_null(control);
    assert_non_null(phone);
    assert_non_null(desk);
    assert_int_equal(raw_subscribe(control, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    assert_int_equal(raw_subscribe(phone, OKR__SCOPE_KIND__SCOPE_KIND_OBJECTIVE, objective),
                     OKR__STATUS__STATUS_OK);
    tw_checkin(admin, kr, 10, NULL);
    expect_event(control, 10);
    expect_event(phone, 10);

    Okr__UserGetRequest g = OKR__USER_GET_REQUEST__INIT;
    g.username = "bob";
    Okr__Response *resp = tw_ok(admin, OKR__REQUEST__OP_USER_GET, &g);
    uint64_t bob = resp->user->id, version = resp->user->version;
    okr__response__free_unpacked(resp, NULL);

    /* The reset, by id. */
    Okr__UserSetPasswordRequest sp = OKR__USER_SET_PASSWORD_REQUEST__INIT;
    sp.user_id = bob;
    sp.new_password = "bob-password-2";
    resp = admin_user_op(admin, OKR__REQUEST__OP_USER_SET_PASSWORD, &sp);
    assert_string_equal(resp->user->username, "bob");
    assert_true(resp->user->active);
    assert_int_equal(resp->user->version, version + 1);
    okr__response__free_unpacked(resp, NULL);

    /* The subscribed connection gets no more check-ins (a user change event
     * may come first, or the connection may close). */
    tw_checkin(admin, kr, 20, NULL);
    expect_event(control, 20);
    while (raw_readable(phone, 700)) {
        Okr__Envelope *env = ts_tls_read_envelope(phone, 1000);
        if (!env)
            break;
        assert_false(env->msg_case == OKR__ENVELOPE__MSG_EVENT &&
                     env->event->change->kind == OKR__ENTITY_KIND__ENTITY_KIND_CHECKIN);
        okr__envelope__free_unpacked(env, NULL);
    }
    char msg[256];
    assert_int_equal(raw_whoami(phone, 30, msg, sizeof msg), OKR__STATUS__STATUS_UNAUTHENTICATED);
    printf("reset user's subscribed connection: UNAUTHENTICATED: %s\n", msg);
    assert_int_equal(raw_whoami(desk, 30, msg, sizeof msg), OKR__STATUS__STATUS_UNAUTHENTICATED);
    printf("reset user's other connection: UNAUTHENTICATED: %s\n", msg);
    assert_int_equal(raw_whoami(control, 30, NULL, 0), OKR__STATUS__STATUS_OK);

    okr_client_t *c = ts_connect(&server);
    assert_int_equal(okr_client_login(c, "bob", "bob-password-1", NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(c);
    c = ts_connect(&server);
    assert_int_equal(okr_client_login(c, "bob", "bob-password-2", NULL), OKR_OK);
    okr_client_free(c);

    /* The change log: an UPDATE of bob by the admin, and no hash anywhere. */
    Okr__HistoryRequest h = OKR__HISTORY_REQUEST__INIT;
    h.kind = OKR__ENTITY_KIND__ENTITY_KIND_USER;
    h.entity_id = bob;
    resp = tw_ok(admin, OKR__REQUEST__OP_HISTORY, &h);
    assert_int_equal(resp->result_case, OKR__RESPONSE__RESULT_HISTORY);
    assert_int_equal(resp->history->n_changes, 2); /* create, reset */
    const Okr__Change *ch = resp->history->changes[1];
    assert_int_equal(ch->op, OKR__CHANGE_OP__CHANGE_OP_UPDATE);
    assert_int_equal(ch->user->version, version + 1);
    size_t n = okr__response__get_packed_size(resp);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    okr__response__pack(resp, buf);
    assert_false(has_bytes(buf, n, "argon2"));
    assert_false(has_bytes(buf, n, "bob-password"));
    free(buf);
    okr__response__free_unpacked(resp, NULL);

    /* Deactivate, activate and rename by id. */
    Okr__UserDeactivateRequest d = OKR__USER_DEACTIVATE_REQUEST__INIT;
    d.username = "bob";
    okr__response__free_unpacked(admin_user_op(admin, OKR__REQUEST__OP_USER_DEACTIVATE, &d), NULL);
    Okr__UserActivateRequest a = OKR__USER_ACTIVATE_REQUEST__INIT;
    a.user_id = bob;
    resp = admin_user_op(admin, OKR__REQUEST__OP_USER_ACTIVATE, &a);
    assert_true(resp->user->active);
    okr__response__free_unpacked(resp, NULL);
    Okr__UserSetNameRequest sn = OKR__USER_SET_NAME_REQUEST__INIT;
    sn.user_id = bob;
    sn.display_name = "Bob 鲍勃";
    resp = admin_user_op(admin, OKR__REQUEST__OP_USER_SET_NAME, &sn);
    assert_string_equal(resp->user->display_name, "Bob 鲍勃");
    assert_int_equal(resp->user->version, version + 4);
    okr__response__free_unpacked(resp, NULL);
    /* The same name again changes nothing. */
    resp = admin_user_op(admin, OKR__REQUEST__OP_USER_SET_NAME, &sn);
    assert_int_equal(resp->user->version, version + 4);
    okr__response__free_unpacked(resp, NULL);
    /* An unknown id is NOT_FOUND. */
    a.user_id = 999999;
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = OKR__REQUEST__OP_USER_ACTIVATE;
    req.user_activate = &a;
    assert_int_equal(ts_call(admin, &req, NULL), OKR_E_NOT_FOUND);

    ts_tls_close(control);
    ts_tls_close(phone);
    ts_tls_close(desk);
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
}

/* After a failure too: no okrd left running, no directory left behind. */
/* Sends req on a raw connection without waiting (id as given). */
static void raw_send(SSL *ssl, Okr__Request *req, uint64_t id)
{
    req->id = id;
    assert_int_equal(ts_tls_send_request(ssl, req), 0);
}

/* A login that checked the old password while an admin's reset committed
 * must not open a session: the reset ended every session of the user, and
 * one opened on the old password just after would survive it. One hasher
 * thread and a slow KDF make the order certain: the reset's hash runs first,
 * bob's login reads the old hash meanwhile and waits behind it, then
 * verifies the old password (right, then) after the reset has committed. */
static void test_login_racing_a_reset(void **state)
{
    (void)state;
    const char *extra[] = {"--rate-limit-rps",
                           "0",
                           "--hash-parallel",
                           "1",
                           "--kdf-memory-kib",
                           "131072",
                           "--kdf-iterations",
                           "3",
                           NULL};
    okr_client_t *admin = start_with_bob(extra);
    SSL *control = raw_login(&server, "admin", TS_ADMIN_PASSWORD);
    SSL *thief = ts_tls_connect(&server, TLS1_3_VERSION); /* knows the old password */
    assert_non_null(control);
    assert_non_null(thief);
    assert_int_equal(raw_hello(thief), 0);

    Okr__UserSetPasswordRequest sp = OKR__USER_SET_PASSWORD_REQUEST__INIT;
    sp.username = "bob";
    sp.new_password = "bob-password-2";
    Okr__Request reset = OKR__REQUEST__INIT;
    reset.op_case = OKR__REQUEST__OP_USER_SET_PASSWORD;
    reset.user_set_password = &sp;
    raw_send(control, &reset, 10);
    /* okrd has read it and is hashing the new password (128 MiB, 3 passes:
     * longer than this wait by far, also on a loaded machine) */
    raw_sleep_ms(150);
    Okr__LoginRequest lg = OKR__LOGIN_REQUEST__INIT;
    lg.username = "bob";
    lg.password = "bob-password-1";
    Okr__Request login = OKR__REQUEST__INIT;
    login.op_case = OKR__REQUEST__OP_LOGIN;
    login.login = &lg;
    raw_send(thief, &login, 11);

    Okr__Envelope *env = ts_tls_read_envelope(control, 30000);
    assert_non_null(env);
    assert_int_equal(env->response->id, 10);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_OK);
    okr__envelope__free_unpacked(env, NULL);
    env = ts_tls_read_envelope(thief, 30000);
    assert_non_null(env);
    assert_int_equal(env->response->id, 11);
    assert_int_equal(env->response->status, OKR__STATUS__STATUS_UNAUTHENTICATED);
    /* the race itself, not a plain wrong password (the KDF was not slow enough) */
    assert_non_null(strstr(env->response->message, "changed while logging in"));
    okr__envelope__free_unpacked(env, NULL);

    /* Nothing was opened: the old password is refused, the new one works. */
    okr_client_t *c = ts_connect(&server);
    assert_int_equal(okr_client_login(c, "bob", "bob-password-1", NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(c);
    c = ts_login(&server, "bob", "bob-password-2");
    okr_client_free(c);
    ts_tls_close(thief);
    ts_tls_close(control);
    okr_client_free(admin);
    ts_stop(&server);
    ts_cleanup(&server);
}

static int teardown(void **state)
{
    (void)state;
    ts_cleanup(&server);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_second_login_and_deactivation, teardown),
        cmocka_unit_test_teardown(test_session_expiring_mid_session, teardown),
        cmocka_unit_test_teardown(test_password_reset_mid_session, teardown),
        cmocka_unit_test_teardown(test_login_racing_a_reset, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
