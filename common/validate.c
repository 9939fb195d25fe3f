#include "validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <utf8proc.h>

#include "okr_error.h"

int okr_utf8_valid(const char *s, size_t len)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    while (len > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        if (n <= 0 || cp == 0)
            return 0;
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

int okr_check_string(const char *field, const char *s, size_t min_len, size_t max_len, char *msg,
                     size_t msglen)
{
    size_t len = s ? strlen(s) : 0;
    if (len < min_len || len > max_len) {
        if (min_len > 0)
            snprintf(msg, msglen, "%s must be %zu to %zu bytes long (got %zu)", field, min_len,
                     max_len, len);
        else
            snprintf(msg, msglen, "%s must be at most %zu bytes long (got %zu)", field, max_len,
                     len);
        return OKR_E_BAD_REQUEST;
    }
    if (len > 0 && !okr_utf8_valid(s, len)) {
        snprintf(msg, msglen, "%s is not valid UTF-8", field);
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}

int okr_check_finite(const char *field, double v, char *msg, size_t msglen)
{
    if (!isfinite(v)) {
        snprintf(msg, msglen, "%s must be a finite number", field);
        return OKR_E_BAD_REQUEST;
    }
    return 0;
}

size_t okr_utf8_cluster(const char *s, size_t n, size_t *width)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_int32_t cp, prev = -1, state = 0;
    size_t used = 0, sum = 0;
    while (used < n) {
        utf8proc_ssize_t k = utf8proc_iterate(p + used, (utf8proc_ssize_t)(n - used), &cp);
        if (k <= 0) {
            if (used == 0) { /* an invalid byte: a cluster of its own */
                *width = 1;
                return 1;
            }
            break;
        }
        if (prev >= 0 && utf8proc_grapheme_break_stateful(prev, cp, &state))
            break;
        int w = utf8proc_charwidth(cp);
        sum += w > 0 ? (size_t)w : 0;
        prev = cp;
        used += (size_t)k;
    }
    *width = sum;
    return used;
}

size_t okr_display_width(const char *s)
{
    size_t len = strlen(s), width = 0;
    while (len > 0) {
        size_t w, k = okr_utf8_cluster(s, len, &w);
        width += w;
        s += k;
        len -= k;
    }
    return width;
}
