/* Unit tests for what the okr CLI shows people and parses from them:
 * short ids (client/refs.c), bars, values, dates, truncation and tables
 * (client/render.c), and the JSON converters (client/json_out.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "json_out.h"
#include "refs.h"
#include "render.h"
#include "validate.h"

#define DAY_MS (24LL * 3600 * 1000)

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static int setup(void **state)
{
    (void)state;
    setenv("NO_COLOR", "1", 1); /* deterministic output, terminal or not */
    set_tz("UTC");
    return 0;
}

/* ---------------------------------------------------------------- refs */

static void test_ref_parse(void **state)
{
    (void)state;
    uint64_t id = 0;
    assert_int_equal(okr_ref_parse("O12", OKR_REF_OBJECTIVE, &id), 0);
    assert_int_equal(id, 12);
    assert_int_equal(okr_ref_parse("o7", OKR_REF_OBJECTIVE, &id), 0);
    assert_int_equal(id, 7);
    assert_int_equal(okr_ref_parse("K34", OKR_REF_KEY_RESULT, &id), 0);
    assert_int_equal(id, 34);
    assert_int_equal(okr_ref_parse("t5", OKR_REF_TASK, &id), 0);
    assert_int_equal(id, 5);
    assert_int_equal(okr_ref_parse("C9", OKR_REF_CHECKIN, &id), 0);
    assert_int_equal(id, 9);
    assert_int_equal(okr_ref_parse("42", OKR_REF_KEY_RESULT, &id), 0); /* bare number */
    assert_int_equal(id, 42);
    assert_int_equal(okr_ref_parse("#8", OKR_REF_OBJECTIVE, &id), 0); /* raw id */
    assert_int_equal(id, 8);
    assert_int_equal(okr_ref_parse("18446744073709551615", OKR_REF_TASK, &id), 0);
    assert_true(id == UINT64_MAX);

    id = 99;
    assert_int_equal(okr_ref_parse("K12", OKR_REF_OBJECTIVE, &id), -1); /* wrong kind */
    assert_int_equal(okr_ref_parse("O", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse(NULL, OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("O0", OKR_REF_OBJECTIVE, &id), -1); /* 0 is "none" */
    assert_int_equal(okr_ref_parse("O-1", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("O+1", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("O12x", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("O 12", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("OO12", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("O18446744073709551616", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(okr_ref_parse("#", OKR_REF_OBJECTIVE, &id), -1);
    assert_int_equal(id, 99); /* untouched on failure */
}

static void test_ref_parse_any_and_format(void **state)
{
    (void)state;
    okr_ref_kind_t kind;
    uint64_t id;
    assert_int_equal(okr_ref_parse_any("k34", &kind, &id), 0);
    assert_int_equal(kind, OKR_REF_KEY_RESULT);
    assert_int_equal(id, 34);
    assert_int_equal(okr_ref_parse_any("O1", &kind, &id), 0);
    assert_int_equal(kind, OKR_REF_OBJECTIVE);
    assert_int_equal(okr_ref_parse_any("12", &kind, &id), -1); /* the kind is unknown */
    assert_int_equal(okr_ref_parse_any("X12", &kind, &id), -1);
    assert_int_equal(okr_ref_parse_any("K", &kind, &id), -1);

    char buf[32];
    assert_string_equal(okr_ref_format(OKR_REF_OBJECTIVE, 12, buf, sizeof buf), "O12");
    assert_string_equal(okr_ref_format(OKR_REF_KEY_RESULT, 34, buf, sizeof buf), "K34");
    assert_string_equal(okr_ref_format(OKR_REF_TASK, 5, buf, sizeof buf), "T5");
    assert_string_equal(okr_ref_format(OKR_REF_CHECKIN, 7, buf, sizeof buf), "C7");
    /* round trip */
    assert_int_equal(okr_ref_parse(buf, OKR_REF_CHECKIN, &id), 0);
    assert_int_equal(id, 7);
}

/* ---------------------------------------------------------------- bars */

static void test_bar(void **state)
{
    (void)state;
    char buf[256];
    const Okr__ProgressStatus on = OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK;
    assert_int_equal(okr_render_color(), 0); /* NO_COLOR */
    assert_string_equal(okr_render_bar(0.7, 10, on, buf, sizeof buf),
                        "\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2591\u2591\u2591  70%");
    assert_string_equal(okr_render_bar(0, 10, on, buf, sizeof buf),
                        "\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591   0%");
    assert_string_equal(okr_render_bar(1, 4, on, buf, sizeof buf), "\u2588\u2588\u2588\u2588 100%");
    /* eighths: 5% of 10 cells is half a cell */
    assert_string_equal(okr_render_bar(0.05, 10, on, buf, sizeof buf),
                        "\u258c\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591   5%");
    /* clamped; NaN is 0 */
    assert_string_equal(okr_render_bar(1.5, 4, on, buf, sizeof buf),
                        "\u2588\u2588\u2588\u2588 100%");
    assert_string_equal(okr_render_bar(-1, 4, on, buf, sizeof buf),
                        "\u2591\u2591\u2591\u2591   0%");
    assert_string_equal(okr_render_bar(NAN, 4, on, buf, sizeof buf),
                        "\u2591\u2591\u2591\u2591   0%");
    /* 0.29 * 100 is 28.999...: still 29%; 0.999 is not yet 100% */
    assert_non_null(strstr(okr_render_bar(0.29, 10, on, buf, sizeof buf), " 29%"));
    assert_non_null(strstr(okr_render_bar(0.999, 10, on, buf, sizeof buf), " 99%"));
    /* the display width is width + 5 for every value */
    for (int i = 0; i <= 100; i++) {
        okr_render_bar(i / 100.0, 12, on, buf, sizeof buf);
        assert_int_equal(okr_display_width(buf), 17);
    }
    /* a buffer too small gets whole pieces only, never half a character */
    char tiny[8];
    okr_render_bar(1, 10, on, tiny, sizeof tiny);
    assert_true(okr_utf8_valid(tiny, strlen(tiny)));
    assert_int_equal(strlen(tiny), 6); /* two blocks of three bytes */
}

static void test_bar_color(void **state)
{
    (void)state;
    /* Colour needs a terminal: under the test runner stdout is not one, so
     * even without NO_COLOR the output stays plain... */
    unsetenv("NO_COLOR");
    char buf[256];
    okr_render_bar(0.5, 4, OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK, buf, sizeof buf);
    if (!okr_render_color())
        assert_null(strchr(buf, '\033'));
    else
        assert_non_null(strstr(buf, "\033[31m"));
    setenv("NO_COLOR", "1", 1);
    /* ...and the colour codes of statuses and grades are fixed */
    assert_string_equal(okr_render_status_sgr(OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK),
                        "32");
    assert_string_equal(okr_render_status_sgr(OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK), "33");
    assert_string_equal(okr_render_status_sgr(OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK),
                        "31");
    assert_null(okr_render_status_sgr(OKR__PROGRESS_STATUS__PROGRESS_STATUS_UNSPECIFIED));
    assert_string_equal(okr_render_grade_sgr(OKR_GRADE_GREEN), "32");
    assert_string_equal(okr_render_grade_sgr(OKR_GRADE_RED), "31");
}

static void test_status_and_score(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(
        okr_render_status(OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK, buf, sizeof buf),
        "on track");
    assert_string_equal(
        okr_render_status(OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK, buf, sizeof buf),
        "at risk");
    assert_string_equal(
        okr_render_status(OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK, buf, sizeof buf),
        "off track");
    assert_string_equal(okr_render_score(0.7, buf, sizeof buf), "0.70 green");
    assert_string_equal(okr_render_score(0.69, buf, sizeof buf), "0.69 yellow");
    assert_string_equal(okr_render_score(0.4, buf, sizeof buf), "0.40 yellow");
    assert_string_equal(okr_render_score(0.39, buf, sizeof buf), "0.39 red");
    assert_string_equal(okr_render_score(1, buf, sizeof buf), "1.00 green");
}

/* ---------------------------------------------------------------- values */

static const char *value(Okr__Metric metric, const char *unit, double v, char *buf, size_t len)
{
    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    kr.metric = metric;
    kr.unit = (char *)unit;
    return okr_render_value(&kr, v, buf, len);
}

static void test_value(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "", 42, b, sizeof b), "42");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "customers", 42, b, sizeof b),
                        "42 customers");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "ms", 3.5, b, sizeof b), "3.5 ms");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "", 0.25, b, sizeof b), "0.25");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "", 2.0 / 3.0, b, sizeof b), "0.67");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "", -0.001, b, sizeof b), "0");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "%", 42, b, sizeof b), "42%");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "用户", 50000, b, sizeof b),
                        "50000 用户");
    assert_string_equal(value(OKR__METRIC__METRIC_PERCENT, "%", 42.5, b, sizeof b), "42.5%");
    assert_string_equal(value(OKR__METRIC__METRIC_PERCENT, "", 80, b, sizeof b), "80%");
    assert_string_equal(value(OKR__METRIC__METRIC_CURRENCY, "$", 1200, b, sizeof b), "$1,200");
    assert_string_equal(value(OKR__METRIC__METRIC_CURRENCY, "USD", 1200, b, sizeof b), "1,200 USD");
    assert_string_equal(value(OKR__METRIC__METRIC_CURRENCY, "\u20ac", -1234567.5, b, sizeof b),
                        "\u20ac-1,234,567.5");
    assert_string_equal(value(OKR__METRIC__METRIC_CURRENCY, "", 999, b, sizeof b), "999");
    assert_string_equal(value(OKR__METRIC__METRIC_CURRENCY, "", 1000, b, sizeof b), "1,000");
    assert_string_equal(value(OKR__METRIC__METRIC_BOOLEAN, "", 1, b, sizeof b), "done");
    assert_string_equal(value(OKR__METRIC__METRIC_BOOLEAN, "", 0, b, sizeof b), "not done");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "", NAN, b, sizeof b), "?");
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, "", INFINITY, b, sizeof b), "?");
    /* NULL unit (a hand-built message) */
    assert_string_equal(value(OKR__METRIC__METRIC_NUMBER, NULL, 7, b, sizeof b), "7");
}

