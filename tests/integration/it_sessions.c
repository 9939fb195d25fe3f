/* Integration: login sessions that do not pile up, against a real okrd.
 *
 * - The sweep: expired sessions are deleted while okrd runs (every
 *   session_sweep_s) and at start, with one log line per sweep and Stats'
 *   sessions_expired.
 * - The cap: a login beyond max_sessions_per_user ends the user's oldest
 *   session; its connection is logged out at once (its next request is
 *   UNAUTHENTICATED) and its token opens nothing; Stats' sessions_evicted.
 * - List and revoke (protocol 1.5): the list marks the caller's session;
 *   revoking another ends its live connection at once, subscriptions
 *   included; one's current session, a malformed or unknown id are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "it_raw.h"
#include "okr_error.h"
#include "world.h"

#define SAM_PASSWORD "sam-password-1"
#define TTL_S        "5"

static okr_test_server_t server;

static int teardown(void **state)
{
    (void)state;
    ts_stop(&server);
    ts_cleanup(&server);
    memset(&server, 0, sizeof server);
    return 0;
}

/* The sessions the log says were swept, after the first skip bytes of it. */
static unsigned long swept_in_log(size_t skip)
{
    char *log = ts_read_log(&server);
    assert_non_null(log);
    unsigned long total = 0;
    const char *p = strlen(log) > skip ? log + skip : "";
    while ((p = strstr(p, "sessions: ")) != NULL) {
        unsigned long n;
        char word[16];
        if (sscanf(p, "sessions: %lu %15s removed", &n, word) == 2 && strcmp(word, "expired") == 0)
            total += n;
        p += 10;
    }
    free(log);
    return total;
}

static size_t log_size(void)
{
    char *log = ts_read_log(&server);
    assert_non_null(log);
    size_t n = strlen(log);
    free(log);
    return n;
}

/* Waits up to 20 s for the log (after skip) to count want sessions swept. */
static void wait_swept(size_t skip, unsigned long want)
{
    uint64_t until = raw_now_ms() + 20000;
    unsigned long got;
    while ((got = swept_in_log(skip)) < want && raw_now_ms() < until)
        raw_sleep_ms(100);
    assert_int_equal(got, want);
}

/* Logs sam in n times, each on its own connection, and disconnects. */
static void sam_logins(int n)
{
    for (int i = 0; i < n; i++)
        okr_client_free(ts_login(&server, "sam", SAM_PASSWORD));
}

static void test_sweep_while_running_and_at_start(void **state)
{
    (void)state;
    static const char *const fast[] = {"--session-ttl-s", TTL_S, "--session-sweep-s", "1", NULL};
    ts_start(&server, fast);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "sam", SAM_PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    okr_client_free(admin);
    sam_logins(3);
    /* The admin's session and sam's three expire and go, in one sweep or
     * over several. */
    wait_swept(0, 4);

    /* Stats counts them (from a fresh session), and no more go meanwhile. */
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    Okr__Stats *st = tw_stats(admin);
    assert_int_equal(st->sessions_expired, 4);
    okr__stats__free_unpacked(st, NULL);
    okr_client_free(admin);
    sam_logins(2);
    ts_stop(&server);

    /* Stopped while three sessions lived; they expire while it is down and
     * the sweep at start takes them, long before its next one (a day). */
    raw_sleep_ms(atoi(TTL_S) * 1000 + 200);
    size_t before = log_size();
    static const char *const slow[] = {"--session-sweep-s", "86400", NULL};
    ts_start(&server, slow);
    wait_swept(before, 3);
    admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    st = tw_stats(admin);
    assert_int_equal(st->sessions_expired, 3);
    okr__stats__free_unpacked(st, NULL);
    okr_client_free(admin);
}

/* The status of a Whoami on c. */
static int whoami(okr_client_t *c)
{
    Okr__WhoamiRequest w = OKR__WHOAMI_REQUEST__INIT;
    Okr__Request req = tw_request(OKR__REQUEST__OP_WHOAMI, &w);
    return ts_call(c, &req, NULL);
}

/* The status of authenticating with token on a fresh connection. */
static int token_status(const char *token)
{
    okr_client_t *c = ts_connect(&server);
    int rc = okr_client_auth_token(c, token, NULL);
    okr_client_free(c);
    return rc;
}

static void test_cap_ends_the_oldest(void **state)
{
    (void)state;
    static const char *const cap[] = {"--max-sessions-per-user", "2", NULL};
    ts_start(&server, cap);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "sam", SAM_PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    okr_client_t *c[4];
    char token[4][128];
    for (int i = 0; i < 4; i++) {
        c[i] = ts_login(&server, "sam", SAM_PASSWORD);
        snprintf(token[i], sizeof token[i], "%s", okr_client_token(c[i]));
        raw_sleep_ms(5); /* each its own created_at */
        if (i < 2) {
            assert_int_equal(whoami(c[0]), OKR_OK);
            continue;
        }
        /* The third login ends the first session, the fourth the second:
         * their connections at once, their tokens for good. */
        assert_int_equal(whoami(c[i - 2]), OKR_E_UNAUTHENTICATED);
        assert_int_equal(token_status(token[i - 2]), OKR_E_UNAUTHENTICATED);
        assert_int_equal(whoami(c[i - 1]), OKR_OK);
        assert_int_equal(whoami(c[i]), OKR_OK);
    }
    assert_int_equal(token_status(token[3]), OKR_OK);
    /* Another user's sessions are not counted with sam's. */
    assert_int_equal(whoami(admin), OKR_OK);
    Okr__Stats *st = tw_stats(admin);
    assert_int_equal(st->sessions_evicted, 2);
    okr__stats__free_unpacked(st, NULL);
    char *log = ts_read_log(&server);
    assert_non_null(strstr(log, "user sam is over max_sessions_per_user (2): 1 oldest session "
                                "ended"));
    free(log);
    for (int i = 0; i < 4; i++)
        okr_client_free(c[i]);
    okr_client_free(admin);
}

