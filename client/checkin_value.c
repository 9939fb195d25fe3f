/* checkin_value.c — a check-in's value as people type it: see
 * checkin_value.h. */
#include "checkin_value.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHECKIN_VALUE_MAX 64

/* Copies text without thousands separators ("1,200" -> "1200"); a comma not
 * followed by exactly three digits is left alone so that strtod rejects it. */
static void value__strip_separators(const char *text, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; text[i] && o + 1 < len; i++) {
        char ch = text[i];
        if ((ch == ',' || ch == '_') && i > 0 && isdigit((unsigned char)text[i - 1]) &&
            isdigit((unsigned char)text[i + 1]) && isdigit((unsigned char)text[i + 2]) &&
            isdigit((unsigned char)text[i + 3]) && !isdigit((unsigned char)text[i + 4]))
            continue;
        out[o++] = ch;
    }
    out[o] = '\0';
}

static int value__number(const char *text, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(text, &end);
    return end != text && *end == '\0' && errno == 0 && isfinite(*v) ? 0 : -1;
}

static int value__is_word(const char *s, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    return 0;
}

int okr_checkin_parse_value(const char *text, okr_checkin_value_t *out)
{
    static const char *const done_words[] = {"done", "yes", "y", "true", NULL};
    static const char *const undone_words[] = {"undone", "no", "n", "false", "not-done", NULL};
    char buf[CHECKIN_VALUE_MAX];
    while (isspace((unsigned char)*text))
        text++;
    if (strlen(text) >= sizeof buf)
        return -1;
    value__strip_separators(text, buf, sizeof buf);
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    out->number = 0;
    if (value__is_word(buf, done_words)) {
        out->kind = OKR_CHECKIN_DONE;
        return 0;
    }
    if (value__is_word(buf, undone_words)) {
        out->kind = OKR_CHECKIN_UNDONE;
        return 0;
    }
    const char *num = buf;
    int relative = buf[0] == '+' || buf[0] == '-';
    if (buf[0] == '=')
        num++;
    int share = n > 0 && buf[n - 1] == '%';
    if (share)
        buf[--n] = '\0';
    if (n == 0 || value__number(num, &out->number) != 0)
        return -1;
    if (share)
        out->kind = relative ? OKR_CHECKIN_SHARE_REL : OKR_CHECKIN_SHARE;
    else
        out->kind = relative ? OKR_CHECKIN_RELATIVE : OKR_CHECKIN_ABSOLUTE;
    return 0;
}

int okr_checkin_is_absolute(const okr_checkin_value_t *val)
{
    return val->kind == OKR_CHECKIN_ABSOLUTE;
}

int okr_checkin_resolve(const Okr__KeyResult *kr, const char *ref, const okr_checkin_value_t *val,
                        double *out, char *why, size_t len)
{
    int boolean = kr->metric == OKR__METRIC__METRIC_BOOLEAN;
    int percent = kr->metric == OKR__METRIC__METRIC_PERCENT;
    double range = kr->target - kr->start, v = val->number;
    switch (val->kind) {
    case OKR_CHECKIN_ABSOLUTE:
        *out = v;
        break;
    case OKR_CHECKIN_RELATIVE:
        *out = kr->current + v;
        break;
    case OKR_CHECKIN_SHARE:
        *out = percent ? v : kr->start + v / 100.0 * range;
        break;
    case OKR_CHECKIN_SHARE_REL:
        *out = kr->current + (percent ? v : v / 100.0 * range);
        break;
    case OKR_CHECKIN_DONE:
        *out = boolean ? 1 : kr->target;
        break;
    case OKR_CHECKIN_UNDONE:
        if (!boolean) {
            snprintf(why, len, "%s is not a yes/no key result: give its value, e.g. 42", ref);
            return -1;
        }
        *out = 0;
        break;
    }
    if (boolean && *out != 0 && *out != 1) {
        snprintf(why, len, "%s is a yes/no key result: check in done or undone", ref);
        return -1;
    }
    if (!isfinite(*out)) {
        snprintf(why, len, "the value is out of range");
        return -1;
    }
    return 0;
}

int okr_checkin_parse_confidence(const char *text, uint32_t *out)
{
    char *end;
    errno = 0;
    long c = strtol(text, &end, 10);
    if (end == text || errno)
        return -1;
    if (strcmp(end, "/10") != 0 && *end != '\0')
        return -1;
    if (c < 0 || c > 10)
        return -1;
    *out = (uint32_t)c;
    return 0;
}