/* ---------------------------------------------------------------- dates */

static void test_date_format(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(okr_render_date(0, buf, sizeof buf), "-");
    assert_string_equal(okr_render_date(1774915200000LL, buf, sizeof buf), "2026-03-31");
    assert_string_equal(okr_render_date(1774915200000LL + DAY_MS - 1, buf, sizeof buf),
                        "2026-03-31");
    set_tz("Asia/Shanghai"); /* UTC+8: 2026-03-31T20:00Z is already April 1st there */
    assert_string_equal(okr_render_date(1774915200000LL + 20 * 3600 * 1000LL, buf, sizeof buf),
                        "2026-04-01");
    set_tz("UTC");
}

static void test_date_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(okr_render_parse_date("2026-03-31", 0, &ms), 0);
    assert_true(ms == 1774915200000LL);
    assert_int_equal(okr_render_parse_date("2026-03-31", 1, &ms), 0);
    assert_true(ms == 1774915200000LL + DAY_MS - 1);
    assert_int_equal(okr_render_parse_date("2024-02-29", 0, &ms), 0); /* leap day */

    const char *bad[] = {"2026-02-29", "2026-13-01", "2026-00-10",  "2026-3-1",
                         "2026/03/31", "26-03-31",   "2026-03-31x", "",
                         "+",          "+d",         "+7x",         "+-7d",
                         "7d",         "Today",      "+1e3d",       "1969-12-31"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ms = 42;
        assert_int_equal(okr_render_parse_date(bad[i], 0, &ms), -1);
        assert_true(ms == 42);
    }
    assert_int_equal(okr_render_parse_date(NULL, 0, &ms), -1);
}

