/* Fuzz target: values people type on okr's command line — dates
 * (okr_render_parse_date: "2026-03-31", "today", "+7d", "-2w") and short ids
 * (okr_ref_parse, okr_ref_parse_any: "O12", "k34", "#5", "12").
 *
 * The first byte picks the time zone (UTC, one with DST at 02:00, one with
 * DST at midnight, one far east of UTC) and end_of_day; the rest is the text.
 * Checks:
 *   - a date YYYY-MM-DD parses to a time okr_render_date shows as that very
 *     date, at the day's start or (end_of_day) later the same day;
 *   - "+Nd" and "+Nw" are never before today, "-Nd" and "-Nw" never after,
 *     and "+0d" is today;
 *   - a moment for okr checkin --at (okr_render_parse_when: "2026-03-31
 *     17:30", with T or seconds) lands within that date's day, shown as that
 *     date, even in a gap or an overlap of daylight saving; a bare date is
 *     the day's end;
 *   - okr_render_date and okr_render_ago always end their text within the
 *     buffer;
 *   - a short id parses to an id of 1 or more that okr_ref_format writes
 *     back in a form both parsers read as the same kind and id.
 * Seeds: tests/fuzz/corpus/args. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_util.h"
#include "refs.h"
#include "render.h"

static void set_zone(unsigned pick)
{
    static const char *const zones[] = {
        "UTC0",
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "<-03>3<-02>,M10.3.0/0,M2.3.0/0", /* DST starts at midnight: no 00:00 */
        "<+14>-14",
    };
    static unsigned current = ~0u;
    pick %= sizeof zones / sizeof zones[0];
    if (pick == current)
        return;
    setenv("TZ", zones[pick], 1);
    tzset();
    current = pick;
}

static int is_ymd(const char *s)
{
    static const char shape[] = "dddd-dd-dd";
    if (strlen(s) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
            return 0;
    return 1;
}

static void check_date(const char *s, int end_of_day)
{
    int64_t ms, start, today;
    char shown[16];
    if (okr_render_parse_date(s, end_of_day, &ms) != 0)
        return;
    okr_render_date(ms, shown, sizeof shown);
    FUZZ_REQUIRE(strlen(shown) < sizeof shown);
    FUZZ_REQUIRE(okr_render_parse_date(s, 0, &start) == 0 && start <= ms);
    if (is_ymd(s)) {
        FUZZ_REQUIRE(strcmp(shown, s) == 0);
        okr_render_date(start, shown, sizeof shown);
        FUZZ_REQUIRE(strcmp(shown, s) == 0);
        return;
    }
    /* Relative: compared with today at the same end of the day. The clock
     * may tick past midnight between the two calls, so allow a day. */
    FUZZ_REQUIRE(okr_render_parse_date("today", end_of_day, &today) == 0);
    const int64_t day = 24LL * 3600 * 1000;
    if (s[0] == '+')
        FUZZ_REQUIRE(ms >= today - day);
    else if (s[0] == '-')
        FUZZ_REQUIRE(ms <= today + day);
    if (strcmp(s, "+0d") == 0 || strcmp(s, "-0d") == 0)
        FUZZ_REQUIRE(ms - today <= day && today - ms <= day);
}

static void check_when(const char *s)
{
    int64_t ms, start, end;
    if (okr_render_parse_when(s, &ms) != 0)
        return;
    if (okr_render_parse_date(s, 1, &end) == 0) {
        FUZZ_REQUIRE(ms == end);
        return;
    }
    char day[11], shown[16];
    FUZZ_REQUIRE(strlen(s) >= sizeof day);
    memcpy(day, s, sizeof day - 1);
    day[sizeof day - 1] = '\0';
    FUZZ_REQUIRE(is_ymd(day));
    FUZZ_REQUIRE(okr_render_parse_date(day, 0, &start) == 0);
    FUZZ_REQUIRE(okr_render_parse_date(day, 1, &end) == 0);
    FUZZ_REQUIRE(start <= ms && ms <= end);
    okr_render_date(ms, shown, sizeof shown);
    FUZZ_REQUIRE(strcmp(shown, day) == 0);
}

static void check_times(const uint8_t *data, size_t size)
{
    int64_t a = 0, b = 0;
    memcpy(&a, data, size < sizeof a ? size : sizeof a);
    if (size > sizeof a)
        memcpy(&b, data + sizeof a, size - sizeof a < sizeof b ? size - sizeof a : sizeof b);
    char buf[40];
    size_t len = 1 + (size_t)(a & 31);
    okr_render_date(a / 64, buf, len);
    FUZZ_REQUIRE(strlen(buf) < len);
    okr_render_ago(a / 64, b, buf, len);
    FUZZ_REQUIRE(strlen(buf) < len);
}

static void check_ref(const char *s)
{
    static const okr_ref_kind_t kinds[] = {OKR_REF_OBJECTIVE, OKR_REF_KEY_RESULT, OKR_REF_TASK,
                                           OKR_REF_CHECKIN};
    char buf[32];
    uint64_t id, again;
    okr_ref_kind_t kind;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (okr_ref_parse(s, kinds[i], &id) != 0)
            continue;
        FUZZ_REQUIRE(id >= 1);
        okr_ref_format(kinds[i], id, buf, sizeof buf);
        FUZZ_REQUIRE(okr_ref_parse(buf, kinds[i], &again) == 0 && again == id);
        FUZZ_REQUIRE(okr_ref_parse_any(buf, &kind, &again) == 0);
        FUZZ_REQUIRE(kind == kinds[i] && again == id);
    }
    if (okr_ref_parse_any(s, &kind, &id) == 0) {
        FUZZ_REQUIRE(id >= 1);
        FUZZ_REQUIRE(okr_ref_parse(s, kind, &again) == 0 && again == id);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    set_zone(data[0] >> 1);
    char *s = fuzz_string(data + 1, size - 1);
    check_date(s, data[0] & 1);
    check_when(s);
    check_ref(s);
    check_times(data + 1, size - 1);
    free(s);
    return 0;
}
