/* render.c — progress bars, colours, values, dates and tables for people
 * (see render.h). Everything here is pure apart from reading the clock, the
 * environment and whether stdout is a terminal, so the unit tests can call
 * it directly. */
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "cli.h"
#include "clock.h"
#include "progress.h"
#include "validate.h"

#define SGR_RED    "31"
#define SGR_GREEN  "32"
#define SGR_YELLOW "33"

#define MS_PER_DAY (24LL * 3600 * 1000)

int okr_render_color(void)
{
    /* https://no-color.org: set and not empty turns colour off */
    const char *no_color = getenv("NO_COLOR");
    if (no_color && no_color[0])
        return 0;
    return isatty(STDOUT_FILENO);
}

/* ---------------------------------------------------------------- appending */

/* A bounded string builder that only ever appends whole pieces, so a buffer
 * that is too small never ends in half a UTF-8 sequence or escape. */
typedef struct sb {
    char *buf;
    size_t len, used;
} sb_t;

static void sb__init(sb_t *b, char *buf, size_t len)
{
    b->buf = buf;
    b->len = len;
    b->used = 0;
    if (len)
        buf[0] = '\0';
}

static void sb__put(sb_t *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len == 0 || b->used + n >= b->len)
        return;
    memcpy(b->buf + b->used, s, n + 1);
    b->used += n;
}

static void sb__color_on(sb_t *b, const char *sgr)
{
    if (!sgr)
        return;
    sb__put(b, "\033[");
    sb__put(b, sgr);
    sb__put(b, "m");
}

static void sb__color_off(sb_t *b, const char *sgr)
{
    if (sgr)
        sb__put(b, "\033[0m");
}

/* ---------------------------------------------------------------- colours */

const char *okr_render_status_sgr(Okr__ProgressStatus status)
{
    switch (status) {
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_ON_TRACK:
        return SGR_GREEN;
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_AT_RISK:
        return SGR_YELLOW;
    case OKR__PROGRESS_STATUS__PROGRESS_STATUS_OFF_TRACK:
        return SGR_RED;
    default:
        return NULL;
    }
}

const char *okr_render_grade_sgr(okr_grade_t grade)
{
    switch (grade) {
    case OKR_GRADE_GREEN:
        return SGR_GREEN;
    case OKR_GRADE_YELLOW:
        return SGR_YELLOW;
    case OKR_GRADE_RED:
        return SGR_RED;
    }
    return NULL;
}

/* ---------------------------------------------------------------- bars */

/* Rounded down, so "100%" appears only when it is done (a tiny epsilon
 * keeps 0.29 * 100 = 28.999... at 29). */
int okr_render_pct(double p)
{
    return (int)floor(okr_clamp01(p) * 100.0 + 1e-6);
}

const char *okr_render_bar(double p, int width, Okr__ProgressStatus status, char *buf, size_t len)
{
    /* Eighth blocks give a bar eight times finer than its cells. */
    static const char *const partial[8] = {"",       "\u258f", "\u258e", "\u258d",
                                           "\u258c", "\u258b", "\u258a", "\u2589"};
    p = okr_clamp01(p);
    if (width < 1)
        width = 1;
    long eighths = (long)floor(p * width * 8.0 + 1e-6);
    long full = eighths / 8, rest = eighths % 8;
    const char *sgr = okr_render_color() ? okr_render_status_sgr(status) : NULL;
    sb_t b;
    sb__init(&b, buf, len);
    sb__color_on(&b, sgr);
    int cells = 0;
    for (long i = 0; i < full; i++, cells++)
        sb__put(&b, "\u2588");
    if (rest && cells < width) {
        sb__put(&b, partial[rest]);
        cells++;
    }
    sb__color_off(&b, sgr);
    for (; cells < width; cells++)
        sb__put(&b, "\u2591");
    char pct[16];
    snprintf(pct, sizeof pct, " %3d%%", okr_render_pct(p));
    sb__put(&b, pct);
    return buf;
}