static void test_date_relative(void **state)
{
    (void)state;
    int64_t today, week, yesterday, end;
    assert_int_equal(okr_render_parse_date("today", 0, &today), 0);
    assert_int_equal(okr_render_parse_date("+7d", 0, &week), 0);
    assert_int_equal(okr_render_parse_date("-1d", 0, &yesterday), 0);
    assert_int_equal(okr_render_parse_date("today", 1, &end), 0);
    assert_true(today % DAY_MS == 0); /* UTC midnight */
    assert_true(today <= okr_wall_ms() && okr_wall_ms() <= end);
    assert_true(week - today == 7 * DAY_MS);
    assert_true(today - yesterday == DAY_MS);
    assert_true(end - today == DAY_MS - 1);
    int64_t w2;
    assert_int_equal(okr_render_parse_date("+2w", 0, &w2), 0);
    assert_true(w2 - today == 14 * DAY_MS);
    char a[32], b[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(b, sizeof b, "%Y-%m-%d", &tm);
    assert_string_equal(okr_render_date(today, a, sizeof a), b);
}

/* --at's moments: a date and time in local time, or a day taken at its end. */
static void test_when_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(okr_render_parse_when("2026-03-31 17:30", &ms), 0);
    assert_true(ms == 1774915200000LL + (17 * 60 + 30) * 60000LL);
    assert_int_equal(okr_render_parse_when("2026-03-31T17:30:15", &ms), 0);
    assert_true(ms == 1774915200000LL + (17 * 60 + 30) * 60000LL + 15000);
    assert_int_equal(okr_render_parse_when("2026-03-31", &ms), 0); /* the day's end */
    assert_true(ms == 1774915200000LL + DAY_MS - 1);
    set_tz("Asia/Shanghai"); /* local time: 08:00 there is midnight UTC */
    assert_int_equal(okr_render_parse_when("2026-03-31 08:00", &ms), 0);
    assert_true(ms == 1774915200000LL);
    set_tz("UTC");
    int64_t yesterday_end, today;
    assert_int_equal(okr_render_parse_when("yesterday", &yesterday_end), 0);
    assert_int_equal(okr_render_parse_date("today", 0, &today), 0);
    assert_true(yesterday_end == today - 1);

    const char *bad[] = {"2026-03-31 24:00",
                         "2026-03-31 17:60",
                         "2026-03-31 17:30:60",
                         "2026-03-31 7:30",
                         "2026-03-31x17:30",
                         "2026-02-30 10:00",
                         "2026-03-31 17:30:",
                         "17:30",
                         "",
                         "2026-03-31 17:3a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ms = 42;
        assert_int_equal(okr_render_parse_when(bad[i], &ms), -1);
        assert_true(ms == 42);
    }
    assert_int_equal(okr_render_parse_when(NULL, &ms), -1);
}

