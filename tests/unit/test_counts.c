/* test_counts.c — the per-address and per-user connection counts
 * (server/counts.c): keys (IPv4, IPv6, IPv4-mapped IPv6, users and
 * dashboard tokens), counting up and down with entries freed at 0, growth
 * and shrinking, and the refusal log's pace, on an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "counts.h"

static okr_count_key_t v4(const char *ip)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1234)};
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    okr_count_key_t k;
    assert_int_equal(okr_count_key_addr((const struct sockaddr *)&a, &k), 0);
    return k;
}

static okr_count_key_t v6(const char *ip, uint16_t port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    okr_count_key_t k;
    assert_int_equal(okr_count_key_addr((const struct sockaddr *)&a, &k), 0);
    return k;
}

static void test_keys(void **state)
{
    (void)state;
    char name[64];
    okr_count_key_t a = v4("192.0.2.1"), b = v4("192.0.2.2");
    assert_false(okr_count_key_equal(&a, &b));
    assert_string_equal(okr_count_key_name(&a, name, sizeof name), "192.0.2.1");

    /* What a dual-stack listener sees of an IPv4 client is that client. */
    okr_count_key_t mapped = v6("::ffff:192.0.2.1", 999);
    assert_true(okr_count_key_equal(&a, &mapped));
    assert_string_equal(okr_count_key_name(&mapped, name, sizeof name), "192.0.2.1");

    /* IPv6 by the full address: the port never matters, one bit does. */
    okr_count_key_t x = v6("2001:db8::1", 1), y = v6("2001:db8::1", 2), z = v6("2001:db8::2", 1);
    assert_true(okr_count_key_equal(&x, &y));
    assert_false(okr_count_key_equal(&x, &z));
    assert_string_equal(okr_count_key_name(&x, name, sizeof name), "2001:db8::1");
    /* ::1 and 0.0.0.1 are different addresses */
    okr_count_key_t lo6 = v6("::1", 1), one = v4("0.0.0.1");
    assert_false(okr_count_key_equal(&lo6, &one));

    /* A user and a dashboard token of the same id are different keys. */
    okr_count_key_t u, d, u2;
    okr_count_key_user(7, &u);
    okr_count_key_dashboard(7, &d);
    okr_count_key_user(7, &u2);
    assert_false(okr_count_key_equal(&u, &d));
    assert_true(okr_count_key_equal(&u, &u2));
    assert_string_equal(okr_count_key_name(&u, name, sizeof name), "user 7");
    assert_string_equal(okr_count_key_name(&d, name, sizeof name), "dashboard token 7");
    okr_count_key_user(UINT64_MAX, &u);
    assert_string_equal(okr_count_key_name(&u, name, sizeof name), "user 18446744073709551615");

    struct sockaddr unix_family = {.sa_family = AF_UNIX};
    okr_count_key_t none;
    assert_int_equal(okr_count_key_addr(&unix_family, &none), -1);
    assert_int_equal(none.len, 0);
}

static void test_count_up_and_down(void **state)
{
    (void)state;
    okr_counts_t *t = okr_counts_new();
    assert_non_null(t);
    okr_count_key_t a = v4("198.51.100.7"), mapped = v6("::ffff:198.51.100.7", 1);
    okr_count_key_t u;
    okr_count_key_user(1, &u);
    assert_int_equal(okr_counts_get(t, &a), 0);
    assert_int_equal(okr_counts_add(t, &a), 0);
    assert_int_equal(okr_counts_add(t, &mapped), 0);
    assert_int_equal(okr_counts_add(t, &u), 0);
    assert_int_equal(okr_counts_get(t, &a), 2);
    assert_int_equal(okr_counts_get(t, &u), 1);
    assert_int_equal(okr_counts_size(t), 2);

    okr_counts_remove(t, &a);
    assert_int_equal(okr_counts_get(t, &a), 1);
    okr_counts_remove(t, &a);
    assert_int_equal(okr_counts_get(t, &a), 0);
    assert_int_equal(okr_counts_size(t), 1); /* freed at 0 */
    okr_counts_remove(t, &a);                /* no entry: left alone */
    assert_int_equal(okr_counts_get(t, &a), 0);
    assert_int_equal(okr_counts_size(t), 1);

    okr_count_key_t empty = {0};
    assert_int_equal(okr_counts_add(t, &empty), -1);
    okr_counts_remove(t, &empty);
    assert_int_equal(okr_counts_get(t, &empty), 0);
    okr_counts_remove(t, &u);
    assert_int_equal(okr_counts_size(t), 0);
    okr_counts_free(t);
}