const char *okr_render_status(Okr__ProgressStatus status, char *buf, size_t len)
{
    const char *sgr = okr_render_color() ? okr_render_status_sgr(status) : NULL;
    sb_t b;
    sb__init(&b, buf, len);
    sb__color_on(&b, sgr);
    sb__put(&b, okr_status_name(status));
    sb__color_off(&b, sgr);
    return buf;
}

const char *okr_render_score_num(double score, char *buf, size_t len)
{
    int pct = okr_render_pct(score);
    snprintf(buf, len, "%d.%02d", pct / 100, pct % 100);
    return buf;
}

const char *okr_render_score(double score, char *buf, size_t len)
{
    okr_grade_t grade = okr_score_grade(score);
    const char *sgr = okr_render_color() ? okr_render_grade_sgr(grade) : NULL;
    char text[64], num[16];
    snprintf(text, sizeof text, "%s %s", okr_render_score_num(score, num, sizeof num),
             okr_grade_name(grade));
    sb_t b;
    sb__init(&b, buf, len);
    sb__color_on(&b, sgr);
    sb__put(&b, text);
    sb__color_off(&b, sgr);
    return buf;
}

/* ---------------------------------------------------------------- values */

/* v with at most two decimals, trailing zeros dropped: 42, 3.5, 0.25. */
static void render__number(double v, int group, char *out, size_t len)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.2f", v);
    char *dot = strchr(tmp, '.');
    if (dot) {
        char *end = tmp + strlen(tmp);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(tmp, "-0") == 0)
        strcpy(tmp, "0");
    if (!group) {
        snprintf(out, len, "%s", tmp);
        return;
    }
    /* Thousands separators on the integer part: 1200 -> 1,200. */
    const char *digits = tmp[0] == '-' ? tmp + 1 : tmp;
    size_t intlen = strcspn(digits, ".");
    char grouped[96];
    size_t o = 0;
    if (digits != tmp)
        grouped[o++] = '-';
    for (size_t i = 0; i < intlen; i++) {
        if (i > 0 && (intlen - i) % 3 == 0)
            grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    snprintf(grouped + o, sizeof grouped - o, "%s", digits + intlen);
    snprintf(out, len, "%s", grouped);
}

/* Units written before the amount: "$1,200" rather than "1,200 $". */
static int render__prefix_unit(const char *unit)
{
    static const char *const prefixes[] = {"$", "\u20ac", "\u00a3", "\u00a5", "\uffe5", "US$"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strcmp(unit, prefixes[i]) == 0)
            return 1;
    return 0;
}

const char *okr_render_value(const Okr__KeyResult *kr, double value, char *buf, size_t len)
{
    const char *unit = kr->unit ? kr->unit : "";
    char num[96];
    if (!isfinite(value)) {
        snprintf(buf, len, "?");
        return buf;
    }
    switch (kr->metric) {
    case OKR__METRIC__METRIC_BOOLEAN:
        snprintf(buf, len, "%s", value >= 0.5 ? "done" : "not done");
        return buf;
    case OKR__METRIC__METRIC_PERCENT:
        render__number(value, 0, num, sizeof num);
        snprintf(buf, len, "%s%%", num);
        return buf;
    case OKR__METRIC__METRIC_CURRENCY:
        render__number(value, 1, num, sizeof num);
        if (!unit[0])
            snprintf(buf, len, "%s", num);
        else if (render__prefix_unit(unit))
            snprintf(buf, len, "%s%s", unit, num);
        else
            snprintf(buf, len, "%s %s", num, unit);
        return buf;
    default:
        render__number(value, 0, num, sizeof num);
        if (!unit[0])
            snprintf(buf, len, "%s", num);
        else if (strcmp(unit, "%") == 0)
            snprintf(buf, len, "%s%%", num);
        else
            snprintf(buf, len, "%s %s", num, unit);
        return buf;
    }
}

