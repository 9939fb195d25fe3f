/* Integration: login, sessions, users and certificate pinning against a real okrd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "okr_error.h"

static okr_test_server_t server;

static int setup(void **state)
{
    (void)state;
    /* Generous throttling here: its own test runs its own server. */
    static const char *const extra[] = {"--login-free-failures", "1000", NULL};
    ts_start(&server, extra);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_stop(&server); /* asserts a clean exit 0 on SIGTERM */
    ts_cleanup(&server);
    return 0;
}

static Okr__Request request(Okr__Request__OpCase op, void *body)
{
    Okr__Request req = OKR__REQUEST__INIT;
    req.op_case = op;
    /* Every op member of the oneof shares one pointer slot. */
    req.hello = body;
    return req;
}

static int whoami(okr_client_t *c, Okr__Response **out)
{
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request req = request(OKR__REQUEST__OP_WHOAMI, &w);
    return ts_call(c, &req, out);
}

static int logout(okr_client_t *c)
{
    Okr__LogoutRequest l = OKR__LOGOUT_REQUEST__INIT;
    Okr__Request req = request(OKR__REQUEST__OP_LOGOUT, &l);
    return ts_call(c, &req, NULL);
}

static int set_role(okr_client_t *c, const char *username, Okr__Role role, uint64_t version)
{
    Okr__UserSetRoleRequest sr = OKR__USER_SET_ROLE_REQUEST__INIT;
    sr.username = (char *)username;
    sr.role = role;
    sr.version = version;
    Okr__Request req = request(OKR__REQUEST__OP_USER_SET_ROLE, &sr);
    return ts_call(c, &req, NULL);
}

static int deactivate(okr_client_t *c, const char *username)
{
    Okr__UserDeactivateRequest d = OKR__USER_DEACTIVATE_REQUEST__INIT;
    d.username = (char *)username;
    Okr__Request req = request(OKR__REQUEST__OP_USER_DEACTIVATE, &d);
    return ts_call(c, &req, NULL);
}

static void test_first_admin_bootstrap(void **state)
{
    (void)state;
    char *log = ts_read_log(&server);
    assert_non_null(log);
    assert_non_null(strstr(log, "created the first admin user \"admin\""));
    assert_non_null(strstr(log, "fingerprint"));
    /* The password came from the file, so it is never printed. */
    assert_null(strstr(log, TS_ADMIN_PASSWORD));
    free(log);
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    Okr__Response *resp = NULL;
    assert_int_equal(whoami(c, &resp), OKR_OK);
    assert_string_equal(resp->login->user->username, "admin");
    assert_int_equal(resp->login->user->role, OKR__ROLE__ROLE_ADMIN);
    assert_true(resp->login->expires_at > 0);
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(c);
}

