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

size_t okr_display_width(const char *s)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t len = strlen(s), width = 0;
    while (len > 0) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);
        if (n <= 0) {
            width++;
            p++;
            len--;
            continue;
        }
        int w = utf8proc_charwidth(cp);
        width += w > 0 ? (size_t)w : 0;
        p += n;
        len -= (size_t)n;
    }
    return width;
}