/* Sparklines: eight heights of [0, 1], the latest values when cut. */
static void test_spark(void **state)
{
    (void)state;
    char buf[64];
    const double v[] = {0.0, 0.14, 0.5, 0.93, 1.0, 1.7, -0.2, NAN};
    assert_string_equal(okr_render_spark(v, 8, buf, sizeof buf),
                        "\u2581\u2582\u2585\u2588\u2588\u2588\u2581\u2581");
    assert_string_equal(okr_render_spark(v, 0, buf, sizeof buf), "");
    /* room for 2 of 5: the last two */
    char small[7];
    const double w[] = {0.0, 0.0, 0.0, 1.0, 0.5};
    assert_string_equal(okr_render_spark(w, 5, small, sizeof small), "\u2588\u2585");
    assert_int_equal(okr_display_width(okr_render_spark(v, 8, buf, sizeof buf)), 8);

    /* the last weeks, ending at the progress now */
    const double weeks[] = {0.0, 0.2, 0.4, 0.6, 0.8};
    assert_string_equal(okr_render_spark_recent(weeks, 5, 3, 1.0, buf, sizeof buf),
                        "\u2584\u2585\u2588");
    assert_string_equal(okr_render_spark_recent(weeks, 1, 3, 1.0, buf, sizeof buf), "");
    assert_string_equal(okr_render_spark_recent(NULL, 0, 3, 1.0, buf, sizeof buf), "");
}

