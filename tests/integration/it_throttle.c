/* Integration: failed logins are throttled per user and per address, with
 * delays that grow, against a real okrd. */
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

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The "try again in N s" figure of a RATE_LIMITED message. */
static int wait_seconds(const char *msg)
{
    const char *p = strstr(msg, "try again in ");
    assert_non_null(p);
    return atoi(p + strlen("try again in "));
}

static void test_failed_logins_throttled_with_growing_delay(void **state)
{
    (void)state;
    static const char *const extra[] = {"--login-free-failures",
                                        "2",
                                        "--login-delay-base-ms",
                                        "1500",
                                        "--login-delay-max-ms",
                                        "20000",
                                        NULL};
    ts_start(&server, extra);
    okr_client_t *c = ts_connect(&server);

    /* The free failures, then the one that starts the delay. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(okr_client_login(c, "admin", "wrong-password", NULL),
                         OKR_E_UNAUTHENTICATED);
    /* Now even the right password is refused until the delay passed. */
    assert_int_equal(okr_client_login(c, "admin", TS_ADMIN_PASSWORD, NULL), OKR_E_RATE_LIMITED);
    int first = wait_seconds(okr_client_error(c));
    assert_true(first >= 1 && first <= 2);
    /* The address is throttled too: another name from here waits as well. */
    assert_int_equal(okr_client_login(c, "someone-else", "whatever-pass", NULL),
                     OKR_E_RATE_LIMITED);

    sleep_ms(1700);
    assert_int_equal(okr_client_login(c, "admin", "wrong-again", NULL), OKR_E_UNAUTHENTICATED);
    assert_int_equal(okr_client_login(c, "admin", TS_ADMIN_PASSWORD, NULL), OKR_E_RATE_LIMITED);
    int second = wait_seconds(okr_client_error(c));
    assert_true(second >= 3); /* doubled */
    assert_true(second > first);

    /* Once the delay has passed, the right password works. */
    sleep_ms(second * 1000 + 200);
    assert_int_equal(okr_client_login(c, "admin", TS_ADMIN_PASSWORD, NULL), OKR_OK);
    okr_client_free(c);

    char *log = ts_read_log(&server);
    assert_non_null(strstr(log, "failed login for \"admin\""));
    free(log);
    ts_stop(&server);
    ts_cleanup(&server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_logins_throttled_with_growing_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
