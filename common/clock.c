#include "clock.h"

#include <stdio.h>
#include <time.h>

uint64_t okr_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t okr_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t okr_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *okr_wall_format(int64_t ms, const char *fmt, char *buf, size_t len)
{
    int64_t secs = ms / 1000 - (ms % 1000 < 0); /* floor, also before 1970 */
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, fmt, &tm) == 0)
        snprintf(buf, len, "?");
    return buf;
}