static void test_date_dst(void **state)
{
    (void)state;
    /* Berlin moves its clocks on 2026-03-29: that day has 23 hours. Dates
     * must still land on local midnight and print back as themselves. */
    set_tz("Europe/Berlin");
    int64_t d28, d29, d30, end29;
    char buf[32];
    assert_int_equal(okr_render_parse_date("2026-03-28", 0, &d28), 0);
    assert_int_equal(okr_render_parse_date("2026-03-29", 0, &d29), 0);
    assert_int_equal(okr_render_parse_date("2026-03-30", 0, &d30), 0);
    assert_int_equal(okr_render_parse_date("2026-03-29", 1, &end29), 0);
    if (d29 - d28 == DAY_MS && d30 - d29 == DAY_MS) {
        set_tz("UTC"); /* no zone data on this machine: nothing to test */
        skip();
    }
    assert_true(d29 - d28 == DAY_MS);
    assert_true(d30 - d29 == 23 * 3600 * 1000LL);
    assert_true(end29 == d30 - 1);
    assert_string_equal(okr_render_date(d29, buf, sizeof buf), "2026-03-29");
    assert_string_equal(okr_render_date(end29, buf, sizeof buf), "2026-03-29");
    set_tz("UTC");
}

static void test_ago(void **state)
{
    (void)state;
    char b[64];
    const int64_t now = 1774915200000LL;
    assert_string_equal(okr_render_ago(0, now, b, sizeof b), "never");
    assert_string_equal(okr_render_ago(now - 30 * 1000, now, b, sizeof b), "just now");
    assert_string_equal(okr_render_ago(now + 30 * 1000, now, b, sizeof b), "just now");
    assert_string_equal(okr_render_ago(now - 60 * 1000, now, b, sizeof b), "1 minute ago");
    assert_string_equal(okr_render_ago(now - 5 * 60 * 1000, now, b, sizeof b), "5 minutes ago");
    assert_string_equal(okr_render_ago(now - 2 * 3600 * 1000LL, now, b, sizeof b), "2 hours ago");
    assert_string_equal(okr_render_ago(now - DAY_MS, now, b, sizeof b), "1 day ago");
    assert_string_equal(okr_render_ago(now - 3 * DAY_MS, now, b, sizeof b), "3 days ago");
    assert_string_equal(okr_render_ago(now - 13 * DAY_MS, now, b, sizeof b), "13 days ago");
    assert_string_equal(okr_render_ago(now - 21 * DAY_MS, now, b, sizeof b), "3 weeks ago");
    assert_string_equal(okr_render_ago(now - 90 * DAY_MS, now, b, sizeof b), "3 months ago");
    assert_string_equal(okr_render_ago(now - 800 * DAY_MS, now, b, sizeof b), "2 years ago");
    assert_string_equal(okr_render_ago(now + 3 * DAY_MS, now, b, sizeof b), "in 3 days");
    /* Any int64 from the server, without overflowing (found by fuzz_args). */
    assert_string_equal(okr_render_ago(INT64_MIN, INT64_MAX, b, sizeof b), "584942417 years ago");
    assert_string_equal(okr_render_ago(INT64_MAX, INT64_MIN, b, sizeof b), "in 584942417 years");
}

/* ---------------------------------------------------------------- truncation */