const char *okr_render_spark(const double *values, size_t n, char *buf, size_t len)
{
    static const char *const heights[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                          "\u2585", "\u2586", "\u2587", "\u2588"};
    if (len == 0)
        return buf;
    size_t fit = (len - 1) / 3, from = n > fit ? n - fit : 0, o = 0;
    for (size_t i = from; i < n; i++) {
        double v = values[i];
        size_t h = isfinite(v) ? (size_t)lround(okr_clamp01(v) * 7.0) : 0;
        memcpy(buf + o, heights[h], 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

const char *okr_render_spark_recent(const double *trend, size_t n, size_t max, double now,
                                    char *buf, size_t len)
{
    double weeks[64];
    if (len)
        buf[0] = '\0';
    if (!trend || n < 2 || max < 2)
        return buf;
    size_t k = n < max ? n : max;
    k = k < sizeof weeks / sizeof weeks[0] ? k : sizeof weeks / sizeof weeks[0];
    memcpy(weeks, trend + n - k, k * sizeof *weeks);
    weeks[k - 1] = now;
    return okr_render_spark(weeks, k, buf, len);
}

/* ---------------------------------------------------------------- dates */

const char *okr_render_date(int64_t ms, char *buf, size_t len)
{
    /* floor division: a time before 1970 still lands on its own day */
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    if (ms == 0 || !localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "-");
    return buf;
}

/* Local midnight (or the day's last millisecond) of y-m-d plus days; the
 * day arithmetic goes through mktime so month ends and DST are right. */
/* Local time h:min:sec on day d + days of month m of year y (mktime carries
 * day overflow into the next month, and finds daylight saving itself). */
static int render__local_time(int y, int m, int d, int days, int h, int min, int sec, int64_t *ms)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + days;
    tm.tm_hour = h;
    tm.tm_min = min;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -1;
    *ms = (int64_t)t * 1000;
    return 0;
}

static int render__local_day(int y, int m, int d, int days, int end_of_day, int64_t *ms)
{
    if (!end_of_day)
        return render__local_time(y, m, d, days, 0, 0, 0, ms);
    int rc = render__local_time(y, m, d, days, 23, 59, 59, ms);
    *ms += 999;
    return rc;
}

static int render__digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int render__days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* The date that text starts with, YYYY-MM-DD strictly. Returns 0 or -1. */
static int render__ymd(const char *text, int *y, int *m, int *d)
{
    if (strnlen(text, 10) != 10 || text[4] != '-' || text[7] != '-' || !render__digits(text, 4) ||
        !render__digits(text + 5, 2) || !render__digits(text + 8, 2))
        return -1;
    *y = atoi(text);
    *m = atoi(text + 5);
    *d = atoi(text + 8);
    return *y < 1970 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 ||
                   *d > render__days_in_month(*y, *m)
               ? -1
               : 0;
}

int okr_render_parse_date(const char *text, int end_of_day, int64_t *ms)
{
    if (!text)
        return -1;
    int days = 0;
    if (strcmp(text, "today") == 0) {
        days = 0;
    } else if (strcmp(text, "tomorrow") == 0) {
        days = 1;
    } else if (strcmp(text, "yesterday") == 0) {
        days = -1;
    } else if ((text[0] == '+' || text[0] == '-') && text[1]) {
        /* +7d, -3d, +2w */
        char *end;
        long n = strtol(text + 1, &end, 10);
        if (end == text + 1 || text[1] < '0' || text[1] > '9' || n > 36500)
            return -1;
        if (strcmp(end, "d") == 0)
            days = (int)n;
        else if (strcmp(end, "w") == 0)
            days = (int)n * 7;
        else
            return -1;
        if (text[0] == '-')
            days = -days;
    } else {
        int y, m, d;
        if (strlen(text) != 10 || render__ymd(text, &y, &m, &d) != 0)
            return -1;
        return render__local_day(y, m, d, 0, end_of_day, ms);
    }
    time_t now = (time_t)(okr_wall_ms() / 1000);
    struct tm tm;
    if (!localtime_r(&now, &tm))
        return -1;
    return render__local_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, days, end_of_day, ms);
}

int okr_render_parse_when(const char *text, int64_t *ms)
{
    if (!text)
        return -1;
    int y, m, d;
    size_t n = strlen(text);
    if ((n == 16 || n == 19) && render__ymd(text, &y, &m, &d) == 0 &&
        (text[10] == ' ' || text[10] == 'T') && text[13] == ':' && render__digits(text + 11, 2) &&
        render__digits(text + 14, 2) &&
        (n == 16 || (text[16] == ':' && render__digits(text + 17, 2)))) {
        int h = atoi(text + 11), min = atoi(text + 14), sec = n == 19 ? atoi(text + 17) : 0;
        if (h > 23 || min > 59 || sec > 59)
            return -1;
        return render__local_time(y, m, d, 0, h, min, sec, ms);
    }
    return okr_render_parse_date(text, 1, ms);
}

const char *okr_render_ago(int64_t ms, int64_t now_ms, char *buf, size_t len)
{
    if (ms == 0) {
        snprintf(buf, len, "never");
        return buf;
    }
    /* A time from the server may be any int64: the distance, taken in
     * unsigned arithmetic, cannot overflow as now_ms - ms can. */
    int future = ms > now_ms;
    uint64_t abs_s =
        (future ? (uint64_t)ms - (uint64_t)now_ms : (uint64_t)now_ms - (uint64_t)ms) / 1000;
    if (abs_s < 60) {
        snprintf(buf, len, "just now");
        return buf;
    }
    uint64_t n;
    const char *unit;
    if (abs_s < 3600) {
        n = abs_s / 60;
        unit = "minute";
    } else if (abs_s < 86400) {
        n = abs_s / 3600;
        unit = "hour";
    } else if (abs_s < 14 * 86400) {
        n = abs_s / 86400;
        unit = "day";
    } else if (abs_s < 60 * 86400) {
        n = abs_s / (7 * 86400);
        unit = "week";
    } else if (abs_s < 730 * 86400) {
        n = abs_s / (30 * 86400);
        unit = "month";
    } else {
        n = abs_s / (365 * 86400);
        unit = "year";
    }
    if (future)
        snprintf(buf, len, "in %llu %s%s", (unsigned long long)n, unit, n == 1 ? "" : "s");
    else
        snprintf(buf, len, "%llu %s%s ago", (unsigned long long)n, unit, n == 1 ? "" : "s");
    return buf;
}

/* ---------------------------------------------------------------- truncation */

const char *okr_render_truncate(const char *s, size_t max_width, char *buf, size_t len)
{
    static const char ellipsis[] = "\u2026"; /* one column */
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (!s)
        return buf;
    size_t n = strlen(s);
    int fits = okr_display_width(s) <= max_width && n < len;
    /* When cutting, keep one column and its bytes for the ellipsis. */
    size_t budget = fits ? max_width : (max_width > 0 ? max_width - 1 : 0);
    size_t room = fits ? len - 1 : (len > sizeof ellipsis ? len - sizeof ellipsis : 0);
    size_t used = 0, width = 0;
    while (used < n) {
        size_t w, k = okr_utf8_cluster(s + used, n - used, &w);
        if (width + w > budget || used + k > room)
            break;
        used += k;
        width += w;
    }
    memcpy(buf, s, used);
    buf[used] = '\0';
    if (used < n && max_width > 0 && used + sizeof ellipsis <= len)
        memcpy(buf + used, ellipsis, sizeof ellipsis);
    return buf;
}

/* ---------------------------------------------------------------- tables */

#define TABLE_MAX_COLS 16

void okr_render_table_print(const okr_cli_table_t *t, FILE *out, okr_render_cell_color_fn color,
                            void *arg)
{
    size_t width[TABLE_MAX_COLS] = {0};
    size_t ncols = t->ncols < TABLE_MAX_COLS ? t->ncols : TABLE_MAX_COLS;
    int use_color = color && okr_render_color();
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            size_t w = okr_display_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        /* no padding after the last cell with something in it: empty notes
         * at the end of a row leave no trailing blanks */
        size_t last = ncols;
        while (last > 1 && !t->cells[r * t->ncols + last - 1][0])
            last--;
        for (size_t c = 0; c < last; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            const char *sgr = use_color ? color(arg, r, c) : NULL;
            if (sgr)
                fprintf(out, "\033[%sm%s\033[0m", sgr, cell);
            else
                fputs(cell, out);
            if (c + 1 == last)
                break;
            for (size_t w = okr_display_width(cell); w < width[c] + 2; w++)
                fputc(' ', out);
        }
        fputc('\n', out);
    }
}
