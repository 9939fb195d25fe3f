/* Unit tests: okr_suggest, the "did you mean" of okr's commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "suggest.h"

static const char *const commands[] = {"login",  "logout", "whoami", "checkin", "history",
                                       "obj",    "kr",     "task",   "tree",    "team",
                                       "review", "report", "help"};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char *suggest(const char *typed)
{
    return okr_suggest(typed, commands, NCOMMANDS);
}

static void test_typos(void **state)
{
    (void)state;
    assert_string_equal(suggest("chekin"), "checkin");   /* a letter dropped */
    assert_string_equal(suggest("checkinn"), "checkin"); /* added */
    assert_string_equal(suggest("chcekin"), "checkin");  /* two swapped */
    assert_string_equal(suggest("histroy"), "history");
    assert_string_equal(suggest("whomai"), "whoami");
    assert_string_equal(suggest("tasks"), "task"); /* a plural */
    assert_string_equal(suggest("ob"), "obj");
    assert_string_equal(suggest("k"), "kr");
    assert_string_equal(suggest("hepl"), "help");
}

static void test_closest_wins(void **state)
{
    (void)state;
    /* "logn" is 1 from login and 2 from logout. */
    assert_string_equal(suggest("logn"), "login");
    assert_string_equal(suggest("tram"), "team"); /* 1 from team, 2 from tree */
    /* A tie goes to the first listed. */
    static const char *const two[] = {"add", "and"};
    assert_string_equal(okr_suggest("ahd", two, 2), "add");
}

static void test_prefixes(void **state)
{
    (void)state;
    assert_string_equal(suggest("hist"), "history"); /* the only one it begins */
    assert_null(suggest("re"));                      /* review or report: no guess */
}

static void test_nothing_close(void **state)
{
    (void)state;
    assert_null(suggest("deploy"));
    assert_null(suggest("x"));
    assert_null(suggest(""));
    assert_null(suggest("objx1")); /* 2 edits from a 3-letter name is too far */
    char long_word[64];
    memset(long_word, 'a', sizeof long_word - 1);
    long_word[sizeof long_word - 1] = '\0';
    assert_null(suggest(long_word));
    assert_null(okr_suggest("chekin", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typos),
        cmocka_unit_test(test_closest_wins),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_nothing_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