static void test_truncate(void **state)
{
    (void)state;
    char b[128];
    assert_string_equal(okr_render_truncate("hello", 10, b, sizeof b), "hello");
    assert_string_equal(okr_render_truncate("hello", 5, b, sizeof b), "hello");
    assert_string_equal(okr_render_truncate("hello world", 5, b, sizeof b), "hell\u2026");
    assert_string_equal(okr_render_truncate("", 5, b, sizeof b), "");
    assert_string_equal(okr_render_truncate(NULL, 5, b, sizeof b), "");
    /* wide characters: 2 columns each, never cut in half */
    assert_string_equal(okr_render_truncate("提高客户满意度", 14, b, sizeof b), "提高客户满意度");
    assert_string_equal(okr_render_truncate("提高客户满意度", 7, b, sizeof b), "提高客\u2026");
    assert_string_equal(okr_render_truncate("提高客户满意度", 6, b, sizeof b), "提高\u2026");
    assert_int_equal(okr_display_width(b), 5);
    /* a combining accent stays with its letter (e + U+0301) */
    assert_string_equal(okr_render_truncate("e\xcc\x81"
                                            "e\xcc\x81"
                                            "e\xcc\x81",
                                            2, b, sizeof b),
                        "e\xcc\x81\u2026");
    /* a family emoji joined by ZWJ is one cluster: kept whole or dropped whole */
    const char *family = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7";
    char text[64];
    snprintf(text, sizeof text, "ab%sxyz", family);
    okr_render_truncate(text, 3, b, sizeof b);
    assert_string_equal(b, "ab\u2026");
    okr_render_truncate(text, 5, b, sizeof b); /* room for the man alone: not cut there */
    assert_string_equal(b, "ab\u2026");
    /* a small buffer: cut by bytes too, on a character boundary */
    char tiny[10];
    okr_render_truncate("提高客户满意度", 40, tiny, sizeof tiny);
    assert_true(okr_utf8_valid(tiny, strlen(tiny)));
    assert_string_equal(tiny, "提高\u2026");
    /* every width and every cut is valid UTF-8 within the width */
    for (size_t w = 0; w < 16; w++) {
        okr_render_truncate("OKR 目标: 提高客户满意度 🎯", w, b, sizeof b);
        assert_true(okr_utf8_valid(b, strlen(b)));
        assert_true(okr_display_width(b) <= w);
    }
}

/* ---------------------------------------------------------------- tables */

static const char *color_col1(void *arg, size_t row, size_t col)
{
    (void)arg;
    return row > 0 && col == 1 ? "32" : NULL;
}

static void test_table(void **state)
{
    (void)state;
    char *cells[] = {"ID",    "TITLE", "OWNER",   "O1", "提高客户满意度",
                     "alice", "O12",   "Ship v2", "bob"};
    okr_cli_table_t t = {.ncols = 3, .nrows = 3, .cap = 3, .cells = cells};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    okr_render_table_print(&t, f, color_col1, NULL); /* NO_COLOR: no escapes */
    fclose(f);
    assert_string_equal(text, "ID   TITLE           OWNER\n"
                              "O1   提高客户满意度  alice\n"
                              "O12  Ship v2         bob\n");
    free(text);
}

/* One percent everywhere: rounded down, so 100% only when done. */
static void test_pct(void **state)
{
    (void)state;
    assert_int_equal(okr_render_pct(0.4972), 49);
    assert_int_equal(okr_render_pct(0.29), 29); /* 28.999... */
    assert_int_equal(okr_render_pct(0.999), 99);
    assert_int_equal(okr_render_pct(1.0), 100);
    assert_int_equal(okr_render_pct(1.7), 100);
    assert_int_equal(okr_render_pct(-0.2), 0);
    assert_int_equal(okr_render_pct(NAN), 0);
}

/* A score is shown as its percentage is: rounded down. */
static void test_score_num(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(okr_render_score_num(0.775, buf, sizeof buf), "0.77");
    assert_string_equal(okr_render_score_num(0.6999, buf, sizeof buf), "0.69");
    assert_string_equal(okr_render_score_num(0.7, buf, sizeof buf), "0.70");
    assert_string_equal(okr_render_score_num(1.0, buf, sizeof buf), "1.00");
    assert_string_equal(okr_render_score_num(0.05, buf, sizeof buf), "0.05");
    assert_string_equal(okr_render_score_num(NAN, buf, sizeof buf), "0.00");
}