/* Many keys make the table grow; when they go, it holds nothing, and every
 * count stays its own through the resizes. */
static void test_many_keys(void **state)
{
    (void)state;
    okr_counts_t *t = okr_counts_new();
    assert_non_null(t);
    enum { N = 5000 };
    for (uint32_t i = 0; i < N; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u + i)};
        okr_count_key_t k;
        okr_count_key_addr((const struct sockaddr *)&a, &k);
        for (uint32_t j = 0; j <= i % 3; j++)
            assert_int_equal(okr_counts_add(t, &k), 0);
    }
    assert_int_equal(okr_counts_size(t), N);
    for (uint32_t i = 0; i < N; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u + i)};
        okr_count_key_t k;
        okr_count_key_addr((const struct sockaddr *)&a, &k);
        assert_int_equal(okr_counts_get(t, &k), i % 3 + 1);
        for (uint32_t j = 0; j <= i % 3; j++)
            okr_counts_remove(t, &k);
        assert_int_equal(okr_counts_get(t, &k), 0);
    }
    assert_int_equal(okr_counts_size(t), 0);
    okr_count_key_t a = v4("10.0.0.1");
    assert_int_equal(okr_counts_add(t, &a), 0);
    assert_int_equal(okr_counts_get(t, &a), 1);
    okr_counts_free(t); /* frees what is left */
}

/* A flood of refusals is one line every OKR_COUNTS_LOG_EVERY_MS per key,
 * each counting those not logged since the last. */
static void test_refusal_log_pace(void **state)
{
    (void)state;
    okr_counts_t *t = okr_counts_new();
    assert_non_null(t);
    okr_count_key_t a = v4("203.0.113.9"), b = v4("203.0.113.10");
    okr_counts_add(t, &a);
    okr_counts_add(t, &b);
    uint64_t n = 0;
    assert_int_equal(okr_counts_refused(t, &a, 1000, &n), 1);
    assert_int_equal(n, 1);
    for (int i = 0; i < 100; i++)
        assert_int_equal(okr_counts_refused(t, &a, 1000 + (uint64_t)i * 10, &n), 0);
    /* another address has its own pace */
    assert_int_equal(okr_counts_refused(t, &b, 1500, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(okr_counts_refused(t, &a, 1000 + OKR_COUNTS_LOG_EVERY_MS - 1, &n), 0);
    assert_int_equal(okr_counts_refused(t, &a, 1000 + OKR_COUNTS_LOG_EVERY_MS, &n), 1);
    assert_int_equal(n, 102); /* the 101 not logged, and this one */
    assert_int_equal(okr_counts_refused(t, &a, 1000 + OKR_COUNTS_LOG_EVERY_MS + 1, &n), 0);

    /* The pace goes with the entry: an address that left and came back is
     * logged again at once (it had to open its connections again first). */
    okr_counts_remove(t, &a);
    okr_counts_add(t, &a);
    assert_int_equal(okr_counts_refused(t, &a, 1000 + OKR_COUNTS_LOG_EVERY_MS + 2, &n), 1);
    assert_int_equal(n, 1);
    /* a key with no entry is always logged, as one */
    okr_count_key_t c = v4("203.0.113.11");
    assert_int_equal(okr_counts_refused(t, &c, 5, &n), 1);
    assert_int_equal(okr_counts_refused(t, &c, 6, &n), 1);
    assert_int_equal(n, 1);
    okr_counts_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_count_up_and_down),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_refusal_log_pace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