/* SessionList of c's own sessions (the response; the caller frees it). */
static Okr__Response *own_sessions(okr_client_t *c)
{
    Okr__SessionListRequest sl = OKR__SESSION_LIST_REQUEST__INIT;
    return tw_ok(c, OKR__REQUEST__OP_SESSION_LIST, &sl);
}

static int session_revoke(okr_client_t *c, const char *id)
{
    Okr__SessionRevokeRequest sr = OKR__SESSION_REVOKE_REQUEST__INIT;
    sr.id = (char *)id;
    Okr__Request req = tw_request(OKR__REQUEST__OP_SESSION_REVOKE, &sr);
    return ts_call(c, &req, NULL);
}

static void test_list_and_revoke(void **state)
{
    (void)state;
    ts_start(&server, NULL);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(ts_create_user(admin, "sam", SAM_PASSWORD, OKR__ROLE__ROLE_MEMBER), OKR_OK);
    okr_client_t *laptop = ts_login(&server, "sam", SAM_PASSWORD);
    raw_sleep_ms(5);
    okr_client_t *phone = ts_login(&server, "sam", SAM_PASSWORD);
    /* The phone watches the organisation: a revoke must end that too. */
    tw_subscribe(phone, OKR__SCOPE_KIND__SCOPE_KIND_ORG, 0, 0, 0);

    Okr__Response *resp = own_sessions(laptop);
    const Okr__SessionList *l = resp->session_list;
    assert_int_equal(l->n_sessions, 2);
    assert_int_equal(l->total, 2);
    assert_string_equal(l->user->username, "sam");
    /* Newest first: the phone's, then the laptop's (this one). */
    assert_false(l->sessions[0]->current);
    assert_true(l->sessions[1]->current);
    assert_int_equal(strlen(l->sessions[0]->id), 16);
    assert_string_equal(l->sessions[0]->peer, "127.0.0.1");
    assert_true(l->sessions[0]->expires_at > l->sessions[0]->created_at);
    char phone_id[17], laptop_id[17];
    snprintf(phone_id, sizeof phone_id, "%s", l->sessions[0]->id);
    snprintf(laptop_id, sizeof laptop_id, "%s", l->sessions[1]->id);
    okr__response__free_unpacked(resp, NULL);

    assert_int_equal(session_revoke(laptop, laptop_id), OKR_E_BAD_REQUEST); /* that is logout */
    assert_int_equal(session_revoke(laptop, "12345"), OKR_E_BAD_REQUEST);   /* too short */
    assert_int_equal(session_revoke(laptop, "12345g"), OKR_E_BAD_REQUEST);  /* not hex */
    assert_int_equal(whoami(phone), OKR_OK);

    /* Eight digits, as okr shows them, in capitals: the phone is logged
     * out at once, and its token opens nothing. */
    char typed[9];
    for (int i = 0; i < 8; i++)
        typed[i] = (char)(phone_id[i] >= 'a' ? phone_id[i] - 'a' + 'A' : phone_id[i]);
    typed[8] = '\0';
    char token[128];
    snprintf(token, sizeof token, "%s", okr_client_token(phone));
    assert_int_equal(session_revoke(laptop, typed), OKR_OK);
    assert_int_equal(whoami(phone), OKR_E_UNAUTHENTICATED);
    assert_int_equal(token_status(token), OKR_E_UNAUTHENTICATED);
    assert_int_equal(session_revoke(laptop, typed), OKR_E_NOT_FOUND); /* gone */
    resp = own_sessions(laptop);
    assert_int_equal(resp->session_list->n_sessions, 1);
    assert_string_equal(resp->session_list->sessions[0]->id, laptop_id);
    okr__response__free_unpacked(resp, NULL);
    char *log = ts_read_log(&server);
    char line[64];
    snprintf(line, sizeof line, "session %.8s of user", phone_id);
    assert_non_null(strstr(log, line));
    free(log);

    /* An admin ends anyone's; the admin's own list is the admin's. */
    resp = own_sessions(admin);
    assert_int_equal(resp->session_list->n_sessions, 1);
    assert_string_equal(resp->session_list->user->username, "admin");
    okr__response__free_unpacked(resp, NULL);
    assert_int_equal(session_revoke(admin, laptop_id), OKR_OK);
    assert_int_equal(whoami(laptop), OKR_E_UNAUTHENTICATED);
    okr_client_free(phone);
    okr_client_free(laptop);
    okr_client_free(admin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sweep_while_running_and_at_start, teardown),
        cmocka_unit_test_teardown(test_cap_ends_the_oldest, teardown),
        cmocka_unit_test_teardown(test_list_and_revoke, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
