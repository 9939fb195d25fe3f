/* Integration: login sessions that do not pile up, against a real okrd.
 *
 * - The sweep: expired sessions are deleted while okrd runs (every
 *   session_sweep_s) and at start, with one log line per sweep and Stats'
 *   sessions_expired.
 * - The cap: a login beyond max_sessions_per_user ends the user's oldest
 *   session; its connection is logged out at once (its next request is
 *   UNAUTHENTICATED) and its token opens nothing; Stats' sessions_evicted.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sweep_while_running_and_at_start, teardown),
        cmocka_unit_test_teardown(test_cap_ends_the_oldest, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