static void test_login_whoami_logout(void **state)
{
    (void)state;
    okr_client_t *c = ts_login(&server, "ADMIN", TS_ADMIN_PASSWORD); /* case-insensitive */
    const char *token = okr_client_token(c);
    assert_non_null(token);
    assert_int_equal(strlen(token), 64);
    char saved[65];
    strcpy(saved, token);

    /* The token opens a second connection without the password. */
    okr_client_t *c2 = ts_connect(&server);
    assert_int_equal(okr_client_auth_token(c2, saved, NULL), OKR_OK);
    assert_int_equal(whoami(c2, NULL), OKR_OK);

    assert_int_equal(logout(c), OKR_OK);
    assert_int_equal(whoami(c, NULL), OKR_E_UNAUTHENTICATED);
    /* Logout revoked the session everywhere it was used. */
    assert_int_equal(whoami(c2, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_t *c3 = ts_connect(&server);
    assert_int_equal(okr_client_auth_token(c3, saved, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(c3);
    okr_client_free(c2);
    okr_client_free(c);
}

/* A connection with the options these tests vary: a token sent behind Hello,
 * Hello's answer deferred, a TLS session cache. */
static okr_client_t *connect_custom(const char *token, int defer_hello, const char *cache)
{
    okr_client_opts_t opts = {
        .defer_hello = defer_hello,
        .session_cache_path = cache,
        .host = "127.0.0.1",
        .port = server.port,
        .known_servers_path = server.known_servers,
        .trust_new = 1,
        .timeout_ms = 15000,
        .auth_token = token,
    };
    okr_client_t *c = NULL;
    char err[1024];
    int rc = okr_client_connect(&c, &opts, err, sizeof err);
    if (rc != 0)
        fail_msg("cannot connect: %s", err);
    return c;
}

static okr_client_t *connect_with_token(const char *token)
{
    return connect_custom(token, 0, NULL);
}

/* A token sent right behind Hello (opts.auth_token) is answered like one sent
 * after it: a good one logs in, a bad one is refused, and asking with another
 * token still sends that one. */
static void test_token_pipelined_behind_hello(void **state)
{
    (void)state;
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    char token[65];
    strcpy(token, okr_client_token(c));

    okr_client_t *p = connect_with_token(token);
    Okr__User *me = NULL;
    assert_int_equal(okr_client_auth_token(p, token, &me), OKR_OK);
    assert_non_null(me);
    assert_string_equal(me->username, "admin");
    okr__user__free_unpacked(me, NULL);
    assert_true(okr_client_expires_at(p) > 0);
    assert_int_equal(whoami(p, NULL), OKR_OK);
    okr_client_free(p);

    char bad[65];
    strcpy(bad, token);
    bad[0] = bad[0] == 'a' ? 'b' : 'a';
    p = connect_with_token(bad);
    assert_int_equal(okr_client_auth_token(p, bad, NULL), OKR_E_UNAUTHENTICATED);
    assert_int_equal(whoami(p, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(p);

    /* Pipelined a bad one, then asked with the good one: the good one is
     * sent and counts. */
    p = connect_with_token(bad);
    assert_int_equal(okr_client_auth_token(p, token, NULL), OKR_OK);
    assert_int_equal(whoami(p, NULL), OKR_OK);
    okr_client_free(p);

    /* Hello's answer deferred: a request follows at once, and Hello is
     * checked when the first answer is taken. */
    p = connect_custom(token, 1, NULL);
    assert_null(okr_client_server_hello(p));
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request wreq = request(OKR__REQUEST__OP_WHOAMI, &w);
    uint64_t id;
    assert_int_equal(okr_client_send(p, &wreq, &id), OKR_OK);
    assert_int_equal(okr_client_auth_token(p, token, NULL), OKR_OK);
    assert_non_null(okr_client_server_hello(p));
    assert_int_equal(okr_client_server_hello(p)->version_major, OKR_PROTOCOL_MAJOR);
    Okr__Response *resp = NULL;
    assert_int_equal(okr_client_wait(p, id, &resp), OKR_OK);
    assert_int_equal(resp->status, OKR__STATUS__STATUS_OK);
    assert_string_equal(resp->login->user->username, "admin");
    okr__response__free_unpacked(resp, NULL);
    okr_client_free(c);
    okr_client_free(p);
}

/* TLS session resumption (opts.session_cache_path): the first connection
 * makes a full handshake and keeps the ticket, the next ones resume with it
 * and leave the file alone while the ticket is young; a damaged file only
 * costs a full handshake, after which a good ticket is kept again. */
static okr_client_t *connect_cached(const char *cache)
{
    return connect_custom(NULL, 0, cache);
}

static void test_session_resumption(void **state)
{
    (void)state;
    char cache[512];
    snprintf(cache, sizeof cache, "%s/tls-session.pem", server.dir);
    unlink(cache);

    okr_client_t *c = connect_cached(cache);
    assert_false(okr_client_resumed(c));
    assert_int_equal(whoami(c, NULL), OKR_E_UNAUTHENTICATED); /* TLS only: no login yet */
    okr_client_free(c);
    struct stat first;
    assert_int_equal(stat(cache, &first), 0);
    assert_int_equal(first.st_mode & 0777, 0600);

    for (int i = 0; i < 3; i++) {
        c = connect_cached(cache);
        assert_true(okr_client_resumed(c));
        okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
        char token[65];
        strcpy(token, okr_client_token(admin));
        assert_int_equal(okr_client_auth_token(c, token, NULL), OKR_OK);
        assert_int_equal(whoami(c, NULL), OKR_OK);
        okr_client_free(admin);
        okr_client_free(c);
        struct stat now;
        assert_int_equal(stat(cache, &now), 0);
        assert_int_equal(now.st_ino, first.st_ino); /* not rewritten */
    }

    FILE *f = fopen(cache, "w");
    assert_non_null(f);
    fputs("-----BEGIN SSL SESSION PARAMETERS-----\nnot a session\n", f);
    fclose(f);
    c = connect_cached(cache);
    assert_false(okr_client_resumed(c));
    assert_int_equal(whoami(c, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(c);
    c = connect_cached(cache);
    assert_true(okr_client_resumed(c)); /* a good ticket was kept again */
    okr_client_free(c);
}

static void test_wrong_password_same_error_as_unknown_user(void **state)
{
    (void)state;
    okr_client_t *c = ts_connect(&server);
    assert_int_equal(okr_client_login(c, "admin", "not-the-password", NULL), OKR_E_UNAUTHENTICATED);
    char wrong[256];
    snprintf(wrong, sizeof wrong, "%s", okr_client_error(c));
    assert_int_equal(okr_client_login(c, "nobody-here", "whatever-pass", NULL),
                     OKR_E_UNAUTHENTICATED);
    assert_string_equal(okr_client_error(c), wrong);
    /* The connection is still usable. */
    assert_int_equal(okr_client_login(c, "admin", TS_ADMIN_PASSWORD, NULL), OKR_OK);
    okr_client_free(c);
}

static void test_requests_before_login_refused(void **state)
{
    (void)state;
    okr_client_t *c = ts_connect(&server);
    assert_int_equal(whoami(c, NULL), OKR_E_UNAUTHENTICATED);
    assert_int_equal(ts_create_user(c, "sneaky", "sneaky-password", OKR__ROLE__ROLE_ADMIN),
                     OKR_E_UNAUTHENTICATED);
    Okr__PingRequest p = OKR__PING_REQUEST__INIT;
    Okr__Request req = request(OKR__REQUEST__OP_PING, &p);
    assert_int_equal(ts_call(c, &req, NULL), OKR_OK); /* ping needs no login */
    okr_client_free(c);
}

static void test_admin_only_refused_for_member(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "mia", "mia-password", OKR__ROLE__ROLE_MEMBER), OKR_OK);
    okr_client_t *mia = ts_login(&server, "mia", "mia-password");
    assert_int_equal(ts_create_user(mia, "mallory", "mallory-pass", OKR__ROLE__ROLE_ADMIN),
                     OKR_E_FORBIDDEN);
    assert_int_equal(set_role(mia, "mia", OKR__ROLE__ROLE_ADMIN, 0), OKR_E_FORBIDDEN);
    assert_int_equal(deactivate(mia, "admin"), OKR_E_FORBIDDEN);
    Okr__UserListRequest ul = OKR__USER_LIST_REQUEST__INIT;
    Okr__Request req = request(OKR__REQUEST__OP_USER_LIST, &ul);
    assert_int_equal(ts_call(mia, &req, NULL), OKR_E_FORBIDDEN);
    /* Refused requests changed nothing: mallory does not exist. */
    okr_client_t *c = ts_connect(&server);
    assert_int_equal(okr_client_login(c, "mallory", "mallory-pass", NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(c);
    okr_client_free(mia);
    okr_client_free(admin);
}

static void test_user_admin(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    const char *names[] = {"u1", "u2", "u3", "u4", "u5"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(ts_create_user(admin, names[i], "password-123", OKR__ROLE__ROLE_MEMBER),
                         OKR_OK);
    /* Duplicates are refused whatever the case. */
    assert_int_equal(ts_create_user(admin, "U1", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_E_CONFLICT);
    /* Validation: bad name, short password, bad role. */
    assert_int_equal(ts_create_user(admin, "has space", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(ts_create_user(admin, "shorty", "short", OKR__ROLE__ROLE_MEMBER),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(ts_create_user(admin, "weird", "password-123", (Okr__Role)77),
                     OKR_E_BAD_REQUEST);

    /* Paging: two at a time visits every user exactly once, in name order. */
    char seen[32][65];
    size_t nseen = 0;
    char after[65] = "";
    for (int pages = 0; pages < 20; pages++) {
        Okr__UserListRequest ul = OKR__USER_LIST_REQUEST__INIT;
        ul.after_username = after;
        ul.limit = 2;
        Okr__Request req = request(OKR__REQUEST__OP_USER_LIST, &ul);
        Okr__Response *resp = NULL;
        assert_int_equal(ts_call(admin, &req, &resp), OKR_OK);
        assert_true(resp->user_list->n_users <= 2);
        for (size_t i = 0; i < resp->user_list->n_users; i++)
            snprintf(seen[nseen++], 65, "%s", resp->user_list->users[i]->username);
        snprintf(after, sizeof after, "%s", resp->user_list->next_after);
        okr__response__free_unpacked(resp, NULL);
        if (!after[0])
            break;
    }
    for (size_t i = 1; i < nseen; i++)
        assert_true(strcmp(seen[i - 1], seen[i]) < 0);
    int found = 0;
    for (size_t i = 0; i < nseen; i++)
        for (int j = 0; j < 5; j++)
            found += strcmp(seen[i], names[j]) == 0;
    assert_int_equal(found, 5);

    /* Role change with a stale version is a conflict; with none it works. */
    assert_int_equal(set_role(admin, "u2", OKR__ROLE__ROLE_ADMIN, 999), OKR_E_CONFLICT);
    assert_int_equal(set_role(admin, "u2", OKR__ROLE__ROLE_ADMIN, 1), OKR_OK);
    okr_client_t *u2 = ts_login(&server, "u2", "password-123");
    assert_int_equal(ts_create_user(u2, "u6", "password-123", OKR__ROLE__ROLE_MEMBER), OKR_OK);
    assert_int_equal(set_role(admin, "u2", OKR__ROLE__ROLE_MEMBER, 0), OKR_OK);
    /* Demotion takes effect on u2's very next request. */
    assert_int_equal(ts_create_user(u2, "u7", "password-123", OKR__ROLE__ROLE_MEMBER),
                     OKR_E_FORBIDDEN);
    assert_int_equal(set_role(admin, "nobody", OKR__ROLE__ROLE_ADMIN, 0), OKR_E_NOT_FOUND);
    /* The last admin cannot demote or deactivate themselves. */
    assert_int_equal(set_role(admin, "admin", OKR__ROLE__ROLE_MEMBER, 0), OKR_E_CONFLICT);
    assert_int_equal(deactivate(admin, "admin"), OKR_E_BAD_REQUEST);

    /* Deactivation ends u3's sessions at once and refuses new logins. */
    okr_client_t *u3 = ts_login(&server, "u3", "password-123");
    assert_int_equal(whoami(u3, NULL), OKR_OK);
    assert_int_equal(deactivate(admin, "u3"), OKR_OK);
    assert_int_equal(whoami(u3, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_t *again = ts_connect(&server);
    assert_int_equal(okr_client_login(again, "u3", "password-123", NULL), OKR_E_UNAUTHENTICATED);
    okr_client_free(again);
    okr_client_free(u3);
    okr_client_free(u2);
    okr_client_free(admin);
}

static void test_passwd(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "pat", "first-password", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    okr_client_t *other = ts_login(&server, "pat", "first-password");
    okr_client_t *pat = ts_login(&server, "pat", "first-password");
    Okr__PasswdRequest pw = OKR__PASSWD_REQUEST__INIT;
    pw.old_password = "wrong-password";
    pw.new_password = "second-password";
    Okr__Request req = request(OKR__REQUEST__OP_PASSWD, &pw);
    assert_int_equal(ts_call(pat, &req, NULL), OKR_E_UNAUTHENTICATED);
    pw.old_password = "first-password";
    pw.new_password = "short";
    assert_int_equal(ts_call(pat, &req, NULL), OKR_E_BAD_REQUEST);
    pw.new_password = "second-password";
    assert_int_equal(ts_call(pat, &req, NULL), OKR_OK);
    /* This session stays; the other one was ended. */
    assert_int_equal(whoami(pat, NULL), OKR_OK);
    assert_int_equal(whoami(other, NULL), OKR_E_UNAUTHENTICATED);
    okr_client_t *c = ts_connect(&server);
    assert_int_equal(okr_client_login(c, "pat", "first-password", NULL), OKR_E_UNAUTHENTICATED);
    assert_int_equal(okr_client_login(c, "pat", "second-password", NULL), OKR_OK);
    okr_client_free(c);
    okr_client_free(pat);
    okr_client_free(other);
    okr_client_free(admin);
}

static void test_pipelined_requests(void **state)
{
    (void)state;
    okr_client_t *c = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    uint64_t ids[20];
    Okr__PingRequest p = OKR__PING_REQUEST__INIT;
    uint8_t payload[20];
    for (int i = 0; i < 20; i++) {
        payload[i] = (uint8_t)i;
        p.payload.data = &payload[i];
        p.payload.len = 1;
        Okr__Request req = request(OKR__REQUEST__OP_PING, &p);
        assert_int_equal(okr_client_send(c, &req, &ids[i]), OKR_OK);
    }
    for (int i = 19; i >= 0; i--) { /* collected out of order on purpose */
        Okr__Response *resp = NULL;
        assert_int_equal(okr_client_wait(c, ids[i], &resp), OKR_OK);
        assert_int_equal(resp->id, ids[i]);
        assert_int_equal(resp->pong->payload.len, 1);
        assert_int_equal(resp->pong->payload.data[0], i);
        okr__response__free_unpacked(resp, NULL);
    }
    okr_client_free(c);
}

static void test_restart_keeps_users(void **state)
{
    (void)state;
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "keeper", "keeper-password", OKR__ROLE__ROLE_MEMBER),
                     OKR_OK);
    char token[65];
    strcpy(token, okr_client_token(admin));
    okr_client_free(admin);
    ts_stop(&server);
    ts_start(&server, NULL);
    okr_client_t *k = ts_login(&server, "keeper", "keeper-password");
    okr_client_free(k);
    /* Sessions survive a restart too. */
    okr_client_t *c = ts_connect(&server);
    assert_int_equal(okr_client_auth_token(c, token, NULL), OKR_OK);
    okr_client_free(c);
}

static void test_changed_certificate_refused(void **state)
{
    (void)state;
    okr_client_free(ts_connect(&server)); /* pins the current certificate */
    ts_stop(&server);
    char path[400];
    snprintf(path, sizeof path, "%s/cert.pem", server.data_dir);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/key.pem", server.data_dir);
    assert_int_equal(unlink(path), 0);
    ts_start(&server, NULL); /* generates a new certificate */

    okr_client_opts_t opts = {
        .host = "127.0.0.1",
        .port = server.port,
        .known_servers_path = server.known_servers,
        .trust_new = 1, /* even so: a changed pin is never accepted silently */
        .timeout_ms = 15000,
    };
    okr_client_t *c = NULL;
    char err[2048] = "";
    assert_int_equal(okr_client_connect(&c, &opts, err, sizeof err), OKR_E_TLS);
    assert_null(c);
    assert_non_null(strstr(err, "CHANGED"));

    /* Without trust_new, an unknown server is refused too. */
    char fresh[400];
    snprintf(fresh, sizeof fresh, "%s/fresh_known", server.dir);
    opts.known_servers_path = fresh;
    opts.trust_new = 0;
    assert_int_equal(okr_client_connect(&c, &opts, err, sizeof err), OKR_E_TLS);
    /* Trusting it on first use works, and the pin is kept. */
    opts.trust_new = 1;
    assert_int_equal(okr_client_connect(&c, &opts, err, sizeof err), OKR_OK);
    okr_client_free(c);
    opts.trust_new = 0;
    assert_int_equal(okr_client_connect(&c, &opts, err, sizeof err), OKR_OK);
    okr_client_free(c);
}

static void test_wrong_host_name_refused(void **state)
{
    (void)state;
    /* The generated certificate names localhost, 127.0.0.1 and ::1 only. */
    char ca[400];
    snprintf(ca, sizeof ca, "%s/cert.pem", server.data_dir);
    okr_client_opts_t opts = {
        .host = "localhost", .port = server.port, .ca_file = ca, .timeout_ms = 15000};
    okr_client_t *c = NULL;
    char err[1024];
    assert_int_equal(okr_client_connect(&c, &opts, err, sizeof err), OKR_OK);
    okr_client_free(c);
    c = NULL;
    /* A CA that did not sign the server's certificate fails verification. */
    char other[400];
    snprintf(other, sizeof other, "%s/other-ca.pem", server.dir);
    FILE *f = fopen(other, "w");
    assert_non_null(f);
    fclose(f);
    opts.ca_file = "/etc/ssl/certs/ca-certificates.crt";
    if (access(opts.ca_file, R_OK) == 0)
        assert_int_equal(okr_client_connect(&c, &opts, err, sizeof err), OKR_E_TLS);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_admin_bootstrap),
        cmocka_unit_test(test_login_whoami_logout),
        cmocka_unit_test(test_token_pipelined_behind_hello),
        cmocka_unit_test(test_session_resumption),
        cmocka_unit_test(test_wrong_password_same_error_as_unknown_user),
        cmocka_unit_test(test_requests_before_login_refused),
        cmocka_unit_test(test_admin_only_refused_for_member),
        cmocka_unit_test(test_user_admin),
        cmocka_unit_test(test_passwd),
        cmocka_unit_test(test_pipelined_requests),
        cmocka_unit_test(test_restart_keeps_users),
        cmocka_unit_test(test_changed_certificate_refused),
        cmocka_unit_test(test_wrong_host_name_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
