/* Unit tests for field validation and display width (common/validate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "okr_error.h"
#include "validate.h"

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(okr_utf8_valid("hello", 5));
    assert_true(okr_utf8_valid("提高客户满意度", strlen("提高客户满意度")));
    assert_true(okr_utf8_valid("emoji 🎯", strlen("emoji 🎯")));
    assert_true(okr_utf8_valid("", 0));
}

static void test_utf8_invalid(void **state)
{
    (void)state;
    assert_false(okr_utf8_valid("\xff", 1));             /* never valid */
    assert_false(okr_utf8_valid("\xc3", 1));             /* truncated sequence */
    assert_false(okr_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(okr_utf8_valid("\xed\xa0\x80", 3));     /* UTF-16 surrogate */
    assert_false(okr_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(okr_utf8_valid("a\0b", 3));             /* embedded NUL */
    assert_false(okr_utf8_valid("\xe6\x8f", 2));         /* cut Chinese character */
}

static void test_check_string(void **state)
{
    (void)state;
    char msg[128];
    assert_int_equal(okr_check_string("title", "Ship it", 1, 10, msg, sizeof msg), 0);
    assert_int_equal(okr_check_string("title", "", 1, 10, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "title"));
    assert_int_equal(okr_check_string("title", "01234567890", 1, 10, msg, sizeof msg),
                     OKR_E_BAD_REQUEST);
    assert_int_equal(okr_check_string("note", "", 0, 10, msg, sizeof msg), 0);
    assert_int_equal(okr_check_string("note", "\xff", 0, 10, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "UTF-8"));
}

static void test_check_finite(void **state)
{
    (void)state;
    char msg[128];
    assert_int_equal(okr_check_finite("target", 1.5, msg, sizeof msg), 0);
    assert_int_equal(okr_check_finite("target", -0.0, msg, sizeof msg), 0);
    assert_int_equal(okr_check_finite("target", NAN, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_check_finite("target", INFINITY, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_int_equal(okr_check_finite("target", -INFINITY, msg, sizeof msg), OKR_E_BAD_REQUEST);
    assert_non_null(strstr(msg, "target"));
}

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(okr_display_width("abc"), 3);
    assert_int_equal(okr_display_width("提高"), 4); /* wide: 2 columns each */
    assert_int_equal(okr_display_width("OKR 目标"), 8);
    assert_int_equal(okr_display_width("e\xcc\x81"), 1); /* e + combining acute */
    assert_int_equal(okr_display_width(""), 0);
    /* emoji count code point by code point, as ncurses and wcwidth do */
    assert_int_equal(okr_display_width("\xf0\x9f\x9a\x80"), 2);                 /* rocket */
    assert_int_equal(okr_display_width("\xf0\x9f\x91\x8b\xf0\x9f\x8f\xbd"), 4); /* wave, tone */
    assert_int_equal(okr_display_width("\xe2\x98\x80\xef\xb8\x8f"), 1);         /* sun + VS16 */
    assert_int_equal(okr_display_width("\xf0\x9f\x9a\x80 Launch \xe4\xb8\x8a\xe7\xba\xbf"),
                     14); /* rocket, " Launch ", 上线 */
    assert_int_equal(okr_display_width("a\xff"
                                       "b"),
                     3); /* an invalid byte: 1 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),    cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_check_string),  cmocka_unit_test(test_check_finite),
        cmocka_unit_test(test_display_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