/* Empty cells at the end of a row (a check-in without a note) leave no
 * trailing blanks; an empty cell in the middle is still padded. */
static void test_table_empty_last_cells(void **state)
{
    (void)state;
    char *cells[] = {"ID", "VALUE", "NOTE", "C1", "", "", "C22", "", "late"};
    okr_cli_table_t t = {.ncols = 3, .nrows = 3, .cap = 3, .cells = cells};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    okr_render_table_print(&t, f, NULL, NULL);
    fclose(f);
    assert_string_equal(text, "ID   VALUE  NOTE\n"
                              "C1\n"
                              "C22         late\n");
    free(text);
}

/* ---------------------------------------------------------------- JSON */

static void test_json(void **state)
{
    (void)state;
    Okr__Objective o = OKR__OBJECTIVE__INIT;
    o.id = 12;
    o.title = "提高客户满意度";
    o.kind = OKR__OBJECTIVE_KIND__OBJECTIVE_KIND_ASPIRATIONAL;
    o.visibility = OKR__VISIBILITY__VISIBILITY_TEAM;
    o.state = OKR__OBJECTIVE_STATE__OBJECTIVE_STATE_ACTIVE;
    o.status = OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK;
    o.progress = 0.5;
    o.score = NAN; /* jansson refuses NaN: it becomes null, the rest survives */
    json_t *j = okr_json_objective(&o);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 12);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "提高客户满意度");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "aspirational");
    assert_string_equal(json_string_value(json_object_get(j, "visibility")), "team");
    assert_string_equal(json_string_value(json_object_get(j, "state")), "active");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "at_risk");
    assert_true(json_real_value(json_object_get(j, "progress")) == 0.5);
    assert_true(json_is_null(json_object_get(j, "score")));
    json_decref(j);

    Okr__KeyResult kr = OKR__KEY_RESULT__INIT;
    kr.metric = OKR__METRIC__METRIC_CURRENCY;
    kr.confidence = 7;
    j = okr_json_key_result(&kr);
    assert_true(json_is_null(json_object_get(j, "confidence"))); /* !has_confidence */
    assert_string_equal(json_string_value(json_object_get(j, "metric")), "currency");
    json_decref(j);
    kr.has_confidence = 1;
    j = okr_json_key_result(&kr);
    assert_int_equal(json_integer_value(json_object_get(j, "confidence")), 7);
    json_decref(j);

    uint64_t leads[] = {3}, members[] = {3, 4};
    Okr__Team t = OKR__TEAM__INIT;
    t.name = "Sales";
    t.lead_ids = leads;
    t.n_lead_ids = 1;
    t.member_ids = members;
    t.n_member_ids = 2;
    j = okr_json_team(&t);
    assert_int_equal(json_array_size(json_object_get(j, "member_ids")), 2);
    json_decref(j);

    Okr__Cycle c = OKR__CYCLE__INIT;
    c.name = "2026-Q1";
    c.state = OKR__CYCLE_STATE__CYCLE_STATE_CLOSED;
    j = okr_json_cycle(&c);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "closed");
    json_decref(j);

    Okr__LintFinding lf = OKR__LINT_FINDING__INIT;
    lf.kind = OKR__ENTITY_KIND__ENTITY_KIND_KEY_RESULT;
    j = okr_json_lint_finding(&lf);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "key_result");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_parse),
        cmocka_unit_test(test_ref_parse_any_and_format),
        cmocka_unit_test(test_bar),
        cmocka_unit_test(test_bar_color),
        cmocka_unit_test(test_status_and_score),
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_date_relative),
        cmocka_unit_test(test_date_dst),
        cmocka_unit_test(test_when_parse),
        cmocka_unit_test(test_spark),
        cmocka_unit_test(test_ago),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_pct),
        cmocka_unit_test(test_score_num),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_empty_last_cells),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
