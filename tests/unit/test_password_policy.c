/* test_password_policy.c — which new passwords okrd accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "okr_error.h"
#include "password_policy.h"

/* Refused with a message that starts with want and says what to do. */
static void refused(const char *password, const char *username, const char *want)
{
    char msg[256] = "";
    int rc = okr_password_check_policy(password, username, msg, sizeof msg);
    if (rc != OKR_E_BAD_REQUEST || strncmp(msg, want, strlen(want)) != 0)
        fail_msg("'%s' for %s: got %d \"%s\", wanted \"%s...\"", password ? password : "(null)",
                 username ? username : "(no user)", rc, msg, want);
}

static void accepted(const char *password, const char *username)
{
    char msg[256] = "";
    if (okr_password_check_policy(password, username, msg, sizeof msg) != 0)
        fail_msg("'%s' for %s refused: %s", password, username ? username : "(no user)", msg);
}

static void test_length(void **state)
{
    (void)state;
    char *pw = malloc(OKR_PASSWORD_MAX + 2);
    assert_non_null(pw);
    refused("", "alice", "password must be at least 8 bytes long");
    refused(NULL, "alice", "password must be at least 8 bytes long");
    refused("tr0ub4d", NULL, "password must be at least 8 bytes long");
    accepted("tr0ub4do", NULL);

    /* the longest allowed, then one more, neither of them a pattern */
    for (size_t i = 0; i < OKR_PASSWORD_MAX + 1; i++)
        pw[i] = (char)('a' + (i * 7 + i / 26) % 26);
    pw[OKR_PASSWORD_MAX] = '\0';
    accepted(pw, "alice");
    pw[OKR_PASSWORD_MAX] = 'x';
    pw[OKR_PASSWORD_MAX + 1] = '\0';
    refused(pw, "alice", "password must be at most 1024 bytes long");

    /* A short buffer is truncated, never overrun; NULL is allowed. */
    char tiny[5];
    assert_int_equal(okr_password_check_policy("short", NULL, tiny, sizeof tiny),
                     OKR_E_BAD_REQUEST);
    assert_string_equal(tiny, "pass");
    assert_int_equal(okr_password_check_policy("short", NULL, NULL, 0), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_password_check_policy("password", NULL, NULL, 0), OKR_E_BAD_REQUEST);
    free(pw);
}

static void test_patterns(void **state)
{
    (void)state;
    refused("xxxxxxxx", NULL, "this password is one character repeated: choose another");
    refused("AAAAaaaaAAAA", NULL, "this password is one character repeated");
    refused("12121212", NULL, "this password is the same 2 characters repeated");
    refused("abcabcab", NULL, "this password is the same 3 characters repeated");
    refused("Qw3!qw3!qW3!", NULL, "this password is the same 4 characters repeated");
    refused("12345678", NULL, "this password is a run of consecutive characters");
    refused("987654321", NULL, "this password is a run of consecutive characters");
    refused("abcdefghij", NULL, "this password is a run of consecutive characters");
    refused("HGFEDCBA", NULL, "this password is a run of consecutive characters");
    /* A group of 5 repeated, or a run that turns, is not refused by these. */
    accepted("ab3deab3de", NULL);
    accepted("12345432", NULL);
    accepted("abcdefgz", NULL);
}

static void test_user_name(void **state)
{
    (void)state;
    const char *why = "this password is made of the user name: choose another";
    refused("aliceliu", "aliceliu", why);
    refused("AliceLiu", "aliceliu", why);
    refused("aliceliu2026", "aliceliu", why);
    refused("!!aliceliu!!", "aliceliu", why);
    refused("2026aliceliu", "aliceliu", why);
    refused("uilecila", "aliceliu", why);
    refused("alicealice", "alice", why);
    refused("alice.123", "alice", why);
    /* more than 4 around it, or letters: no longer just the name */
    accepted("alice12345", "alice");
    accepted("alice-password-1", "alice");
    accepted("bob-password-1", "bob");
    accepted("alicexyz", "alice");
    /* no name known (a request by id), or another user's */
    accepted("aliceliu2026", NULL);
    accepted("aliceliu2026", "");
    accepted("aliceliu2026", "bob");
}

static void test_common(void **state)
{
    (void)state;
    const char *why = "this password is one of the most common ones, which are guessed first: "
                      "choose another (a few unrelated words make a strong one";
    refused("password", NULL, why);
    refused("Password1", NULL, why);
    refused("P@ssw0rd", "alice", why);
    refused("qwertyuiop", NULL, why);
    refused("1qaz2wsx", NULL, why);
    refused("iloveyou", NULL, why);
    refused("woaini1314", NULL, why);
    refused("a123456789", NULL, why);
    refused("okrpassword", NULL, why);
    /* only the whole password counts */
    accepted("password manager of mine", NULL);
    accepted("correct horse battery staple", "alice");
    accepted("我的密码很长很长", "alice");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_user_name),
        cmocka_unit_test(test_common),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
