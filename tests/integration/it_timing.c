/* Integration: a login for an unknown user costs the same as one with a wrong
 * password (okrd hashes a dummy password for unknown users), so response
 * times do not tell which usernames exist. Throttling itself (it engages and
 * its delay grows) is tested in it_throttle.c; here it is turned off
 * (login_free_failures = 100000) and argon2id runs at its production cost, so
 * that skipping the hash would show as a difference of tens of milliseconds.
 *
 * ATTEMPTS of each kind, interleaved (so load on the machine hits both
 * alike); the medians must agree within 30 % or 15 ms, whichever is larger —
 * robust on a loaded 2-core machine, while a missing hash (a few ms against
 * a few tens) fails it. */
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

#define ATTEMPTS     21
#define MARGIN_RATIO 0.30
#define MARGIN_MS    15.0

static okr_test_server_t server;

static double now_msf(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* One failed login; its round trip in ms. The answer must be the same
 * UNAUTHENTICATED with the same message whatever the reason. */
static double timed_failure(okr_client_t *c, const char *user, char *msg, size_t msglen)
{
    double t0 = now_msf();
    int rc = okr_client_login(c, user, "not-the-password", NULL);
    double ms = now_msf() - t0;
    assert_int_equal(rc, OKR_E_UNAUTHENTICATED);
    snprintf(msg, msglen, "%s", okr_client_error(c));
    return ms;
}

static void test_unknown_user_costs_the_same_as_wrong_password(void **state)
{
    (void)state;
    const char *extra[] = {"--login-free-failures",
                           "100000",
                           "--kdf-memory-kib",
                           "19456",
                           "--kdf-iterations",
                           "2",
                           "--rate-limit-rps",
                           "0",
                           NULL};
    ts_start(&server, extra);
    okr_client_t *admin = ts_login(&server, "admin", TS_ADMIN_PASSWORD);
    assert_int_equal(
        ts_create_user(admin, "existing", "the-right-password", OKR__ROLE__ROLE_MEMBER), OKR_OK);
    okr_client_free(admin);

    okr_client_t *c = ts_connect(&server);
    double known[ATTEMPTS], unknown[ATTEMPTS];
    char msg_known[256], msg_unknown[256];
    /* One of each first, untimed: warms caches and the hash threads. */
    timed_failure(c, "existing", msg_known, sizeof msg_known);
    timed_failure(c, "nobody-by-this-name", msg_unknown, sizeof msg_unknown);
    for (int i = 0; i < ATTEMPTS; i++) {
        if (i % 2 == 0) {
            known[i] = timed_failure(c, "existing", msg_known, sizeof msg_known);
            unknown[i] = timed_failure(c, "nobody-by-this-name", msg_unknown, sizeof msg_unknown);
        } else {
            unknown[i] = timed_failure(c, "nobody-by-this-name", msg_unknown, sizeof msg_unknown);
            known[i] = timed_failure(c, "existing", msg_known, sizeof msg_known);
        }
    }
    okr_client_free(c);
    assert_string_equal(msg_known, msg_unknown); /* the same answer */

    double mk = median(known, ATTEMPTS), mu = median(unknown, ATTEMPTS);
    double diff = mk > mu ? mk - mu : mu - mk;
    double bigger = mk > mu ? mk : mu;
    double allowed = bigger * MARGIN_RATIO > MARGIN_MS ? bigger * MARGIN_RATIO : MARGIN_MS;
    printf("failed login, median of %d: wrong password %.1f ms, unknown user %.1f ms "
           "(difference %.1f ms, allowed %.1f ms)\n",
           ATTEMPTS, mk, mu, diff, allowed);
    assert_true(diff <= allowed);
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
        cmocka_unit_test(test_unknown_user_costs_the_same_as_wrong_password),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
